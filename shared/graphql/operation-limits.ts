/**
 * Static analysis of a GraphQL document before it is validated, planned or sent anywhere:
 * depth, aliases, root fields, directives and an estimated cost. Pure: a schema, a
 * document, the variables and the limits in; measurements and violations out.
 *
 * Linear by construction: each fragment is summarised once however often it is spread
 * (doubling `...F` level after level multiplies counts arithmetically, it does not
 * re-walk), and a hard budget bounds the selections visited, so no document can make
 * analysis super-linear. Counts use floating-point arithmetic and saturate at Infinity,
 * which every limit refuses.
 *
 * Cost model: every field costs 1, leaf or not; what sits under a list field is multiplied
 * by the list's size, taken from its `first`/`last`/`limit` argument (a literal, a
 * variable's value, the variable's default, or the argument's schema default), else an
 * assumed size. Introspection (`__schema`, `__type`) is answered from the schema itself:
 * it costs 1 and has its own depth bound, the standard introspection query's depth.
 */
import { Type } from '@sinclair/typebox';
import {
  Kind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  type ArgumentNode,
  type DirectiveNode,
  type DocumentNode,
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
  /** Most aliased fields in one operation (after fragments are expanded). Default 30. */
  maxAliases: number;
  /** Most root fields (after fragments are expanded). Default 20. */
  maxRootFields: number;
  /** Most directives on any single field, fragment spread, inline fragment or operation. Default 4. */
  maxDirectivesPerField: number;
  /** Highest estimated cost accepted. Default 10,000. */
  maxCost: number;
  /** Assumed size of a list field without a `first`/`limit` argument or default. Default 20. */
  assumedListSize: number;
  /** Most lexical tokens in a document (enforced by the parser; bounds the work graphql-js validation can be made to do). Default 2,000. */
  maxTokens: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxDirectivesPerField: 4,
  maxCost: 10_000,
  assumedListSize: 20,
  maxTokens: 2_000,
};

/**
 * Most selections (fields, spreads, inline fragments) the analysis visits in one document.
 * With fragments summarised once this is at most the document's size, which the token
 * limit already bounds; the budget keeps that true whatever the token limit is set to.
 */
export const ANALYSIS_SELECTION_BUDGET = 50_000;

/** Arguments read as the size of a list field, in order of preference. */
const SIZE_ARGUMENTS = ['first', 'last', 'limit'];

