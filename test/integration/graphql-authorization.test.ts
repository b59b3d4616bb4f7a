/**
 * The supergraph's @authenticated, @requiresScopes and @policy enforced by the web BFF
 * over the real demo subgraphs: unauthorized fields are removed before planning and come
 * back null with one UNAUTHORIZED_FIELD_OR_TYPE error per path; the rest runs.
 */
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { postGraphql } from '../helpers/http';
import { startSubgraphs } from '../helpers/subgraphs';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, type TestSigner } from '../helpers/tokens';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;
type GraphqlError = { message: string; path?: Array<string | number>; extensions: { code: string } };

const UNAUTHORIZED = 'UNAUTHORIZED_FIELD_OR_TYPE';

function unauthorizedPaths(errors: GraphqlError[] | undefined): string[] {
  return (errors ?? []).filter((e) => e.extensions.code === UNAUTHORIZED).map((e) => (e.path ?? []).join('.'));
}

describe('GraphQL authorization on the web BFF', () => {
  let subgraphs: Subgraphs;
  let signer: TestSigner;
  let web: RunningBff;
  let anonymous: RunningBff;
  let rejecting: RunningBff;
  const as = async (claims: Record<string, unknown>) => ({ authorization: `Bearer ${await signer.mint(claims)}` });
  const customer = () => as({ sub: '1', roles: ['customer'] });
  const staff = () => as({ sub: '7', roles: ['customer', 'support'], scope: 'orders:read customers:read customers:pii' });

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    signer = await createTestSigner();
    const authn = { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } };
    web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: { authn } });
    anonymous = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls } });
    rejecting = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls, authorization: { rejectUnauthorized: true, policies: { backOffice: { principalKinds: ['user'], anyRole: ['support', 'admin'] } } } }, policies: { authn } });
  });

  afterAll(async () => {
    await Promise.all([web?.close(), anonymous?.close(), rejecting?.close()]);
    await subgraphs?.close();
  });

  it('removes a @requiresScopes root field for a caller without the scope and runs the rest', async () => {
    const res = await postGraphql(web.url, '{ users(first: 2) { id } topProducts(first: 1) { upc } }', undefined, await customer());
    expect(res.status).toBe(200);
    // users is non-null: its null makes the whole data null, as GraphQL execution does.
    expect(res.json.data).toBeNull();
    expect(unauthorizedPaths(res.json.errors)).toEqual(['users']);
    expect(res.json.errors[0]).toMatchObject({ message: 'Unauthorized field or type', extensions: { code: UNAUTHORIZED, requestId: expect.any(String) } });
  });

  it('serves the field to a caller holding the scope (OR of AND lists)', async () => {
    const res = await postGraphql(web.url, '{ users(first: 2) { id email } }', undefined, await staff());
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data.users).toHaveLength(2);
    expect(res.json.data.users[0].email).toMatch(/@example\.com$/);
  });

  it('needs every directive on an element: @requiresScopes AND @policy on root orders', async () => {
    const scopeOnly = await postGraphql(web.url, '{ orders(first: 1) { id } }', undefined, await as({ sub: '1', roles: ['customer'], scope: 'orders:read' }));
    expect(unauthorizedPaths(scopeOnly.json.errors)).toEqual(['orders']);
    const roleOnly = await postGraphql(web.url, '{ orders(first: 1) { id } }', undefined, await as({ sub: '7', roles: ['support'] }));
    expect(unauthorizedPaths(roleOnly.json.errors)).toEqual(['orders']);
    const both = await postGraphql(web.url, '{ orders(first: 1) { id } }', undefined, await as({ sub: '7', roles: ['support'], scope: 'orders:read' }));
    expect(both.json.errors).toBeUndefined();
    expect(both.json.data.orders).toHaveLength(1);
  });

  it('answers a nullable removed field with null at each path and keeps its siblings', async () => {
    const res = await postGraphql(web.url, '{ me { id name createdAt: name created: createdAt } product(upc: "1") { name } }', undefined, await customer());
    // createdAt is nullable (accounts resolves it under parents from other subgraphs): only it is null.
    expect(res.json.data.me).toEqual({ id: '1', name: expect.any(String), createdAt: expect.any(String), created: null });
    expect(res.json.data.product.name).toEqual(expect.any(String));
    expect(unauthorizedPaths(res.json.errors)).toEqual(['me.created']);
  });

  it('places nulls through aliases, lists, named and inline fragments', async () => {
    const query = `
      query Mine { me { ...Profile ... on User { mine: orders(first: 1) { id } } } }
      fragment Profile on User { id signedUp: createdAt reviews { author { since: createdAt } } }`;
    const res = await postGraphql(web.url, query, undefined, await customer());
    expect(res.status).toBe(200);
    const paths = unauthorizedPaths(res.json.errors);
    expect(paths).toContain('me.signedUp');
    expect(paths.some((p) => /^me\.reviews\.\d+\.author\.since$/.test(p))).toBe(true);
  });

  it('lets the owner read their own private data and refuses another user’s (the services decide)', async () => {
    const own = await postGraphql(web.url, '{ me { email orders(first: 1) { id customer { id } } } }', undefined, await customer());
    expect(own.json.errors).toBeUndefined();
    expect(own.json.data.me.email).toMatch(/@example\.com$/);
    expect(own.json.data.me.orders[0].customer.id).toBe('1');
    const other = await postGraphql(web.url, '{ user(id: "7") { name orders { id } } }', undefined, await customer());
    expect(other.json.data.user.name).toEqual(expect.any(String));
    expect(other.json.data.user.orders).toBeNull();
    expect(other.json.errors).toEqual([expect.objectContaining({ path: ['user', 'orders'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) })]);
  });

  it('applies type-level @authenticated wherever the type is returned, for anonymous callers', async () => {
    const res = await postGraphql(anonymous.url, '{ me { id name orders { id } } topProducts(first: 1) { name } }');
    expect(res.status).toBe(200);
    expect(res.json.data.me).toEqual({ id: '1', name: expect.any(String), orders: null });
    expect(res.json.data.topProducts).toHaveLength(1);
    expect(unauthorizedPaths(res.json.errors)).toEqual(['me.orders']);
    const email = await postGraphql(anonymous.url, '{ user(id: "3") { id email } }');
    // email is nullable: only it is null, the user stays.
    expect(email.json.data.user).toEqual({ id: '3', email: null });
    expect(unauthorizedPaths(email.json.errors)).toEqual(['user.email']);
  });

  it('never reuses the plan of the full operation for a reduced one (plans are cached by hash)', async () => {
    const query = '{ users(first: 1) { id } }';
    expect((await postGraphql(web.url, query, undefined, await staff())).json.data.users).toHaveLength(1);
    const denied = await postGraphql(web.url, query, undefined, await customer());
    expect(denied.json.data).toBeNull();
    expect((await postGraphql(web.url, query, undefined, await staff())).json.data.users).toHaveLength(1);
  });

  it('leaves skipped fields alone (they never run)', async () => {
    const res = await postGraphql(web.url, 'query($all: Boolean!) { me { id } users(first: 1) @include(if: $all) { id } }', { all: false }, await customer());
    expect(res.json.errors).toBeUndefined();
    expect(res.json.data).toEqual({ me: { id: '1' } });
  });

  it('refuses the whole operation with rejectUnauthorized', async () => {
    const res = await postGraphql(rejecting.url, '{ me { id } users(first: 1) { id } orders { id } }', undefined, await customer());
    expect(res.status).toBe(403);
    expect(res.json.data).toBeUndefined();
    expect(res.json.errors.map((e: GraphqlError) => e.extensions.code)).toEqual([UNAUTHORIZED, UNAUTHORIZED]);
    expect(res.json.errors.map((e: GraphqlError) => e.message)).toEqual(['Unauthorized field or type: Query.users', 'Unauthorized field or type: Query.orders']);
    const allowed = await postGraphql(rejecting.url, '{ me { id } }', undefined, await customer());
    expect(allowed.json).toEqual({ data: { me: { id: '1' } } });
  });
});
