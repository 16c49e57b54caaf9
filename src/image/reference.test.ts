import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import { EngineError } from '../errdefs/errdefs.js';
import {
  Reference,
  isDigest,
  isFullImageId,
  isImageIdLike,
  isValidDomain,
  isValidTag,
  parseAnyReference,
  parseDigest,
  parseDockerRef,
  parseNamed,
  parseNormalizedNamed,
  parseReference,
  parseRepositoryTag,
  splitDockerDomain,
  withName,
} from './reference.js';

const hex64 = createHash('sha256').update('berth').digest('hex');
const hex96 = createHash('sha384').update('berth').digest('hex');
const hex128 = createHash('sha512').update('berth').digest('hex');
const D = `sha256:${hex64}`;

/** Asserts `fn` throws an InvalidParameter EngineError with exactly `message`. */
function throwsInvalid(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof EngineError, `expected EngineError, got ${String(err)}`);
    assert.equal(err.kind, 'InvalidParameter');
    assert.equal(err.message, message);
    return true;
  });
}

interface Valid {
  input: string;
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
  familiarName: string;
  familiarString: string;
}

const valid: Valid[] = [
  { input: 'ubuntu', domain: 'docker.io', path: 'library/ubuntu', familiarName: 'ubuntu', familiarString: 'ubuntu' },
  {
    input: 'ubuntu:latest',
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: 'latest',
    familiarName: 'ubuntu',
    familiarString: 'ubuntu:latest',
  },
  {
    input: 'golf/jenkins:1.12.4',
    domain: 'docker.io',
    path: 'golf/jenkins',
    tag: '1.12.4',
    familiarName: 'golf/jenkins',
    familiarString: 'golf/jenkins:1.12.4',
  },
  {
    input: 'localhost:5000/a/b:t',
    domain: 'localhost:5000',
    path: 'a/b',
    tag: 't',
    familiarName: 'localhost:5000/a/b',
    familiarString: 'localhost:5000/a/b:t',
  },
  { input: 'localhost/foo', domain: 'localhost', path: 'foo', familiarName: 'localhost/foo', familiarString: 'localhost/foo' },
  // A single element is never a registry, not even "localhost" or "host:port".
  { input: 'localhost', domain: 'docker.io', path: 'library/localhost', familiarName: 'localhost', familiarString: 'localhost' },
  {
    input: 'localhost:5000',
    domain: 'docker.io',
    path: 'library/localhost',
    tag: '5000',
    familiarName: 'localhost',
    familiarString: 'localhost:5000',
  },
  { input: 'docker.io', domain: 'docker.io', path: 'library/docker.io', familiarName: 'docker.io', familiarString: 'docker.io' },
  {
    input: `ubuntu@${D}`,
    domain: 'docker.io',
    path: 'library/ubuntu',
    digest: D,
    familiarName: 'ubuntu',
    familiarString: `ubuntu@${D}`,
  },
  {
    input: `ubuntu:22.04@${D}`,
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: '22.04',
    digest: D,
    familiarName: 'ubuntu',
    familiarString: `ubuntu:22.04@${D}`,
  },
  { input: 'index.docker.io/foo', domain: 'docker.io', path: 'library/foo', familiarName: 'foo', familiarString: 'foo' },
  {
    input: 'index.docker.io/foo/bar:1',
    domain: 'docker.io',
    path: 'foo/bar',
    tag: '1',
    familiarName: 'foo/bar',
    familiarString: 'foo/bar:1',
  },
  { input: 'docker.io/ubuntu', domain: 'docker.io', path: 'library/ubuntu', familiarName: 'ubuntu', familiarString: 'ubuntu' },
  {
    input: 'docker.io/library/ubuntu:22.04',
    domain: 'docker.io',
    path: 'library/ubuntu',
    tag: '22.04',
    familiarName: 'ubuntu',
    familiarString: 'ubuntu:22.04',
  },
  { input: 'library/ubuntu', domain: 'docker.io', path: 'library/ubuntu', familiarName: 'ubuntu', familiarString: 'ubuntu' },
  // library/ is only dropped before a single component.
  {
    input: 'docker.io/library/foo/bar',
    domain: 'docker.io',
    path: 'library/foo/bar',
    familiarName: 'library/foo/bar',
    familiarString: 'library/foo/bar',
  },
  {
    input: '[::1]:5000/foo',
    domain: '[::1]:5000',
    path: 'foo',
    familiarName: '[::1]:5000/foo',
    familiarString: '[::1]:5000/foo',
  },
  {
    input: '[2001:db8::1]/foo/bar:v1',
    domain: '[2001:db8::1]',
    path: 'foo/bar',
    tag: 'v1',
    familiarName: '[2001:db8::1]/foo/bar',
    familiarString: '[2001:db8::1]/foo/bar:v1',
  },
  {
    input: '127.0.0.1:5000/foo',
    domain: '127.0.0.1:5000',
    path: 'foo',
    familiarName: '127.0.0.1:5000/foo',
    familiarString: '127.0.0.1:5000/foo',
  },
  {
    input: 'example.com/foo',
    domain: 'example.com',
    path: 'foo',
    familiarName: 'example.com/foo',
    familiarString: 'example.com/foo',
  },
  // Upper case in the first element makes it a registry.
  { input: 'Foo/bar', domain: 'Foo', path: 'bar', familiarName: 'Foo/bar', familiarString: 'Foo/bar' },
  {
    input: 'HOSTNAME.DOMAIN.COM:443/foo/bar',
    domain: 'HOSTNAME.DOMAIN.COM:443',
    path: 'foo/bar',
    familiarName: 'HOSTNAME.DOMAIN.COM:443/foo/bar',
    familiarString: 'HOSTNAME.DOMAIN.COM:443/foo/bar',
  },
  {
    input: `example.com:5000/foo/bar:v1@${D}`,
    domain: 'example.com:5000',
    path: 'foo/bar',
    tag: 'v1',
    digest: D,
    familiarName: 'example.com:5000/foo/bar',
    familiarString: `example.com:5000/foo/bar:v1@${D}`,
  },
  { input: 'foo_bar', domain: 'docker.io', path: 'library/foo_bar', familiarName: 'foo_bar', familiarString: 'foo_bar' },
  { input: 'foo__bar', domain: 'docker.io', path: 'library/foo__bar', familiarName: 'foo__bar', familiarString: 'foo__bar' },
  { input: 'foo---bar', domain: 'docker.io', path: 'library/foo---bar', familiarName: 'foo---bar', familiarString: 'foo---bar' },
  { input: 'a-b_c.d', domain: 'docker.io', path: 'library/a-b_c.d', familiarName: 'a-b_c.d', familiarString: 'a-b_c.d' },
  {
    input: 'foo:_Tag.1-x',
    domain: 'docker.io',
    path: 'library/foo',
    tag: '_Tag.1-x',
    familiarName: 'foo',
    familiarString: 'foo:_Tag.1-x',
  },
  {
    input: `foo:${'t'.repeat(128)}`,
    domain: 'docker.io',
    path: 'library/foo',
    tag: 't'.repeat(128),
    familiarName: 'foo',
    familiarString: `foo:${'t'.repeat(128)}`,
  },
  // 255 characters of path, counting "library/".
  {
    input: 'a'.repeat(247),
    domain: 'docker.io',
    path: `library/${'a'.repeat(247)}`,
    familiarName: 'a'.repeat(247),
    familiarString: 'a'.repeat(247),
  },
  // The domain does not count towards the 255.
  {
    input: `example.com/${'a'.repeat(255)}`,
    domain: 'example.com',
    path: 'a'.repeat(255),
    familiarName: `example.com/${'a'.repeat(255)}`,
    familiarString: `example.com/${'a'.repeat(255)}`,
  },
  {
    input: `foo@sha384:${hex96}`,
    domain: 'docker.io',
    path: 'library/foo',
    digest: `sha384:${hex96}`,
    familiarName: 'foo',
    familiarString: `foo@sha384:${hex96}`,
  },
  {
    input: `foo@sha512:${hex128}`,
    domain: 'docker.io',
    path: 'library/foo',
    digest: `sha512:${hex128}`,
    familiarName: 'foo',
    familiarString: `foo@sha512:${hex128}`,
  },
  // Not an ID: a repository "sha256" with a 64-character tag.
  {
    input: D,
    domain: 'docker.io',
    path: 'library/sha256',
    tag: hex64,
    familiarName: 'sha256',
    familiarString: D,
  },
];

