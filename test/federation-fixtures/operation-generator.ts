/**
 * Random valid operations over an API schema, as a fast-check arbitrary (so a seed and a path
 * replay one, and a failing one shrinks).
 *
 * Validity by construction, the rules that need care:
 * - Overlapping fields: every alias is unique in the operation; a field goes unaliased only
 *   when no argument is given and every type of the schema that has a field of that name
 *   gives it the same type, so two occurrences of one response name always merge.
 * - Fragments: a type condition always overlaps the parent's possible types; a named
 *   fragment is reused only once complete, so spreads never form a cycle.
 * - Variables: declared with the argument's own type (`Boolean!` for `@skip`/`@include`),
 *   only where used, with a value of that type (or omitted when nullable).
 */
import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  parse,
  print,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import type { ArgumentValues } from './fixture';

/** Constructs the generator can put in an operation, reported per operation for coverage checks. */
export type OperationFeature =
  | 'alias'
  | 'same-field-twice'
  | 'typename'
  | 'inline-fragment'
  | 'inline-fragment-on-abstract'
  | 'named-fragment'
  | 'named-fragment-on-abstract'
  | 'fragment-reused'
  | 'skip-include-literal'
  | 'skip-include-variable'
  | 'argument-literal'
  | 'argument-variable'
  | 'variable-default'
  | 'variable-omitted'
  | 'explicit-null';

export interface GeneratedOperation {
  /** The operation text (printed by graphql-js). */
  readonly document: string;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly features: ReadonlySet<OperationFeature>;
}

export interface OperationGeneratorOptions {
  /** Deepest field nesting below the root (root fields are depth 1). Default 4. */
  readonly maxDepth?: number;
  /** Most selections per selection set. Default 4. */
  readonly maxSelections?: number;
  /** Values to pick for named arguments (`Type.field.argument`), e.g. ids that exist. */
  readonly argumentValues?: ArgumentValues;
  /** IDs to pick for ID arguments with no named values. */
  readonly ids?: readonly string[];
  /**
   * Whether one selection set may hold two inline fragments with the same type condition and
   * directives. Default true. The GraphQL spec orders response keys by first occurrence
   * across the flattened selections (`{ ... on Q { a } b ... on Q { c } }` answers a, b, c);
   * Apollo's operation normalisation keys inline fragments by condition and directives and
   * merges the second into the first (answering a, c, b). Off when comparing with the
   * spec-ordered oracle: the second fragment is then emitted as a named fragment, which
   * Apollo keeps in place. Off also aliases every object field uniquely: Apollo flattens a
   * fragment on the parent's own type after merging its sibling fields, so in
   * `{ s { r { a } ... on S { r { b } } r { c } } }` it answers r's keys a, c, b (spec: a, b, c).
   */
  readonly repeatFragmentConditions?: boolean;
  /**
   * Whether a selection set may have all of its selections skipped by `@skip`/`@include`.
   * Default true. The spec answers such an object as `{}`; Apollo Gateway answers null (and
   * propagates it: `{ parcels { id @skip(if: true) } }` answers `data: null`). Off when
   * comparing with the oracle: an aliased `__typename` is then added to such sets.
   */
  readonly allSkippableSelectionSets?: boolean;
  /** `Type.field` names never put under `@skip`/`@include`: neither on themselves nor on a fragment or field holding them. */
  readonly conditionSensitiveFields?: readonly string[];
  /** Named types of fields in whose selection sets fragments (inline or named) never get `@skip`/`@include`. */
  readonly unconditionalFragmentsWithin?: readonly string[];
  /** Types on whose selection sets (a field's or a fragment's) `__typename` is always aliased. */
  readonly aliasedTypenameOn?: readonly string[];
  /** Type conditions never used inside the selection set of a field of type `within`. */
  readonly excludedTypeConditions?: readonly TypeConditionExclusion[];
}

