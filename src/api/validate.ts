/**
 * Request-body validation with JSON schemas (ajv). Each route declares the
 * schema of its body next to its handler (the long container ones are in
 * api/schemas); a body that does not fit gets a 400 naming the field and what
 * was expected, before any work starts. Backends get bodies of their type.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { invalidParameter } from '../errdefs/errdefs.js';

/** A JSON schema tagged with the TypeScript type a valid body has. */
export interface BodySchema<T> {
  readonly schema: Record<string, unknown>;
  readonly _type?: T;
}

export function bodySchema<T>(schema: Record<string, unknown>): BodySchema<T> {
  return { schema };
}

/**
 * Schemas of Go's integer types: a JSON number outside the type is refused,
 * as Go's decoder refuses it (dockerd answers 400), rather than reaching the
 * engine as 1e30. `goType` names the type in the message.
 */
const goInt = (goType: string, minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum, goType });
export const INT64 = goInt('int64', -(2 ** 63), 2 ** 63 - 1);
export const INT32 = goInt('int32', -(2 ** 31), 2 ** 31 - 1);
export const UINT16 = goInt('uint16', 0, 2 ** 16 - 1);
export const UINT32 = goInt('uint32', 0, 2 ** 32 - 1);
export const UINT64 = goInt('uint64', 0, 2 ** 64 - 1);
export const nullable = (s: Record<string, unknown>): Record<string, unknown> => ({ ...s, type: [s['type'], 'null'] });

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false, verbose: true });
const compiled = new WeakMap<object, ValidateFunction>();

export function validateBody<T>(s: BodySchema<T>, value: unknown): T {
  let fn = compiled.get(s);
  if (!fn) {
    fn = ajv.compile(s.schema);
    compiled.set(s, fn);
  }
  const decoded = withoutNullFields(value);
  if (!fn(decoded)) throw invalidParameter(`invalid request body: ${describe(fn.errors ?? [])}`);
  return decoded as T;
}

/**
 * Go's decoder reads `null` as "not set": a field given as null keeps its
 * zero value (docker-compose sends `"IPRange": null`). Dropping such fields
 * before validation gives every route the same reading. Only the first
 * NULL_DEPTH levels are read (no Docker body is deeper; a deeper one is
 * left as it is for the schema to refuse, without recursing through it).
 */
const NULL_DEPTH = 32;

export function withoutNullFields(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth >= NULL_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => withoutNullFields(v, depth + 1));
  // fromEntries defines properties: a "__proto__" key stays a plain key.
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNullFields(v, depth + 1)]),
  );
}

function describe(errors: ErrorObject[]): string {
  const e = errors[0];
  if (!e) return 'does not match the expected shape';
  // A JSON pointer: segments separated by "/", with "~1" for "/" and "~0" for "~" inside them.
  const where = e.instancePath
    ? e.instancePath
        .slice(1)
        .split('/')
        .map((seg) => seg.replaceAll('~1', '/').replaceAll('~0', '~'))
        .join('.')
    : 'body';
  if (e.keyword === 'type') {
    const t = e.params['type'];
    return `${where} must be of type ${Array.isArray(t) ? t.join(' or ') : String(t)}`;
  }
  const goType = (e.parentSchema as { goType?: string } | undefined)?.goType;
  if (goType && (e.keyword === 'minimum' || e.keyword === 'maximum')) return `${where} is out of range for ${goType}: ${String(e.data)}`;
  if (e.keyword === 'enum') return `${where} must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where} ${e.message ?? 'is invalid'}`;
}
