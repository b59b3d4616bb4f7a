/**
 * OpenTelemetry tracing end to end, against an OTLP/HTTP receiver started here: the web
 * BFF over the real subgraphs and the partner BFF over the real services export one trace
 * per request with the expected tree; a client's `traceparent` is the parent only through
 * a trusted proxy; every upstream call carries Portico's trace context; no credential is in
 * any attribute; sampling off sends nothing.
 */
import { request } from 'undici';
import type { FastifyInstance } from 'fastify';
import { startPartnerBff, startWebBff, type RunningBff } from '../helpers/bffs';
import { createPartnerCredentials, createTestIdentity, STAFF_SCOPES, type TestIdentity } from '../helpers/identity';
import { http, postGraphql } from '../helpers/http';
import { childrenOf, printTree, startOtlpReceiver, traceOf, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { startRecordingUpstream, type RecordingUpstream, type Responder } from '../helpers/recording-upstream';
import { startSubgraphs } from '../helpers/subgraphs';
import { createTestSigner, TEST_AUDIENCE, TEST_ISSUER, type TestSigner } from '../helpers/tokens';
import type { TracingSettings } from '../../shared/observability/tracing-settings';

type Subgraphs = Awaited<ReturnType<typeof startSubgraphs>>;

/** Reaches accounts (users), reviews, products (names) and inventory (stock): four subgraphs. */
const FOUR_SUBGRAPHS_QUERY = `
  query FourSubgraphs {
    users(first: 2) {
      id
      name
      reviews { body product { upc name inStock } }
    }
  }
`;

const CLIENT_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';
const CLIENT_TRACEPARENT = `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`;

const SERVER = 2;
const CLIENT = 3;

function tracing(receiver: OtlpReceiver, sampler: TracingSettings['sampler'] = 'parentbased_always_on'): TracingSettings {
  return { tracesUrl: receiver.tracesUrl, sampler, samplerRatio: 1 };
}

/** Sends every span ended so far and returns the request spans received since `from`. */
async function exported(app: FastifyInstance, receiver: OtlpReceiver): Promise<ReceivedSpan[]> {
  await app.tracing?.flush();
  return receiver.spans;
}

function requestSpans(spans: readonly ReceivedSpan[], route: string): ReceivedSpan[] {
  return spans.filter((s) => s.kind === SERVER && s.attributes['http.route'] === route);
}

function only<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected one ${what}, got ${items.length}`);
  return items[0] as T;
}

/** Forwards to `origin` what it receives. */
function forwardTo(origin: () => string): Responder {
  return async (req, res) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding'].includes(name))) as Record<string, string>;
    const answer = await request(`${origin()}${req.url}`, { method: req.method as 'GET', headers, ...(req.body ? { body: req.body } : {}) });
    res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json') });
    res.end(await answer.body.text());
  };
}

/** Forwards to `origin` what it receives, recording it: a subgraph or service seen from the wire. */
function recordingProxy(origin: () => string): Promise<RecordingUpstream> {
  return startRecordingUpstream(forwardTo(origin));
}

function traceparentOf(upstream: RecordingUpstream): { traceId: string; parentId: string; flags: string } | undefined {
  const header = upstream.requests.at(-1)?.headers.traceparent;
  const match = typeof header === 'string' ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header) : null;
  return match ? { traceId: match[1] as string, parentId: match[2] as string, flags: match[3] as string } : undefined;
}

function expectNoCredentials(spans: readonly ReceivedSpan[], secrets: readonly string[]): void {
  for (const span of spans) {
    for (const [key, value] of Object.entries(span.attributes)) {
      expect(key).not.toMatch(/authorization|api[-_.]?key|cookie|token/i);
      for (const secret of secrets) expect(String(value)).not.toContain(secret);
    }
  }
}

describe('tracing the web BFF over the real subgraphs', () => {
  let subgraphs: Subgraphs;
  let receiver: OtlpReceiver;
  let signer: TestSigner;
  /** The keys the key server serves: at start an older key only; the test's key is rotated in after. */
  let servedKeys: TestSigner[];
  let jwks: RecordingUpstream;
  let accounts: RecordingUpstream;
  let web: RunningBff;
  let staff: Record<string, string>;
  let identity: TestIdentity;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    receiver = await startOtlpReceiver();
    identity = await createTestIdentity();
    signer = await createTestSigner();
    servedKeys = [await createTestSigner('key-before-rotation')];
    jwks = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: servedKeys.flatMap((s) => s.jwks.keys) }));
    });
    // Accounts is reached through a recording proxy: what a subgraph receives, seen on the wire.
    accounts = await recordingProxy(() => subgraphs.origins.accounts);
    web = await startWebBff({
      graphql: { subgraphUrls: { ...subgraphs.urls, accounts: `${accounts.origin}/graphql` } },
      // No cooldown: a token of a key rotated in after the start's fetch fetches the keys again at once.
      policies: { authn: { jwt: { jwksUrl: `${jwks.origin}/jwks.json`, issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksCooldownMs: 0 } } },
      server: { tracing: tracing(receiver) },
    });
    // The BFF fetched the keys as it started, outside any request (and so any trace).
    expect(jwks.requests).toHaveLength(1);
    expect(jwks.requests[0]?.headers.traceparent).toBeUndefined();
    servedKeys = [...servedKeys, signer];
    staff = { authorization: `Bearer ${await signer.mint({ sub: '7', scope: STAFF_SCOPES, roles: ['support'] })}` };
  });

  afterAll(async () => {
    await web?.close();
    await accounts?.close();
    await jwks?.close();
    await receiver?.close();
    await subgraphs?.close();
  });

  it('exports one trace per query: the request, authentication, the GraphQL phases and one span per subgraph fetch', async () => {
    const res = await postGraphql(web.url, FOUR_SUBGRAPHS_QUERY, undefined, { ...staff, 'apollographql-client-name': 'web-app', 'apollographql-client-version': '1.4.2' });
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
    const spans = await exported(web.app, receiver);
    const root = only(requestSpans(spans, '/graphql'), 'request span');
    expect(root.parentSpanId).toBeUndefined();
    expect(root.name).toBe('POST /graphql');
    expect(root.service).toBe('portico-web');
    expect(root.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200, 'portico.bff': 'web', 'portico.client.name': 'web-app', 'portico.client.version': '1.4.2' });
    const trace = traceOf(spans, root.traceId);
    const tree = printTree(trace, root);
    // The example in docs/operations.md is this run's tree.
    process.stdout.write(`\nweb trace tree (first request, Apollo Server's pipeline):\n${tree}\n`);

    const children = childrenOf(trace, root).map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['authentication', 'graphql.parse', 'graphql.validate', 'graphql.execute']));
    // The key fetch the first token of a rotated-in key caused is a client span under authentication.
    const authentication = only(trace.filter((s) => s.name === 'authentication'), 'authentication span');
    const keyFetch = only(childrenOf(trace, authentication), 'JWKS fetch');
    expect(keyFetch).toMatchObject({ name: 'GET jwks', kind: CLIENT });
    expect(traceparentOf(jwks)).toEqual({ traceId: root.traceId, parentId: keyFetch.spanId, flags: '01' });

    const execute = only(trace.filter((s) => s.name === 'graphql.execute'), 'execute span');
    expect(execute.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'FourSubgraphs', 'portico.graphql.pipeline': 'apollo-server' });
    const fetches = childrenOf(trace, execute).filter((s) => s.name.startsWith('fetch '));
    expect(new Set(fetches.map((s) => s.attributes['portico.subgraph.name']))).toEqual(new Set(['accounts', 'reviews', 'products', 'inventory']));
    for (const fetch of fetches) {
      expect(fetch.kind).toBe(CLIENT);
      expect(fetch.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200, 'graphql.operation.type': 'query' });
    }
    // Entity fetches say how many entities they resolve.
    expect(fetches.filter((s) => typeof s.attributes['portico.subgraph.entity_count'] === 'number').length).toBeGreaterThanOrEqual(2);
    expect(childrenOf(trace, execute).map((s) => s.name)).toContain('graphql.plan');
    // The subgraph saw the fetch span as its parent.
    const accountsFetch = only(fetches.filter((s) => s.attributes['portico.subgraph.name'] === 'accounts'), 'accounts fetch');
    expect(traceparentOf(accounts)).toEqual({ traceId: root.traceId, parentId: accountsFetch.spanId, flags: '01' });
    expectNoCredentials(trace, [staff.authorization!.slice('Bearer '.length)]);
  });

  it('traces a repeated query answered by direct execution the same way, its fetches under its execute span', async () => {
    receiver.spans.length = 0;
    const res = await postGraphql(web.url, FOUR_SUBGRAPHS_QUERY, undefined, staff);
    expect(res.status).toBe(200);
    const spans = await exported(web.app, receiver);
    const root = only(requestSpans(spans, '/graphql'), 'request span');
    const trace = traceOf(spans, root.traceId);
    process.stdout.write(`\nweb trace tree (repeated request, direct execution):\n${printTree(trace, root)}\n`);
    const execute = only(childrenOf(trace, root).filter((s) => s.name === 'graphql.execute'), 'execute span');
    expect(execute.attributes['portico.graphql.pipeline']).toBe('direct');
    const fetched = childrenOf(trace, execute).map((s) => s.attributes['portico.subgraph.name']);
    expect(new Set(fetched)).toEqual(new Set(['accounts', 'reviews', 'products', 'inventory']));
  });

  it("starts a new trace for an untrusted client's traceparent, linking to it", async () => {
    receiver.spans.length = 0;
    const res = await postGraphql(web.url, FOUR_SUBGRAPHS_QUERY, undefined, { ...staff, traceparent: CLIENT_TRACEPARENT, tracestate: 'vendor=secret' });
    expect(res.status).toBe(200);
    const spans = await exported(web.app, receiver);
    const root = only(requestSpans(spans, '/graphql'), 'request span');
    expect(root.traceId).not.toBe(CLIENT_TRACE_ID);
    expect(root.parentSpanId).toBeUndefined();
    expect(root.links).toEqual([expect.objectContaining({ traceId: CLIENT_TRACE_ID, spanId: CLIENT_SPAN_ID })]);
    // Upstreams see Portico's trace, not the client's.
    expect(traceparentOf(accounts)?.traceId).toBe(root.traceId);
    expect(accounts.requests.at(-1)?.headers.tracestate).toBeUndefined();
  });

  it('writes no credential into any attribute, for a rejected token either', async () => {
    receiver.spans.length = 0;
    const forged = `${staff.authorization!.slice(0, -4)}AAAA`;
    const res = await postGraphql(web.url, FOUR_SUBGRAPHS_QUERY, undefined, { authorization: forged });
    expect(res.status).toBe(401);
    const spans = await exported(web.app, receiver);
    const root = only(requestSpans(spans, '/graphql'), 'request span');
    const authentication = only(traceOf(spans, root.traceId).filter((s) => s.name === 'authentication'), 'authentication span');
    // Refused: the stage's span failed with the catalogue code; the request span is a 4xx, not an error.
    expect(authentication.status).toBe(2);
    expect(authentication.attributes['error.type']).toBe('AUTH_TOKEN_INVALID');
    expect(root.status).toBe(0);
    expectNoCredentials(spans, [forged.slice('Bearer '.length), staff.authorization!.slice('Bearer '.length)]);
  });

  describe('behind a trusted proxy', () => {
    let trusting: RunningBff;

    beforeAll(async () => {
      trusting = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: { ...identity.policies, trustedProxies: ['127.0.0.1'], rateLimit: {} }, server: { tracing: tracing(receiver) } });
    });

    afterAll(async () => {
      await trusting?.close();
    });

    it("continues the client's trace: its span is the request span's parent", async () => {
      receiver.spans.length = 0;
      const res = await postGraphql(trusting.url, FOUR_SUBGRAPHS_QUERY, undefined, { ...identity.staff, traceparent: CLIENT_TRACEPARENT });
      expect(res.status).toBe(200);
      const spans = await exported(trusting.app, receiver);
      const root = only(requestSpans(spans, '/graphql'), 'request span');
      expect(root).toMatchObject({ traceId: CLIENT_TRACE_ID, parentSpanId: CLIENT_SPAN_ID, links: [] });
      const trace = traceOf(spans, CLIENT_TRACE_ID);
      expect(trace.filter((s) => s.name.startsWith('fetch ')).length).toBe(4);
      // The limits are stages of their own, in pipeline order around authentication.
      expect(childrenOf(trace, root).map((s) => s.name).slice(0, 3)).toEqual(['per-IP rate limit', 'authentication', 'principal rate limit']);
    });
  });

  describe('with sampling off', () => {
    let unsampled: RunningBff;
    let quiet: OtlpReceiver;

    beforeAll(async () => {
      quiet = await startOtlpReceiver();
      unsampled = await startWebBff({ graphql: { subgraphUrls: { ...subgraphs.urls, accounts: `${accounts.origin}/graphql` } }, policies: identity.policies, server: { tracing: tracing(quiet, 'always_off') } });
    });

    afterAll(async () => {
      await unsampled?.close();
      await quiet?.close();
    });

    it('sends nothing, and still tells upstreams the trace is not sampled', async () => {
      const res = await postGraphql(unsampled.url, FOUR_SUBGRAPHS_QUERY, undefined, identity.staff);
      expect(res.status).toBe(200);
      await unsampled.app.tracing?.flush();
      expect(quiet.posts).toBe(0);
      expect(quiet.spans).toEqual([]);
      expect(traceparentOf(accounts)?.flags).toBe('00');
    });
  });
});