export interface OperationMeasurements {
  /** Deepest nesting of ordinary fields (root fields are depth 1). */
  depth: number;
  /** Deepest nesting under `__schema` / `__type`, checked against the standard introspection query's depth. */
  introspectionDepth: number;
  aliases: number;
  rootFields: number;
  /** Most directives on one location (field, spread, inline fragment, operation). */
  maxDirectivesOnField: number;
  /** A directive repeated on one location, if any (refused with one error, not one per copy). */
  repeatedDirective?: string;
  cost: number;
  /** Selections the analysis visited: at most the document's selections, never their expansion. */
  visited: number;
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

const EMPTY: Readonly<SelectionSummary> = { depth: 0, introspectionDepth: 0, cost: 0, aliases: 0, fields: 0, maxDirectives: 0 };

/** Root fields whose subtrees are answered from the schema itself. */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

class BudgetExceeded extends Error {}

interface WalkContext {
  schema: GraphQLSchema | undefined;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Readonly<Record<string, unknown>>;
  /** Default values of the operation's variables, used when the request leaves one out. */
  variableDefaults: ReadonlyMap<string, ValueNode>;
  assumedListSize: number;
  /** Each fragment is summarised once, however often it is spread. */
  fragmentSummaries: Map<string, SelectionSummary>;
  /** Fragments being summarised right now; spreading one again is a cycle (validation rejects those). */
  inProgress: Set<string>;
  visited: number;
  repeatedDirective: string | undefined;
}

function numberOf(node: ValueNode | undefined, ctx: WalkContext, depth = 0): number | undefined {
  if (!node) return undefined;
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
  if (node.kind === Kind.VARIABLE && depth === 0) {
    const name = node.name.value;
    if (name in ctx.variables) {
      const value = ctx.variables[name];
      return typeof value === 'number' ? value : undefined;
    }
    return numberOf(ctx.variableDefaults.get(name), ctx, depth + 1);
  }
  return undefined;
}

function listSize(field: FieldNode, definition: GraphQLField<unknown, unknown> | undefined, ctx: WalkContext): number {
  for (const name of SIZE_ARGUMENTS) {
    const arg: ArgumentNode | undefined = field.arguments?.find((a) => a.name.value === name);
    const value = arg ? numberOf(arg.value, ctx) : definition?.args.find((a) => a.name === name)?.defaultValue;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  }
  return ctx.assumedListSize;
}

function fieldDefinition(parent: GraphQLType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  const named = parent ? getNamedType(parent) : undefined;
  if (named instanceof GraphQLObjectType || named instanceof GraphQLInterfaceType) return named.getFields()[name];
  return undefined;
}

function typeNamed(ctx: WalkContext, name: string | undefined): GraphQLType | undefined {
  if (!name || !ctx.schema) return undefined;
  const type = ctx.schema.getType(name);
  return type && isCompositeType(type) ? type : undefined;
}

/** Counts a location's directives and notes the first one repeated there. */
function directivesAt(directives: readonly DirectiveNode[] | undefined, ctx: WalkContext): number {
  const count = directives?.length ?? 0;
  if (count > 1 && ctx.repeatedDirective === undefined) {
    const seen = new Set<string>();
    for (const d of directives ?? []) {
      if (seen.has(d.name.value)) {
        ctx.repeatedDirective = d.name.value;
        break;
      }
      seen.add(d.name.value);
    }
  }
  return count;
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
  const summary = summarise(fragment.selectionSet, typeNamed(ctx, fragment.typeCondition.name.value), ctx);
  summary.maxDirectives = Math.max(summary.maxDirectives, directivesAt(fragment.directives, ctx));
  ctx.inProgress.delete(name);
  ctx.fragmentSummaries.set(name, summary);
  return summary;
}

/** Summarises a selection set; depth is relative (a field of this set is depth 1). */
function summarise(selectionSet: SelectionSetNode, parent: GraphQLType | undefined, ctx: WalkContext): SelectionSummary {
  const summary: SelectionSummary = { ...EMPTY };
  for (const selection of selectionSet.selections) {
    ctx.visited += 1;
    if (ctx.visited > ANALYSIS_SELECTION_BUDGET) throw new BudgetExceeded();
    summary.maxDirectives = Math.max(summary.maxDirectives, directivesAt(selection.directives, ctx));
    if (selection.kind === Kind.FIELD) {
      summary.fields += 1;
      if (selection.alias) summary.aliases += 1;
      const name = selection.name.value;
      if (!selection.selectionSet) {
        // `__typename` is answered without a fetch: no depth, no cost.
        if (!name.startsWith('__')) {
          summary.depth = Math.max(summary.depth, 1);
          summary.cost += 1;
        }
        continue;
      }
      const definition = fieldDefinition(parent, name);
      const child = summarise(selection.selectionSet, definition?.type, ctx);
      summary.aliases += child.aliases;
      summary.maxDirectives = Math.max(summary.maxDirectives, child.maxDirectives);
      if (INTROSPECTION_ROOTS.has(name)) {
        summary.introspectionDepth = Math.max(summary.introspectionDepth, 1 + Math.max(child.depth, child.introspectionDepth));
        summary.cost += 1;
        continue;
      }
      summary.depth = Math.max(summary.depth, 1 + child.depth);
      if (child.introspectionDepth > 0) summary.introspectionDepth = Math.max(summary.introspectionDepth, 1 + child.introspectionDepth);
      const type = definition?.type;
      const multiplier = type && isListType(getNullableType(type)) ? listSize(selection, definition, ctx) : 1;
      summary.cost += 1 + multiplier * child.cost;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      addInto(summary, summarise(selection.selectionSet, typeNamed(ctx, selection.typeCondition?.name.value) ?? parent, ctx));
    } else {
      addInto(summary, fragmentSummary(selection.name.value, ctx));
    }
  }
  return summary;
}

/** The fragments of a document by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return fragments;
}

/**
 * Measures one operation of a document, validated or not (unknown fields and types count
 * as unknown: lists of unknown fields are not multiplied). Linear in the document's size.
 */
export function measureOperation(
  schema: GraphQLSchema | undefined,
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Readonly<Record<string, unknown>> = {},
  assumedListSize = DEFAULT_OPERATION_LIMITS.assumedListSize,
): OperationMeasurements {
  const root = !schema ? undefined : operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const variableDefaults = new Map<string, ValueNode>();
  for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) variableDefaults.set(v.variable.name.value, v.defaultValue);
  const ctx: WalkContext = { schema, fragments, variables, variableDefaults, assumedListSize, fragmentSummaries: new Map(), inProgress: new Set(), visited: 0, repeatedDirective: undefined };
  try {
    const s = summarise(operation.selectionSet, root ?? undefined, ctx);
    const maxDirectivesOnField = Math.max(s.maxDirectives, directivesAt(operation.directives, ctx));
    return { depth: s.depth, introspectionDepth: s.introspectionDepth, aliases: s.aliases, rootFields: s.fields, maxDirectivesOnField, ...(ctx.repeatedDirective ? { repeatedDirective: ctx.repeatedDirective } : {}), cost: s.cost, visited: ctx.visited };
  } catch (err) {
    if (!(err instanceof BudgetExceeded)) throw err;
    // Too large to analyse is too large to run.
    return { depth: 0, introspectionDepth: 0, aliases: 0, rootFields: 0, maxDirectivesOnField: 0, cost: Infinity, visited: ctx.visited };
  }
}

