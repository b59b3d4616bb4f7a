/**
 * Direct execution against Apollo Server's request pipeline, over the real demo subgraphs:
 * two web BFFs on Portico's executor, one with direct execution off, answer the same
 * requests in the same order, and every answer must be the same (status, the headers a
 * client reads, body bytes with request ids aside). Each request is sent three times: the
 * first admits the operation, the next ones take the direct path where they may.
 *
 * The cases are where the direct path could go wrong: callers with fewer rights than the
 * one whose request admitted the document, variables that change the cost past the limit
 * or fail their definitions, a cost charge the rate limit refuses, request shapes and
 * `Accept` headers Apollo Server treats specially, subgraph errors and a killed subgraph.
 */
import { FEDERATION_BENCHMARK_QUERY, HEAVY_QUERY, LIGHT_QUERY } from '../bench/contestants';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http, type HttpResult } from '../helpers/http';
import { createTestIdentity, type TestIdentity } from '../helpers/identity';
import { metricValue } from '../helpers/metrics';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

/**
 * Headers whose values a client may act on. The rate-limit reset and retry are times, so
 * they are compared as present or not; the remaining budget is compared only on a plan
 * slow enough that no unit comes back during the test (the two BFFs see each request at
 * slightly different times).
 */
const COMPARED_HEADERS = ['content-type', 'cache-control', 'ratelimit-limit', 'allow'];
const PRESENCE_HEADERS = ['retry-after', 'ratelimit-reset'];