describe('tracing the partner BFF over the real services', () => {
  let subgraphs: Subgraphs;
  let receiver: OtlpReceiver;
  let products: RecordingUpstream;
  let partner: RunningBff;
  const partnerKey = createPartnerCredentials();

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    receiver = await startOtlpReceiver();
    products = await recordingProxy(() => subgraphs.origins.products);
    const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin, healthPath: '/healthz' }]));
    partner = await startPartnerBff({ ...upstreams, products: { origin: products.origin, healthPath: '/healthz' } }, { policies: { ...partnerKey.policies, principalKinds: ['client'] }, server: { tracing: tracing(receiver) } });
  });

  afterAll(async () => {
    await partner?.close();
    await products?.close();
    await receiver?.close();
    await subgraphs?.close();
  });

  it('exports an aggregate as one trace: the request and one client span per upstream call', async () => {
    receiver.spans.length = 0;
    const res = await http(`${partner.url}/v2/orders/3`, { headers: partnerKey.headers });
    expect(res.status).toBe(200);
    const spans = await exported(partner.app, receiver);
    const root = only(requestSpans(spans, '/v2/orders/:id'), 'request span');
    expect(root).toMatchObject({ name: 'GET /v2/orders/:id', service: 'portico-partner' });
    // The API key's client names the client; the key itself is nowhere.
    expect(root.attributes['portico.client.name']).toBe('test-partner');
    const trace = traceOf(spans, root.traceId);
    process.stdout.write(`\npartner aggregate trace tree:\n${printTree(trace, root)}\n`);
    const calls = childrenOf(trace, root).filter((s) => s.kind === CLIENT);
    expect(new Set(calls.map((s) => s.attributes['portico.upstream.name']))).toEqual(new Set(['orders', 'accounts', 'products', 'inventory']));
    for (const call of calls) expect(call.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'portico.breaker.state': 'closed' });
    const productsCall = only(calls.filter((s) => s.attributes['portico.upstream.name'] === 'products'), 'products call');
    expect(traceparentOf(products)).toEqual({ traceId: root.traceId, parentId: productsCall.spanId, flags: '01' });
    expectNoCredentials(trace, [partnerKey.headers['x-api-key']!]);
  });

  it("counts an upstream call's retries on its span, one event per retry", async () => {
    receiver.spans.length = 0;
    let cut = false;
    const forward = forwardTo(() => subgraphs.origins.products);
    // The first products request's connection is reset: a failure the upstream client retries.
    products.respondWith((req, res) => {
      if (cut) return forward(req, res);
      cut = true;
      res.socket?.destroy();
    });
    try {
      const res = await http(`${partner.url}/v2/orders/3`, { headers: partnerKey.headers });
      expect(res.status).toBe(200);
    } finally {
      products.respondWith(forward);
    }
    const spans = await exported(partner.app, receiver);
    const root = only(requestSpans(spans, '/v2/orders/:id'), 'request span');
    const call = only(childrenOf(traceOf(spans, root.traceId), root).filter((s) => s.attributes['portico.upstream.name'] === 'products'), 'products call');
    expect(call.attributes).toMatchObject({ 'http.request.resend_count': 1, 'http.response.status_code': 200 });
    expect(call.events).toEqual([expect.objectContaining({ name: 'retry' })]);
    expect(call.status).toBe(0);
  });

  it('exports an operation-backed aggregate with its GraphQL execution and subgraph fetches', async () => {
    receiver.spans.length = 0;
    const res = await http(`${partner.url}/v2/customers/1`, { headers: partnerKey.headers });
    expect(res.status).toBe(200);
    const spans = await exported(partner.app, receiver);
    const root = only(requestSpans(spans, '/v2/customers/:id'), 'request span');
    const trace = traceOf(spans, root.traceId);
    const execute = only(trace.filter((s) => s.name === 'graphql.execute'), 'execute span');
    expect(execute.parentSpanId).toBe(root.spanId);
    expect(execute.attributes['graphql.operation.name']).toBe('CustomerProfile');
    expect(trace.filter((s) => s.name.startsWith('fetch ')).every((s) => s.parentSpanId === execute.spanId)).toBe(true);
    expect(trace.filter((s) => s.name.startsWith('fetch ')).length).toBeGreaterThanOrEqual(2);
  });

  describe('with the response cache', () => {
    let cached: RunningBff;

    beforeAll(async () => {
      const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin, healthPath: '/healthz' }]));
      cached = await startPartnerBff(upstreams, { policies: { ...partnerKey.policies, principalKinds: ['client'], responseCache: { store: { kind: 'memory' } } }, server: { tracing: tracing(receiver) } });
    });

    afterAll(async () => {
      await cached?.close();
    });

    it('says on the request span that the cache answered, with no upstream call under it', async () => {
      receiver.spans.length = 0;
      expect((await http(`${cached.url}/v1/products/2`, { headers: partnerKey.headers })).headers['x-cache']).toBe('MISS');
      expect((await http(`${cached.url}/v1/products/2`, { headers: partnerKey.headers })).headers['x-cache']).toBe('HIT');
      const spans = await exported(cached.app, receiver);
      const [miss, hit] = requestSpans(spans, '/v1/products/*').sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
      expect(miss?.attributes['portico.cache.status']).toBe('MISS');
      expect(childrenOf(spans, miss!).filter((s) => s.kind === CLIENT)).toHaveLength(1);
      expect(hit?.attributes['portico.cache.status']).toBe('HIT');
      expect(childrenOf(spans, hit!).filter((s) => s.kind === CLIENT)).toHaveLength(0);
    });
  });

  describe('with opaque tokens', () => {
    let authorizationServer: RecordingUpstream;
    let introspecting: RunningBff;

    beforeAll(async () => {
      authorizationServer = await startRecordingUpstream((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ active: true, client_id: 'acme', scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 300 }));
      });
      const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin, healthPath: '/healthz' }]));
      introspecting = await startPartnerBff(upstreams, {
        policies: { authn: { introspection: { endpoint: `${authorizationServer.origin}/oauth/introspect`, clientId: 'portico', clientSecret: 'gateway-secret-1' } }, principalKinds: ['client'] },
        server: { tracing: tracing(receiver) },
      });
    });

    afterAll(async () => {
      await introspecting?.close();
      await authorizationServer?.close();
    });

    it('traces the introspection call under authentication and sends it the trace context, never the token', async () => {
      receiver.spans.length = 0;
      const res = await http(`${introspecting.url}/v1/products/1`, { headers: { authorization: 'Bearer opaque-token-0123456789' } });
      expect(res.status).toBe(200);
      const spans = await exported(introspecting.app, receiver);
      const root = only(requestSpans(spans, '/v1/products/*'), 'request span');
      const trace = traceOf(spans, root.traceId);
      const authentication = only(trace.filter((s) => s.name === 'authentication'), 'authentication span');
      const call = only(childrenOf(trace, authentication), 'introspection call');
      expect(call).toMatchObject({ name: 'POST introspection', kind: CLIENT });
      expect(call.attributes).toMatchObject({ 'portico.upstream.name': 'introspection', 'http.response.status_code': 200 });
      expect(traceparentOf(authorizationServer)).toEqual({ traceId: root.traceId, parentId: call.spanId, flags: '01' });
      expectNoCredentials(trace, ['opaque-token-0123456789', 'gateway-secret-1', Buffer.from('portico:gateway-secret-1').toString('base64')]);
    });
  });

  it("propagates Portico's trace context on a passthrough, in place of the client's", async () => {
    receiver.spans.length = 0;
    const res = await http(`${partner.url}/v1/products/1`, { headers: { ...partnerKey.headers, traceparent: CLIENT_TRACEPARENT } });
    expect(res.status).toBe(200);
    const spans = await exported(partner.app, receiver);
    const root = only(requestSpans(spans, '/v1/products/*'), 'request span');
    const call = only(childrenOf(traceOf(spans, root.traceId), root).filter((s) => s.kind === CLIENT), 'passthrough span');
    expect(call.attributes).toMatchObject({ 'portico.upstream.name': 'products', 'http.response.status_code': 200 });
    expect(traceparentOf(products)).toEqual({ traceId: root.traceId, parentId: call.spanId, flags: '01' });
  });
});
