import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isKind } from '../../errdefs/errdefs.js';
import type { Index, Platform } from '../oci.js';
import { formatPlatform, parseManifest, parsePlatform, platformMatches, selectManifest, verifyDigest } from './manifest.js';

const D = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const desc = (n: number, platform?: Platform, mediaType = 'application/vnd.oci.image.manifest.v1+json') => ({ mediaType, digest: D(n), size: 100, ...(platform ? { platform } : {}) });

describe('parseManifest', () => {
  const manifest = { schemaVersion: 2, config: desc(1), layers: [desc(2)] };
  it('an OCI manifest without a mediaType field takes it from the Content-Type', () => {
    const p = parseManifest(Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json; charset=utf-8');
    assert.equal(p.kind, 'manifest');
    assert.equal(p.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  });
  it('a Docker schema 2 manifest', () => {
    const p = parseManifest(Buffer.from(JSON.stringify({ ...manifest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' })));
    assert.equal(p.kind, 'manifest');
    assert.equal(p.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  });
  it('indexes and manifest lists', () => {
    for (const mt of ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']) {
      const p = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mt, manifests: [desc(3, { os: 'linux', architecture: 'amd64' })] })));
      assert.equal(p.kind, 'index');
      assert.equal(p.mediaType, mt);
    }
  });
  it('refuses schema 1, bad JSON, bad descriptors, unknown documents', () => {
    const bad = [
      JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }),
      '{not json',
      JSON.stringify({ schemaVersion: 2, config: { digest: 'sha256:short', size: 1 }, layers: [] }),
      JSON.stringify({ schemaVersion: 2, config: desc(1), layers: [{ digest: D(2) }] }),
      JSON.stringify({ schemaVersion: 2, hello: 'world' }),
    ];
    for (const b of bad) {
      assert.throws(
        () => parseManifest(Buffer.from(b)),
        (e: unknown) => isKind(e, 'InvalidParameter'),
        b,
      );
    }
    assert.throws(() => parseManifest(Buffer.from(bad[0]!)), /schema 1/);
  });
});

describe('verifyDigest', () => {
  it('accepts matching content and refuses anything else', () => {
    const b = Buffer.from('{"a":1}');
    const d = 'sha256:' + createHash('sha256').update(b).digest('hex');
    verifyDigest(b, d);
    assert.throws(() => verifyDigest(Buffer.from('{"a":2}'), d), new RegExp(`manifest verification failed for digest ${d}`));
    assert.throws(() => verifyDigest(b, D(1), 'image config'), /image config verification failed/);
  });
});

describe('platforms', () => {
  const table: [string, string][] = [
    ['linux/amd64', 'linux/amd64'],
    ['amd64', 'linux/amd64'],
    ['x86_64', 'linux/amd64'],
    ['linux/arm64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['LINUX/S390X', 'linux/s390x'],
    ['windows/amd64', 'windows/amd64'],
    ['linux/386', 'linux/386'],
    ['linux/i386', 'linux/386'],
  ];
  for (const [input, want] of table) it(`parses ${input}`, () => assert.equal(formatPlatform(parsePlatform(input)), want));
  it('refuses nonsense', () => {
    for (const s of ['', 'a/b/c/d', 'plan/9/x', 'linux//amd64', 'linux/amd 64']) assert.throws(() => parsePlatform(s), /unknown operating system or architecture/, s);
  });
  it('matches arm variants downwards only, others exactly', () => {
    assert.ok(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' }));
    assert.ok(!platformMatches(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' }));
    assert.ok(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }));
    assert.ok(!platformMatches(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'arm64' }));
    assert.ok(!platformMatches(parsePlatform('linux/amd64'), { os: 'windows', architecture: 'amd64' }));
  });
});

describe('selectManifest', () => {
  const index: Index = {
    schemaVersion: 2,
    manifests: [
      desc(1, { os: 'linux', architecture: 'arm', variant: 'v6' }),
      desc(2, { os: 'linux', architecture: 'arm', variant: 'v7' }),
      desc(3, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      { ...desc(4, { os: 'unknown', architecture: 'unknown' }), annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
      desc(5, { os: 'linux', architecture: 'amd64' }),
      desc(6, { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' }),
    ],
  };
  it('picks the entry of the wanted platform', () => {
    assert.equal(selectManifest(index, parsePlatform('linux/amd64')).digest, D(5));
    assert.equal(selectManifest(index, parsePlatform('linux/arm64')).digest, D(3));
    assert.equal(selectManifest(index, parsePlatform('windows/amd64')).digest, D(6));
  });
  it('prefers the exact arm variant, falls back to an older one', () => {
    assert.equal(selectManifest(index, parsePlatform('linux/arm/v7')).digest, D(2));
    assert.equal(selectManifest(index, parsePlatform('linux/arm/v6')).digest, D(1));
    assert.equal(selectManifest({ schemaVersion: 2, manifests: [index.manifests[0]!] }, parsePlatform('linux/arm/v7')).digest, D(1));
  });
  it('says which platform is missing, in docker words', () => {
    assert.throws(
      () => selectManifest(index, parsePlatform('linux/s390x')),
      (e: unknown) => isKind(e, 'NotFound') && /^no matching manifest for linux\/s390x in the manifest list entries$/.test((e as Error).message),
    );
  });
});
