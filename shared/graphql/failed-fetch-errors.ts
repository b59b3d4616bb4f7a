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
import { Kind, parse, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';

/** The fields a subgraph operation fills: at the root, or per entity type for `_entities`. */
export type FetchShape =
  | { kind: 'root'; fields: string[] }
  /** `byType`: fields under `... on Type`; `anyType`: fields outside a type condition. */
  | { kind: 'entities'; byType: ReadonlyMap<string, string[]>; anyType: string[] };

const ENTITIES_FIELD = '_entities';

/** Pure: the response keys a subgraph operation fills (fragments inlined, `__typename` left out). */
export function fetchShape(query: string): FetchShape {
  const document = parse(query, { noLocation: true });
  const fragments = new Map<string, SelectionSetNode>();
  let operation: SelectionSetNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def.selectionSet);
    else if (def.kind === Kind.OPERATION_DEFINITION && !operation) operation = def.selectionSet;
  }
  // Response keys of a selection set, grouped by the type condition they sit under.
  const collect = (set: SelectionSetNode | undefined, typeCondition: string | undefined, into: Map<string | undefined, Set<string>>, seen: Set<string>) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (key === '__typename') continue;
        const keys = into.get(typeCondition) ?? new Set<string>();
        keys.add(key);
        into.set(typeCondition, keys);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet, selection.typeCondition?.name.value ?? typeCondition, into, seen);
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        collect(fragments.get(selection.name.value), typeCondition, into, seen);
      }
    }
  };
  const root = new Map<string | undefined, Set<string>>();
  collect(operation, undefined, root, new Set());
  const rootFields = [...(root.get(undefined) ?? [])];
  const entitiesField = operation?.selections.find((s) => s.kind === Kind.FIELD && s.name.value === ENTITIES_FIELD);
  if (rootFields.length === 1 && rootFields[0] === ENTITIES_FIELD && entitiesField?.kind === Kind.FIELD) {
    const byType = new Map<string | undefined, Set<string>>();
    collect(entitiesField.selectionSet, undefined, byType, new Set());
    const anyType = [...(byType.get(undefined) ?? [])];
    byType.delete(undefined);
    return { kind: 'entities', byType: new Map([...byType].map(([type, keys]) => [type as string, [...keys]])), anyType };
  }
  return { kind: 'root', fields: rootFields };
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
  if (shape.kind === 'root') {
    add(shape.fields, (field) => [field]);
  } else {
    const representations = Array.isArray(variables?.representations) ? (variables.representations as unknown[]) : [];
    representations.forEach((representation, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      const typed = typeof typename === 'string' ? shape.byType.get(typename) : undefined;
      add(shape.anyType, (field) => [ENTITIES_FIELD, index, field]);
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
