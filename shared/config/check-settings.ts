/**
 * Checks a value against a policy's settings schema (TypeBox, i.e. JSON Schema) and says
 * what is wrong as sentences naming the offending key by its path, e.g.
 * `policies.rateLimit.plans.pro.limit must be >= 1, got 0` or
 * `policies.cors: unknown key 'origin'`. Every problem is reported, not only the first.
 *
 * A schema may carry `errorMessage` (e.g. `must be a lowercase identifier`) to replace the
 * generic wording of a type, range or pattern failure on that key.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';

type Schema = TSchema & { errorMessage?: string };

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** Pure: `/plans/pro/limit` under `policies.rateLimit` → `policies.rateLimit.plans.pro.limit`; array indices as `[0]`. */
function readablePath(where: string, pointer: string, root: unknown): string {
  let out = where;
  let node: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) out += `[${key}]`;
    else if (IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

function got(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isLiteral(schema: TSchema): boolean {
  return schema[Kind] === 'Literal';
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'Array';
  if (value === null) return 'Null';
  return ({ object: 'Object', string: 'String', number: 'Number', boolean: 'Boolean', function: 'Function' } as Record<string, string>)[typeof value] ?? 'Unknown';
}

/**
 * Which variant of a union the value meant: the one whose `kind` literal matches, else the
 * only one of the value's JSON type (`false` or an object, a string or a list).
 */
function intendedVariant(variants: readonly TSchema[], value: unknown): number {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'kind' in value) {
    const kind = (value as { kind: unknown }).kind;
    const index = variants.findIndex((v) => v.properties?.kind?.const === kind);
    if (index >= 0) return index;
  }
  const type = jsonType(value);
  const sameType = variants
    .map((v, i) => [v, i] as const)
    .filter(([v]) => v[Kind] === type || (v[Kind] === 'Record' && type === 'Object') || (v[Kind] === 'Integer' && type === 'Number') || (isLiteral(v) && jsonType(v.const) === type));
  return sameType.length === 1 && !isLiteral(sameType[0]![0]) ? sameType[0]![1] : -1;
}

function unionMessage(schema: TSchema, value: unknown): string {
  const variants = schema.anyOf as TSchema[];
  if (variants.every(isLiteral)) return `must be one of ${variants.map((v) => String(v.const)).join(', ')}, got ${got(value)}`;
  const kinds = variants.map((v) => v.properties?.kind?.const).filter((k) => k !== undefined);
  if (kinds.length === variants.length) return `.kind must be one of ${kinds.map((k) => `'${k}'`).join(', ')}, got ${got((value as { kind?: unknown })?.kind)}`;
  return `has an unexpected shape (${variants.map((v) => (isLiteral(v) ? JSON.stringify(v.const) : String(v[Kind]).toLowerCase())).join(' or ')} expected), got ${got(value)}`;
}

/** The sentence for one error, after its path. */
function describe(error: ValueError): string {
  const schema = error.schema as Schema;
  const value = error.value;
  const custom = schema.errorMessage ? `${schema.errorMessage}, got ${got(value)}` : undefined;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.Integer:
      return custom ?? `must be an integer, got ${got(value)}`;
    case ValueErrorType.Number:
      return custom ?? `must be a number, got ${got(value)}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return custom ?? `must be >= ${schema.minimum}, got ${got(value)}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return custom ?? `must be <= ${schema.maximum}, got ${got(value)}`;
    case ValueErrorType.String:
      return custom ?? `must be a string, got ${got(value)}`;
    case ValueErrorType.StringMinLength:
      return custom ?? (schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`);
    case ValueErrorType.StringPattern:
      return custom ?? `must match ${schema.pattern}, got ${got(value)}`;
    case ValueErrorType.Boolean:
      return custom ?? `must be a boolean, got ${got(value)}`;
    case ValueErrorType.Array:
      return custom ?? `must be a list, got ${got(value)}`;
    case ValueErrorType.ArrayMinItems:
      return custom ?? (schema.minItems === 1 ? 'must be a non-empty list' : `must have at least ${schema.minItems} items`);
    case ValueErrorType.Object:
      return custom ?? `must be an object, got ${got(value)}`;
    case ValueErrorType.Literal:
      return `must be ${got(schema.const)}, got ${got(value)}`;
    case ValueErrorType.Function:
      return 'must be a function';
    default:
      return custom ?? `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`;
  }
}

function* sentences(schema: TSchema, value: unknown, where: string, root: unknown, prefix: string): Generator<string> {
  const errors = [...Value.Errors(schema, value)];
  // A missing key is reported once, not also as "must be a string".
  const missing = new Set(errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path));
  for (const error of errors) {
    const pointer = prefix + error.path;
    if (missing.has(error.path) && error.type !== ValueErrorType.ObjectRequiredProperty) continue;
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const cut = pointer.lastIndexOf('/');
      const parent = readablePath(where, pointer.slice(0, cut), root) || 'manifest';
      yield `${parent}: unknown key '${pointer.slice(cut + 1).replace(/~1/g, '/').replace(/~0/g, '~')}'`;
      continue;
    }
    const at = readablePath(where, pointer, root) || 'manifest';
    if (error.type === ValueErrorType.Union) {
      const variants = error.schema.anyOf as TSchema[];
      const index = intendedVariant(variants, error.value);
      if (index >= 0) {
        yield* sentences(variants[index]!, error.value, where, root, pointer);
        continue;
      }
      const message = unionMessage(error.schema, error.value);
      yield message.startsWith('.') ? `${at}${message}` : `${at} ${message}`;
      continue;
    }
    yield `${at} ${describe(error)}`;
  }
}

/**
 * Pure: every way `value` breaks `schema`, as sentences whose paths start at `where`
 * (e.g. `policies.responseCache`); an empty list when it conforms.
 */
export function checkSettings(schema: TSchema, value: unknown, where = ''): string[] {
  return [...new Set(sentences(schema, value, where, value, ''))];
}
