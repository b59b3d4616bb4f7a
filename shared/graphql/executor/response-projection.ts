/**
 * The client's response, projected out of the data a query plan fetched. The fetched tree
 * holds more than was asked (key fields, `__typename`, `@requires` inputs) in whatever order
 * the subgraphs answered; the projection keeps exactly the operation's fields, in the
 * operation's order, under their aliases, and completes values as the GraphQL spec says:
 * a null or invalid value in a non-null position nulls the nearest nullable parent, with one
 * error at the deepest point. Leaf values are checked against the API schema, so an enum
 * value the schema hides (`@inaccessible`) never reaches a client.
 *
 * Compiled once per operation and set of `@skip`/`@include` outcomes: fields are collected
 * per runtime type (fragments resolved, conditions applied) the first time that type is
 * met, so answering a request is a walk over plain arrays with no directive, fragment or
 * schema lookups. Its results match Apollo Gateway's `computeResponse` (the differential
 * tests hold it to that), including its error messages, which go to
 * `extensions.valueCompletion` when no fetch failed.
 */
import {
  GraphQLEnumType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLScalarType,
  Kind,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isObjectType,
  isUnionType,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export type ResponsePath = Array<string | number>;

/** One value-completion problem, shaped as Apollo Gateway reports it. */
export interface CompletionError {
  message: string;
  path: ResponsePath;
  extensions: { code: 'INVALID_GRAPHQL' };
}

/** Data Apollo Gateway would not accept as a value of its type (a subgraph answering out of its schema): the whole response fails. */
export class MalformedSubgraphDataError extends Error {}

export interface ProjectionResult {
  data: Record<string, unknown> | null;
  errors: CompletionError[];
}

/** The fields of one object, for one runtime type, with every fragment and condition resolved. */
interface ObjectShape {
  fields: FieldShape[];
}

interface FieldShape {
  key: string;
  /** Type named in error messages: the enclosing fragment's condition, or the object's type. */
  parentType: GraphQLCompositeType;
  /** `__typename` is answered from the data's type name, not read as a value. */
  typename: boolean;
  completion: Completion;
}

type Completion =
  | { kind: 'nonNull'; of: Completion }
  | { kind: 'list'; of: Completion }
  | { kind: 'leaf'; type: GraphQLNamedType; valid: (value: unknown) => boolean }
  | CompositeCompletion;

interface CompositeCompletion {
  kind: 'composite';
  type: GraphQLCompositeType;
  selections: CollectedSelections;
  /** Shapes by the type the data names (`?Type` when it names none), compiled on first sight. */
  byRuntimeType: Map<string, ObjectShape>;
}

/** `__typename` fields carry no completion of their own. */
const TYPENAME: Completion = { kind: 'leaf', type: undefined as unknown as GraphQLNamedType, valid: () => true };

/** The selection sets merged under one response key, each with the type its fragments are judged against. */
type CollectedSelections = Array<{ set: SelectionSetNode; parentType: GraphQLCompositeType }>;

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/** Compiled `@skip`/`@include` variants kept per operation. */
const MAX_KEPT_VARIANTS = 32;

/** Which JSON values Apollo Gateway accepts for a leaf type (custom scalars: any). */
function leafCheck(type: GraphQLNamedType): (value: unknown) => boolean {
  if (type instanceof GraphQLEnumType) {
    const names = new Set(type.getValues().map((v) => v.name));
    return (value) => typeof value === 'string' && names.has(value);
  }
  switch (type.name) {
    case 'Boolean':
      return (value) => typeof value === 'boolean';
    case 'Int':
      return (value) => typeof value === 'number' && Number.isFinite(value) && INTEGER.test(String(value));
    case 'ID':
      return (value) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value) && INTEGER.test(String(value)));
    case 'Float':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'String':
      return (value) => typeof value === 'string';
    default:
      return () => true;
  }
}

/** Apollo's subtyping: `type` is `condition`, a member of it (union) or an implementation of it (interface). */
function isSubtype(schema: GraphQLSchema, condition: GraphQLCompositeType, type: GraphQLCompositeType): boolean {
  if (condition === type) return true;
  return isAbstractType(condition) && !isUnionType(type) && schema.isSubType(condition, type);
}

