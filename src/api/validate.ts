/**
 * Request-body validation with JSON schemas (ajv). Each route declares the
 * schema of its body next to its handler; a body that does not fit gets a 400
 * naming the field and what was expected, before any work starts.
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

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false });
const compiled = new WeakMap<object, ValidateFunction>();

export function validateBody<T>(s: BodySchema<T>, value: unknown): T {
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
  const where = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : 'body';
  if (e.keyword === 'type') return `${where} must be of type ${String(e.params['type'])}`;
  if (e.keyword === 'enum') return `${where} must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where} ${e.message ?? 'is invalid'}`;
}