export interface TypeConditionExclusion {
  /** Named type of the field whose selection set (fragments included) is concerned. */
  readonly within: string;
  readonly conditions: readonly string[];
}

export const DEFAULT_MAX_DEPTH = 4;
export const DEFAULT_MAX_SELECTIONS = 4;

type Gen = fc.GeneratorValue;

/** Generated selections, and whether they hold a condition-sensitive field at their level. */
interface Generated {
  readonly text: string;
  readonly conditionSensitive: boolean;
  /** Whether it answers some key whatever the `@skip`/`@include` conditions (type conditions aside). */
  readonly unconditional: boolean;
}

interface Variable {
  readonly name: string;
  readonly type: string;
  readonly defaultLiteral?: string;
}

/** Field names that may go unaliased: no arguments anywhere and one type everywhere. */
function unaliasableFieldNames(schema: GraphQLSchema): Set<string> {
  const typeByName = new Map<string, string | null>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const shape = field.args.length > 0 ? null : String(field.type);
      const seen = typeByName.get(field.name);
      typeByName.set(field.name, seen === undefined ? shape : seen === shape ? shape : null);
    }
  }
  return new Set([...typeByName].filter(([, shape]) => shape !== null).map(([name]) => name));
}

function possibleTypeNames(schema: GraphQLSchema, type: GraphQLCompositeType): Set<string> {
  return new Set(isAbstractType(type) ? schema.getPossibleTypes(type).map((t) => t.name) : [type.name]);
}

/** What the builder looks up about the schema, computed once per arbitrary. */
interface SchemaShapes {
  readonly unaliasable: ReadonlySet<string>;
  /** Composite types whose possible types overlap each composite type's, by type name. */
  readonly overlapping: ReadonlyMap<string, readonly GraphQLCompositeType[]>;
}

function schemaShapes(schema: GraphQLSchema): SchemaShapes {
  const composites = Object.values(schema.getTypeMap()).filter((type): type is GraphQLCompositeType => isCompositeType(type) && !type.name.startsWith('__'));
  const overlapping = new Map<string, GraphQLCompositeType[]>();
  for (const type of composites) {
    const possible = possibleTypeNames(schema, type);
    overlapping.set(type.name, composites.filter((candidate) => [...possibleTypeNames(schema, candidate)].some((name) => possible.has(name))));
  }
  return { unaliasable: unaliasableFieldNames(schema), overlapping };
}

class OperationBuilder {
  private readonly variables: Variable[] = [];
  private readonly values: Record<string, unknown> = {};
  private readonly fragments: string[] = [];
  private readonly completeFragments = new Map<string, { name: string; conditionSensitive: boolean; unconditional: boolean }[]>();
  readonly features = new Set<OperationFeature>();
  private readonly inlineKeys = new Set<string>();
  private aliasCount = 0;
  private fragmentDepth = 0;

  constructor(
    private readonly g: Gen,
    private readonly schema: GraphQLSchema,
    private readonly shapes: SchemaShapes,
    private readonly options: Required<OperationGeneratorOptions>,
  ) {}

  private int(min: number, max: number): number {
    return this.g(fc.integer, { min, max });
  }