const lower = (name: string): string => `invalid reference format: repository name (${name}) must be lowercase`;

const invalid: Array<{ input: string; message: string }> = [
  { input: '', message: 'invalid reference format' },
  { input: hex64, message: `invalid repository name (${hex64}), cannot specify 64-byte hexadecimal strings` },
  { input: 'Ubuntu', message: lower('library/Ubuntu') },
  { input: 'FOO:latest', message: lower('library/FOO') },
  { input: 'golf/Jenkins', message: lower('golf/Jenkins') },
  { input: 'localhost:5000/Foo:v1', message: lower('Foo') },
  // The text before the first ':' is checked, which here includes "@SHA256".
  { input: `foo@SHA256:${hex64}`, message: lower('library/foo@SHA256') },
  { input: '-foo', message: 'invalid reference format' },
  { input: 'foo/-bar', message: 'invalid reference format' },
  { input: 'foo-/bar', message: 'invalid reference format' },
  { input: 'foo___bar', message: 'invalid reference format' },
  { input: 'foo..bar', message: 'invalid reference format' },
  { input: 'foo/', message: 'invalid reference format' },
  { input: '/foo', message: 'invalid reference format' },
  { input: 'foo//bar', message: 'invalid reference format' },
  { input: 'foo bar', message: 'invalid reference format' },
  { input: 'ubuntu:', message: 'invalid reference format' },
  { input: 'ubuntu@', message: 'invalid reference format' },
  { input: 'foo:tag:x', message: 'invalid reference format' },
  { input: 'foo:-tag', message: 'invalid reference format' },
  { input: 'foo:.tag', message: 'invalid reference format' },
  { input: `foo:${'t'.repeat(129)}`, message: 'invalid reference format' },
  { input: `@${D}`, message: 'invalid reference format' },
  { input: 'example.com:port/foo', message: 'invalid reference format' },
  { input: '[fe80::1%eth0]:5000/foo', message: 'invalid reference format' },
  { input: '::1/foo', message: 'invalid reference format' },
  { input: '[::1]', message: 'invalid reference format' },
  { input: 'foo@sha256:abc', message: 'invalid reference format' },
  { input: 'a'.repeat(248), message: 'repository name must not be more than 255 characters' },
  { input: `example.com/${'a'.repeat(256)}`, message: 'repository name must not be more than 255 characters' },
  { input: `foo@sha256:${hex64.slice(1)}`, message: 'invalid checksum digest format' },
  { input: `foo@sha256:${hex64}0`, message: 'invalid checksum digest format' },
  { input: `foo@sha256:${'A'.repeat(64)}`, message: 'invalid checksum digest format' },
  { input: `foo:v1@Sha256:${hex64}`, message: 'invalid checksum digest format' },
  { input: `foo@md5:${hex64.slice(0, 32)}`, message: 'unsupported digest algorithm' },
  { input: `foo@sha256+b64:${hex64}`, message: 'unsupported digest algorithm' },
];

