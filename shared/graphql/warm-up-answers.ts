/**
 * Answers to subgraph fetches during a warm-up, made up from the fetch itself: every field
 * it selects gets a value of its type (two items per list, the first member of an abstract
 * type, a placeholder per scalar), and `_entities` one entity per representation. A warm-up
 * answered this way runs the executor's whole data path (merging, entity extraction, the
 * next fetches, projection, serialisation) as a live request does, where an empty answer
 * stopped it at the first fetch; no subgraph is ever called.
 *
 * Pure. The values mean nothing, and nothing built from them is answered to anyone.
 */
import {
  GraphQLEnumType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  isAbstractType,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/** Items of each list in an answer: two, so that per-item code runs more than once and sees a list's shape. */
const LIST_ITEMS = 2;

/** Deepest nesting answered; beyond it fields are null (only a cyclic selection could reach it). */
const MAX_DEPTH = 32;

type Answer = Record<string, unknown>;

function scalarPlaceholder(type: GraphQLScalarType): unknown {
  switch (type.name) {
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return true;
    default:
      // ID, String and custom scalars: a string every scalar parser in the demo accepts.
      return '1';
  }
}

class AnswerBuilder {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
  ) {
    for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
  }

  /** Whether a selection under the type condition `condition` applies to an object of `type`. */
  private applies(condition: string | undefined, type: GraphQLObjectType): boolean {
    if (condition === undefined || condition === type.name) return true;
    const conditionType = this.schema.getType(condition);
    return conditionType !== undefined && isAbstractType(conditionType) && this.schema.isSubType(conditionType, type);
  }

  object(type: GraphQLObjectType, selectionSet: SelectionSetNode, depth: number, into: Answer = {}): Answer {
    const fields = type.getFields();
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const name = selection.name.value;
        if (name === '__typename') into[key] = type.name;
        else {
          const field = fields[name];
          into[key] = field ? this.value(field.type, selection.selectionSet, depth + 1) : null;
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (this.applies(selection.typeCondition?.name.value, type)) this.object(type, selection.selectionSet, depth, into);
      } else {
        const fragment = this.fragments.get(selection.name.value);
        if (fragment && this.applies(fragment.typeCondition.name.value, type)) this.object(type, fragment.selectionSet, depth, into);
      }
    }
    return into;
  }

  value(type: GraphQLOutputType, selectionSet: SelectionSetNode | undefined, depth: number): unknown {
    if (depth > MAX_DEPTH) return null;
    if (type instanceof GraphQLNonNull) return this.value(type.ofType, selectionSet, depth);
    if (type instanceof GraphQLList) return Array.from({ length: LIST_ITEMS }, () => this.value(type.ofType, selectionSet, depth + 1));
    if (type instanceof GraphQLScalarType) return scalarPlaceholder(type);
    if (type instanceof GraphQLEnumType) return type.getValues()[0]?.name ?? null;
    if (!selectionSet) return null;
    const concrete = isAbstractType(type) ? this.schema.getPossibleTypes(type)[0] : type;
    return concrete instanceof GraphQLObjectType ? this.object(concrete, selectionSet, depth) : null;
  }

  /** `_entities`: one entity per representation, of the representation's type. */
  entities(representations: unknown, selectionSet: SelectionSetNode | undefined, depth: number): unknown[] {
    if (!Array.isArray(representations) || !selectionSet) return [];
    return representations.map((representation: unknown) => {
      const typename = (representation as { __typename?: unknown } | null)?.__typename;
      const type = typeof typename === 'string' ? this.schema.getType(typename) : undefined;
      return type instanceof GraphQLObjectType ? this.object(type, selectionSet, depth) : null;
    });
  }
}

/**
 * Pure: a made-up answer to one subgraph fetch (`query` with `variables`), shaped by the
 * supergraph `schema` (which holds every subgraph's types and fields); `{ data: null }`
 * when the fetch is not a query.
 */
export function warmUpAnswer(schema: GraphQLSchema, query: string, variables: Record<string, unknown> | undefined): { data: Answer | null } {
  const document = parse(query, { noLocation: true });
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const root = schema.getQueryType();
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query' || !root) return { data: null };
  const builder = new AnswerBuilder(schema, document);
  const data: Answer = {};
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.name.value !== '_entities') continue;
    // Entity fetches pass their representations as a variable.
    const argument = selection.arguments?.find((a) => a.name.value === 'representations')?.value;
    const representations = argument?.kind === Kind.VARIABLE ? variables?.[argument.name.value] : undefined;
    data[selection.alias?.value ?? '_entities'] = builder.entities(representations, selection.selectionSet, 1);
  }
  const rest: SelectionSetNode = { ...operation.selectionSet, selections: operation.selectionSet.selections.filter((s) => !(s.kind === Kind.FIELD && s.name.value === '_entities')) };
  builder.object(root, rest, 0, data);
  return { data };
}

/** Distinct fetches whose made-up answer is kept (one per fetch of each registered operation's plan). */
const ANSWERS_KEPT = 1_000;

/**
 * Answers warm-up fetches: each made up once per fetch and variables, kept as JSON text
 * and parsed per fetch, as a live answer is (the executor merges answers in place, so each
 * fetch needs a fresh copy anyway).
 */
export function createWarmUpResponder(schema: GraphQLSchema): (query: string, variables: Record<string, unknown> | undefined) => { data: Answer | null } {
  const answers = new Map<string, string>();
  return (query, variables) => {
    const key = `${query}\u0000${JSON.stringify(variables ?? null)}`;
    let text = answers.get(key);
    if (text === undefined) {
      text = JSON.stringify(warmUpAnswer(schema, query, variables));
      if (answers.size < ANSWERS_KEPT) answers.set(key, text);
    }
    return JSON.parse(text) as { data: Answer | null };
  };
}
