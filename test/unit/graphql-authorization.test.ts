/**
 * The pure core of GraphQL authorization on a composed test supergraph: reading the
 * rules (and handing Apollo Gateway a loadable SDL), each directive form, OR/AND,
 * interfaces, unions, fragments, non-null bubbling, policies, and linear work.
 */
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { parse, print, validate, specifiedRules } from 'graphql';
import { readFileSync } from 'node:fs';
import { authorizeOperation, touchesAuthorizationRules } from '../../shared/graphql/authorization/authorize-operation';
import { DEFAULT_SUPERGRAPH_PATH } from '../../bffs/supergraph-file';
import { completeUnauthorizedFields } from '../../shared/graphql/authorization/complete-unauthorized';
import { principalPassesPolicy, undeclaredPolicies, validateAuthorizationSettings, type AuthorizationPolicy } from '../../shared/graphql/authorization/authorization-policies';
import { prepareSupergraph } from '../../shared/graphql/authorization/supergraph-authorization';
import type { Principal } from '../../shared/policies/authn/principal';

const SUBGRAPH = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
type Query {
  public: String
  me: User @authenticated
  users: [User!]! @requiresScopes(scopes: [["users:read", "users:list"], ["admin"]])
  staffOnly: String @policy(policies: [["staff"]])
  node(id: ID!): Node
  search: [Result!]!
  secret: Secret
  level: Level
}
type User implements Node @key(fields: "id") { id: ID! name: String email: String @requiresScopes(scopes: [["pii"]]) since: String! @authenticated }
type Invoice implements Node @key(fields: "id") @requiresScopes(scopes: [["billing"]]) { id: ID! amount: Int }
interface Node { id: ID! }
union Result = User | Invoice
scalar Secret @authenticated
enum Level @policy(policies: [["staff"]]) { LOW HIGH }
`;

function compose(): string {
  const result = composeServices([{ name: 'a', url: 'http://127.0.0.1/graphql', typeDefs: parse(SUBGRAPH) }]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

const SUPERGRAPH = compose();
const prepared = prepareSupergraph(SUPERGRAPH);
const POLICIES: Record<string, AuthorizationPolicy> = { staff: { principalKinds: ['user'], anyRole: ['staff'] } };

function principal(overrides: Partial<Principal> = {}): Principal {
  return { kind: 'user', id: '1', scopes: [], roles: [], plan: 'default', method: 'jwt', ...overrides };
}

function authorize(query: string, who: Principal | undefined, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  expect(validate(prepared.apiSchema, document, specifiedRules)).toEqual([]);
  return authorizeOperation(prepared, POLICIES, document, undefined, variables, who);
}

describe('prepareSupergraph', () => {
  it('reads every directive form and hands the gateway a supergraph without the security links', () => {
    expect(() => Supergraph.build(SUPERGRAPH)).toThrow(/is for: SECURITY but is unsupported/);
    expect(prepared.gatewaySdl).not.toMatch(/authenticated|requiresScopes|@policy|policy__|specs\.apollo\.dev\/(authenticated|policy)/);
    expect(() => Supergraph.build(prepared.gatewaySdl)).not.toThrow();
    expect(prepared.rules.fields.get('Query.users')).toEqual([{ kind: 'scopes', anyOf: [['users:read', 'users:list'], ['admin']] }]);
    expect(prepared.rules.fields.get('Query.me')).toEqual([{ kind: 'authenticated' }]);
    expect(prepared.rules.types.get('Invoice')).toEqual([{ kind: 'scopes', anyOf: [['billing']] }]);
    expect(prepared.rules.types.get('Secret')).toEqual([{ kind: 'authenticated' }]);
    expect(prepared.rules.types.get('Level')).toEqual([{ kind: 'policies', anyOf: [['staff']] }]);
    // Composition carries implementations' rules onto their interface.
    expect(prepared.rules.types.get('Node')).toEqual([{ kind: 'scopes', anyOf: [['billing']] }]);
    expect([...prepared.rules.policyNames]).toEqual(['staff']);
  });

  it('follows a renamed feature (`as:`) and leaves a supergraph without rules as it is', () => {
    const renamed = SUPERGRAPH.replace('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)', '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn", for: SECURITY)').replace(/@authenticated\b/g, '@signedIn');
    expect(prepareSupergraph(renamed).rules.fields.get('Query.me')).toEqual([{ kind: 'authenticated' }]);
    const plain = prepared.gatewaySdl;
    expect(prepareSupergraph(plain).gatewaySdl).toBe(plain);
  });

  it('refuses text that is not a supergraph', () => {
    expect(() => prepareSupergraph('type Query { a: String }')).toThrow();
    expect(() => prepareSupergraph('{')).toThrow();
  });
});

describe('policies', () => {
  it('requires every condition given and refuses anonymous callers', () => {
    const policy: AuthorizationPolicy = { principalKinds: ['user'], anyRole: ['support', 'admin'], allScopes: ['a', 'b'], tenants: ['retail'] };
    expect(principalPassesPolicy(policy, principal({ roles: ['admin'], scopes: ['a', 'b'], tenant: 'retail' }))).toBe(true);
    expect(principalPassesPolicy(policy, principal({ roles: ['admin'], scopes: ['a'], tenant: 'retail' }))).toBe(false);
    expect(principalPassesPolicy(policy, principal({ roles: ['customer'], scopes: ['a', 'b'], tenant: 'retail' }))).toBe(false);
    expect(principalPassesPolicy(policy, principal({ roles: ['admin'], scopes: ['a', 'b'], tenant: 'other' }))).toBe(false);
    expect(principalPassesPolicy(policy, principal({ kind: 'client', roles: ['admin'], scopes: ['a', 'b'], tenant: 'retail' }))).toBe(false);
    expect(principalPassesPolicy({}, undefined)).toBe(false);
  });

  it('names policies the supergraph uses and the BFF does not declare, and validates settings', () => {
    expect(undeclaredPolicies(prepared.rules, {})).toEqual(['staff']);
    expect(undeclaredPolicies(prepared.rules, POLICIES)).toEqual([]);
    expect(validateAuthorizationSettings({ rejectUnauthorized: 'yes' as unknown as boolean, policies: { p: { anyRole: [], colour: ['x'] } as AuthorizationPolicy }, extra: 1 } as never)).toEqual([
      "graphql.authorization: unknown key 'extra'",
      'graphql.authorization.rejectUnauthorized must be a boolean, got "yes"',
      "graphql.authorization.policies.p: unknown key 'colour'",
      'graphql.authorization.policies.p.anyRole must be a non-empty list of strings, got []',
    ]);
  });
});

describe('authorizeOperation', () => {
  it('returns the document unchanged when everything is allowed', () => {
    const document = parse('{ public me { id } }');
    const outcome = authorizeOperation(prepared, POLICIES, document, undefined, {}, principal());
    expect(outcome.denied).toEqual([]);
    expect(outcome.document).toBe(document);
  });

  it.each([
    ['@authenticated, anonymous', '{ me { id } }', undefined, ['Query.me']],
    ['@authenticated, signed in', '{ me { id } }', principal(), []],
    ['@requiresScopes, first AND list', '{ users { id } }', principal({ scopes: ['users:read', 'users:list'] }), []],
    ['@requiresScopes, half of an AND list', '{ users { id } }', principal({ scopes: ['users:read'] }), ['Query.users']],
    ['@requiresScopes, second OR branch', '{ users { id } }', principal({ scopes: ['admin'] }), []],
    ['@policy met', '{ staffOnly }', principal({ roles: ['staff'] }), []],
    ['@policy not met', '{ staffOnly }', principal({ roles: ['customer'] }), ['Query.staffOnly']],
    ['@authenticated scalar', '{ secret }', undefined, ['Query.secret']],
    ['@policy enum', '{ level }', principal(), ['Query.level']],
    // Composition copies an implementation's type-level rule onto the interface: any field returning it needs it.
    ['interface returning a protected implementation', '{ node(id: "1") { ... on User { name } } }', principal(), ['Query.node']],
    ['type-level rule met through the interface', '{ node(id: "1") { id ... on Invoice { amount } } }', principal({ scopes: ['billing'] }), []],
    ['union member with a type-level rule', '{ search { ... on User { name } ... on Invoice { amount } } }', principal(), ['Invoice']],
    ['union member rule met', '{ search { ... on User { name } ... on Invoice { amount } } }', principal({ scopes: ['billing'] }), []],
    // Unions carry no rule of their own: each member's rule applies to the fragments on it.
    ['abstract types for anonymous callers', '{ node(id: "1") { __typename } search { __typename ... on Invoice { id } } }', undefined, ['Query.node', 'Invoice']],
  ])('%s', (_name, query, who, denied) => {
    expect(authorize(query, who).denied).toEqual(denied);
  });

  it('reduces a named fragment once however often it is spread, and keeps the document valid', () => {
    const outcome = authorize('{ a: me { ...U } b: me { ...U } c: search { ...U } } fragment U on User { id email }', principal());
    expect(outcome.denied).toEqual(['User.email']);
    const printed = print(outcome.document);
    expect(printed.match(/fragment U on User/g)).toHaveLength(1);
    expect(validate(prepared.apiSchema, outcome.document, specifiedRules).filter((e) => !/never used/.test(e.message))).toEqual([]);
    expect(printed).not.toMatch(/email/);
  });

  it('stays linear on a deep chain of fragments each spread twice', () => {
    const depth = 200;
    const fragments = Array.from({ length: depth }, (_, i) => `fragment F${i} on User { id email ${i + 1 < depth ? `...F${i + 1} ...F${i + 1}` : ''} }`).join('\n');
    const started = performance.now();
    const outcome = authorize(`{ me { ...F0 } } ${fragments}`, principal());
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(outcome.denied).toEqual(['User.email']);
  });

  it('drops fields excluded by @skip/@include instead of judging them', () => {
    expect(authorize('query($yes: Boolean!) { public users @include(if: $yes) { id } }', principal(), { yes: false }).denied).toEqual([]);
    expect(authorize('query($yes: Boolean!) { public users @include(if: $yes) { id } }', principal(), { yes: true }).denied).toEqual(['Query.users']);
  });
});

describe('completeUnauthorizedFields', () => {
  it('puts a null and an error at each path, through aliases and lists', () => {
    const outcome = authorize('{ me { id mail: email } }', principal());
    const { data, errors } = completeUnauthorizedFields(outcome, { me: { id: '1' } });
    expect(data).toEqual({ me: { id: '1', mail: null } });
    expect(errors).toEqual([{ message: 'Unauthorized field or type', path: ['me', 'mail'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
  });

  it('bubbles a non-null null to the nearest nullable parent', () => {
    const outcome = authorize('{ public users { id since } }', undefined);
    // users itself is denied (non-null): the whole data is null.
    expect(completeUnauthorizedFields(outcome, { public: 'x' }).data).toBeNull();
    const own = authorize('{ public me { id since } }', undefined);
    expect(completeUnauthorizedFields(own, { public: 'x' }).data).toEqual({ public: 'x', me: null });
  });

  it('places nulls only on objects of the denied fragment’s type, and strips the runtime type it asked for', () => {
    const outcome = authorize('{ search { ... on User { name } ... on Invoice { amount } } }', principal());
    const reduced = print(outcome.document);
    expect(reduced).toMatch(/_porticoAuthzType: __typename/);
    const { data, errors } = completeUnauthorizedFields(outcome, { search: [{ _porticoAuthzType: 'User', name: 'Ada' }, { _porticoAuthzType: 'Invoice' }] });
    expect(data).toEqual({ search: [{ name: 'Ada' }, { amount: null }] });
    expect(errors.map((e) => e.path)).toEqual([['search', 1, 'amount']]);
  });
});

describe('touchesAuthorizationRules (the per-document fast path)', () => {
  const demo = prepareSupergraph(readFileSync(DEFAULT_SUPERGRAPH_PATH, 'utf8'));
  const touches = (query: string) => touchesAuthorizationRules(demo, parse(query));

  it('lets documents that meet no rule skip authorization', () => {
    expect(touches('{ topProducts(first: 5) { name price reviews { body author { username } } } }')).toBe(false);
    expect(touches('{ user(id: "1") { id name reviews { product { upc } } } }')).toBe(false);
  });

  it('sends every document that meets a rule, wherever it meets it, to authorization', () => {
    expect(touches('{ users { id } }')).toBe(true);
    expect(touches('{ me { email } }')).toBe(true);
    expect(touches('{ me { ...F } } fragment F on User { orders { id } }')).toBe(true);
    expect(touches('{ me { ... on User { createdAt } } }')).toBe(true);
    expect(touches('query A { topProducts { name } } query B { order(id: "1") { id } }')).toBe(true);
    // Skipped selections count too: the check is about the document, not one execution of it.
    expect(touches('{ me { email @skip(if: true) name } }')).toBe(true);
  });
});
