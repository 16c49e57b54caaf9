import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertToHostname, credentialsFrom, decodeAuthHeader, mergeScopes, parseChallenges } from './auth.js';

describe('parseChallenges', () => {
  const cases: [string, string | string[] | undefined, { scheme: string; params: Record<string, string> }[]][] = [
    [
      "Docker Hub's bearer challenge",
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"',
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' } }],
    ],
    [
      'insufficient scope, with commas inside a quoted value',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push",error="insufficient_scope"',
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push', error: 'insufficient_scope' },
        },
      ],
    ],
    ['basic (htpasswd registries)', 'Basic realm="basic-realm"', [{ scheme: 'basic', params: { realm: 'basic-realm' } }]],
    [
      'two challenges in one header, spaces around =',
      'Basic realm="a", Bearer realm = "https://x/token" , service="s"',
      [
        { scheme: 'basic', params: { realm: 'a' } },
        { scheme: 'bearer', params: { realm: 'https://x/token', service: 's' } },
      ],
    ],
    ['two header lines', ['Basic realm="a"', 'Bearer realm="b"'], [
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'b' } },
    ]],
    ['escaped quote', 'Bearer realm="a\\"b"', [{ scheme: 'bearer', params: { realm: 'a"b' } }]],
    ['unquoted values, case of names', 'BEARER Realm=https://t/token,Service=svc', [{ scheme: 'bearer', params: { realm: 'https://t/token', service: 'svc' } }]],
    ['no header', undefined, []],
    ['empty', '', []],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.deepEqual(parseChallenges(input), want));
  }
});

describe('X-Registry-Auth', () => {
  const enc = (v: unknown, url = true) => {
    const b = Buffer.from(JSON.stringify(v)).toString('base64');
    return url ? b.replace(/\+/g, '-').replace(/\//g, '_') : b;
  };
  it('decodes base64url JSON (docker CLI, SDKs)', () => {
    assert.deepEqual(decodeAuthHeader(enc({ username: 'u', password: 'p?>>', serveraddress: 'localhost:5000' })), {
      username: 'u',
      password: 'p?>>',
      serveraddress: 'localhost:5000',
    });
  });
  it('decodes standard base64 too, and unpadded', () => {
    assert.equal(decodeAuthHeader(enc({ username: 'u', password: 'p?>>' }, false))?.password, 'p?>>');
    assert.equal(decodeAuthHeader(enc({ username: 'abc' }).replace(/=+$/, ''))?.username, 'abc');
  });
  it('expands the config-file `auth` field', () => {
    const a = decodeAuthHeader(enc({ auth: Buffer.from('me:se:cret').toString('base64') }));
    assert.equal(a?.username, 'me');
    assert.equal(a?.password, 'se:cret');
  });
  it('takes identity tokens, and any key case', () => {
    assert.deepEqual(credentialsFrom(decodeAuthHeader(enc({ Username: 'u', IdentityToken: 'tok' }))), { username: 'u', identityToken: 'tok' });
  });
  it('ignores what does not decode (as dockerd: a public pull must not fail on it)', () => {
    assert.equal(decodeAuthHeader('!!!'), undefined);
    assert.equal(decodeAuthHeader(enc([1, 2])), undefined);
    assert.equal(decodeAuthHeader(''), undefined);
    assert.equal(credentialsFrom(decodeAuthHeader(enc({}))), undefined);
  });
});

describe('scopes and addresses', () => {
  it('merges actions per repository, sorted', () => {
    assert.deepEqual(mergeScopes(['repository:b:pull', 'repository:a:push', 'repository:a:pull', 'repository:b:pull']), ['repository:a:pull,push', 'repository:b:pull']);
    assert.deepEqual(mergeScopes(['repository:x:pull repository:y:pull']), ['repository:x:pull', 'repository:y:pull']);
  });
  it('converts addresses to host names as docker keys credentials', () => {
    assert.equal(convertToHostname('https://index.docker.io/v1/'), 'index.docker.io');
    assert.equal(convertToHostname('http://localhost:5000/v2/'), 'localhost:5000');
    assert.equal(convertToHostname('registry.example.com'), 'registry.example.com');
  });
});
