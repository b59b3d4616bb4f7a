/**
 * The pure core of GraphQL authorization: given the rules of the supergraph and the
 * verified principal, removes from an operation every field the principal may not read,
 * before the operation is planned, and remembers where the removed fields were so the
 * response can answer them with null and an error each (see `completeUnauthorizedFields`).
 *
 * What a selection needs:
 * - a field `P.f` returning type `N`: the rules on `P.f` and on `N` (object, scalar, enum);
 * - a field selected on an interface `I`: the rules on `I.f`, and for every type that
 *   implements `I`, the rules on that type and on its `f` (any of them may be the object
 *   answering);
 * - a fragment on type `T`: the rules on `T` (a type-level rule applies wherever the type
 *   is returned, through interfaces and unions too);
 * - `__typename` and introspection need nothing.
 * Fields excluded by `@skip`/`@include` never run, so they are dropped, not judged.
 *
 * Linear in the document: each named fragment is reduced once however often it is spread,
 * and each coordinate is decided once per operation.
 */
import {
  Kind,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  valueFromAST,
  GraphQLBoolean,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Principal } from '../../policies/authn/principal';
import { principalMeets, type AuthorizationPolicy } from './authorization-policies';
import type { AuthorizationClause, AuthorizedSupergraph } from './supergraph-authorization';

/** Alias of the `__typename` Portico adds where it must know an object's type to place nulls; never reaches the client. */
export const RUNTIME_TYPE_ALIAS = '_porticoAuthzType';

/** A removed field: where its null goes in the objects of one selection set. */
export interface ResponseHole {
  /** Response key (alias or name). */
  key: string;
  /** The field is non-null: its null makes the enclosing object null, as in GraphQL execution. */
  nonNull: boolean;
}

export interface AuthorizationOutcome {
  /** What to plan and execute: the input document when nothing was removed. */
  document: DocumentNode;
  /** The operation of `document` that runs. */
  operation: OperationDefinitionNode | undefined;
  /** Coordinates (`Type.field` or `Type`) that were removed, each once, in document order. */
  denied: string[];
  /** Reduced named fragments, for walking the response. */
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Removed fields by the reduced selection set that held them. */
  holes: WeakMap<SelectionSetNode, ResponseHole[]>;
  supergraph: AuthorizedSupergraph;
}

const NO_CLAUSES: readonly AuthorizationClause[] = [];

function isExcluded(directives: readonly DirectiveNode[] | undefined, variables: Readonly<Record<string, unknown>>): boolean {
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const arg = directive.arguments?.find((a) => a.name.value === 'if');
    if (!arg) continue;
    const value = valueFromAST(arg.value, GraphQLBoolean, variables as Record<string, unknown>);
    if (value === undefined) continue;
    if (name === 'skip' ? value === true : value === false) return true;
  }
  return false;
}

function typenameField(): FieldNode {
  return { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: RUNTIME_TYPE_ALIAS }, name: { kind: Kind.NAME, value: '__typename' } };
}

/** The operation `operationName` selects, as graphql-js picks it. */
export function selectOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}

/**
 * Pure: the operation reduced to what `principal` may read (anonymous when undefined).
 * `policies` are the BFF's declared rules for `@policy` names. The document must already
 * be valid against `supergraph.apiSchema`.
 */