/** The compiled projection of one operation over one API schema. */
export class OperationProjection {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  /** Variables that `@skip`/`@include` read: their values pick the compiled variant. */
  private readonly conditionVariables: string[];
  private readonly defaults = new Map<string, unknown>();
  private readonly variants = new Map<string, { root: CompositeCompletion; conditions: ReadonlyMap<string, boolean> }>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly operation: OperationDefinitionNode,
    fragments: readonly FragmentDefinitionNode[],
  ) {
    for (const fragment of fragments) this.fragments.set(fragment.name.value, fragment);
    for (const definition of operation.variableDefinitions ?? []) {
      if (definition.defaultValue) this.defaults.set(definition.variable.name.value, literalValue(definition.defaultValue));
    }
    const used = new Set<string>();
    const visit = (set: SelectionSetNode | undefined, seen: Set<string>) => {
      for (const selection of set?.selections ?? []) {
        for (const directive of selection.directives ?? []) {
          const condition = directive.arguments?.find((a) => a.name.value === 'if')?.value;
          if ((directive.name.value === 'skip' || directive.name.value === 'include') && condition?.kind === Kind.VARIABLE) used.add(condition.name.value);
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          if (seen.has(selection.name.value)) continue;
          seen.add(selection.name.value);
          visit(this.fragments.get(selection.name.value)?.selectionSet, seen);
        } else {
          visit(selection.selectionSet, seen);
        }
      }
    };
    visit(operation.selectionSet, new Set());
    this.conditionVariables = [...used].sort();
  }

  /** Projects `input` (the merged fetched data) for a request with these variables. */
  project(input: Record<string, unknown>, variables: Readonly<Record<string, unknown>> | undefined): ProjectionResult {
    const root = this.variantFor(variables);
    const errors: CompletionError[] = [];
    const shape = this.shapeOf(root, root.type, false);
    const output: Record<string, unknown> = {};
    const ok = this.projectObject(input, shape, output, [], errors);
    return { data: ok ? output : null, errors };
  }

  private variantFor(variables: Readonly<Record<string, unknown>> | undefined) {
    let key = '';
    const conditions = new Map<string, boolean>();
    for (const name of this.conditionVariables) {
      let value = variables && Object.hasOwn(variables, name) ? variables[name] : undefined;
      if (value === undefined) value = this.defaults.get(name);
      if (typeof value !== 'boolean') throw new MalformedSubgraphDataError(`Unexpected value ${String(value)} for variable $${name} of @skip/@include`);
      conditions.set(name, value);
      key += value ? '1' : '0';
    }
    let variant = this.variants.get(key);
    if (!variant) {
      const rootType = this.schema.getRootType(this.operation.operation);
      if (!rootType) throw new MalformedSubgraphDataError(`The schema has no ${this.operation.operation} type`);
      variant = {
        root: { kind: 'composite', type: rootType, selections: [{ set: this.operation.selectionSet, parentType: rootType }], byRuntimeType: new Map() },
        conditions,
      };
      // n condition variables make 2^n variants: past a few, a client choosing new combinations gets one compiled for its request only, so memory stays bounded.
      if (this.variants.size < MAX_KEPT_VARIANTS) this.variants.set(key, variant);
    }
    this.currentConditions = variant.conditions;
    return variant.root;
  }

  private currentConditions: ReadonlyMap<string, boolean> = new Map();

  private included(directives: readonly DirectiveNode[] | undefined): boolean {
    if (!directives || directives.length === 0) return true;
    for (const directive of directives) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const arg = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      const value = arg?.kind === Kind.VARIABLE ? this.currentConditions.get(arg.name.value) : arg?.kind === Kind.BOOLEAN ? arg.value : undefined;
      if (name === 'skip' && value === true) return false;
      if (name === 'include' && value === false) return false;
    }
    return true;
  }

  /**
   * The shape of a composite value for the type its data names (`named`), or, when the data
   * names none, for its declared type: fragments are then judged against the enclosing type,
   * as Apollo Gateway does.
   */
  private shapeOf(completion: CompositeCompletion, runtimeType: GraphQLCompositeType, named: boolean): ObjectShape {
    const cacheKey = named ? runtimeType.name : `?${runtimeType.name}`;
    let shape = completion.byRuntimeType.get(cacheKey);
    if (shape) return shape;
    // Per response key: the field nodes merged under it, the type they were written in (their definition's owner) and the type errors name.
    const collected = new Map<string, { nodes: FieldNode[]; staticParent: GraphQLCompositeType; messageParent: GraphQLCompositeType }>();
    const collect = (set: SelectionSetNode, staticParent: GraphQLCompositeType, messageParent: GraphQLCompositeType, visited: Set<string>) => {
      for (const selection of set.selections) {
        if (!this.included(selection.directives)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          let entry = collected.get(key);
          if (!entry) {
            entry = { nodes: [], staticParent, messageParent };
            collected.set(key, entry);
          }
          entry.nodes.push(selection);
          continue;
        }
        let conditionName: string | undefined;
        let subSet: SelectionSetNode;
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          conditionName = selection.typeCondition?.name.value;
          subSet = selection.selectionSet;
        } else {
          if (visited.has(selection.name.value)) continue;
          const fragment = this.fragments.get(selection.name.value);
          if (!fragment) continue;
          visited.add(selection.name.value);
          conditionName = fragment.typeCondition.name.value;
          subSet = fragment.selectionSet;
        }
        if (!conditionName) {
          collect(subSet, staticParent, messageParent, visited);
          continue;
        }
        const condition = this.schema.getType(conditionName);
        if (!condition || !isCompositeType(condition)) continue;
        if (isSubtype(this.schema, condition, named ? runtimeType : messageParent)) collect(subSet, condition, condition, visited);
      }
    };
    for (const { set, parentType } of completion.selections) collect(set, parentType, runtimeType, new Set());
    const fields: FieldShape[] = [];
    for (const [key, { nodes, staticParent, messageParent }] of collected) {
      const first = nodes[0] as FieldNode;
      const fieldName = first.name.value;
      if (fieldName === '__typename') {
        fields.push({ key, parentType: messageParent, typename: true, completion: TYPENAME });
        continue;
      }
      if (fieldName === '__schema' || fieldName === '__type') throw new UnsupportedOperationError('schema introspection');
      const definition = 'getFields' in staticParent ? staticParent.getFields()[fieldName] : undefined;
      if (!definition) throw new UnsupportedOperationError(`field ${staticParent.name}.${fieldName} is not in the schema`);
      const fieldType = getNamedType(definition.type);
      const selections: CollectedSelections = [];
      for (const node of nodes) {
        if (node.selectionSet && isCompositeType(fieldType)) selections.push({ set: node.selectionSet, parentType: fieldType });
      }
      fields.push({ key, parentType: messageParent, typename: false, completion: completionOf(definition.type, selections) });
    }
    shape = { fields };
    completion.byRuntimeType.set(cacheKey, shape);
    return shape;
  }

  /** Fills `output`; false when a non-null field failed and the object must be null. */
  private projectObject(input: Record<string, unknown>, shape: ObjectShape, output: Record<string, unknown>, path: ResponsePath, errors: CompletionError[]): boolean {
    for (const field of shape.fields) {
      const key = field.key;
      if (field.typename) {
        let name = input[key];
        if ((name === undefined || name === null) && key !== '__typename') name = input.__typename;
        const named = typeof name === 'string' ? (this.schema.getType(name) ?? field.parentType) : field.parentType;
        if (!isObjectType(named)) return false;
        output[key] = named.name;
        continue;
      }
      let value = Object.hasOwn(input, key) ? input[key] : null;
      if (value === undefined) value = null;
      path.push(key);
      const completed = this.complete(value, field.completion, field.parentType, path, errors);
      path.pop();
      if (completed === INVALID) return false;
      output[key] = completed === FAILED ? null : completed;
    }
    return true;
  }

  /**
   * Completes one value. INVALID: a non-null position got null (the parent must be null);
   * FAILED: null with its error already reported (a non-null parent bubbles without a second one).
   */
  private complete(value: unknown, completion: Completion, parentType: GraphQLCompositeType, path: ResponsePath, errors: CompletionError[]): unknown {
    switch (completion.kind) {
      case 'nonNull': {
        const inner = this.complete(value, completion.of, parentType, path, errors);
        if (inner === null) {
          errors.push(nullError(path, completion.of, parentType));
          return INVALID;
        }
        if (inner === FAILED || inner === INVALID) return INVALID;
        return inner;
      }
      case 'list': {
        if (value === null) return null;
        if (!Array.isArray(value)) throw new MalformedSubgraphDataError(`Invalid non-list value ${String(value)} returned by subgraph for list type ${typeName(completion)}`);
        const out = new Array<unknown>(value.length);
        // An element that fails in a non-null position nulls the list (after the remaining elements report theirs).
        let invalid = false;
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          const element = this.complete(value[i] ?? null, completion.of, parentType, path, errors);
          path.pop();
          if (element === INVALID) invalid = true;
          out[i] = element === FAILED || element === INVALID ? null : element;
        }
        return invalid ? FAILED : out;
      }
      case 'leaf': {
        if (value === null) return null;
        if (completion.valid(value)) return value;
        errors.push({ message: `Invalid value found for ${describeLast(path, completion.type.name, parentType)}.`, path: [...path], extensions: { code: 'INVALID_GRAPHQL' } });
        return FAILED;
      }
      case 'composite': {
        if (value === null) return null;
        if (typeof value !== 'object') throw new MalformedSubgraphDataError(`Invalid non-object value ${String(value)} returned by subgraph for composite type ${completion.type.name}`);
        const input = value as Record<string, unknown>;
        const typename = input.__typename;
        let runtimeType: GraphQLCompositeType = completion.type;
        if (typename !== undefined && typeof typename !== 'string') throw new MalformedSubgraphDataError(`Invalid non-string value ${String(typename)} for __typename at ${path.join('.')}`);
        if (typename) {
          const named = this.schema.getType(typename);
          if (!named || !isCompositeType(named)) {
            errors.push({ message: `Invalid __typename found for object at ${describeLast(path, completion.type.name, parentType)}.`, path: [...path], extensions: { code: 'INVALID_GRAPHQL' } });
            return FAILED;
          }
          runtimeType = named;
        }
        const output: Record<string, unknown> = {};
        return this.projectObject(input, this.shapeOf(completion, runtimeType, Boolean(typename)), output, path, errors) ? output : FAILED;
      }
    }
  }
}