describe('parseNormalizedNamed: valid references', () => {
  for (const c of valid) {
    it(c.input.length > 80 ? `${c.input.slice(0, 77)}...` : c.input, () => {
      const ref = parseNormalizedNamed(c.input);
      assert.equal(ref.domain, c.domain);
      assert.equal(ref.path, c.path);
      assert.equal(ref.tag, c.tag);
      assert.equal(ref.digest, c.digest);
      const name = `${c.domain}/${c.path}`;
      assert.equal(ref.name(), name);
      const tail = (c.tag !== undefined ? `:${c.tag}` : '') + (c.digest !== undefined ? `@${c.digest}` : '');
      assert.equal(ref.string(), name + tail);
      assert.equal(`${ref}`, name + tail);
      assert.equal(ref.familiarName(), c.familiarName);
      assert.equal(ref.familiarString(), c.familiarString);
      // Normalisation is idempotent, and the familiar form parses back.
      assert.equal(parseNormalizedNamed(ref.string()).string(), ref.string());
      assert.equal(parseNormalizedNamed(ref.familiarString()).string(), ref.string());
    });
  }
});

describe('parseNormalizedNamed: invalid references', () => {
  for (const c of invalid) {
    it(c.input.length > 80 ? `${c.input.slice(0, 77)}...` : c.input || '(empty)', () => {
      throwsInvalid(() => parseNormalizedNamed(c.input), c.message);
    });
  }
});

