/**
 * Static analysis of a GraphQL operation before it is planned or sent anywhere: depth,
 * aliases, root fields, directives and an estimated cost. Pure: a schema, a document, the
 * variables and the limits in; measurements and violations out.
 *
 * Cost model: every field that returns an object costs 1, every leaf costs 0; the cost of
 * whatever sits under a list field is multiplied by the list's size, taken from its
 * `first`/`limit` argument when there is one (literal or variable), else an assumed size.
 */
import {
  Kind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
  GraphQLObjectType,
  GraphQLInterfaceType,
  buildSchema,
  getIntrospectionQuery,
  parse,
} from 'graphql';

export interface OperationLimits {
  /** Deepest field nesting (root fields are depth 1). Default 12. */
  maxDepth: number;
  /** Most aliased fields in one operation. Default 30. */
  maxAliases: number;
  /** Most root fields (after fragments are expanded). Default 20. */
  maxRootFields: number;
  /** Most directives on any single field. Default 4. */
  maxDirectivesPerField: number;
  /** Highest estimated cost accepted. Default 10,000. */
  maxCost: number;
  /** Assumed size of a list field without a `first`/`limit` argument. Default 20. */
  assumedListSize: number;
  /** Most lexical tokens in a document (enforced by the parser). Default 5,000. */
  maxTokens: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxDirectivesPerField: 4,
  maxCost: 10_000,
  assumedListSize: 20,
  maxTokens: 5_000,
};

/** Arguments read as the size of a list field, in order of preference. */
const SIZE_ARGUMENTS = ['first', 'last', 'limit'];

export interface OperationMeasurements {
  /** Deepest nesting of ordinary fields (root fields are depth 1). */
  depth: number;
  /** Deepest nesting under `__schema` / `__type`, checked against the standard introspection query's depth. */
  introspectionDepth: number;
  aliases: number;
  rootFields: number;
  maxDirectivesOnField: number;
  cost: number;
}

export type LimitViolationCode = 'OPERATION_TOO_DEEP' | 'TOO_MANY_ALIASES' | 'TOO_MANY_ROOT_FIELDS' | 'TOO_MANY_DIRECTIVES' | 'OPERATION_TOO_COSTLY';

export interface LimitViolation {
  code: LimitViolationCode;
  message: string;
}

/** What one selection set amounts to once its fragments are expanded. */
interface SelectionSummary {
  depth: number;
  introspectionDepth: number;
  cost: number;
  aliases: number;
  /** Fields selected at this level (the root fields, for the operation's selection set). */
  fields: number;
  maxDirectives: number;
}

const EMPTY: SelectionSummary = { depth: 0, introspectionDepth: 0, cost: 0, aliases: 0, fields: 0, maxDirectives: 0 };

/** Root fields whose subtrees are answered from the schema itself. */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

interface WalkContext {
  schema: GraphQLSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>>;
  assumedListSize: number;
  /** Each fragment is summarised once, however often it is spread: analysis stays linear in the document. */
  fragmentSummaries: Map<string, SelectionSummary>;
  /** Fragments being summarised right now; spreading one of them again is a cycle (validation rejects those). */
  inProgress: Set<string>;
}

function listSize(field: FieldNode, ctx: WalkContext): number {
  for (const name of SIZE_ARGUMENTS) {
    const arg = field.arguments?.find((a) => a.name.value === name);
    if (!arg) continue;
    const value = valueOf(arg.value, ctx.variables);
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return ctx.assumedListSize;
}

function valueOf(node: ValueNode, variables: Readonly<Record<string, unknown>>): unknown {
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  return undefined;
}

function fieldDefinition(parent: GraphQLType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  const named = parent ? getNamedType(parent) : undefined;
  if (named instanceof GraphQLObjectType || named instanceof GraphQLInterfaceType) return named.getFields()[name];
  return undefined;
}

function addInto(target: SelectionSummary, part: SelectionSummary): void {
  target.depth = Math.max(target.depth, part.depth);
  target.introspectionDepth = Math.max(target.introspectionDepth, part.introspectionDepth);
  target.cost += part.cost;
  target.aliases += part.aliases;
  target.fields += part.fields;
  target.maxDirectives = Math.max(target.maxDirectives, part.maxDirectives);
}

function fragmentSummary(name: string, ctx: WalkContext): SelectionSummary {
  const known = ctx.fragmentSummaries.get(name);
  if (known) return known;
  const fragment = ctx.fragments.get(name);
  if (!fragment || ctx.inProgress.has(name)) return EMPTY;
  ctx.inProgress.add(name);
  const typeCondition = ctx.schema.getType(fragment.typeCondition.name.value);
  const summary = summarise(fragment.selectionSet, typeCondition && isCompositeType(typeCondition) ? typeCondition : undefined, ctx);
  ctx.inProgress.delete(name);
  ctx.fragmentSummaries.set(name, summary);
  return summary;
}

/** Summarises a selection set; depth is relative (a field of this set is depth 1). */
function summarise(selectionSet: SelectionSetNode, parent: GraphQLType | undefined, ctx: WalkContext): SelectionSummary {
  const summary: SelectionSummary = { ...EMPTY };
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      summary.fields += 1;
      if (selection.alias) summary.aliases += 1;
      summary.maxDirectives = Math.max(summary.maxDirectives, selection.directives?.length ?? 0);
      if (!selection.selectionSet) {
        // `__typename` is answered without a fetch: it adds no depth.
        if (!selection.name.value.startsWith('__')) summary.depth = Math.max(summary.depth, 1);
        continue;
      }
      const definition = fieldDefinition(parent, selection.name.value);
      const child = summarise(selection.selectionSet, definition?.type, ctx);
      summary.aliases += child.aliases;
      summary.maxDirectives = Math.max(summary.maxDirectives, child.maxDirectives);
      if (INTROSPECTION_ROOTS.has(selection.name.value)) {
        // Answered by the gateway from the schema: no subgraph call, so it costs one unit,
        // and its depth has its own bound (what the standard introspection query needs).
        summary.introspectionDepth = Math.max(summary.introspectionDepth, 1 + Math.max(child.depth, child.introspectionDepth));
        summary.cost += 1;
        continue;
      }
      summary.depth = Math.max(summary.depth, 1 + child.depth);
      if (child.introspectionDepth > 0) summary.introspectionDepth = Math.max(summary.introspectionDepth, 1 + child.introspectionDepth);
      const type = definition?.type;
      const multiplier = type && isListType(getNullableType(type)) ? listSize(selection, ctx) : 1;
      summary.cost += 1 + multiplier * child.cost;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const typeCondition = selection.typeCondition ? ctx.schema.getType(selection.typeCondition.name.value) : undefined;
      addInto(summary, summarise(selection.selectionSet, typeCondition && isCompositeType(typeCondition) ? typeCondition : parent, ctx));
    } else {
      addInto(summary, fragmentSummary(selection.name.value, ctx));
    }
  }
  return summary;
}

