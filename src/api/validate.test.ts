import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodySchema, validateBody, withoutNullFields } from './validate.js';

describe('null fields read as Go reads them', () => {
  const schema = bodySchema<{ Name: string; IPAM?: { Config?: { Subnet?: string; IPRange?: string }[] } }>({
    type: 'object',
    required: ['Name'],
    properties: { Name: { type: 'string' }, IPAM: { type: 'object', properties: { Config: { type: 'array', items: { type: 'object', properties: { Subnet: { type: 'string' }, IPRange: { type: 'string' } } } } } } },
  });
  it('a null field is unset, at any depth of a body', () => {
    assert.deepEqual(validateBody(schema, { Name: 'n', IPAM: { Config: [{ Subnet: '10.0.0.0/24', IPRange: null }] } }), { Name: 'n', IPAM: { Config: [{ Subnet: '10.0.0.0/24' }] } });
  });
  it('a required field given as null is missing', () => {
    assert.throws(() => validateBody(schema, { Name: null }), /must have required property 'Name'/);
  });
  it('keeps a "__proto__" key a plain key', () => {
    const v = withoutNullFields(JSON.parse('{"__proto__": {"polluted": true}, "a": null}')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ['__proto__']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
  it('does not recurse through a hostile depth', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    assert.doesNotThrow(() => withoutNullFields(deep));
  });
});
