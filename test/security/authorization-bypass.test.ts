/**
 * Attack: reading data the caller's grants do not cover, by asking for it. A user token
 * without scopes asks web for every user's email, every order and another user's orders;
 * a partner key without scopes asks for every user and another customer's orders; an app
 * asks mobile to describe hidden fields next to a data field. Each is refused with its
 * code while an ordinary request running at the same time still succeeds.
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { startMobileBff, startPartnerBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startSubgraphs } from '../helpers/subgraphs';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, type TestSigner } from '../helpers/tokens';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;
type GraphqlError = { path?: Array<string | number>; extensions: { code: string } };

const ATTACK = '{ users(first: 100) { email } orders(first: 100) { id customer { email } } user(id: "7") { email orders { id } } }';

describe('authorization bypass attempts', () => {
  let subgraphs: Subgraphs;
  let signer: TestSigner;
  let web: RunningBff;
  let mobile: RunningBff;
  let partner: RunningBff;
  const noScopes = generateApiKey({ clientId: 'nosy', plan: 'pro', scopes: [] });
  const reader = generateApiKey({ clientId: 'reader', plan: 'pro', scopes: ['customers:read', 'orders:read'] });
  const pii = generateApiKey({ clientId: 'crm', plan: 'pro', scopes: ['customers:read', 'customers:pii', 'orders:read'] });

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    signer = await createTestSigner();
    const authn = { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } };
    web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: { authn } });
    mobile = await startMobileBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: { authn } });
    partner = await startPartnerBff(Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }])), {
      policies: { authn: { apiKeys: { records: [noScopes.record, reader.record, pii.record] } } },
    });
  });

  afterAll(async () => {
    await Promise.all([web?.close(), mobile?.close(), partner?.close()]);
    await subgraphs?.close();
  });

  const userToken = async () => ({ authorization: `Bearer ${await signer.mint({ sub: '1', roles: ['customer'] })}` });

  it('web: a user token without scopes gets no email, no order list and no other user’s orders, while its own request succeeds', async () => {
    const headers = await userToken();
    const [attack, ordinary] = await Promise.all([postGraphql(web.url, ATTACK, undefined, headers), postGraphql(web.url, '{ me { id email orders(first: 1) { id } } }', undefined, headers)]);
    expect(attack.status).toBe(200);
    // users and orders are non-null lists: removing them nulls the whole data, as GraphQL does.
    expect(attack.json.data).toBeNull();
    const codes = new Map((attack.json.errors as GraphqlError[]).map((e) => [(e.path ?? []).join('.'), e.extensions.code]));
    expect(codes.get('users')).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(codes.get('orders')).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(attack.text).not.toMatch(/@example\.com/);
    expect(ordinary.status).toBe(200);
    expect(ordinary.json.errors).toBeUndefined();
    expect(ordinary.json.data.me).toMatchObject({ id: '1', email: expect.stringMatching(/@example\.com$/) });
  });

  it('web: asking for another user alone still leaks nothing personal', async () => {
    const res = await postGraphql(web.url, '{ user(id: "7") { name orders { id } } other: user(id: "7") { email } }', undefined, await userToken());
    expect(res.json.data.user).toEqual({ name: expect.any(String), orders: null });
    expect(res.json.data.other).toEqual({ email: null });
    expect((res.json.errors as GraphqlError[]).map((e) => [e.path?.join('.'), e.extensions.code]).sort()).toEqual([
      ['other.email', 'FORBIDDEN'],
      ['user.orders', 'FORBIDDEN'],
    ]);
    expect(res.text).not.toMatch(/@example\.com/);
  });

  it('web: aliases, fragments and interfaces do not get around the rules', async () => {
    const query = `{ a: me { ...Rest } ... on Query { list: users(first: 3) { id } } }
      fragment Rest on User { id ... on User { joined: createdAt } }`;
    const res = await postGraphql(web.url, query, undefined, await userToken());
    const paths = (res.json.errors as GraphqlError[]).filter((e) => e.extensions.code === 'UNAUTHORIZED_FIELD_OR_TYPE').map((e) => e.path?.join('.'));
    expect(paths.sort()).toEqual(['a.joined', 'list']);
    expect(res.json.data).toBeNull();
  });

  it('mobile: introspection next to a data field is refused (it would describe hidden fields); alone it shows the contract', async () => {
    const headers = await userToken();
    const [mixed, ordinary] = await Promise.all([
      postGraphql(mobile.url, '{ me { id } __type(name: "User") { fields { name } } }', undefined, headers),
      postGraphql(mobile.url, '{ me { id name } }', undefined, headers),
    ]);
    expect(mixed.status).toBe(400);
    expect(mixed.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(mixed.text).not.toMatch(/email|createdAt/);
    const viaFragment = await postGraphql(mobile.url, '{ me { id } ...I } fragment I on Query { __schema { types { name fields { name } } } }', undefined, headers);
    expect(viaFragment.status).toBe(400);
    expect(viaFragment.text).not.toMatch(/"email"/);
    const alone = await postGraphql(mobile.url, '{ __type(name: "User") { fields { name } } }', undefined, headers);
    expect(alone.json.data.__type.fields.map((f: { name: string }) => f.name)).not.toContain('email');
    expect(ordinary.json).toEqual({ data: { me: { id: '1', name: expect.any(String) } } });
  });

  it('partner: a key without scopes gets 403 for users and another customer’s profile and orders, while a product read succeeds', async () => {
    const headers = { 'x-api-key': noScopes.key };
    const [users, customer, products] = await Promise.all([
      http(`${partner.url}/v1/users`, { headers }),
      http(`${partner.url}/v2/customers/7`, { headers }),
      http(`${partner.url}/v2/products?limit=2`, { headers }),
    ]);
    for (const res of [users, customer]) {
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ code: 'FORBIDDEN', requestId: expect.any(String) });
      expect(res.text).not.toMatch(/@example\.com|recentOrders/);
    }
    expect(products.status).toBe(200);
    expect(products.json.data).toHaveLength(2);
  });

  it('partner: personal fields are projected out without customers:pii, and present with it', async () => {
    const without = await http(`${partner.url}/v1/users?limit=3`, { headers: { 'x-api-key': reader.key } });
    expect(without.status).toBe(200);
    for (const user of without.json.items) {
      expect(user).toEqual({ id: expect.any(String), username: expect.any(String), name: expect.any(String) });
    }
    const order = await http(`${partner.url}/v1/orders/3`, { headers: { 'x-api-key': reader.key } });
    expect(order.json.customer_email).toBeNull();
    const withPii = await http(`${partner.url}/v1/users/7`, { headers: { 'x-api-key': pii.key } });
    expect(withPii.json.email).toMatch(/@example\.com$/);
    const profile = await http(`${partner.url}/v2/customers/7`, { headers: { 'x-api-key': reader.key } });
    expect(profile.status).toBe(200);
    expect(profile.json.recentOrders.length).toBeGreaterThan(0);
    expect(profile.json.email).toBeUndefined();
  });
});