/**
 * Measures one operation of a (validated) document. Linear in the document's size: a
 * fragment spread many times (or doubled level after level) is walked once, and counts
 * (aliases, root fields, cost) are multiplied out arithmetically instead of by expansion.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> = {},
  assumedListSize = DEFAULT_OPERATION_LIMITS.assumedListSize,
): OperationMeasurements {
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const ctx: WalkContext = { schema, fragments, variables, assumedListSize, fragmentSummaries: new Map(), inProgress: new Set() };
  const s = summarise(operation.selectionSet, root ?? undefined, ctx);
  return { depth: s.depth, introspectionDepth: s.introspectionDepth, aliases: s.aliases, rootFields: s.fields, maxDirectivesOnField: s.maxDirectives, cost: s.cost };
}

/**
 * Depth of graphql-js's standard introspection query with every option on (the query
 * GraphiQL, Sandbox, codegen and IDE plugins send): introspection may nest this deep,
 * whatever `maxDepth` is, and no deeper.
 */
export const STANDARD_INTROSPECTION_DEPTH: number = (() => {
  const document = parse(
    getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true }),
  );
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('the standard introspection query has no operation');
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  return measureOperation(buildSchema('type Query { _: Boolean }'), operation, fragments).introspectionDepth;
})();

/** Pure: every limit the measurements exceed, with a message naming the value and the limit. */
export function checkOperationLimits(m: OperationMeasurements, limits: OperationLimits): LimitViolation[] {
  const violations: LimitViolation[] = [];
  if (m.depth > limits.maxDepth) violations.push({ code: 'OPERATION_TOO_DEEP', message: `The operation is ${m.depth} levels deep; the limit is ${limits.maxDepth}.` });
  if (m.introspectionDepth > STANDARD_INTROSPECTION_DEPTH) {
    violations.push({ code: 'OPERATION_TOO_DEEP', message: `The introspection is ${m.introspectionDepth} levels deep; the standard introspection query needs ${STANDARD_INTROSPECTION_DEPTH}.` });
  }
  if (m.aliases > limits.maxAliases) violations.push({ code: 'TOO_MANY_ALIASES', message: `The operation uses ${m.aliases} aliases; the limit is ${limits.maxAliases}.` });
  if (m.rootFields > limits.maxRootFields) violations.push({ code: 'TOO_MANY_ROOT_FIELDS', message: `The operation selects ${m.rootFields} root fields; the limit is ${limits.maxRootFields}.` });
  if (m.maxDirectivesOnField > limits.maxDirectivesPerField) {
    violations.push({ code: 'TOO_MANY_DIRECTIVES', message: `A field carries ${m.maxDirectivesOnField} directives; the limit is ${limits.maxDirectivesPerField}.` });
  }
  if (m.cost > limits.maxCost) violations.push({ code: 'OPERATION_TOO_COSTLY', message: `The operation's estimated cost is ${m.cost}; the limit is ${limits.maxCost}.` });
  return violations;
}

export function validateOperationLimits(limits: Partial<OperationLimits>): string[] {
  return Object.entries(limits)
    .filter(([key, value]) => !(key in DEFAULT_OPERATION_LIMITS) || !Number.isInteger(value) || (value as number) < 1)
    .map(([key]) => (key in DEFAULT_OPERATION_LIMITS ? `graphql.limits.${key} must be a positive integer` : `graphql.limits: unknown key '${key}'`));
}
