/**
 * Per-client GraphQL metrics on the real web BFF over the real subgraphs: requests, errors
 * and latency by operation, client name and version, recorded alike whether Apollo Server's
 * pipeline answered (an operation's first request) or direct execution (its repeats); values
 * past their caps folded into `__other`, malformed header values into `__invalid`, and
 * nothing a client sends reaching the scrape unchecked.
 */
import { request } from 'undici';
import { startWebBff, waitForSupergraph, type RunningBff } from '../helpers/bffs';
import { postGraphql } from '../helpers/http';
import { createTestIdentity, type TestIdentity } from '../helpers/identity';
import { metricValue } from '../helpers/metrics';
import { unusedPort } from '../helpers/recording-upstream';
import { startSubgraphs } from '../helpers/subgraphs';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

const STORE_FRONT = `query StoreFront($featured: Int = 8) {
  topProducts(first: $featured) { upc name price imageUrl inStock }
  reviews(first: 10) { id rating body product { upc name } }
}`;
const PRODUCT_NAMES = 'query ProductNames { topProducts(first: 2) { name } }';
/** `inStock` is resolved by inventory, which is unreachable in this test: every answer has an error. */
const STOCK = 'query Stock { topProducts(first: 1) { name inStock } }';

function client(name: string, version?: string): Record<string, string> {
  return { 'apollographql-client-name': name, ...(version !== undefined ? { 'apollographql-client-version': version } : {}) };
}

