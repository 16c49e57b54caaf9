import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CREATE_SCHEMA } from './schemas/containers.js';
import { validateBody } from './validate.js';

describe('null fields are "not set", as Go decodes them', () => {
  test('struct fields at any depth are dropped; map entries keep their keys', () => {
    const body = validateBody(CREATE_SCHEMA, {
      Image: 'busybox',
      User: null,
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, StartPeriod: null },
      ExposedPorts: { '80/tcp': null },
      HostConfig: { Dns: null, Mounts: [{ Type: 'tmpfs', Target: '/t', Source: null }], PortBindings: { '80/tcp': null } },
      FromTheFuture: null,
    });
    assert.deepEqual(body, {
      Image: 'busybox',
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 },
      ExposedPorts: { '80/tcp': null },
      HostConfig: { Mounts: [{ Type: 'tmpfs', Target: '/t' }], PortBindings: { '80/tcp': null } },
    });
  });
  test('keys match their fields case-insensitively, as in Go', () => {
    const body = validateBody(CREATE_SCHEMA, { image: 'busybox', hostConfig: { networkMode: 'none' }, Labels: { lower: 'kept' } });
    assert.deepEqual(body, { Image: 'busybox', HostConfig: { NetworkMode: 'none' }, Labels: { lower: 'kept' } });
  });
  test('a wrong type is still refused', () => {
    assert.throws(() => validateBody(CREATE_SCHEMA, { Healthcheck: { Interval: 'soon' } }), /Healthcheck.Interval must be of type integer/);
  });
});
