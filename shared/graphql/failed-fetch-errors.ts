/**
 * The errors of a subgraph fetch that failed as a whole (unreachable, timed out, circuit
 * open, not a GraphQL answer): one per field the fetch would have filled, each with a path
 * relative to the subgraph operation, as a subgraph would report them itself. Apollo Gateway
 * then completes each path to the client's response (`["_entities", 2, "inStock"]` becomes
 * `["topProducts", 2, "inStock"]`), so the client learns exactly which fields are null and
 * why. Only failed fetches come here: the success path parses nothing.
 *
 * One failed fetch for many entities (`products(first: 100)` times many fields) would be
 * thousands of errors, as many as a client (or an outage) can make the query ask for: past
 * a cap, one summary error without a path stands for the rest and counts them.
 */
import { Kind, parse, type DirectiveNode, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';

/**
 * The `@skip`/`@include` conditions a field was selected under, one list per occurrence of
 * its response key (all of one list must hold; any list will do). Variables only: literal
 * conditions are resolved when the shape is read.
 */
export type FieldConditions = ReadonlyArray<ReadonlyArray<FieldCondition>>;

/** `@include(if: $variable)` (`include` true) or `@skip(if: $variable)`, with the variable's default in the subgraph operation. */
export interface FieldCondition {
  variable: string;
  include: boolean;
  defaultValue?: boolean;
}

/**
 * The fields a subgraph operation fills: at the root, or per entity type for `_entities`.
 * `conditions`: the fields selected only under variable `@skip`/`@include` (the gateway
 * forwards them to the subgraph), keyed by `field` (root) or `Type.field` / `.field`
 * (entities, within a type condition or outside any); absent when there are none.
 */
export type FetchShape =
  | { kind: 'root'; fields: string[]; conditions?: ReadonlyMap<string, FieldConditions> }
  /** `byType`: fields under `... on Type`; `anyType`: fields outside a type condition. */
  | { kind: 'entities'; byType: ReadonlyMap<string, string[]>; anyType: string[]; conditions?: ReadonlyMap<string, FieldConditions> };

const ENTITIES_FIELD = '_entities';


/** A selection's own conditions added to `outer`; undefined when a literal condition leaves it out. */
function withDirectives(outer: readonly FieldCondition[], directives: readonly DirectiveNode[] | undefined, defaults: ReadonlyMap<string, boolean>): FieldCondition[] | undefined {
  let conditions = outer as FieldCondition[];
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const value = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
    if (value?.kind === Kind.BOOLEAN) {
      if (value.value === (name === 'skip')) return undefined;
    } else if (value?.kind === Kind.VARIABLE) {
      const defaultValue = defaults.get(value.name.value);
      conditions = [...conditions, { variable: value.name.value, include: name === 'include', ...(defaultValue === undefined ? {} : { defaultValue }) }];
    }
  }
  return conditions;
}

interface KeyOccurrences {
  /** Selected at least once under no variable condition. */
  always: boolean;
  alternatives: FieldCondition[][];
}

/** Pure: the response keys a subgraph operation fills (fragments inlined, `__typename` left out). */
export function fetchShape(query: string): FetchShape {
  const document = parse(query, { noLocation: true });
  const fragments = new Map<string, SelectionSetNode>();
  let operation: SelectionSetNode | undefined;
  const defaults = new Map<string, boolean>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def.selectionSet);
    else if (def.kind === Kind.OPERATION_DEFINITION && !operation) {
      operation = def.selectionSet;
      for (const variable of def.variableDefinitions ?? []) if (variable.defaultValue?.kind === Kind.BOOLEAN) defaults.set(variable.variable.name.value, variable.defaultValue.value);
    }
  }
  // Response keys of a selection set, grouped by the type condition they sit under, each with the conditions it was selected under.
  const collect = (set: SelectionSetNode | undefined, typeCondition: string | undefined, outer: readonly FieldCondition[], into: Map<string | undefined, Map<string, KeyOccurrences>>, seen: Set<string>) => {
    for (const selection of set?.selections ?? []) {
      const conditions = withDirectives(outer, selection.directives, defaults);
      if (!conditions) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (key === '__typename') continue;
        const keys = into.get(typeCondition) ?? new Map<string, KeyOccurrences>();
        const occurrences = keys.get(key) ?? { always: false, alternatives: [] };
        if (conditions.length === 0) occurrences.always = true;
        else occurrences.alternatives.push(conditions);
        keys.set(key, occurrences);
        into.set(typeCondition, keys);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet, selection.typeCondition?.name.value ?? typeCondition, conditions, into, seen);
      } else if (!seen.has(selection.name.value)) {
        // Each spread counts (under its own conditions and type); `seen` only guards against a cycle.
        seen.add(selection.name.value);
        collect(fragments.get(selection.name.value), typeCondition, conditions, into, seen);
        seen.delete(selection.name.value);
      }
    }
  };
  const conditions = new Map<string, FieldConditions>();
  const keysOf = (keys: Map<string, KeyOccurrences> | undefined, prefix: string): string[] => {
    for (const [key, occurrences] of keys ?? []) if (!occurrences.always) conditions.set(`${prefix}${key}`, occurrences.alternatives);
    return [...(keys?.keys() ?? [])];
  };
  const withConditions = <T extends FetchShape>(shape: T): T => (conditions.size > 0 ? { ...shape, conditions } : shape);
  const root = new Map<string | undefined, Map<string, KeyOccurrences>>();
  collect(operation, undefined, [], root, new Set());
  const rootKeys = root.get(undefined);
  const entitiesField = operation?.selections.find((s) => s.kind === Kind.FIELD && s.name.value === ENTITIES_FIELD);
  if (rootKeys?.size === 1 && rootKeys.has(ENTITIES_FIELD) && entitiesField?.kind === Kind.FIELD) {
    const byType = new Map<string | undefined, Map<string, KeyOccurrences>>();
    collect(entitiesField.selectionSet, undefined, [], byType, new Set());
    const anyType = keysOf(byType.get(undefined), '.');
    byType.delete(undefined);
    return withConditions({ kind: 'entities', byType: new Map([...byType].map(([type, keys]) => [type as string, keysOf(keys, `${type as string}.`)])), anyType });
  }
  return withConditions({ kind: 'root', fields: keysOf(rootKeys, '') });
}

