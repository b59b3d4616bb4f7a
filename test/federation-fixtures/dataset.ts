/**
 * One deterministic in-memory dataset per fixture, read by every subgraph of the fixture and by
 * the oracle through the same generic resolvers, so that whatever a subgraph answers is, by
 * construction, the slice of the dataset the oracle answers from.
 *
 * A record is a plain object with its `__typename` and one value per field. A value is a
 * scalar or enum name, a list, an embedded value object (a record without identity), a
 * reference to another record (`ref`), or a `computed` function of the record and the field's
 * arguments (field arguments, `@requires`).
 */
import { isDeepStrictEqual } from 'node:util';
import { Kind, parse, type GraphQLFieldResolver, type SelectionSetNode } from 'graphql';

/** A reference to the record `id` of type `typename`. */
export interface RecordRef {
  readonly $ref: readonly [typename: string, id: string];
}

/** How a field's value is derived from the record's other fields and the field's arguments. */
export interface Computed {
  readonly compute: (source: FieldSource, args: Readonly<Record<string, unknown>>) => Value;
}

export type Value = null | string | number | boolean | RecordRef | Computed | DataRecord | readonly Value[];

export interface DataRecord {
  readonly __typename: string;
  readonly [field: string]: Value;
}

/**
 * What a `computed` field reads. In a subgraph resolving a `@requires` field, `get` answers
 * the required fields from the representation the gateway sent (ignoring `args`, which the
 * `@requires` selection fixed); everywhere else it evaluates the record's field with `args`.
 */
export interface FieldSource {
  get(field: string, args?: Readonly<Record<string, unknown>>): Value;
}

export interface Dataset {
  /** Records by typename, then by id. */
  readonly records: Readonly<Record<string, Readonly<Record<string, DataRecord>>>>;
  /** The root `Query` record. */
  readonly query: DataRecord;
}

/**
 * What the generic resolvers pass around: the record, and in a subgraph the representation it
 * was resolved from (whose `@requires` values feed computed fields).
 */
export interface DataNode {
  readonly __typename: string;
  readonly record: DataRecord;
  readonly inputs?: Readonly<Record<string, unknown>>;
}

export function ref(typename: string, id: string): RecordRef {
  return { $ref: [typename, id] };
}

export function computed(compute: Computed['compute']): Computed {
  return { compute };
}

function isRef(value: Value): value is RecordRef {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

function isComputed(value: Value): value is Computed {
  return typeof value === 'object' && value !== null && 'compute' in value;
}

/** The record a reference points at, or null when the dataset has none (a dangling reference reads as null). */
export function deref(dataset: Dataset, value: RecordRef): DataRecord | null {
  const [typename, id] = value.$ref;
  return dataset.records[typename]?.[id] ?? null;
}

/** Evaluates `field` of `record` with `args`, as the oracle and every subgraph outside `@requires` see it. */
export function readField(dataset: Dataset, record: DataRecord, field: string, args: Readonly<Record<string, unknown>> = {}): Value {
  const value = record[field];
  if (value === undefined) return null;
  if (isComputed(value)) return value.compute(recordSource(dataset, record), args);
  return value;
}

function recordSource(dataset: Dataset, record: DataRecord): FieldSource {
  return { get: (field, args) => resolveRefs(dataset, readField(dataset, record, field, args)) };
}

/** The value with references replaced by their records, so computed fields read the same shape from a record as from a representation. */
function resolveRefs(dataset: Dataset, value: Value): Value {
  if (Array.isArray(value)) return value.map((item: Value) => resolveRefs(dataset, item));
  if (value !== null && typeof value === 'object' && isRef(value as Value)) return deref(dataset, value as RecordRef);
  return value;
}

function toNodes(dataset: Dataset, value: Value): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item: Value) => toNodes(dataset, item));
  if (isRef(value as Value)) {
    const record = deref(dataset, value as RecordRef);
    return record ? { __typename: record.__typename, record } : null;
  }
  const record = value as DataRecord;
  return { __typename: record.__typename, record };
}

