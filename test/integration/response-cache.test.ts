/**
 * Response caching over the real demo services: GraphQL queries by their cache hints
 * (public shared, private per principal, errors and mutations never), partner REST GETs by
 * the upstream's Cache-Control, and a Redis store shared by two instances.
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import type { PolicySettings } from '../../shared/manifest';
import { buildServer as buildPartner } from '../../bffs/partner/server';
import { partnerManifest } from '../../bffs/partner/manifest';
import { startPartnerBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startRedis, type RedisServer } from '../helpers/redis';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { createTestSigner, TEST_AUDIENCE, TEST_ISSUER, type TestSigner } from '../helpers/tokens';

let subgraphs: RunningSubgraphs;
let signer: TestSigner;

const graphqlRequests = (name: 'accounts' | 'products' | 'orders'): number => subgraphs.services[name].stats.snapshot().graphqlRequests;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  signer = await createTestSigner();
});

afterAll(async () => {
  await subgraphs?.close();
});

describe('GraphQL response cache (web BFF, memory store)', () => {
  let web: RunningBff;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  beforeAll(async () => {
    web = await startWebBff({
      graphql: { subgraphUrls: subgraphs.urls },
      policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } }, responseCache: { store: { kind: 'memory' } } },
    });
    alice = { authorization: `Bearer ${await signer.mint({ sub: '1' })}` };
    bob = { authorization: `Bearer ${await signer.mint({ sub: '2' })}` };
  });

  afterAll(async () => {
    await web?.close();
  });

  it('serves a public answer to everyone from one subgraph call, with Age and HIT', async () => {
    const query = '{ topProducts(first: 3) { upc name price } }';
    const before = graphqlRequests('products');
    const first = await postGraphql(web.url, query, undefined, alice);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await postGraphql(web.url, query, undefined, bob);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.age).toMatch(/^\d+$/);
    expect(second.json).toEqual(first.json);
    expect(second.headers['cache-control']).toBe('max-age=60, public');
    expect(graphqlRequests('products') - before).toBe(1);
  });

  it('keys entries by variables', async () => {
    const query = 'query Top($n: Int) { topProducts(first: $n) { upc } }';
    expect((await postGraphql(web.url, query, { n: 2 }, alice)).headers['x-cache']).toBe('MISS');
    const other = await postGraphql(web.url, query, { n: 4 }, alice);
    expect(other.headers['x-cache']).toBe('MISS');
    expect((other.json.data as { topProducts: unknown[] }).topProducts).toHaveLength(4);
    expect((await postGraphql(web.url, query, { n: 2 }, alice)).headers['x-cache']).toBe('HIT');
  });

  it('never serves a private answer to another principal', async () => {
    const query = '{ me { id name } }';
    const aliceFirst = await postGraphql(web.url, query, undefined, alice);
    expect(aliceFirst.headers['x-cache']).toBe('MISS');
    expect((aliceFirst.json.data as { me: { id: string } }).me.id).toBe('1');
    const aliceAgain = await postGraphql(web.url, query, undefined, alice);
    expect(aliceAgain.headers['x-cache']).toBe('HIT');
    expect(aliceAgain.json).toEqual(aliceFirst.json);

    const bobFirst = await postGraphql(web.url, query, undefined, bob);
    expect(bobFirst.headers['x-cache']).toBe('MISS');
    expect((bobFirst.json.data as { me: { id: string } }).me.id).toBe('2');
    expect((await postGraphql(web.url, query, undefined, bob)).json).toEqual(bobFirst.json);
  });

  it('does not store what the services forbid (no-store) or answers with errors', async () => {
    const orders = '{ me { orders { id } } }';
    expect((await postGraphql(web.url, orders, undefined, alice)).headers['x-cache']).toBe('BYPASS');
    const before = graphqlRequests('orders');
    expect((await postGraphql(web.url, orders, undefined, alice)).headers['x-cache']).toBe('BYPASS');
    expect(graphqlRequests('orders') - before).toBe(1);

    const failing = '{ topProducts(first: -1) { upc } }';
    const failed = await postGraphql(web.url, failing, undefined, alice);
    expect(failed.json.errors).toBeDefined();
    expect((await postGraphql(web.url, failing, undefined, alice)).headers['x-cache']).not.toBe('HIT');
  });

  it('counts hits, misses and bypasses at /metrics', async () => {
    const text = (await http(`${web.url}/metrics`)).text;
    expect(metricValue(text, 'portico_response_cache_total', { status: 'HIT', bff: 'web' })).toBeGreaterThanOrEqual(3);
    expect(metricValue(text, 'portico_response_cache_total', { status: 'MISS', bff: 'web' })).toBeGreaterThanOrEqual(4);
    expect(metricValue(text, 'portico_response_cache_total', { status: 'BYPASS', bff: 'web' })).toBeGreaterThanOrEqual(2);
  });
});

describe('REST response cache (partner BFF)', () => {
  const acme = generateApiKey({ clientId: 'acme', plan: 'pro', scopes: ['orders:read', 'customers:read'] });
  const globex = generateApiKey({ clientId: 'globex', plan: 'pro', scopes: ['orders:read', 'customers:read'] });
  let partner: RunningBff;
  let cookies: RecordingUpstream;

  beforeAll(async () => {
    cookies = await startRecordingUpstream((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60', 'set-cookie': 'session=abc' });
      res.end('{"ok":true}');
    });
    const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }]));
    partner = await startPartnerBff({ ...upstreams, reviews: { origin: cookies.origin } }, {
      policies: { authn: { apiKeys: { records: [acme.record, globex.record] } }, responseCache: { store: { kind: 'memory' } } },
    });
  });

  afterAll(async () => {
    await partner?.close();
    await cookies?.close();
  });

  const get = (path: string, key: string) => http(`${partner.url}${path}`, { headers: { 'x-api-key': key } });

  it('stores a public upstream answer once and serves it to every client, with Age', async () => {
    const first = await get('/v1/products/2', acme.key);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await get('/v1/products/2', globex.key);
    expect(second.status).toBe(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers.age).toMatch(/^\d+$/);
    expect(second.headers['cache-control']).toBe('public, max-age=60');
    expect(second.text).toBe(first.text);
    // Version headers still apply to cached answers (v1 is deprecated).
    expect(second.headers.deprecation).toBeDefined();
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
  });

  it('keeps a private upstream answer to the client that received it', async () => {
    const first = await get('/v1/users/3', acme.key);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect((await get('/v1/users/3', acme.key)).headers['x-cache']).toBe('HIT');
    expect((await get('/v1/users/3', globex.key)).headers['x-cache']).toBe('MISS');
  });

  it('never stores a response that sets a cookie, or one that is not a GET', async () => {
    expect((await get('/v1/reviews/1', acme.key)).headers['x-cache']).toBe('BYPASS');
    expect((await get('/v1/reviews/1', acme.key)).headers['x-cache']).toBe('BYPASS');
    expect(cookies.requests.filter((r) => r.url === '/reviews/1')).toHaveLength(2);
  });

  it('leaves a route that opts out uncached', async () => {
    const versions = partnerManifest.routes.versions.map((table) => ({
      ...table,
      routes: table.routes.map((route) => (route.kind === 'passthrough' && route.prefix === '/v1/products' ? { ...route, cache: false } : route)),
    }));
    const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }]));
    const app = await buildPartner({
      ...partnerManifest,
      server: { ...partnerManifest.server, logLevel: 'silent' },
      routes: { ...partnerManifest.routes, versions, upstreams: { ...partnerManifest.routes.upstreams, ...upstreams } },
      policies: { authn: { apiKeys: { records: [acme.record] } }, responseCache: { store: { kind: 'memory' } } },
    });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      for (let i = 0; i < 2; i++) {
        const res = await http(`${url}/v1/products/7`, { headers: { 'x-api-key': acme.key } });
        expect([res.status, res.headers['x-cache']]).toEqual([200, undefined]);
      }
      expect((await http(`${url}/v1/inventory?upcs=7`, { headers: { 'x-api-key': acme.key } })).headers['x-cache']).toBeDefined();
    } finally {
      await app.close();
    }
  });

  it('leaves errors uncached', async () => {
    const missing = await get('/v1/products/does-not-exist', acme.key);
    expect(missing.status).toBe(404);
    expect(missing.headers['x-cache']).toBe('BYPASS');
  });
});

describe('shared Redis response cache', () => {
  let redis: RedisServer;
  let first: RunningBff;
  let second: RunningBff;
  const key = generateApiKey({ clientId: 'initech', plan: 'pro', scopes: [] });

  beforeAll(async () => {
    redis = await startRedis();
    const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }]));
    const policies: PolicySettings = { authn: { apiKeys: { records: [key.record] } }, responseCache: { store: { kind: 'redis', url: redis.url, commandTimeoutMs: 500 } } };
    first = await startPartnerBff(upstreams, { policies });
    second = await startPartnerBff(upstreams, { policies });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await redis?.stop();
  });

  it('lets one instance serve what the other stored', async () => {
    expect((await http(`${first.url}/v1/products/5`, { headers: { 'x-api-key': key.key } })).headers['x-cache']).toBe('MISS');
    let status: string | undefined;
    // The store write is not awaited by the first answer: give it a moment.
    for (let i = 0; i < 50 && status !== 'HIT'; i++) {
      status = (await http(`${second.url}/v1/products/5`, { headers: { 'x-api-key': key.key } })).headers['x-cache'] as string | undefined;
      if (status !== 'HIT') await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('HIT');
  });

  it('keeps answering, uncached, while Redis is down', async () => {
    await redis.kill();
    const res = await http(`${first.url}/v1/products/6`, { headers: { 'x-api-key': key.key } });
    expect(res.status).toBe(200);
    expect(res.headers['x-cache']).toBe('MISS');
    const metrics = (await http(`${first.url}/metrics`)).text;
    expect(metricValue(metrics, 'portico_response_cache_errors_total', { bff: 'partner' })).toBeGreaterThanOrEqual(1);
    await redis.restart();
  });
});
