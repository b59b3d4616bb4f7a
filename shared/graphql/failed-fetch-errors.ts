/**
 * The errors of a subgraph fetch that failed as a whole (unreachable, timed out, circuit
 * open, not a GraphQL answer): one per field the fetch would have filled, each with a path
 * relative to the subgraph operation, as a subgraph would report them itself. Apollo Gateway
 * then completes each path to the client's response (`["_entities", 2, "inStock"]` becomes
 * `["topProducts", 2, "inStock"]`), so the client learns exactly which fields are null and
 * why. Only failed fetches come here: the success path parses nothing.
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

/**
 * Pure: one error per field the failed fetch would have filled, `error` copied onto each
 * with its path. Falls back to the one error without a path when the shape names no field.
 */
export function failedFetchErrors(shape: FetchShape, variables: Record<string, unknown> | undefined, error: Omit<GraphQLFormattedError, 'path'>): GraphQLFormattedError[] {
  const errors: GraphQLFormattedError[] = [];
  if (shape.kind === 'root') {
    for (const field of shape.fields) errors.push({ ...error, path: [field] });
  } else {
    const representations = Array.isArray(variables?.representations) ? (variables.representations as unknown[]) : [];
    representations.forEach((representation, index) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      const fields = typeof typename === 'string' ? [...shape.anyType, ...(shape.byType.get(typename) ?? [])] : shape.anyType;
      for (const field of fields) errors.push({ ...error, path: [ENTITIES_FIELD, index, field] });
    });
  }
  return errors.length > 0 ? errors : [error];
}