/** Whether a field is selected with these variables: under no condition, or under one list of conditions that all hold. */
function selected(conditions: ReadonlyMap<string, FieldConditions> | undefined, key: string, variables: Record<string, unknown> | undefined): boolean {
  const alternatives = conditions?.get(key);
  if (!alternatives) return true;
  return alternatives.some((all) => all.every(({ variable, include, defaultValue }) => ((variables?.[variable] ?? defaultValue) === true) === include));
}

/** Default most errors with a path one failed fetch answers; the rest are summed up in one error. */
export const DEFAULT_MAX_FIELD_ERRORS_PER_FETCH = 100;

/**
 * Pure: one error per field the failed fetch would have filled, `error` copied onto each
 * with its path, at most `maxPathErrors` of them; when there are more, one more error
 * without a path (same code and subgraph) has the number of the others in
 * `extensions.omittedPaths`. Falls back to the one error without a path when the shape
 * names no field.
 */
export function failedFetchErrors(
  shape: FetchShape,
  variables: Record<string, unknown> | undefined,
  error: Omit<GraphQLFormattedError, 'path'>,
  maxPathErrors: number = DEFAULT_MAX_FIELD_ERRORS_PER_FETCH,
): GraphQLFormattedError[] {
  const errors: GraphQLFormattedError[] = [];
  let omitted = 0;
  // Past the cap the paths are only counted: nothing is built for them.
  const add = (fields: readonly string[], pathOf: (field: string) => GraphQLFormattedError['path']) => {
    const room = Math.max(0, maxPathErrors - errors.length);
    for (let i = 0; i < fields.length && i < room; i++) errors.push({ ...error, path: pathOf(fields[i] as string) });
    omitted += Math.max(0, fields.length - room);
  };
  // Fields a `@skip`/`@include` left out of the subgraph's answer are not null in the client's either: no error names them.
  const { conditions } = shape;
  if (shape.kind === 'root') {
    add(conditions ? shape.fields.filter((field) => selected(conditions, field, variables)) : shape.fields, (field) => [field]);
  } else {
    const representations = Array.isArray(variables?.representations) ? (variables.representations as unknown[]) : [];
    const anyType = conditions ? shape.anyType.filter((field) => selected(conditions, `.${field}`, variables)) : shape.anyType;
    const byType = new Map<string, string[]>();
    for (const [type, fields] of shape.byType) byType.set(type, conditions ? fields.filter((field) => selected(conditions, `${type}.${field}`, variables)) : fields);
    representations.forEach((representation, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      const typed = typeof typename === 'string' ? byType.get(typename) : undefined;
      add(anyType, (field) => [ENTITIES_FIELD, index, field]);
      if (typed) add(typed, (field) => [ENTITIES_FIELD, index, field]);
    });
  }
  if (omitted > 0) errors.push(omittedPathsError(error, omitted));
  return errors.length > 0 ? errors : [error];
}

/** The one error standing for the paths past the cap: no path, the same code and subgraph, and how many paths it stands for. */
function omittedPathsError(error: Omit<GraphQLFormattedError, 'path'>, omitted: number): GraphQLFormattedError {
  return {
    message: `${error.message} ${omitted} more ${omitted === 1 ? 'field' : 'fields'} of the same call ${omitted === 1 ? 'is' : 'are'} null for the same reason.`,
    extensions: { ...error.extensions, omittedPaths: omitted },
  };
}
