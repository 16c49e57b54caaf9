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

type Schema = Readonly<Record<string, unknown>>;

/**
 * Decodes as Go's encoding/json does into the structs the schema describes
 * by their `properties`, at any depth, before validation:
 * - a key matches its field case-insensitively when no field has it exactly
 *   (docker-py sends `detachKeys` for DetachKeys);
 * - `null` leaves the field unset (docker-compose sends `IPRange: null`, tmpfs
 *   mounts with `Source: null`), so null fields are dropped.
 * Entries of maps (`additionalProperties`: ExposedPorts, PortBindings) keep
 * their keys as sent, since there the key itself is the value.
 */
export function goDecode(schema: Schema | undefined, value: unknown): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const items = schema['items'] as Schema | undefined;
    for (const v of value) goDecode(items, v);
    return;
  }
  const rec = value as Record<string, unknown>;
  const props = schema['properties'] as Record<string, Schema> | undefined;
  const extra = schema['additionalProperties'];
  for (const [key, v] of Object.entries(rec)) {
    let k = key;
    if (props && !Object.hasOwn(props, key)) {
      const field = Object.keys(props).find((f) => f.toLowerCase() === key.toLowerCase());
      if (field !== undefined && !Object.hasOwn(rec, field)) {
        delete rec[key];
        rec[field] = v;
        k = field;
      }
    }
    if (v === null && props) delete rec[k];
    else goDecode((props && Object.hasOwn(props, k) ? props[k] : undefined) ?? (typeof extra === 'object' ? (extra as Schema) : undefined), v);
  }
}

export function validateBody<T>(s: BodySchema<T>, value: unknown): T {
  goDecode(s.schema, value);
  let fn = compiled.get(s);
  if (!fn) {
    fn = ajv.compile(s.schema);
    compiled.set(s, fn);
  }
  if (!fn(value)) throw invalidParameter(`invalid request body: ${describe(fn.errors ?? [])}`);
  return value as T;
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
