/**
 * What `@policy(policies: [["name"]])` means: each name a supergraph references is a rule
 * declared in the BFF manifest over the verified principal. A name the manifest does not
 * declare is a load error, never silently allowed.
 */
import { Type } from '@sinclair/typebox';
import { checkSettings } from '../../config/check-settings';
import type { Principal, PrincipalKind } from '../../policies/authn/principal';
import type { AuthorizationClause, AuthorizationRules } from './supergraph-authorization';

/** A named rule over the principal; every condition given must hold (an anonymous caller never passes). */
export interface AuthorizationPolicy {
  /** The principal is one of these kinds (`user`, `client`). Default: any kind. */
  principalKinds?: readonly PrincipalKind[];
  /** The principal has at least one of these roles. Default: no role needed. */
  anyRole?: readonly string[];
  /** The principal has every one of these scopes. Default: no scope needed. */
  allScopes?: readonly string[];
  /** The principal belongs to one of these tenants. Default: any tenant (or none). */
  tenants?: readonly string[];
}

/** The GraphQL authorization settings of a BFF (web and mobile `graphql.authorization`, partner `routes.graphql.authorization`). */
export interface GraphqlAuthorizationSettings {
  /**
   * Refuse a whole operation (403 `UNAUTHORIZED_FIELD_OR_TYPE`) when any field or type in
   * it is not authorized, instead of answering those fields with null and an error each.
   * Default false.
   */
  rejectUnauthorized?: boolean;
  /** The rules `@policy` names refer to. Default: none (a supergraph using `@policy` then fails to load). */
  policies?: Readonly<Record<string, AuthorizationPolicy>>;
}

const NonEmptyStrings = Type.Array(Type.String({ minLength: 1 }), { minItems: 1, errorMessage: 'must be a non-empty list of strings' });

export const AuthorizationPolicySchema = Type.Object(
  {
    principalKinds: Type.Optional(Type.Array(Type.Union([Type.Literal('user'), Type.Literal('client')]), { minItems: 1 })),
    anyRole: Type.Optional(NonEmptyStrings),
    allScopes: Type.Optional(NonEmptyStrings),
    tenants: Type.Optional(NonEmptyStrings),
  },
  { additionalProperties: false },
);

export const GraphqlAuthorizationSettingsSchema = Type.Object(
  {
    rejectUnauthorized: Type.Optional(Type.Boolean({ default: false, description: 'Refuse a whole operation with an unauthorized field (403) instead of nulling the field' })),
    policies: Type.Optional(Type.Record(Type.String(), AuthorizationPolicySchema, { description: 'The rules `@policy` names refer to' })),
  },
  { additionalProperties: false },
);

/** Pure validation of the settings, as readable sentences. */
export function validateAuthorizationSettings(settings: GraphqlAuthorizationSettings, where = 'graphql.authorization'): string[] {
  return checkSettings(GraphqlAuthorizationSettingsSchema, settings, where);
}

/** Policy names the supergraph references that the BFF does not declare; loading must fail when any. */
export function undeclaredPolicies(rules: AuthorizationRules, policies: Readonly<Record<string, AuthorizationPolicy>> = {}): string[] {
  return [...rules.policyNames].filter((name) => !Object.hasOwn(policies, name)).sort();
}

/** Throws a load error naming every policy the supergraph references and the BFF does not declare. */
export function assertPoliciesDeclared(rules: AuthorizationRules, policies: Readonly<Record<string, AuthorizationPolicy>> = {}): void {
  const missing = undeclaredPolicies(rules, policies);
  if (missing.length > 0) throw new Error(`the supergraph uses @policy name(s) this BFF does not declare: ${missing.join(', ')} (declare them in its authorization.policies)`);
}

/** Pure: whether `principal` passes `policy`. */
export function principalPassesPolicy(policy: AuthorizationPolicy, principal: Principal | undefined): boolean {
  if (!principal) return false;
  if (policy.principalKinds && !policy.principalKinds.includes(principal.kind)) return false;
  if (policy.anyRole && !policy.anyRole.some((role) => principal.roles.includes(role))) return false;
  if (policy.allScopes && !policy.allScopes.every((scope) => principal.scopes.includes(scope))) return false;
  if (policy.tenants && (principal.tenant === undefined || !policy.tenants.includes(principal.tenant))) return false;
  return true;
}

/** Pure: whether `principal` meets every clause. An anonymous caller meets none (`@requiresScopes` and `@policy` imply `@authenticated`). */
export function principalMeets(clauses: readonly AuthorizationClause[], principal: Principal | undefined, policies: Readonly<Record<string, AuthorizationPolicy>>): boolean {
  for (const clause of clauses) {
    if (!principal) return false;
    if (clause.kind === 'scopes' && !clause.anyOf.some((all) => all.every((scope) => principal.scopes.includes(scope)))) return false;
    if (clause.kind === 'policies' && !clause.anyOf.some((all) => all.every((name) => policies[name] !== undefined && principalPassesPolicy(policies[name], principal)))) return false;
  }
  return true;
}