/** The `Query` root as a node. */
export function rootNode(dataset: Dataset): DataNode {
  return { __typename: 'Query', record: dataset.query };
}

/**
 * The one field resolver of every fixture subgraph and of the oracle. A computed field of a
 * node resolved from a representation is computed from the representation (the `@requires`
 * inputs the gateway fetched) and checked against the value computed from the dataset, so a
 * gateway that sends wrong inputs gets an error instead of a plausible answer.
 */
export function createFieldResolver(dataset: Dataset): GraphQLFieldResolver<DataNode, unknown> {
  return (node, args, _context, info) => {
    const { record, inputs } = node;
    const raw = record[info.fieldName];
    if (inputs && raw !== undefined && isComputed(raw)) {
      const fromInputs = raw.compute(inputSource(dataset, record, inputs), args);
      const fromDataset = raw.compute(recordSource(dataset, record), args);
      if (!isDeepStrictEqual(fromInputs, fromDataset)) {
        throw new Error(`${info.parentType.name}.${info.fieldName} computed ${JSON.stringify(fromInputs)} from the representation but the dataset says ${JSON.stringify(fromDataset)}`);
      }
      return toNodes(dataset, fromInputs);
    }
    return toNodes(dataset, readField(dataset, record, info.fieldName, args));
  };
}

function inputSource(dataset: Dataset, record: DataRecord, inputs: Readonly<Record<string, unknown>>): FieldSource {
  return {
    get: (field, args) => (field in inputs ? (inputs[field] as Value) : resolveRefs(dataset, readField(dataset, record, field, args))),
  };
}

/** A parsed `@key(fields:)` selection. */
export type KeySelection = SelectionSetNode;

export function parseKeyFields(fields: string): KeySelection {
  const document = parse(`{ ${fields} }`);
  const definition = document.definitions[0];
  if (!definition || definition.kind !== Kind.OPERATION_DEFINITION) throw new Error(`bad key fields ${fields}`);
  return definition.selectionSet;
}

/** Whether the representation carries every field of `key`. */
function carriesKey(representation: unknown, key: KeySelection): boolean {
  if (representation === null || typeof representation !== 'object') return false;
  return key.selections.every((selection) => {
    if (selection.kind !== Kind.FIELD) return false;
    const value = (representation as Record<string, unknown>)[selection.name.value];
    if (value === undefined) return false;
    return selection.selectionSet ? carriesKey(value, selection.selectionSet) : true;
  });
}

/** Whether the record's `key` fields equal the representation's. */
function matchesKey(dataset: Dataset, value: Value, representation: unknown, key: KeySelection | undefined): boolean {
  if (!key) return isDeepStrictEqual(value, representation);
  let record: DataRecord | null = null;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    record = isRef(value as Value) ? deref(dataset, value as RecordRef) : (value as DataRecord);
  }
  if (!record || representation === null || typeof representation !== 'object') return false;
  return key.selections.every((selection) => {
    if (selection.kind !== Kind.FIELD) return false;
    const field = selection.name.value;
    return matchesKey(dataset, readField(dataset, record, field), (representation as Record<string, unknown>)[field], selection.selectionSet);
  });
}

/**
 * The generic `__resolveReference`: the record among `typenames` (the type itself, or an
 * interface's implementations) whose fields equal those of a key the representation carries.
 */
export function resolveReference(dataset: Dataset, typenames: readonly string[], keys: readonly KeySelection[], representation: Record<string, unknown>): DataNode | null {
  const key = keys.find((candidate) => carriesKey(representation, candidate));
  if (!key) throw new Error(`representation ${JSON.stringify(representation)} carries none of the type's keys`);
  for (const typename of typenames) {
    for (const record of Object.values(dataset.records[typename] ?? {})) {
      if (matchesKey(dataset, record, representation, key)) return { __typename: record.__typename, record, inputs: representation };
    }
  }
  return null;
}