/**
 * Measures every operation of a parsed document before validation, so the document-only
 * limits (and a lower bound of the cost) are checked before any super-linear step runs.
 * Returns the first violation found, or undefined.
 */
export function checkDocumentLimits(schema: GraphQLSchema | undefined, document: DocumentNode, limits: OperationLimits, variables: Readonly<Record<string, unknown>> = {}): { violation: LimitViolation; measured: OperationMeasurements } | undefined {
  const fragments = fragmentsOf(document);
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const measured = measureOperation(schema, definition, fragments, variables, limits.assumedListSize);
    const violation = checkOperationLimits(measured, limits)[0];
    if (violation) return { violation, measured };
  }
  return undefined;
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
  return measureOperation(buildSchema('type Query { _: Boolean }'), operation, fragmentsOf(document)).introspectionDepth;
})();

/** Pure: every limit the measurements exceed, most fundamental first, with a message naming the value and the limit. */
export function checkOperationLimits(m: OperationMeasurements, limits: OperationLimits): LimitViolation[] {
  const violations: LimitViolation[] = [];
  if (m.repeatedDirective !== undefined) violations.push({ code: 'TOO_MANY_DIRECTIVES', message: `The directive @${m.repeatedDirective} is repeated on one location.` });
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

/** The limits a BFF may set (`graphql.limits`); unset keys take {@link DEFAULT_OPERATION_LIMITS}. */
export const OperationLimitsSchema = Type.Object(
  {
    maxDepth: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_OPERATION_LIMITS.maxDepth, description: 'Deepest field nesting' })),
    maxAliases: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_OPERATION_LIMITS.maxAliases, description: 'Most aliased fields per operation' })),
    maxRootFields: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_OPERATION_LIMITS.maxRootFields, description: 'Most root fields per operation' })),
    maxDirectivesPerField: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_OPERATION_LIMITS.maxDirectivesPerField, description: 'Most directives on one field' })),
    maxCost: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_OPERATION_LIMITS.maxCost, description: 'Highest estimated operation cost' })),
    assumedListSize: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_OPERATION_LIMITS.assumedListSize, description: 'Assumed size of a list without a size argument' })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_OPERATION_LIMITS.maxTokens, description: 'Most lexical tokens per document' })),
  },
  { additionalProperties: false },
);