describe('per-client GraphQL metrics (web BFF)', () => {
  let subgraphs: Subgraphs;
  let web: RunningBff;
  let identity: TestIdentity;
  let auth: Record<string, string>;

  const scrape = async (): Promise<string> => {
    const res = await request(`${web.url}/metrics`);
    return res.body.text();
  };
  const requests = (text: string, operation: string, clientName: string, clientVersion: string) =>
    metricValue(text, 'portico_graphql_operation_requests_total', { operation, client_name: clientName, client_version: clientVersion, bff: 'web' });
  const errors = (text: string, labels: Record<string, string>) => metricValue(text, 'portico_graphql_operation_errors_total', { ...labels, bff: 'web' });
  const pipeline = (text: string, name: string) => metricValue(text, 'portico_graphql_requests_total', { pipeline: name, bff: 'web' }) ?? 0;
  const post = async (query: string, headers: Record<string, string>, variables?: Record<string, unknown>) => {
    const res = await postGraphql(web.url, query, variables, { ...auth, ...headers });
    return res;
  };

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    identity = await createTestIdentity();
    auth = await identity.user();
    const unreachable = `http://127.0.0.1:${await unusedPort()}/graphql`;
    web = await startWebBff({
      graphql: { subgraphUrls: { ...subgraphs.urls, inventory: unreachable }, clientMetrics: { maxOperations: 3, maxClients: 4, maxVersionsPerClient: 2 } },
      policies: identity.policies,
      // Inventory never answers, so the BFF never reports ready; the supergraph is what matters here.
      ready: false,
    });
    await waitForSupergraph(web);
  });

  afterAll(async () => {
    await web?.close();
    await subgraphs?.close();
  });

  it('counts requests and latency per operation and client version, through Apollo Server and direct execution alike', async () => {
    const before = await scrape();
    for (let i = 0; i < 4; i++) {
      const res = await post(PRODUCT_NAMES, client('ios', '5.2.0'));
      expect(res.status).toBe(200);
      expect(res.json.errors).toBeUndefined();
    }
    await post(PRODUCT_NAMES, client('android', '3.1.0'));
    const after = await scrape();
    // The first request went through Apollo Server's pipeline, the repeats through direct execution.
    expect(pipeline(after, 'direct') - pipeline(before, 'direct')).toBe(4);
    expect(pipeline(after, 'apollo-server') - pipeline(before, 'apollo-server')).toBe(1);
    expect(requests(after, 'ProductNames', 'ios', '5.2.0')).toBe(4);
    expect(requests(after, 'ProductNames', 'android', '3.1.0')).toBe(1);
    expect(metricValue(after, 'portico_graphql_operation_duration_seconds_count', { operation: 'ProductNames', client_name: 'ios', client_version: '5.2.0' })).toBe(4);
    expect(metricValue(after, 'portico_graphql_operation_duration_seconds_bucket', { operation: 'ProductNames', client_name: 'ios', client_version: '5.2.0', le: '+Inf' })).toBe(4);
    expect(errors(after, { operation: 'ProductNames', client_name: 'ios', client_version: '5.2.0' })).toBeUndefined();
  });

  it("counts responses with errors by the first error's code on both pipelines", async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) {
      const res = await post(STOCK, client('ios', '5.2.0'));
      expect(res.status).toBe(200);
      expect(res.json.errors?.length).toBeGreaterThan(0);
    }
    const after = await scrape();
    expect(pipeline(after, 'direct') - pipeline(before, 'direct')).toBe(2);
    expect(requests(after, 'Stock', 'ios', '5.2.0')).toBe(3);
    // Which upstream code answers depends on the breaker (unavailable, then open): together they are every request.
    let counted = 0;
    for (const line of after.split('\n')) {
      if (line.startsWith('portico_graphql_operation_errors_total{') && line.includes('operation="Stock"') && line.includes('client_version="5.2.0"')) {
        expect(line).toMatch(/code="UPSTREAM_[A-Z_]+"/);
        counted += Number(line.slice(line.lastIndexOf(' ') + 1));
      }
    }
    expect(counted).toBe(3);
  });

  it('labels registered operations by name, anonymous and unresolved ones apart, and folds named ones past the cap', async () => {
    await post(STORE_FRONT, client('web', '1.0.0'), { featured: 1 });
    await post('{ topProducts(first: 1) { name } }', client('web', '1.0.0'));
    // Invalid against the schema: no operation was resolved.
    const invalid = await post('query Nope { nope }', client('web', '1.0.0'));
    expect(invalid.status).toBe(400);
    // Three named operations are kept besides the registered ones: ProductNames, Stock and this one.
    await post('query Extra1 { topProducts(first: 1) { upc } }', client('web', '1.0.0'));
    await post('query Extra2 { topProducts(first: 1) { name } }', client('web', '1.0.0'));
    await post('query Extra3 { topProducts(first: 1) { price } }', client('web', '1.0.0'));
    const text = await scrape();
    expect(requests(text, 'StoreFront', 'web', '1.0.0')).toBe(1);
    expect(requests(text, '__anonymous', 'web', '1.0.0')).toBe(1);
    expect(requests(text, '__unresolved', 'web', '1.0.0')).toBe(1);
    expect(errors(text, { operation: '__unresolved', client_name: 'web', client_version: '1.0.0', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(requests(text, 'Extra1', 'web', '1.0.0')).toBe(1);
    expect(requests(text, '__other', 'web', '1.0.0')).toBe(2);
    expect(text).not.toMatch(/operation="Extra[23]"/);
  });

  it('counts refusals by the pipeline stages under their catalogue code', async () => {
    const res = await postGraphql(web.url, PRODUCT_NAMES, undefined, client('web', '1.0.0'));
    expect(res.status).toBe(401);
    const text = await scrape();
    expect(errors(text, { operation: '__unresolved', client_name: 'web', client_version: '1.0.0', code: res.json.code })).toBe(1);
  });

  it('folds clients and versions past their caps, and reads x-client-name too', async () => {
    await post(PRODUCT_NAMES, client('ios', '5.1.0'));
    await post(PRODUCT_NAMES, client('ios', '5.0.0')); // a third version of ios: past the cap of two
    await post(PRODUCT_NAMES, { 'x-client-name': 'tv', 'x-client-version': '0.9' }); // the fourth client (ios, android, web, tv)
    await post(PRODUCT_NAMES, client('watch', '1.0')); // the fifth: past the cap
    await post(PRODUCT_NAMES, {});
    const text = await scrape();
    expect(requests(text, 'ProductNames', 'ios', '5.1.0')).toBe(1);
    expect(requests(text, 'ProductNames', 'ios', '__other')).toBe(1);
    expect(requests(text, 'ProductNames', 'tv', '0.9')).toBe(1);
    expect(requests(text, 'ProductNames', '__other', '__other')).toBe(1);
    expect(requests(text, 'ProductNames', '__none', '__none')).toBe(1);
    expect(text).not.toMatch(/client_name="watch"|client_version="5\.0\.0"/);
  });

  it('never turns a malformed client header into a label value', async () => {
    const hostile = [
      client('evil"} 1\\nportico_fake_total 1', '1'),
      client('IOS', '1.0'),
      client('a'.repeat(300), '1.0'),
      client('ios', 'x"y'),
      client('ios', '../../etc/passwd'),
      client('<script>alert(1)</script>', '1.0'),
    ];
    for (const headers of hostile) {
      const res = await post(PRODUCT_NAMES, headers);
      expect(res.status).toBe(200);
    }
    const text = await scrape();
    expect(requests(text, 'ProductNames', '__invalid', '__other')).toBe(4);
    expect(requests(text, 'ProductNames', 'ios', '__invalid')).toBe(2);
    expect(text).not.toMatch(/evil|portico_fake|IOS|aaaa|x\\"y|passwd|<script>|alert/);
    // The exposition stays parseable: every sample line is a name, optional labels and a number.
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^\n]*\})? -?[0-9.e+-]+$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^\n]*\})? ([Nn]a[Nn]|[+-]Inf)$/);
    }
  });
});
