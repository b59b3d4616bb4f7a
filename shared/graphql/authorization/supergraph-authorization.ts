/**
 * Reads the authorization rules a supergraph declares (`@authenticated`,
 * `@requiresScopes`, `@policy`, as composed from the subgraph schemas) and hands back the
 * SDL Apollo Gateway may load.
 *
 * Composition marks these features `for: SECURITY`, and Apollo Gateway refuses such a
 * supergraph because it cannot enforce them. Portico enforces them, so it removes their
 * links, definitions and applications, but only here: the rules and the SDL handed to the
 * gateway come out of one call on one text, so no path can serve a supergraph whose rules
 * were not read.
 */
import { Supergraph } from '@apollo/federation-internals';
import {
  Kind,
  parse,
  print,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';

/** One condition of an element; every condition on an element must hold. */
export type AuthorizationClause =
  | { kind: 'authenticated' }
  /** Outer list OR, inner list AND. */
  | { kind: 'scopes'; anyOf: readonly (readonly string[])[] }
  /** Outer list OR, inner list AND: names of policies declared in the BFF manifest. */
  | { kind: 'policies'; anyOf: readonly (readonly string[])[] };

/** The rules of a supergraph, by type name and by field coordinate (`Type.field`). */
export interface AuthorizationRules {
  /** Rules on object types, interfaces, unions, scalars and enums. */
  readonly types: ReadonlyMap<string, readonly AuthorizationClause[]>;
  /** Rules on fields, keyed `Type.field`. */
  readonly fields: ReadonlyMap<string, readonly AuthorizationClause[]>;
  /** Every policy name the supergraph references (each must be declared by the BFF). */
  readonly policyNames: ReadonlySet<string>;
}

/** A supergraph ready to serve: the SDL for Apollo Gateway, its API schema, and the rules read from the same text. */
export interface AuthorizedSupergraph {
  /** The SDL Apollo Gateway loads: the input without the authorization features. */
  readonly gatewaySdl: string;
  /** The client-facing schema (what the gateway validates and plans against). */
  readonly apiSchema: GraphQLSchema;
  readonly rules: AuthorizationRules;
}

/** The authorization features Portico enforces, by the spec name in their link URL. */
const ENFORCED_FEATURES = { authenticated: 'authenticated', requiresScopes: 'scopes', policy: 'policies' } as const;
type FeatureName = keyof typeof ENFORCED_FEATURES;
const FEATURE_URL = /^https:\/\/specs\.apollo\.dev\/(authenticated|requiresScopes|policy)\/v0\.\d+$/;

function stringArgument(directive: ConstDirectiveNode, name: string): string | undefined {
  const arg = directive.arguments?.find((a) => a.name.value === name);
  return arg?.value.kind === Kind.STRING ? arg.value.value : undefined;
}

/** `@link`s of the enforced features: directive name in this supergraph (it may be renamed with `as:`) -> feature. */
function enforcedLinks(document: DocumentNode): Map<string, FeatureName> {
  const links = new Map<string, FeatureName>();
  for (const def of document.definitions) {
    if (def.kind !== Kind.SCHEMA_DEFINITION && def.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of def.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const match = FEATURE_URL.exec(stringArgument(directive, 'url') ?? '');
      if (!match) continue;
      const feature = match[1] as FeatureName;
      links.set(stringArgument(directive, 'as') ?? feature, feature);
    }
  }
  return links;
}

function nestedStrings(directive: ConstDirectiveNode, argument: string, where: string): string[][] {
  const arg = directive.arguments?.find((a) => a.name.value === argument);
  if (!arg || arg.value.kind !== Kind.LIST) throw new Error(`${where}: @${directive.name.value} needs a list of lists in '${argument}'`);
  return arg.value.values.map((inner) => {
    if (inner.kind !== Kind.LIST) throw new Error(`${where}: @${directive.name.value}(${argument}:) must be a list of lists`);
    return inner.values.map((v) => {
      if (v.kind !== Kind.STRING) throw new Error(`${where}: @${directive.name.value}(${argument}:) must hold strings`);
      return v.value;
    });
  });
}

function clausesOf(directives: readonly ConstDirectiveNode[] | undefined, links: Map<string, FeatureName>, where: string): AuthorizationClause[] {
  const clauses: AuthorizationClause[] = [];
  for (const directive of directives ?? []) {
    const feature = links.get(directive.name.value);
    if (feature === 'authenticated') clauses.push({ kind: 'authenticated' });
    else if (feature === 'requiresScopes') clauses.push({ kind: 'scopes', anyOf: nestedStrings(directive, 'scopes', where) });
    else if (feature === 'policy') clauses.push({ kind: 'policies', anyOf: nestedStrings(directive, 'policies', where) });
  }
  return clauses;
}

function withoutDirectives<T extends { directives?: readonly ConstDirectiveNode[] }>(node: T, names: Map<string, FeatureName>): T {
  if (!node.directives?.some((d) => names.has(d.name.value))) return node;
  return { ...node, directives: node.directives.filter((d) => !names.has(d.name.value)) };
}

/**
 * Pure: the rules of `supergraphSdl` and the SDL Apollo Gateway may load, from one text.
 * Throws when the SDL does not parse, a directive is malformed, or the result is not a
 * supergraph (so nothing half-read is ever served).
 */
export function prepareSupergraph(supergraphSdl: string): AuthorizedSupergraph {
  const document = parse(supergraphSdl);
  const links = enforcedLinks(document);
  const types = new Map<string, AuthorizationClause[]>();
  const fields = new Map<string, AuthorizationClause[]>();
  const policyNames = new Set<string>();
  const record = (map: Map<string, AuthorizationClause[]>, key: string, clauses: AuthorizationClause[]) => {
    if (clauses.length === 0) return;
    map.set(key, [...(map.get(key) ?? []), ...clauses]);
    for (const clause of clauses) if (clause.kind === 'policies') clause.anyOf.flat().forEach((p) => policyNames.add(p));
  };
  // The features' own namespaced types (`requiresScopes__Scope`, `policy__Policy`) go with them.
  const namespaces = [...links.keys()].map((name) => `${name}__`);

  const definitions: DefinitionNode[] = [];
  for (const def of document.definitions) {
    if (def.kind === Kind.DIRECTIVE_DEFINITION && links.has(def.name.value)) continue;
    if ('name' in def && def.name && namespaces.some((ns) => def.name!.value.startsWith(ns))) continue;
    if (def.kind === Kind.SCHEMA_DEFINITION || def.kind === Kind.SCHEMA_EXTENSION) {
      definitions.push({ ...def, directives: def.directives?.filter((d) => !(d.name.value === 'link' && FEATURE_URL.test(stringArgument(d, 'url') ?? ''))) });
      continue;
    }
    if (
      def.kind === Kind.OBJECT_TYPE_DEFINITION ||
      def.kind === Kind.OBJECT_TYPE_EXTENSION ||
      def.kind === Kind.INTERFACE_TYPE_DEFINITION ||
      def.kind === Kind.INTERFACE_TYPE_EXTENSION
    ) {
      const typeName = def.name.value;
      record(types, typeName, clausesOf(def.directives, links, typeName));
      for (const field of def.fields ?? []) record(fields, `${typeName}.${field.name.value}`, clausesOf(field.directives, links, `${typeName}.${field.name.value}`));
      definitions.push({ ...withoutDirectives(def, links), fields: def.fields?.map((f) => withoutDirectives(f, links)) } as DefinitionNode);
      continue;
    }
    // Composition copies the rules of implementations and members onto interfaces and unions.
    if (
      def.kind === Kind.SCALAR_TYPE_DEFINITION ||
      def.kind === Kind.SCALAR_TYPE_EXTENSION ||
      def.kind === Kind.ENUM_TYPE_DEFINITION ||
      def.kind === Kind.ENUM_TYPE_EXTENSION ||
      def.kind === Kind.UNION_TYPE_DEFINITION ||
      def.kind === Kind.UNION_TYPE_EXTENSION
    ) {
      record(types, def.name.value, clausesOf(def.directives, links, def.name.value));
      definitions.push(withoutDirectives(def, links));
      continue;
    }
    definitions.push(def);
  }
  const gatewaySdl = links.size === 0 ? supergraphSdl : print({ ...document, definitions });
  const apiSchema = Supergraph.build(gatewaySdl).apiSchema().toGraphQLJSSchema();
  return { gatewaySdl, apiSchema, rules: { types, fields, policyNames } };
}