  private chance(percent: number): boolean {
    return this.int(0, 99) < percent;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  build(): GeneratedOperation {
    const queryType = this.schema.getQueryType();
    if (!queryType) throw new Error('schema has no query type');
    const selections = this.selectionSet(queryType, 1, queryType.name).text;
    const declarations = this.variables.map((v) => `$${v.name}: ${v.type}${v.defaultLiteral === undefined ? '' : ` = ${v.defaultLiteral}`}`);
    const header = `query${this.chance(70) ? ` Q${this.int(0, 9)}` : ''}${declarations.length > 0 ? `(${declarations.join(', ')})` : ''}`;
    const text = [`${header} { ${selections} }`, ...this.fragments].join('\n');
    return { document: print(parse(text)), variables: this.values, features: this.features };
  }

  /**
   * `within` is the named type of the field whose selection set this is (fragments keep it),
   * for `excludedTypeConditions`.
   */
  private selectionSet(type: GraphQLCompositeType, depth: number, within: string): Generated {
    const count = this.int(1, this.options.maxSelections);
    const selections: string[] = [];
    let conditionSensitive = false;
    let unconditional = false;
    let previousField: { field: GraphQLField<unknown, unknown>; parent: string } | undefined;
    for (let i = 0; i < count; i++) {
      const fields = isUnionType(type) ? [] : Object.values(type.getFields()).filter((field) => depth <= this.options.maxDepth || isLeafType(getNamedType(field.type)));
      const roll = this.int(0, 99);
      let generated: Generated;
      if (previousField && roll < 8) {
        // The same field again under another alias, usually with other arguments.
        this.features.add('same-field-twice');
        generated = this.field(previousField.field, previousField.parent, depth, true);
      } else if (fields.length > 0 && roll < 70) {
        const field = this.pick(fields);
        previousField = { field, parent: type.name };
        generated = this.field(field, type.name, depth, false);
      } else if (roll < 80 || this.fragmentDepth >= 2) {
        this.features.add('typename');
        const aliased = this.chance(20) || this.options.aliasedTypenameOn.includes(type.name);
        const directives = this.directives(false);
        generated = { text: `${aliased ? `${this.alias('typename')}: ` : ''}__typename${directives}`, conditionSensitive: false, unconditional: directives === '' };
      } else if (this.chance(50)) {
        generated = this.inlineFragment(type, depth, within);
      } else {
        generated = this.fragmentSpread(type, depth, within);
      }
      selections.push(generated.text);
      conditionSensitive ||= generated.conditionSensitive;
      unconditional ||= generated.unconditional;
    }
    if (!unconditional && !this.options.allSkippableSelectionSets) {
      selections.push(`${this.alias('typename')}: __typename`);
      unconditional = true;
    }
    return { text: selections.join(' '), conditionSensitive, unconditional };
  }

  private alias(name: string): string {
    this.features.add('alias');
    return `${name}_a${this.aliasCount++}`;
  }

  private field(field: GraphQLField<unknown, unknown>, parent: string, depth: number, forceAlias: boolean): Generated {
    const args = field.args.flatMap((arg) => {
      const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
      if (!required && !this.chance(50)) return [];
      return [`${arg.name}: ${this.argumentValue(parent, field, arg)}`];
    });
    const composite = isCompositeType(getNamedType(field.type));
    const aliased = forceAlias || args.length > 0 || !this.shapes.unaliasable.has(field.name) || (composite && !this.options.repeatFragmentConditions) || this.chance(20);
    const head = `${aliased ? `${this.alias(field.name)}: ` : ''}${field.name}${args.length > 0 ? `(${args.join(', ')})` : ''}`;
    const named = getNamedType(field.type);
    const inner = isCompositeType(named) ? this.selectionSet(named, depth + 1, named.name) : undefined;
    const selection = inner ? ` { ${inner.text} }` : '';
    // Through fields too: Apollo merges two occurrences of one response key, conditions included.
    const conditionSensitive = this.options.conditionSensitiveFields.includes(`${parent}.${field.name}`) || inner?.conditionSensitive === true;
    const directives = this.directives(conditionSensitive);
    return { text: `${head}${directives}${selection}`, conditionSensitive, unconditional: directives === '' };
  }

  /** A type condition that overlaps `type`: itself, one of its possible types, or an abstract type sharing one. */
  private typeCondition(type: GraphQLCompositeType, within: string): GraphQLCompositeType {
    const excluded = this.options.excludedTypeConditions.filter((exclusion) => exclusion.within === within).flatMap((exclusion) => exclusion.conditions);
    const candidates = (this.shapes.overlapping.get(type.name) ?? [type]).filter((candidate) => !excluded.includes(candidate.name));
    return candidates.length > 0 ? this.pick(candidates) : type;
  }

  private inlineFragment(type: GraphQLCompositeType, depth: number, within: string): Generated {
    const condition = this.chance(85) ? this.typeCondition(type, within) : undefined;
    this.fragmentDepth++;
    const inner = this.selectionSet(condition ?? type, depth, within);
    this.fragmentDepth--;
    const directives = this.directives(inner.conditionSensitive || this.options.unconditionalFragmentsWithin.includes(within));
    // Operation-wide: Apollo also merges fragments of two occurrences of one response key.
    const key = `${type.name} ... ${condition?.name ?? ''}${directives}`;
    if (!this.options.repeatFragmentConditions && this.inlineKeys.has(key)) {
      // Apollo's operation normalisation merges this fragment into the earlier one with the same key; a named fragment keeps spec order.
      const spread = this.namedFragment(condition ?? type, inner);
      return { text: `...${spread}${directives}`, conditionSensitive: inner.conditionSensitive, unconditional: directives === '' && inner.unconditional };
    }
    this.inlineKeys.add(key);
    this.features.add('inline-fragment');
    if (condition && isAbstractType(condition)) this.features.add('inline-fragment-on-abstract');
    return { text: `...${condition ? ` on ${condition.name}` : ''}${directives} { ${inner.text} }`, conditionSensitive: inner.conditionSensitive, unconditional: directives === '' && inner.unconditional };
  }

  private namedFragment(condition: GraphQLCompositeType, inner: Generated): string {
    this.features.add('named-fragment');
    if (isAbstractType(condition)) this.features.add('named-fragment-on-abstract');
    const name = `F${this.fragments.length}_${condition.name}`;
    this.fragments.push(`fragment ${name} on ${condition.name} { ${inner.text} }`);
    const existing = this.completeFragments.get(condition.name) ?? [];
    this.completeFragments.set(condition.name, [...existing, { name, conditionSensitive: inner.conditionSensitive, unconditional: inner.unconditional }]);
    return name;
  }

  private fragmentSpread(type: GraphQLCompositeType, depth: number, within: string): Generated {
    const condition = this.typeCondition(type, within);
    const existing = this.completeFragments.get(condition.name) ?? [];
    let fragment: { name: string; conditionSensitive: boolean; unconditional: boolean };
    if (existing.length > 0 && this.chance(40)) {
      this.features.add('fragment-reused');
      fragment = this.pick(existing);
    } else {
      this.fragmentDepth++;
      const inner = this.selectionSet(condition, depth, within);
      this.fragmentDepth--;
      fragment = { name: this.namedFragment(condition, inner), conditionSensitive: inner.conditionSensitive, unconditional: inner.unconditional };
    }
    const directives = this.directives(fragment.conditionSensitive || this.options.unconditionalFragmentsWithin.includes(within));
    return { text: `...${fragment.name}${directives}`, conditionSensitive: fragment.conditionSensitive, unconditional: directives === '' && fragment.unconditional };
  }

  /** Maybe `@skip`/`@include`; never around a condition-sensitive field (see `conditionSensitiveFields`). */
  private directives(conditionSensitive: boolean): string {
    if (!this.chance(12) || conditionSensitive) return '';
    const directive = this.chance(50) ? 'skip' : 'include';
    if (this.chance(50)) {
      this.features.add('skip-include-literal');
      return ` @${directive}(if: ${String(this.chance(50))})`;
    }
    this.features.add('skip-include-variable');
    const name = this.declare('Boolean!', this.chance(50));
    return ` @${directive}(if: $${name})`;
  }

  private declare(type: string, value: unknown, defaultLiteral?: string): string {
    const name = `v${this.variables.length}`;
    this.variables.push({ name, type, defaultLiteral });
    if (value !== undefined) this.values[name] = value;
    return name;
  }

  private argumentValue(parent: string, field: GraphQLField<unknown, unknown>, arg: GraphQLArgument): string {
    const key = `${parent}.${field.name}.${arg.name}`;
    const value = this.inputValue(arg.type, key);
    if (!this.chance(40)) {
      this.features.add('argument-literal');
      return literal(value, arg.type);
    }
    this.features.add('argument-variable');
    const nullable = !isNonNullType(arg.type);
    if (nullable && this.chance(15)) {
      // An omitted nullable variable leaves the argument unset (its default applies), unlike an explicit null.
      this.features.add('variable-omitted');
      return `$${this.declare(String(arg.type), undefined)}`;
    }
    if (nullable && this.chance(15)) {
      this.features.add('variable-default');
      return `$${this.declare(String(arg.type), undefined, literal(this.inputValue(arg.type, key), arg.type))}`;
    }
    return `$${this.declare(String(arg.type), value)}`;
  }

  /** A valid (already coerced-shape) value of `type`. */
  private inputValue(type: GraphQLInputType, key: string): unknown {
    if (!isNonNullType(type) && this.chance(12)) {
      this.features.add('explicit-null');
      return null;
    }
    const inner = getNullableType(type) as GraphQLInputType;
    if (isListType(inner)) {
      const length = this.int(0, 3);
      return Array.from({ length }, () => this.inputValue(inner.ofType as GraphQLInputType, `${key}[]`));
    }
    const named: GraphQLNamedType = inner as GraphQLNamedType;
    const pool = this.options.argumentValues[key.replace(/(\[\])+$/, '')];
    if (pool && pool.length > 0 && !isListType(inner)) return this.pick(pool);
    if (isEnumType(named)) return this.pick(named.getValues().map((value) => value.name));
    if (isInputObjectType(named)) {
      return Object.fromEntries(
        Object.values(named.getFields()).flatMap((f) => (isNonNullType(f.type) || this.chance(50) ? [[f.name, this.inputValue(f.type, `${named.name}.${f.name}`)]] : [])),
      );
    }
    switch (named.name) {
      case 'Int':
        return this.int(-1, 6);
      case 'Float':
        return this.pick([0, 0.5, 2, 50, 250.25]);
      case 'Boolean':
        return this.chance(50);
      case 'ID':
        return this.pick(this.options.ids.length > 0 ? this.options.ids : ['1']);
      default:
        // String and custom scalars.
        return this.pick(['', 'a', 'e', '2020-01-01T00:00:00Z']);
    }
  }
}

/** A GraphQL literal for an input value of `type`. */
function literal(value: unknown, type: GraphQLInputType): string {
  if (value === null) return 'null';
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) return `[${(value as unknown[]).map((item) => literal(item, inner.ofType as GraphQLInputType)).join(', ')}]`;
  if (isEnumType(inner)) return String(value);
  if (isInputObjectType(inner)) {
    const fields = inner.getFields();
    return `{ ${Object.entries(value as Record<string, unknown>).map(([name, item]) => `${name}: ${literal(item, fields[name]!.type)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** Operations over `schema`, each built from fast-check's random choices. */
export function operationArbitrary(schema: GraphQLSchema, options: OperationGeneratorOptions = {}): fc.Arbitrary<GeneratedOperation> {
  const shapes = schemaShapes(schema);
  const resolved: Required<OperationGeneratorOptions> = {
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxSelections: options.maxSelections ?? DEFAULT_MAX_SELECTIONS,
    argumentValues: options.argumentValues ?? {},
    ids: options.ids ?? [],
    repeatFragmentConditions: options.repeatFragmentConditions ?? true,
    conditionSensitiveFields: options.conditionSensitiveFields ?? [],
    excludedTypeConditions: options.excludedTypeConditions ?? [],
    aliasedTypenameOn: options.aliasedTypenameOn ?? [],
    allSkippableSelectionSets: options.allSkippableSelectionSets ?? true,
    unconditionalFragmentsWithin: options.unconditionalFragmentsWithin ?? [],
  };
  return fc.gen().map((g) => new OperationBuilder(g, schema, shapes, resolved).build());
}
