/**
 * The demo upstream services over real HTTP: each subgraph's GraphQL endpoint, entity
 * batching, and the REST routes the partner facade passes through to.
 */
import { http, postGraphql } from '../helpers/http';
import { STAFF_IDENTITY_HEADERS } from '../helpers/identity';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

let subgraphs: RunningSubgraphs;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
});

afterAll(async () => {
  await subgraphs?.close();
});

function graphqlOrigin(name: keyof RunningSubgraphs['urls']): string {
  return subgraphs.origins[name];
}

describe('subgraph GraphQL endpoints', () => {
  it('serve their federation SDL', async () => {
    const res = await postGraphql(graphqlOrigin('inventory'), '{ _service { sdl } }');
    expect(res.json.data._service.sdl).toContain('shippingEstimate: Int @requires(fields: "price weight")');
  });

  it('resolve entity references in one batch per request', async () => {
    await http(`${graphqlOrigin('accounts')}/__stats/reset`, { method: 'POST' });
    const representations = Array.from({ length: 25 }, (_, i) => ({ __typename: 'User', id: String(i + 1) }));
    const res = await postGraphql(graphqlOrigin('accounts'), 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id username } } }', { r: representations });
    expect(res.json.data._entities).toHaveLength(25);
    expect(res.json.data._entities[24]).toEqual({ id: '25', username: expect.any(String) });
    const stats = (await http(`${graphqlOrigin('accounts')}/__stats`)).json;
    expect(stats).toEqual({ graphqlRequests: 1, loaders: { User: { batches: 1, keys: 25 } } });
  });

  it('batch list fields across every entity in a request', async () => {
    await http(`${graphqlOrigin('reviews')}/__stats/reset`, { method: 'POST' });
    const representations = Array.from({ length: 10 }, (_, i) => ({ __typename: 'Product', upc: String(i + 1) }));
    const res = await postGraphql(graphqlOrigin('reviews'), 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { reviews { id author { id } } } } }', { r: representations });
    expect(res.json.data._entities.every((p: { reviews: unknown[] }) => p.reviews.length >= 3)).toBe(true);
    expect((await http(`${graphqlOrigin('reviews')}/__stats`)).json.loaders).toEqual({ 'Product.reviews': { batches: 1, keys: 10 } });
  });

  it('compute shipping estimates from the price and weight the gateway supplies', async () => {
    const res = await postGraphql(graphqlOrigin('inventory'), 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { upc inStock shippingEstimate } } }', {
      r: [
        { __typename: 'Product', upc: '1', price: 150_000, weight: 3000 },
        { __typename: 'Product', upc: '2', price: 1999, weight: 1001 },
        { __typename: 'Product', upc: 'unknown', price: 10, weight: 10 },
      ],
    });
    expect(res.json.data._entities.map((p: { shippingEstimate: number }) => p.shippingEstimate)).toEqual([0, 501, 5]);
    expect(res.json.data._entities[2].inStock).toBe(false);
  });

  it('reject out-of-range paging with BAD_USER_INPUT', async () => {
    const res = await postGraphql(graphqlOrigin('accounts'), '{ users(first: 101) { id } }');
    expect(res.json.errors[0]).toMatchObject({ message: "Argument 'first' must be between 0 and 100.", extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('answer parse and validation errors with 400 and a code', async () => {
    const parseError = await postGraphql(graphqlOrigin('products'), '{ topProducts {');
    expect(parseError.status).toBe(400);
    expect(parseError.json.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await postGraphql(graphqlOrigin('products'), '{ topProducts { secret } }');
    expect(invalid.status).toBe(400);
    expect(invalid.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const missing = await http(`${graphqlOrigin('products')}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(400);
    expect(missing.json.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('answer me with the user the gateway asserts, none for API-key clients, user 1 without identity', async () => {
    expect((await postGraphql(graphqlOrigin('accounts'), '{ me { id } }', undefined, { 'x-user-id': '12', 'x-principal-kind': 'user' })).json.data.me).toEqual({ id: '12' });
    expect((await postGraphql(graphqlOrigin('accounts'), '{ me { id } }', undefined, { 'x-principal-kind': 'client', 'x-client-id': 'acme' })).json.data.me).toBeNull();
    expect((await postGraphql(graphqlOrigin('accounts'), '{ me { id } }')).json.data.me).toEqual({ id: '1' });
  });

  it('accept queries over GET', async () => {
    const res = await http(`${graphqlOrigin('products')}/graphql?query=${encodeURIComponent('query($n: Int) { topProducts(first: $n) { upc } }')}&variables=${encodeURIComponent('{"n":2}')}`);
    expect(res.json).toEqual({ data: { topProducts: [{ upc: '1' }, { upc: '2' }] } });
  });

  it('list a user\'s orders most recent first', async () => {
    // As the gateway calls it for a back-office user: anyone's orders.
    const res = await postGraphql(graphqlOrigin('orders'), '{ _entities(representations: [{ __typename: "User", id: "4" }]) { ... on User { orders { id createdAt } } } }', undefined, { ...STAFF_IDENTITY_HEADERS });
    const dates = res.json.data._entities[0].orders.map((o: { createdAt: string }) => o.createdAt);
    expect(dates.length).toBeGreaterThan(0);
    expect([...dates].sort().reverse()).toEqual(dates);
  });
});

describe('subgraph REST endpoints', () => {
  it('page lists with total, offset and limit', async () => {
    const res = await http(`${subgraphs.origins.products}/products?offset=5&limit=10`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ total: 40, offset: 5, limit: 10 });
    expect(res.json.items.map((p: { upc: string }) => p.upc)).toEqual(['6', '7', '8', '9', '10', '11', '12', '13', '14', '15']);
    const defaults = await http(`${subgraphs.origins.accounts}/users`);
    expect(defaults.json).toMatchObject({ total: 60, offset: 0, limit: 20 });
    expect(defaults.json.items).toHaveLength(20);
  });

  it('reject bad paging with 400 naming the parameter', async () => {
    for (const query of ['limit=101', 'limit=-1', 'offset=abc', 'limit=1&limit=2']) {
      const res = await http(`${subgraphs.origins.reviews}/reviews?${query}`);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ statusCode: 400, code: 'BAD_REQUEST', message: expect.stringMatching(/'(limit|offset)'/) });
    }
  });

  it('filter lists by id and by owner', async () => {
    const users = await http(`${subgraphs.origins.accounts}/users?ids=3,1,999`);
    expect(users.json.items.map((u: { id: string }) => u.id)).toEqual(['3', '1']);
    const stock = await http(`${subgraphs.origins.inventory}/inventory?upcs=2,4`);
    expect(stock.json.items).toEqual([expect.objectContaining({ upc: '2', inStock: expect.any(Boolean) }), expect.objectContaining({ upc: '4' })]);
    const byAuthor = await http(`${subgraphs.origins.reviews}/reviews?authorId=7&limit=100`);
    expect(byAuthor.json.items.length).toBeGreaterThanOrEqual(2);
    expect(byAuthor.json.items.every((r: { authorId: string }) => r.authorId === '7')).toBe(true);
    const orders = await http(`${subgraphs.origins.orders}/orders?customerId=7`, { headers: { ...STAFF_IDENTITY_HEADERS } });
    expect(orders.json.items.every((o: { customerId: string }) => o.customerId === '7')).toBe(true);
  });

  it('answer unknown records with 404 NOT_FOUND', async () => {
    for (const path of [`${subgraphs.origins.accounts}/users/999`, `${subgraphs.origins.products}/products/abc`, `${subgraphs.origins.orders}/orders/0`]) {
      const res = await http(path);
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: expect.stringContaining('was not found'), requestId: expect.any(String) });
    }
  });

  it('create orders priced from the catalogue and serve them back', async () => {
    const product = (await http(`${subgraphs.origins.products}/products/5`)).json;
    const created = await http(`${subgraphs.origins.orders}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: '9', items: [{ productUpc: '5', quantity: 3 }] }),
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ customerId: '9', status: 'PENDING', items: [{ productUpc: '5', quantity: 3, unitPriceCents: product.price }], totalCents: 3 * product.price });
    expect(created.headers.location).toBe(`/orders/${created.json.id}`);
    expect((await http(`${subgraphs.origins.orders}${created.headers.location}`, { headers: { ...STAFF_IDENTITY_HEADERS } })).json).toEqual(created.json);
    const latest = await postGraphql(subgraphs.origins.orders, '{ _entities(representations: [{ __typename: "User", id: "9" }]) { ... on User { orders(first: 1) { id } } } }', undefined, { ...STAFF_IDENTITY_HEADERS });
    expect(latest.json.data._entities[0].orders[0].id).toBe(created.json.id);
  });

  it('reject invalid orders with a clear error and create nothing', async () => {
    const before = (await http(`${subgraphs.origins.orders}/orders?limit=1`, { headers: { ...STAFF_IDENTITY_HEADERS } })).json.total;
    const cases: Array<[unknown, number, string]> = [
      [{ customerId: '1', items: [] }, 400, 'VALIDATION_FAILED'],
      [{ customerId: '1', items: [{ productUpc: '1', quantity: 0 }] }, 400, 'VALIDATION_FAILED'],
      [{ customerId: '1', items: [{ productUpc: '1', quantity: 1 }], admin: true }, 400, 'VALIDATION_FAILED'],
      [{ customerId: '999', items: [{ productUpc: '1', quantity: 1 }] }, 422, 'UNKNOWN_CUSTOMER'],
      [{ customerId: '1', items: [{ productUpc: 'nope', quantity: 1 }] }, 422, 'UNKNOWN_PRODUCT'],
      [{ customerId: '1', items: [{ productUpc: '1', quantity: 1 }, { productUpc: '1', quantity: 2 }] }, 422, 'DUPLICATE_ITEM'],
    ];
    for (const [body, status, code] of cases) {
      const res = await http(`${subgraphs.origins.orders}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect({ status: res.status, code: res.json.code }).toEqual({ status, code });
    }
    const malformed = await http(`${subgraphs.origins.orders}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"customerId":' });
    expect(malformed.status).toBe(400);
    expect(malformed.json.code).toBe('INVALID_JSON');
    expect((await http(`${subgraphs.origins.orders}/orders?limit=1`, { headers: { ...STAFF_IDENTITY_HEADERS } })).json.total).toBe(before);
  });

  it('report health with the service name', async () => {
    expect((await http(`${subgraphs.origins.inventory}/healthz`)).json).toEqual({ status: 'ok', service: 'inventory' });
  });
});