describe('parseReference (no normalisation)', () => {
  it('keeps names as written', () => {
    const r = parseReference('ubuntu');
    assert.equal(r.domain, '');
    assert.equal(r.path, 'ubuntu');
    assert.equal(r.string(), 'ubuntu');
    const hub = parseReference('docker.io/ubuntu:1');
    assert.equal(hub.domain, 'docker.io');
    assert.equal(hub.path, 'ubuntu');
    assert.equal(hub.familiarString(), 'ubuntu:1');
  });
  it('a first element with "." that is not a valid host stays in the path (domain empty), as in Go', () => {
    const r = parseNormalizedNamed('a.b-c_d/e');
    assert.equal(r.domain, '');
    assert.equal(r.path, 'a.b-c_d/e');
    assert.equal(r.string(), 'a.b-c_d/e');
    assert.equal(r.familiarString(), 'a.b-c_d/e');
  });
  it('reports an empty name', () => {
    throwsInvalid(() => parseReference(''), 'repository name must have at least one component');
  });
  it('reports upper case when the lower-cased string would parse', () => {
    throwsInvalid(() => parseReference('Foo'), 'repository name must be lowercase');
    throwsInvalid(() => parseReference('Foo!'), 'invalid reference format');
  });
});

describe('parseDockerRef and withDefaultTag', () => {
  const cases: Array<[string, string, string]> = [
    ['ubuntu', 'docker.io/library/ubuntu:latest', 'ubuntu:latest'],
    ['ubuntu:20.04', 'docker.io/library/ubuntu:20.04', 'ubuntu:20.04'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest', 'localhost:5000/a/b:latest'],
    [`ubuntu@${D}`, `docker.io/library/ubuntu@${D}`, `ubuntu@${D}`],
    // Tag and digest: only the digest is kept.
    [`busybox:latest@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
  ];
  for (const [input, full, familiar] of cases) {
    it(input, () => {
      const ref = parseDockerRef(input);
      assert.equal(ref.string(), full);
      assert.equal(ref.familiarString(), familiar);
    });
  }
  it('withDefaultTag adds latest only to name-only references', () => {
    assert.equal(parseNormalizedNamed('ubuntu').withDefaultTag().tag, 'latest');
    assert.equal(parseNormalizedNamed('ubuntu:1').withDefaultTag().tag, '1');
    const digested = parseNormalizedNamed(`ubuntu@${D}`).withDefaultTag();
    assert.equal(digested.tag, undefined);
    assert.equal(digested.digest, D);
    assert.equal(parseNormalizedNamed('ubuntu').isNameOnly(), true);
  });
  it('propagates parse errors', () => {
    throwsInvalid(() => parseDockerRef('Ubuntu'), lower('library/Ubuntu'));
  });
});

describe('Reference helpers', () => {
  it('withTag replaces the tag and keeps the digest', () => {
    const r = parseNormalizedNamed(`foo:1@${D}`).withTag('2');
    assert.equal(r.string(), `docker.io/library/foo:2@${D}`);
    throwsInvalid(() => r.withTag('bad tag'), 'invalid tag format');
    throwsInvalid(() => r.withTag(''), 'invalid tag format');
  });
  it('withDigest checks the grammar', () => {
    const r = parseNormalizedNamed('foo:1').withDigest(D);
    assert.equal(r.familiarString(), `foo:1@${D}`);
    throwsInvalid(() => r.withDigest('sha256:abc'), 'invalid digest format');
  });
  it('trimNamed drops tag and digest', () => {
    const r = parseNormalizedNamed(`foo:1@${D}`).trimNamed();
    assert.equal(r.string(), 'docker.io/library/foo');
    assert.equal(r.tag, undefined);
    assert.equal(r.digest, undefined);
  });
  it('the constructor treats empty tag/digest as absent', () => {
    const r = new Reference('docker.io', 'library/x', '', '');
    assert.equal(r.string(), 'docker.io/library/x');
    assert.equal('tag' in r, false);
  });
  it('parseNamed requires canonical form', () => {
    assert.equal(parseNamed('docker.io/library/ubuntu:1').familiarString(), 'ubuntu:1');
    throwsInvalid(() => parseNamed('ubuntu'), 'repository name must be canonical');
    throwsInvalid(() => parseNamed('index.docker.io/library/ubuntu'), 'repository name must be canonical');
  });
  it('withName validates a bare name', () => {
    const r = withName('example.com/a/b');
    assert.equal(r.domain, 'example.com');
    assert.equal(r.path, 'a/b');
    throwsInvalid(() => withName('a/b:tag'), 'invalid reference format');
    throwsInvalid(() => withName('a'.repeat(256)), 'repository name must not be more than 255 characters');
  });
  it('splitDockerDomain', () => {
    assert.deepEqual(splitDockerDomain('ubuntu:1'), { domain: 'docker.io', remainder: 'library/ubuntu:1' });
    assert.deepEqual(splitDockerDomain('index.docker.io/x'), { domain: 'docker.io', remainder: 'library/x' });
    assert.deepEqual(splitDockerDomain('a/b/c'), { domain: 'docker.io', remainder: 'a/b/c' });
    assert.deepEqual(splitDockerDomain('[::1]:5000/x'), { domain: '[::1]:5000', remainder: 'x' });
    assert.deepEqual(splitDockerDomain('localhost/x/y'), { domain: 'localhost', remainder: 'x/y' });
  });
  it('isValidTag / isValidDomain', () => {
    assert.equal(isValidTag('v1.0_rc-1'), true);
    assert.equal(isValidTag('.v1'), false);
    assert.equal(isValidTag('t'.repeat(129)), false);
    assert.equal(isValidDomain('localhost:5000'), true);
    assert.equal(isValidDomain('[::1]:5000'), true);
    assert.equal(isValidDomain('-bad.example'), false);
  });
});

describe('digests', () => {
  it('parseDigest accepts sha256/384/512', () => {
    assert.equal(parseDigest(D), D);
    assert.equal(parseDigest(`sha384:${hex96}`), `sha384:${hex96}`);
    assert.equal(parseDigest(`sha512:${hex128}`), `sha512:${hex128}`);
  });
  const bad: Array<[string, string]> = [
    ['', 'invalid checksum digest format'],
    ['sha256', 'invalid checksum digest format'],
    [`:${hex64}`, 'invalid checksum digest format'],
    ['sha256:', 'invalid checksum digest format'],
    ['sha256:abc', 'invalid checksum digest format'],
    [`sha512:${hex64}`, 'invalid checksum digest format'],
    [`SHA256:${hex64}`, 'invalid checksum digest format'],
    [`md5:${hex64.slice(0, 32)}`, 'unsupported digest algorithm'],
    [`constructor:${hex64}`, 'unsupported digest algorithm'],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input.slice(0, 20))}`, () => {
      throwsInvalid(() => parseDigest(input), message);
      assert.equal(isDigest(input), false);
    });
  }
});

describe('image IDs', () => {
  const cases: Array<[string, boolean, boolean]> = [
    [hex64, true, true],
    [D, true, true],
    ['abc', true, false],
    ['sha256:abc', true, false],
    ['0', true, false],
    ['ABC', false, false],
    ['xyz', false, false],
    ['', false, false],
    ['sha256:', false, false],
    [`${hex64}0`, false, false],
    [`sha512:${hex64}`, false, false],
  ];
  for (const [input, like, full] of cases) {
    it(JSON.stringify(input.slice(0, 20)), () => {
      assert.equal(isImageIdLike(input), like);
      assert.equal(isFullImageId(input), full);
    });
  }
  it('parseAnyReference', () => {
    assert.deepEqual(parseAnyReference(hex64), { kind: 'digest', digest: D });
    assert.deepEqual(parseAnyReference(D), { kind: 'digest', digest: D });
    const named = parseAnyReference('ubuntu:1');
    assert.equal(named.kind, 'named');
    assert.equal(named.kind === 'named' && named.ref.string(), 'docker.io/library/ubuntu:1');
    const prefix = parseAnyReference('sha256:abc');
    assert.equal(prefix.kind === 'named' && prefix.ref.string(), 'docker.io/library/sha256:abc');
    throwsInvalid(() => parseAnyReference('Ubuntu'), lower('library/Ubuntu'));
  });
});

describe('parseRepositoryTag: POST /images/{name}/tag and import', () => {
  const ok: Array<[string, string | undefined, string]> = [
    ['ubuntu', undefined, 'docker.io/library/ubuntu:latest'],
    ['ubuntu', '', 'docker.io/library/ubuntu:latest'],
    ['ubuntu', 'v1', 'docker.io/library/ubuntu:v1'],
    ['ubuntu:old', 'v1', 'docker.io/library/ubuntu:v1'],
    ['ubuntu:old', undefined, 'docker.io/library/ubuntu:old'],
    ['localhost:5000/a/b', 'X_1', 'localhost:5000/a/b:X_1'],
    ['team/sha256', 'abcd', 'docker.io/team/sha256:abcd'],
  ];
  for (const [repo, tag, want] of ok) {
    it(`${repo} + ${String(tag)}`, () => {
      assert.equal(parseRepositoryTag(repo, tag).string(), want);
    });
  }
  const bad: Array<[string, string | undefined, string]> = [
    ['', 'v1', 'repository name must have at least one component'],
    ['ubuntu', 'bad tag', 'invalid tag format'],
    ['ubuntu', D, 'invalid tag format'],
    [`ubuntu@${D}`, undefined, 'cannot import digest reference'],
    ['sha256', 'abcd', 'refusing to create an ambiguous tag using digest algorithm as name'],
    ['sha256:abcd', undefined, 'refusing to create an ambiguous tag using digest algorithm as name'],
    ['Ubuntu', 'v1', lower('library/Ubuntu')],
    [hex64, undefined, `invalid repository name (${hex64}), cannot specify 64-byte hexadecimal strings`],
  ];
  for (const [repo, tag, message] of bad) {
    it(`rejects ${repo.slice(0, 30) || '(empty)'} + ${String(tag).slice(0, 20)}`, () => {
      throwsInvalid(() => parseRepositoryTag(repo, tag), message);
    });
  }
});

describe('parseRepositoryTag: POST /images/create?fromImage=&tag=', () => {
  const pull = { pull: true };
  const ok: Array<[string, string | undefined, string]> = [
    // No default tag: a name alone means all tags.
    ['ubuntu', undefined, 'docker.io/library/ubuntu'],
    ['ubuntu', '', 'docker.io/library/ubuntu'],
    ['ubuntu:', undefined, 'docker.io/library/ubuntu'],
    ['ubuntu', '22.04', 'docker.io/library/ubuntu:22.04'],
    ['ubuntu:20.04', '22.04', 'docker.io/library/ubuntu:22.04'],
    ['ubuntu', D, `docker.io/library/ubuntu@${D}`],
    // A digest in the tag field replaces both tag and digest of the name.
    [`ubuntu:20.04@sha512:${hex128}`, D, `docker.io/library/ubuntu@${D}`],
    [`ubuntu@${D}`, 'v1', `docker.io/library/ubuntu:v1@${D}`],
    [`ubuntu@${D}`, undefined, `docker.io/library/ubuntu@${D}`],
  ];
  for (const [repo, tag, want] of ok) {
    it(`${repo.slice(0, 40)} + ${String(tag).slice(0, 20)}`, () => {
      assert.equal(parseRepositoryTag(repo, tag, pull).string(), want);
    });
  }
  it('rejects tags that are neither tag nor valid digest', () => {
    throwsInvalid(() => parseRepositoryTag('ubuntu', 'sha256:abc', pull), 'invalid tag format');
    throwsInvalid(() => parseRepositoryTag('ubuntu', `md5:${hex64.slice(0, 32)}`, pull), 'invalid tag format');
    throwsInvalid(() => parseRepositoryTag('ubuntu', 'a b', pull), 'invalid tag format');
  });
  it('rejects bad names', () => {
    throwsInvalid(() => parseRepositoryTag('', undefined, pull), 'invalid reference format');
    throwsInvalid(() => parseRepositoryTag('Ubuntu', 'v1', pull), lower('library/Ubuntu'));
  });
});
