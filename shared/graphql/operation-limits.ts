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
  depth: number;
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

interface WalkContext {
  schema: GraphQLSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>>;
  assumedListSize: number;
  m: OperationMeasurements;
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

/**
 * Walks a selection set; returns its cost. `seen` holds the fragments on the current path,
 * so a fragment cycle (which validation also rejects) can never recurse forever.
 */
function walk(selectionSet: SelectionSetNode, parent: GraphQLType | undefined, depth: number, ctx: WalkContext, seen: ReadonlySet<string>, isRoot: boolean): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (isRoot) ctx.m.rootFields += 1;
      if (selection.alias) ctx.m.aliases += 1;
      ctx.m.maxDirectivesOnField = Math.max(ctx.m.maxDirectivesOnField, selection.directives?.length ?? 0);
      if (selection.name.value.startsWith('__') && !selection.selectionSet) continue;
      ctx.m.depth = Math.max(ctx.m.depth, depth);
      const definition = fieldDefinition(parent, selection.name.value);
      if (!selection.selectionSet) continue;
      const type = definition?.type;
      const multiplier = type && isListType(getNullableType(type)) ? listSize(selection, ctx) : 1;
      const childCost = walk(selection.selectionSet, type, depth + 1, ctx, seen, false);
      cost += 1 + multiplier * childCost;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const typeCondition = selection.typeCondition ? ctx.schema.getType(selection.typeCondition.name.value) : undefined;
      cost += walk(selection.selectionSet, typeCondition && isCompositeType(typeCondition) ? typeCondition : parent, depth, ctx, seen, isRoot);
    } else {
      const name = selection.name.value;
      const fragment = ctx.fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      const typeCondition = ctx.schema.getType(fragment.typeCondition.name.value);
      cost += walk(fragment.selectionSet, typeCondition && isCompositeType(typeCondition) ? typeCondition : parent, depth, ctx, new Set([...seen, name]), isRoot);
    }
  }
  return cost;
}

/** Measures one operation of a (validated) document. */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> = {},
  assumedListSize = DEFAULT_OPERATION_LIMITS.assumedListSize,
): OperationMeasurements {
  const m: OperationMeasurements = { depth: 0, aliases: 0, rootFields: 0, maxDirectivesOnField: 0, cost: 0 };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  m.cost = walk(operation.selectionSet, root ?? undefined, 1, { schema, fragments, variables, assumedListSize, m }, new Set(), true);
  return m;
}

/** Pure: every limit the measurements exceed, with a message naming the value and the limit. */
export function checkOperationLimits(m: OperationMeasurements, limits: OperationLimits): LimitViolation[] {
  const violations: LimitViolation[] = [];
  if (m.depth > limits.maxDepth) violations.push({ code: 'OPERATION_TOO_DEEP', message: `The operation is ${m.depth} levels deep; the limit is ${limits.maxDepth}.` });
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