function comparable(res: HttpResult, exactBudget: boolean) {
  const headers: Record<string, unknown> = {};
  for (const name of exactBudget ? [...COMPARED_HEADERS, 'ratelimit-remaining'] : COMPARED_HEADERS) headers[name] = res.headers[name];
  for (const name of PRESENCE_HEADERS) headers[name] = res.headers[name] !== undefined;
  return { status: res.status, headers, body: res.text.replace(/"requestId":"[^"]*"/g, '"requestId":"-"').replace(/retry in \d+ s/g, 'retry in - s') };
}

interface Sent {
  body: unknown;
  headers?: Record<string, string>;
  /** The caller is on the `tight` plan: the remaining budget must match exactly. */
  exactBudget?: boolean;
}

describe("direct execution answers exactly as Apollo Server's request pipeline", () => {
  let identity: TestIdentity;
  let subgraphs: RunningSubgraphs;
  let viaApollo: RunningBff;
  let direct: RunningBff;

  const directRequests = async () => metricValue(await direct.app.metrics.registry.metrics(), 'portico_graphql_requests_total', { pipeline: 'direct' }) ?? 0;

  /** Sends `sent` to both BFFs `times` times, in step, and expects the same answers; returns the direct BFF's answers. */
  async function expectSame(sent: Sent, times = 3): Promise<HttpResult[]> {
    const answers: HttpResult[] = [];
    for (let i = 0; i < times; i++) {
      const init = { method: 'POST', headers: { 'content-type': 'application/json', ...sent.headers }, body: typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body) };
      const [a, d] = await Promise.all([http(`${viaApollo.url}/graphql`, init), http(`${direct.url}/graphql`, init)]);
      expect({ attempt: i, ...comparable(d, sent.exactBudget ?? false) }).toEqual({ attempt: i, ...comparable(a, sent.exactBudget ?? false) });
      answers.push(d);
    }
    return answers;
  }

  beforeAll(async () => {
    identity = await createTestIdentity();
    subgraphs = await startSubgraphs();
    const start = (directExecution: boolean) =>
      startWebBff({
        graphql: { subgraphUrls: subgraphs.urls, directExecution, limits: { maxCost: 100_000 }, costPerRateLimitUnit: 100 },
        // The `tight` plan is the budget the costly case runs out of: 400 a day, so no unit comes back during the test.
        policies: {
          ...identity.policies,
          rateLimit: { perIp: false, plans: { default: { limit: 1_000_000, windowMs: 86_400_000 }, tight: { limit: 400, windowMs: 86_400_000 } } },
        },
      });
    [viaApollo, direct] = await Promise.all([start(false), start(true)]);
  });

  afterAll(async () => {
    await Promise.all([viaApollo?.close(), direct?.close()]);
    await subgraphs?.close();
  });

  it.each([
    ['the light query', LIGHT_QUERY],
    ['the heavy query', HEAVY_QUERY],
    ['the federation benchmark query', FEDERATION_BENCHMARK_QUERY],
  ])('%s: answered directly once admitted', async (_name, query) => {
    const headers = await identity.user();
    const before = await directRequests();
    const [first] = await expectSame({ body: { query }, headers });
    expect(first!.status).toBe(200);
    expect(await directRequests()).toBe(before + 2);
  });

  it('variables, defaults, skip and include: each set of variables answered as Apollo Server answers it', async () => {
    const headers = await identity.user();
    const query = `query Cond($withReviews: Boolean!, $skipPrice: Boolean = true, $n: Int = 2) {
      topProducts(first: $n) { upc price @skip(if: $skipPrice) reviews @include(if: $withReviews) { body } shippingEstimate @skip(if: $withReviews) } }`;
    await expectSame({ body: { query, variables: { withReviews: true } }, headers });
    await expectSame({ body: { query, variables: { withReviews: false, skipPrice: false, n: 3 }, operationName: 'Cond' }, headers });
    await expectSame({ body: { query, variables: { withReviews: false, skipPrice: null, n: 1 }, operationName: null }, headers });
  });

  it('hands variables its definitions refuse to Apollo Server (400), after the same document was admitted', async () => {
    const headers = await identity.user();
    const query = 'query V($n: Int!) { topProducts(first: $n) { upc } }';
    await expectSame({ body: { query, variables: { n: 2 } }, headers });
    const before = await directRequests();
    const [refused] = await expectSame({ body: { query, variables: { n: 'three' } }, headers });
    expect(refused!.status).toBe(400);
    await expectSame({ body: { query, variables: {} }, headers });
    await expectSame({ body: { query }, headers });
    expect(await directRequests()).toBe(before);
  });

  it("never serves a document admitted for staff to a caller with fewer rights: authorization runs per request", async () => {
    const query = '{ users(first: 2) { id username email } topProducts(first: 1) { name } }';
    const before = await directRequests();
    const [staff] = await expectSame({ body: { query }, headers: identity.staff });
    expect(staff!.json).toMatchObject({ data: { users: [{ id: expect.any(String) }, { id: expect.any(String) }] } });
    expect(await directRequests()).toBe(before + 2);
    const [user] = await expectSame({ body: { query }, headers: await identity.user() });
    expect((user!.json as { errors?: unknown[] }).errors?.length).toBeGreaterThan(0);
    const [anonymous] = await expectSame({ body: { query } });
    expect(anonymous!.status).toBe(401);
    expect(await directRequests()).toBe(before + 2);
  });

  it('measures the cost with each request\'s variables: a larger list past the limit is refused', async () => {
    const headers = await identity.user();
    const query = 'query Reviews($n: Int!) { topProducts(first: $n) { reviews { author { username } } } }';
    await expectSame({ body: { query, variables: { n: 1 } }, headers });
    const [refused] = await expectSame({ body: { query, variables: { n: 5_000 } }, headers });
    expect(refused!.status).toBe(400);
    expect(refused!.json).toMatchObject({ errors: [{ extensions: { code: 'OPERATION_TOO_COSTLY' } }] });
  });

  it('charges the cost once, and answers a refused charge as Apollo Server does (429, no unit taken twice)', async () => {
    // Its own caller on a small plan: cost 1 + 20 x (1 + 20 x 2) = 821 -> 9 units of 400.
    const headers = await identity.user({ sub: 'costly', plan: 'tight' } as { sub: string });
    const answers = await expectSame({ body: { query: '{ topProducts(first: 20) { reviews { author { username } } } }' }, headers, exactBudget: true }, 50);
    const statuses = answers.map((a) => a.status);
    // 44 x 9 = 396 units; then the door's unit is taken and the cost charge refused, until the door refuses too.
    expect(statuses.slice(0, 44)).toEqual(Array(44).fill(200));
    expect(statuses.slice(44)).toEqual(Array(6).fill(429));
    expect(answers[44]!.json).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED', cost: 821 } }] });
    expect(answers.at(-1)!.json).toMatchObject({ code: 'RATE_LIMITED', statusCode: 429 });
  });

  it.each([
    ['no Accept header', {}],
    ['application/graphql-response+json', { accept: 'application/graphql-response+json' }],
    ['both, JSON preferred', { accept: 'application/json, application/graphql-response+json;q=0.9' }],
    ['anything', { accept: '*/*' }],
    ['HTML only (refused, 406)', { accept: 'text/html' }],
    ['a charset parameter on the request', { 'content-type': 'application/json; charset=utf-8' }],
  ])('Accept and Content-Type: %s', async (_name, extra) => {
    await expectSame({ body: { query: LIGHT_QUERY }, headers: { ...(await identity.user()), ...extra } });
  });

  it.each([
    ['an operation name that names no operation', { query: LIGHT_QUERY, operationName: 'Nope' }],
    ['an empty operation name', { query: LIGHT_QUERY, operationName: '' }],
    ['an operation name that is not a GraphQL name', { query: LIGHT_QUERY, operationName: '\u0001' }],
    ['variables that are not an object', { query: LIGHT_QUERY, variables: [1] }],
    ['variables as a JSON string', { query: LIGHT_QUERY, variables: '{}' }],
    ['an empty extensions object', { query: LIGHT_QUERY, extensions: {} }],
    ['a persisted-query extension with a wrong hash', { query: LIGHT_QUERY, extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }],
    ['an empty query', { query: '' }],
    ['a query that is not a string', { query: 42 }],
    ['a batch', [{ query: LIGHT_QUERY }]],
    ['unknown keys beside the query', { query: LIGHT_QUERY, documentId: 'x', other: true }],
  ])('request shapes: %s', async (_name, body) => {
    await expectSame({ body: { query: LIGHT_QUERY }, headers: await identity.user() });
    await expectSame({ body, headers: await identity.user() });
  });

  it('several operations in one document: each chosen by name', async () => {
    const query = 'query A { topProducts(first: 1) { name } } query B { topProducts(first: 2) { upc price } }';
    const headers = await identity.user();
    await expectSame({ body: { query, operationName: 'A' }, headers });
    await expectSame({ body: { query, operationName: 'B' }, headers });
    const [none] = await expectSame({ body: { query }, headers });
    expect(none!.status).toBe(400);
    expect(none!.json).toMatchObject({ errors: [{ message: 'Must provide operation name if query contains multiple operations.', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] });
    const [unknown] = await expectSame({ body: { query, operationName: 'C' }, headers });
    expect(unknown!.json).toMatchObject({ errors: [{ message: 'Unknown operation named "C".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }] });
  });

  it('a subgraph error: the same partial data and errors', async () => {
    await expectSame({ body: { query: '{ topProducts(first: 1000) { upc name } }' }, headers: await identity.user() });
  });

  it('a text/plain body is refused by CSRF prevention on both paths', async () => {
    await expectSame({ body: JSON.stringify({ query: LIGHT_QUERY }), headers: { ...(await identity.user()), 'content-type': 'text/plain' } });
  });

  describe('with the inventory subgraph killed', () => {
    beforeAll(async () => subgraphs.apps.inventory!.close());

    it('gives the same partial data and the same errors with their paths', async () => {
      const headers = await identity.user();
      await expectSame({ body: { query: '{ topProducts(first: 3) { name inStock reviews { body } } }' }, headers });
      await expectSame({ body: { query: HEAVY_QUERY }, headers });
    });
  });
});