export function authorizeOperation(
  supergraph: AuthorizedSupergraph,
  policies: Readonly<Record<string, AuthorizationPolicy>>,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
  principal: Principal | undefined,
): AuthorizationOutcome {
  const { apiSchema: schema, rules } = supergraph;
  const operation = selectOperation(document, operationName);
  const holes = new WeakMap<SelectionSetNode, ResponseHole[]>();
  const denied = new Set<string>();
  const decisions = new Map<string, boolean>();
  const originalFragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) originalFragments.set(d.name.value, d);
  const reducedFragments = new Map<string, FragmentDefinitionNode>();
  const rootType = operation ? schema.getRootType(operation.operation) : undefined;
  if (!operation || !rootType || (rules.types.size === 0 && rules.fields.size === 0)) {
    return { document, operation, denied: [], fragments: reducedFragments, holes, supergraph };
  }

  const meets = (key: string, clauses: () => readonly AuthorizationClause[]): boolean => {
    let decision = decisions.get(key);
    if (decision === undefined) {
      decision = principalMeets(clauses(), principal, policies);
      decisions.set(key, decision);
    }
    return decision;
  };
  const typeClauses = (name: string) => rules.types.get(name) ?? NO_CLAUSES;
  const typeAllowed = (type: GraphQLCompositeType): boolean => meets(`type:${type.name}`, () => typeClauses(type.name));
  const fieldAllowed = (parent: GraphQLCompositeType, name: string, def: GraphQLField<unknown, unknown>): boolean =>
    meets(`field:${parent.name}.${name}`, () => {
      const clauses = [...typeClauses(parent.name), ...(rules.fields.get(`${parent.name}.${name}`) ?? NO_CLAUSES), ...typeClauses(getNamedType(def.type).name)];
      // Any implementation may be the object that answers a field selected on an interface.
      if (isInterfaceType(parent)) {
        for (const impl of schema.getPossibleTypes(parent)) clauses.push(...typeClauses(impl.name), ...(rules.fields.get(`${impl.name}.${name}`) ?? NO_CLAUSES));
      }
      return clauses;
    });

  /** The fields a removed fragment would have answered, for their nulls. */
  const holesOfRemovedFragment = (set: SelectionSetNode, parent: GraphQLCompositeType, seen: Set<string>): ResponseHole[] => {
    const found: ResponseHole[] = [];
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value === '__typename') continue;
        const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[s.name.value] : undefined;
        found.push({ key: s.alias?.value ?? s.name.value, nonNull: def ? isNonNullType(def.type) : false });
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        found.push(...holesOfRemovedFragment(s.selectionSet, parent, seen));
      } else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = originalFragments.get(s.name.value);
        if (fragment) found.push(...holesOfRemovedFragment(fragment.selectionSet, parent, seen));
      }
    }
    return found;
  };

  /** A selection set holding only the runtime type, with holes where the removed fields were. */
  const removedFragmentSet = (set: SelectionSetNode, type: GraphQLCompositeType): SelectionSetNode => {
    const reduced: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: [typenameField()] };
    holes.set(reduced, holesOfRemovedFragment(set, type, new Set()));
    return reduced;
  };

  const reduceFragment = (name: string): void => {
    if (reducedFragments.has(name)) return;
    const fragment = originalFragments.get(name);
    if (!fragment) return;
    const type = schema.getType(fragment.typeCondition.name.value);
    if (!type || !isCompositeType(type)) return;
    // Registered before its body is reduced: a spread of itself (invalid anyway) cannot loop.
    reducedFragments.set(name, fragment);
    if (!typeAllowed(type)) {
      denied.add(type.name);
      reducedFragments.set(name, { ...fragment, selectionSet: removedFragmentSet(fragment.selectionSet, type) });
      return;
    }
    reducedFragments.set(name, { ...fragment, selectionSet: reduceSelectionSet(fragment.selectionSet, type) });
  };

  const reduceSelectionSet = (set: SelectionSetNode, parent: GraphQLCompositeType): SelectionSetNode => {
    const selections: SelectionNode[] = [];
    const removed: ResponseHole[] = [];
    for (const s of set.selections) {
      if (isExcluded(s.directives, variables)) continue;
      if (s.kind === Kind.FIELD) {
        const name = s.name.value;
        const def = name.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent)) ? undefined : parent.getFields()[name];
        if (!def) {
          selections.push(s);
          continue;
        }
        if (!fieldAllowed(parent, name, def)) {
          denied.add(`${parent.name}.${name}`);
          removed.push({ key: s.alias?.value ?? name, nonNull: isNonNullType(def.type) });
          continue;
        }
        const inner = getNamedType(def.type);
        selections.push(s.selectionSet && isCompositeType(inner) ? { ...s, selectionSet: reduceSelectionSet(s.selectionSet, inner) } : s);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const named = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
        const type = named && isCompositeType(named) ? named : parent;
        if (!typeAllowed(type)) {
          denied.add(type.name);
          selections.push({ ...s, selectionSet: removedFragmentSet(s.selectionSet, type) });
          continue;
        }
        selections.push({ ...s, selectionSet: reduceSelectionSet(s.selectionSet, type) });
      } else {
        reduceFragment(s.name.value);
        selections.push(s);
      }
    }
    // Where the object's type decides which fragments apply, the response must say it.
    if (isAbstractType(parent) || selections.length === 0) selections.push(typenameField());
    const reduced: SelectionSetNode = { ...set, selections };
    if (removed.length > 0) holes.set(reduced, removed);
    return reduced;
  };

  const reducedOperation: OperationDefinitionNode = { ...operation, selectionSet: reduceSelectionSet(operation.selectionSet, rootType) };
  if (denied.size === 0) return { document, operation, denied: [], fragments: reducedFragments, holes, supergraph };
  return {
    document: { kind: Kind.DOCUMENT, definitions: [reducedOperation, ...reducedFragments.values()] },
    operation: reducedOperation,
    denied: [...denied],
    fragments: reducedFragments,
    holes,
    supergraph,
  };
}

/**
 * Pure: whether any selection of the document (every operation and fragment, ignoring
 * `@skip`/`@include`) meets a rule of the supergraph. Conservative: when it says no, no
 * principal can be denied anything in this document, so a document served again and again
 * (the same object, from the validated-document cache) is judged once, not per request.
 */
export function touchesAuthorizationRules(supergraph: AuthorizedSupergraph, document: DocumentNode): boolean {
  const { apiSchema: schema, rules } = supergraph;
  if (rules.types.size === 0 && rules.fields.size === 0) return false;
  const ruled = (typeName: string): boolean => rules.types.has(typeName);
  const visit = (set: SelectionSetNode, parent: GraphQLCompositeType): boolean => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        const name = s.name.value;
        if (name.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const def = parent.getFields()[name];
        if (!def) continue;
        const inner = getNamedType(def.type);
        if (ruled(parent.name) || rules.fields.has(`${parent.name}.${name}`) || ruled(inner.name)) return true;
        if (isInterfaceType(parent) && schema.getPossibleTypes(parent).some((impl) => ruled(impl.name) || rules.fields.has(`${impl.name}.${name}`))) return true;
        if (s.selectionSet && isCompositeType(inner) && visit(s.selectionSet, inner)) return true;
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const named = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
        const type = named && isCompositeType(named) ? named : parent;
        if (ruled(type.name) || visit(s.selectionSet, type)) return true;
      }
      // Spreads: every fragment definition is visited on its own below.
    }
    return false;
  };
  for (const d of document.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) {
      const root = schema.getRootType(d.operation);
      if (!root || visit(d.selectionSet, root)) return true;
    } else if (d.kind === Kind.FRAGMENT_DEFINITION) {
      const type = schema.getType(d.typeCondition.name.value);
      if (!type || !isCompositeType(type) || ruled(type.name) || visit(d.selectionSet, type)) return true;
    }
  }
  return false;
}
