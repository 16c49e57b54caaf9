import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DOCKER_HUB_KEY, authKey, configPath, encodeAuthHeader, loadConfig, lookupAuth, matchingKeys, saveConfig, storeAuth } from './auth-config.js';
import { apiTag, canonicalString, familiarName, familiarString, parseImageRef, withDefaultTag } from './image-ref.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('config.json credentials', () => {
  it('honours DOCKER_CONFIG', () => {
    assert.equal(configPath({ DOCKER_CONFIG: '/x/y' }), '/x/y/config.json');
    assert.match(configPath({}), /\.docker\/config\.json$/);
  });

  it('keys Docker Hub by its index URL and other registries by host[:port]', () => {
    for (const a of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']) assert.equal(authKey(a), DOCKER_HUB_KEY);
    assert.equal(authKey('http://localhost:5000/v2/'), 'localhost:5000');
    assert.equal(authKey('reg.example.com'), 'reg.example.com');
  });

  it('finds credentials stored under old key forms', () => {
    const cfg = { auths: { 'https://localhost:5000/v1/': { auth: b64('u:p:w') }, 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } };
    assert.deepEqual(lookupAuth(cfg, 'localhost:5000'), { serveraddress: 'localhost:5000', username: 'u', password: 'p:w' });
    assert.equal(lookupAuth(cfg, 'docker.io')?.username, 'hub');
    assert.equal(lookupAuth(cfg, 'other:1'), undefined);
    assert.deepEqual(matchingKeys(cfg, 'localhost:5000'), ['https://localhost:5000/v1/']);
  });

  it('stores, replacing older keys of the same registry, keeps other fields, mode 0600', () => {
    const dir = mkdtempSync('/tmp/berth-cfg-');
    try {
      const path = join(dir, 'sub', 'config.json');
      const cfg = { auths: { 'http://localhost:5000': { auth: b64('old:old') } }, credHelpers: { 'x.io': 'pass' }, psFormat: 'table {{.ID}}' };
      storeAuth(cfg, 'localhost:5000', { username: 'new', password: 'pw' });
      saveConfig(cfg, path);
      const back = loadConfig(path);
      assert.deepEqual(Object.keys(back.auths!), ['localhost:5000']);
      assert.equal(Buffer.from(back.auths!['localhost:5000']!.auth!, 'base64').toString(), 'new:pw');
      assert.equal(back['psFormat'], 'table {{.ID}}');
      assert.equal(statSync(path).mode & 0o777, 0o600);
      writeFileSync(path, '');
      assert.deepEqual(loadConfig(path), {});
      writeFileSync(path, '{bad');
      assert.throws(() => loadConfig(path), /loading config file/);
      assert.deepEqual(loadConfig(join(dir, 'none.json')), {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('encodes X-Registry-Auth as docker does (base64url JSON)', () => {
    const h = encodeAuthHeader({ username: 'u', password: '>>>???', serveraddress: 'localhost:5000' });
    assert.doesNotMatch(h, /[+/]/);
    const json = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString()) as Record<string, string>;
    assert.deepEqual(json, { username: 'u', password: '>>>???', serveraddress: 'localhost:5000' });
  });
});

describe('image references in the CLI', () => {
  const table: [string, string, string, string][] = [
    // input, familiar, canonical (with default tag), api tag
    ['busybox', 'busybox', 'docker.io/library/busybox:latest', 'latest'],
    ['library/busybox:1.36', 'busybox', 'docker.io/library/busybox:1.36', '1.36'],
    ['docker.io/team/app', 'team/app', 'docker.io/team/app:latest', 'latest'],
    ['index.docker.io/library/ubuntu:22.04', 'ubuntu', 'docker.io/library/ubuntu:22.04', '22.04'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b', 'localhost:5000/a/b:t', 't'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000/x', '127.0.0.1:5000/x:latest', 'latest'],
    [`reg.io/x@sha256:${'a'.repeat(64)}`, 'reg.io/x', `reg.io/x@sha256:${'a'.repeat(64)}`, `sha256:${'a'.repeat(64)}`],
  ];
  for (const [input, fam, canon, tag] of table) {
    it(input, () => {
      const r = parseImageRef(input);
      assert.equal(familiarName(r), fam);
      assert.equal(canonicalString(withDefaultTag(r)), canon);
      assert.equal(apiTag(r), tag);
    });
  }
  it('familiar strings', () => assert.equal(familiarString(withDefaultTag(parseImageRef('localhost:5000/x'))), 'localhost:5000/x:latest'));
  it('refuses what docker refuses', () => {
    assert.throws(() => parseImageRef('Busybox'), /invalid reference format: repository name \(library\/Busybox\) must be lowercase/);
    assert.throws(() => parseImageRef('a b'), /invalid reference format/);
    assert.throws(() => parseImageRef('x:'), /invalid reference format/);
    assert.throws(() => parseImageRef('a'.repeat(64)), /cannot specify 64-byte hexadecimal strings/);
    assert.throws(() => parseImageRef('x@sha256:abc'), /invalid reference format/);
  });
});