/** A field, or a schema feature, this executor leaves to Apollo Gateway's. */
export class UnsupportedOperationError extends Error {}

const INVALID = Symbol('invalid');
const FAILED = Symbol('failed');

function completionOf(type: GraphQLOutputType, selections: CollectedSelections): Completion {
  if (type instanceof GraphQLNonNull) return { kind: 'nonNull', of: completionOf(type.ofType, selections) };
  if (type instanceof GraphQLList) return { kind: 'list', of: completionOf(type.ofType, selections) };
  if (isCompositeType(type)) return { kind: 'composite', type, selections, byRuntimeType: new Map() };
  return { kind: 'leaf', type, valid: leafCheck(type as GraphQLScalarType | GraphQLEnumType) };
}

function typeName(completion: Completion): string {
  switch (completion.kind) {
    case 'nonNull':
      return `${typeName(completion.of)}!`;
    case 'list':
      return `[${typeName(completion.of)}]`;
    default:
      return completion.type.name;
  }
}

function describeLast(path: ResponsePath, typeDescription: string, parentType: GraphQLCompositeType): string {
  const last = path[path.length - 1];
  return typeof last === 'string' ? `field ${parentType.name}.${last}` : `array element of type ${typeDescription} at index ${String(last)}`;
}

function nullError(path: ResponsePath, inner: Completion, parentType: GraphQLCompositeType): CompletionError {
  return { message: `Cannot return null for non-nullable ${describeLast(path, typeName(inner), parentType)}.`, path: [...path], extensions: { code: 'INVALID_GRAPHQL' } };
}

/** A default value literal (variables' defaults only need booleans here, but any literal reads). */
function literalValue(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.BOOLEAN:
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.INT:
      return Number.parseInt(node.value, 10);
    case Kind.FLOAT:
      return Number.parseFloat(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalValue(f.value)]));
    default:
      return undefined;
  }
}
