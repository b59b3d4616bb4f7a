/**
 * The web BFF over the real demo subgraphs on 127.0.0.1: cross-subgraph queries,
 * request ids, and every bad-input and upstream-failure case answering with a clear code.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SUPERGRAPH_PATH } from '../../bffs/supergraph-file';
import { startWebBff, waitForReady, waitForSupergraph, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startRecordingUpstream, unusedPort, type RecordingUpstream } from '../helpers/recording-upstream';
import { startSubgraphs } from '../helpers/subgraphs';
import { createTestIdentity, type TestIdentity } from '../helpers/identity';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

const CROSS_SERVICE_QUERY = `
  query UsersWithReviews {
    users(first: 3) {
      id
      name
      reviews {
        body
        product { upc name price weight inStock shippingEstimate }
      }
      orders(first: 2) { id status items { quantity product { name } } }
    }
  }
`;

describe('web BFF over the real subgraphs', () => {
  let subgraphs: Subgraphs;
  let web: RunningBff;
  let identity: TestIdentity;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    identity = await createTestIdentity();
    web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: identity.policies });
  });

  afterAll(async () => {
    await web?.close();
    await subgraphs?.close();
  });

  it('joins data from accounts, reviews, products, inventory and orders in one query', async () => {
    // The user list and everyone's orders are back-office data.
    const res = await postGraphql(web.url, CROSS_SERVICE_QUERY, undefined, identity.staff);
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
    const users = res.json.data.users;
    expect(users).toHaveLength(3);
    for (const user of users) {
      expect(typeof user.name).toBe('string');
      expect(user.reviews.length).toBeGreaterThanOrEqual(2);
      for (const review of user.reviews) {
        const p = review.product;
        expect(typeof p.name).toBe('string');
        expect(typeof p.inStock).toBe('boolean');
        // shippingEstimate is computed by inventory from price and weight owned by products.
        expect(p.shippingEstimate).toBe(p.price > 100000 ? 0 : Math.ceil(p.weight * 0.5));
      }
      for (const order of user.orders) expect(order.items[0].product.name).toEqual(expect.any(String));
    }
  });

  it('returns the same data as asking each subgraph directly', async () => {
    const res = await postGraphql(web.url, '{ user(id: "5") { id username reviews { id body } } }', undefined, identity.staff);
    const direct = await postGraphql(subgraphs.urls.accounts.replace(/\/graphql$/, ''), '{ user(id: "5") { id username } }');
    expect(res.json.data.user.username).toBe(direct.json.data.user.username);
    const reviews = await http(`${subgraphs.origins.reviews}/reviews?authorId=5&limit=100`);
    expect(res.json.data.user.reviews.map((r: { id: string }) => r.id).sort()).toEqual(reviews.json.items.map((r: { id: string }) => r.id).sort());
  });

  it('echoes a well-formed client request id and generates one otherwise', async () => {
    const kept = await postGraphql(web.url, '{ __typename }', undefined, { ...identity.staff, 'x-request-id': 'client-trace-42' });
    expect(kept.headers['x-request-id']).toBe('client-trace-42');
    const generated = await postGraphql(web.url, '{ __typename }', undefined, { ...identity.staff, 'x-request-id': 'bad id with spaces' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON with 400 INVALID_JSON and the request id', async () => {
    const res = await http(`${web.url}/graphql`, { method: 'POST', headers: { ...identity.staff, 'content-type': 'application/json' }, body: '{"query": "{ me { id } "' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ statusCode: 400, code: 'INVALID_JSON', error: 'Bad Request', message: expect.any(String), requestId: res.headers['x-request-id'] });
  });

  it('answers a GraphQL syntax error with 400 GRAPHQL_PARSE_FAILED', async () => {
    const res = await postGraphql(web.url, '{ me { id ', undefined, identity.staff);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED', requestId: res.headers['x-request-id'] });
    expect(res.text).not.toMatch(/stacktrace|at .*\.js:\d+/);
  });

  it('answers an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await postGraphql(web.url, '{ me { passwordHash } }', undefined, identity.staff);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('answers unknown routes with 404 NOT_FOUND JSON', async () => {
    const res = await http(`${web.url}/graphq1`);
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', requestId: expect.any(String) });
  });

  it('rejects bodies over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const huge = JSON.stringify({ query: `{ __typename } #${'x'.repeat(1_100_000)}` });
    const res = await http(`${web.url}/graphql`, { method: 'POST', headers: { ...identity.staff, 'content-type': 'application/json' }, body: huge });
    expect(res.status).toBe(413);
    expect(res.json.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rejects an unsupported content type with 415', async () => {
    const res = await http(`${web.url}/graphql`, { method: 'POST', headers: { ...identity.staff, 'content-type': 'application/xml' }, body: '<q/>' });
    expect(res.status).toBe(415);
    expect(res.json.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('reports ready with every subgraph reachable', async () => {
    const res = await http(`${web.url}/readyz`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.json.checks)).toEqual(expect.arrayContaining(['supergraph', 'subgraph:accounts', 'subgraph:orders']));
    expect((await http(`${web.url}/healthz`)).json).toEqual({ status: 'ok' });
  });
});

describe('web BFF with failing subgraphs', () => {
  let subgraphs: Subgraphs;
  let slow: RecordingUpstream;
  let web: RunningBff;
  let failingIdentity: TestIdentity;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    // Never answers within the gateway's 300 ms header timeout.
    slow = await startRecordingUpstream((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data":null}');
      }, 2_000);
    });
    const downPort = await unusedPort();
    failingIdentity = await createTestIdentity();
    web = await startWebBff({
      ready: false,
      policies: failingIdentity.policies,
      graphql: {
        subgraphUrls: { ...subgraphs.urls, inventory: `http://127.0.0.1:${downPort}/graphql`, orders: `${slow.origin}/graphql` },
        subgraphPools: { all: { headersTimeoutMs: 300, bodyTimeoutMs: 300 } },
      },
    });
    await waitForSupergraph(web);
  });

  afterAll(async () => {
    await web?.close();
    await slow?.close();
    await subgraphs?.close();
  });

  it('returns data from healthy subgraphs and a coded error for the unreachable one', async () => {
    const res = await postGraphql(web.url, '{ topProducts(first: 2) { upc name inStock } }', undefined, await failingIdentity.user());
    expect(res.status).toBe(200);
    // The products survive; only the unreachable subgraph's field is null, one error per product.
    expect(res.json.data.topProducts).toEqual([
      { upc: '1', name: expect.any(String), inStock: null },
      { upc: '2', name: expect.any(String), inStock: null },
    ]);
    expect(res.json.errors.map((e: { path: unknown }) => e.path)).toEqual([
      ['topProducts', 0, 'inStock'],
      ['topProducts', 1, 'inStock'],
    ]);
    for (const error of res.json.errors) expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', subgraph: 'inventory' });
    expect(res.text).not.toContain('127.0.0.1');
    expect(res.text).not.toContain('ECONNREFUSED');
  });

  it('keeps partial data when a nullable field of a failing subgraph is asked', async () => {
    // Orders are for signed-in callers: this one is user 1.
    const res = await postGraphql(web.url, '{ me { id name orders(first: 1) { id } } }', undefined, await failingIdentity.user());
    expect(res.json.data.me).toMatchObject({ id: '1', name: expect.any(String) });
    expect(res.json.errors[0].extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', subgraph: 'orders' });
    expect(res.text).not.toContain(slow.origin);
  });

  it('is not ready while a subgraph is down', async () => {
    const res = await http(`${web.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.json.checks['subgraph:inventory']).toEqual({ ok: false, detail: 'unreachable' });
    expect(res.json.checks['subgraph:accounts']).toEqual({ ok: true, detail: 'reachable' });
  });
});

describe('web BFF readiness around supergraph loading', () => {
  let dir: string;
  let subgraphs: Subgraphs;
  let web: RunningBff | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portico-supergraph-'));
    subgraphs = await startSubgraphs();
  });

  afterAll(async () => {
    await web?.close();
    await subgraphs?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves 503 until the supergraph file appears, refuses a broken one, then becomes ready', async () => {
    const supergraphPath = path.join(dir, 'supergraph.graphql');
    web = await startWebBff({ ready: false, graphql: { supergraphPath, subgraphUrls: subgraphs.urls } });

    // The first load attempt runs in the background right after start; wait for its verdict.
    let before = await http(`${web.url}/readyz`);
    for (let i = 0; i < 100 && before.json.checks.supergraph?.detail === 'loading'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      before = await http(`${web.url}/readyz`);
    }
    expect(before.status).toBe(503);
    expect(before.json.checks.supergraph).toEqual({ ok: false, detail: 'supergraph file not found' });
    const query = await postGraphql(web.url, '{ me { id } }');
    expect(query.status).toBe(503);
    expect(query.json.code).toBe('NOT_READY');
    expect(query.headers['retry-after']).toBe('1');

    await writeFile(supergraphPath, 'type Query { broken: }');
    await new Promise((r) => setTimeout(r, 200));
    const broken = await http(`${web.url}/readyz`);
    expect(broken.status).toBe(503);
    expect(broken.json.checks.supergraph).toEqual({ ok: false, detail: 'supergraph failed to load' });

    await copyFile(DEFAULT_SUPERGRAPH_PATH, supergraphPath);
    await waitForReady(web.app);
    const after = await postGraphql(web.url, '{ me { id } }');
    expect(after.json).toEqual({ data: { me: { id: '1' } } });
  });
});

describe('subgraph calls', () => {
  it('forward the request id and reuse keep-alive connections', async () => {
    const fake = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { topProducts: [{ name: 'Recorded' }] } }));
    });
    const web = await startWebBff({ ready: false, graphql: { subgraphUrls: { products: `${fake.origin}/graphql` } } });
    try {
      await waitForSupergraph(web);
      for (let i = 0; i < 3; i++) {
        const res = await postGraphql(web.url, '{ topProducts { name } }', undefined, { 'x-request-id': `trace-${i}` });
        expect(res.json).toEqual({ data: { topProducts: [{ name: 'Recorded' }] } });
      }
      const calls = fake.requests.filter((r) => r.body.includes('topProducts'));
      expect(calls.map((r) => r.headers['x-request-id'])).toEqual(['trace-0', 'trace-1', 'trace-2']);
      expect(calls.every((r) => r.url === '/graphql' && r.method === 'POST')).toBe(true);
      expect(calls.every((r) => r.headers.connection !== 'close')).toBe(true);
    } finally {
      await web.close();
      await fake.close();
    }
  });
});
