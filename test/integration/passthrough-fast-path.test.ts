/**
 * The passthrough fast path against the whole Fastify pipeline: two partner BFFs, the same
 * settings but PASSTHROUGH_FAST_PATH on and off, in front of one recording upstream. Every
 * request goes to both; the client's answer (status, headers, body), what the upstream
 * received, the limiter's budget and the HTTP metrics must not tell them apart, and the
 * fast path must have served what it claims to serve (and nothing it must not).
 */
import { connect } from 'node:net';
import { request } from 'undici';
import { startPartnerBff, type RunningBff } from '../helpers/bffs';
import { ALL_PARTNER_SCOPES, createPartnerCredentials } from '../helpers/identity';
import { metricValue, upstreamCallCount } from '../helpers/metrics';
import { startRecordingUpstream, type RecordedRequest, type RecordingUpstream } from '../helpers/recording-upstream';
import { startRedis, type RedisServer } from '../helpers/redis';
import type { PolicySettings } from '../../shared/manifest';
import type { RestUpstream } from '../../shared/rest/route-table';
import { generateApiKey } from '../../shared/policies/authn/api-key';

/** Headers whose values differ between any two answers, whoever serves them. */
const VOLATILE = new Set(['date', 'x-request-id', 'keep-alive']);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function get(bff: RunningBff, path: string, headers: Record<string, string>): Promise<Answer> {
  // Bounded: an answer that never comes fails the test instead of hanging it.
  const res = await request(`${bff.url}${path}`, { headers, signal: AbortSignal.timeout(5_000) });
  const body = await res.body.text();
  // The seconds until the bucket is full move with the clock between the two requests: compared as present or absent.
  const stable = Object.fromEntries(Object.entries(res.headers).filter(([name]) => !VOLATILE.has(name)).map(([name, value]) => [name, name === 'ratelimit-reset' ? 'n' : value]));
  return { status: res.statusCode, headers: stable, body: body.replace(/"requestId":"[^"]+"/, '"requestId":"<id>"') };
}

/** The upstream's view, without what is new on every request; the BFF's own address (each listens on its own port) as `<bff>`. */
function received(r: RecordedRequest | undefined, bff: RunningBff) {
  if (!r) return undefined;
  const { 'x-request-id': _id, ...headers } = r.headers;
  const bffHost = new URL(bff.url).host;
  const normalized = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, typeof value === 'string' ? value.replaceAll(bffHost, '<bff>') : value]));
  return { method: r.method, url: r.url, headers: normalized };
}

async function fastPathServed(bff: RunningBff): Promise<number> {
  return metricValue(await bff.app.metrics.registry.metrics(), 'portico_passthrough_fast_path_requests_total', {}) ?? 0;
}

async function httpCount(bff: RunningBff, route: string, status: string): Promise<number> {
  return metricValue(await bff.app.metrics.registry.metrics(), 'portico_http_requests_total', { method: 'GET', route, status_code: status }) ?? 0;
}

/**
 * Two partners with the same settings, the fast path on in the first and off in the second.
 * The upstreams a test does not start are unreachable: readiness is not this test's subject.
 */
async function startBoth(upstreams: Record<string, RestUpstream>, policies: PolicySettings): Promise<[RunningBff, RunningBff]> {
  const fast = await startPartnerBff(upstreams, { policies, ready: false, server: { passthroughFastPath: true } });
  const full = await startPartnerBff(upstreams, { policies, ready: false, server: { passthroughFastPath: false } });
  return [fast, full];
}

describe('passthrough fast path: the same answers as the whole pipeline', () => {
  let upstream: RecordingUpstream;
  let fast: RunningBff;
  let full: RunningBff;
  // The main client's plan has room for every test; the second client's budget is the limiter test's.
  const mainKey = generateApiKey({ clientId: 'test-partner', plan: 'enterprise', scopes: [...ALL_PARTNER_SCOPES] });
  const credentials = { policies: { authn: { apiKeys: { records: [mainKey.record] } } }, headers: { 'x-api-key': mainKey.key } };
  const key = credentials.headers;
  // A second client of its own, whose whole budget the limiter test spends.
  const secondKey = generateApiKey({ clientId: 'budget-partner', plan: 'pro', scopes: [] });
  const second = { policies: { authn: { apiKeys: { records: [secondKey.record] } } }, headers: { 'x-api-key': secondKey.key } };

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const records = [credentials, second].flatMap((c) => (c.policies.authn as { apiKeys: { records: unknown[] } }).apiKeys.records);
    // A small plan limit, so the limiter's budget and its refusals can be compared.
    const policies: PolicySettings = { authn: { apiKeys: { records } } as PolicySettings['authn'], rateLimit: { plans: { pro: { limit: 12, windowMs: 60_000 }, enterprise: { limit: 1_000, windowMs: 86_400_000 } }, perIp: { limit: 1_000, windowMs: 60_000 } } };
    const upstreams = { products: { origin: upstream.origin, healthPath: '/healthz' } };
    [fast, full] = await startBoth(upstreams, policies);
  });

  afterAll(async () => {
    await fast?.close();
    await full?.close();
    await upstream?.close();
  });

  /** Sends one request to each BFF; returns both answers and what the upstream got from each. */
  async function both(path: string, headers: Record<string, string> = key) {
    upstream.requests.length = 0;
    const fastAnswer = await get(fast, path, headers);
    const fastReceived = received(upstream.requests[0], fast);
    upstream.requests.length = 0;
    const fullAnswer = await get(full, path, headers);
    const fullReceived = received(upstream.requests[0], full);
    return { fastAnswer, fullAnswer, fastReceived, fullReceived };
  }

  it('serves a plain GET with an API key on the fast path, with the same answer, upstream request and budget', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=5', 'set-cookie': 'session=upstream', server: 'upstream/1.0', 'x-internal': 'secret' });
      res.end('{"upc":"1"}');
    });
    // The first request verifies the key (the whole pipeline); later ones find it remembered.
    await both('/v1/products/1');
    const before = await fastPathServed(fast);
    for (const path of ['/v1/products/1', '/v1/products/1?fields=name,price&a=1&a=2&empty=', '/v1/products']) {
      const { fastAnswer, fullAnswer, fastReceived, fullReceived } = await both(path);
      expect(fastAnswer).toEqual(fullAnswer);
      expect(fastReceived).toEqual(fullReceived);
      expect(fastAnswer.headers['set-cookie']).toBeUndefined();
      expect(fastAnswer.headers['x-internal']).toBeUndefined();
    }
    expect((await fastPathServed(fast)) - before).toBe(3);
    expect(await fastPathServed(full)).toBe(0);
    expect(await httpCount(fast, '/v1/products/*', '200')).toBe(await httpCount(full, '/v1/products/*', '200'));
  });

  it("forwards each request's own Host on one keep-alive connection, though a connection's forwarded headers are kept", async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"upc":"1"}');
    });
    await both('/v1/products/1');
    const { Client } = await import('undici');
    const before = await fastPathServed(fast);
    // Both BFFs get the same requests (their limiter budgets stay equal for the next tests).
    for (const bff of [fast, full]) {
      // One connection: every request below comes on the same keep-alive socket.
      const client = new Client(bff.url, { pipelining: 1 });
      try {
        const forwardedHosts: unknown[] = [];
        for (const host of ['one.example', 'two.example', 'two.example', 'one.example']) {
          const res = await client.request({ method: 'GET', path: '/v1/products/1', headers: { host, ...key }, signal: AbortSignal.timeout(5_000) });
          await res.body.text();
          expect(res.statusCode).toBe(200);
          const seen = upstream.requests.at(-1)?.headers;
          forwardedHosts.push([seen?.['x-forwarded-host'], seen?.forwarded]);
        }
        expect(forwardedHosts).toEqual(['one', 'two', 'two', 'one'].map((h) => [`${h}.example`, `for=127.0.0.1;host=${h}.example;proto=http`]));
      } finally {
        await client.close();
      }
    }
    expect((await fastPathServed(fast)) - before).toBe(4);
  });

  it('passes statuses, redirects, large and unknown-length bodies through alike', async () => {
    const large = 'L'.repeat(200_000);
    upstream.respondWith((req, res) => {
      if (req.url.startsWith('/products/missing')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"no such product"}');
      } else if (req.url.startsWith('/products/moved')) {
        res.writeHead(301, { location: '/products/2', 'content-length': '0' });
        res.end();
      } else if (req.url.startsWith('/products/busy')) {
        res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' });
        res.end('busy');
      } else if (req.url.startsWith('/products/large')) {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(large.length) });
        res.end(large);
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('one,');
        setTimeout(() => res.end('two'), 5);
      }
    });
    for (const path of ['/v1/products/missing', '/v1/products/moved', '/v1/products/busy', '/v1/products/large', '/v1/products/chunked']) {
      const { fastAnswer, fullAnswer, fastReceived, fullReceived } = await both(path);
      expect({ path, ...fastAnswer }).toEqual({ path, ...fullAnswer });
      expect(fastReceived).toEqual(fullReceived);
    }
  });

  it('passes informational answers, statuses Fastify refuses, 204s with content headers and untyped streams alike', async () => {
    upstream.respondWith((req, res) => {
      if (req.url.startsWith('/products/hints')) {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
          res.end('ok');
        }, 5);
      } else if (req.url.startsWith('/products/odd')) {
        res.writeHead(600, { 'content-type': 'text/plain', 'content-length': '1' });
        res.end('x');
      } else if (req.url.startsWith('/products/empty')) {
        res.writeHead(204, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
        res.end();
      } else {
        res.writeHead(200, {});
        res.write('one,');
        setTimeout(() => res.end('two'), 5);
      }
    });
    await both('/v1/products/1');
    const before = await fastPathServed(fast);
    const paths = ['/v1/products/hints', '/v1/products/odd', '/v1/products/empty', '/v1/products/untyped'];
    for (const path of paths) {
      const { fastAnswer, fullAnswer, fastReceived, fullReceived } = await both(path);
      expect({ path, ...fastAnswer }).toEqual({ path, ...fullAnswer });
      expect(fastReceived).toEqual(fullReceived);
    }
    expect((await fastPathServed(fast)) - before).toBe(paths.length);
    expect(await httpCount(fast, '/v1/products/*', '502')).toBe(await httpCount(full, '/v1/products/*', '502'));
  });

  it('records a stream the upstream cuts after its headers as the pipeline does: neither in the HTTP metrics nor as an upstream outcome', async () => {
    upstream.respondWith((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (!req.url.startsWith('/products/cut')) return void res.end('{}');
      res.write('part,');
      setTimeout(() => res.destroy(), 10);
    });
    await both('/v1/products/1');
    const before = await Promise.all([fast, full].map(async (bff) => [await httpCount(bff, '/v1/products/*', '200'), await upstreamCallCount(bff.app)]));
    const servedBefore = await fastPathServed(fast);
    for (const bff of [fast, full]) await expect(get(bff, '/v1/products/cut', key)).rejects.toThrow();
    expect((await fastPathServed(fast)) - servedBefore).toBe(1);
    // The responses end with their sockets; the recorders run (or not) by then.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await Promise.all([fast, full].map(async (bff) => [await httpCount(bff, '/v1/products/*', '200'), await upstreamCallCount(bff.app)]));
    expect([0, 1].map((i) => [after[i]![0]! - before[i]![0]!, after[i]![1]! - before[i]![1]!])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('answers an upstream that sends less than it declared with the same 502', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"cut":');
      setTimeout(() => res.destroy(), 10);
    });
    const { fastAnswer, fullAnswer } = await both('/v1/products/1');
    expect(fastAnswer.status).toBe(502);
    expect(fastAnswer).toEqual(fullAnswer);
  });

  it('leaves to the whole pipeline what it does not implement: identity headers, bearer tokens, bodies, unknown keys, encoded paths', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const before = await fastPathServed(fast);
    const cases: [string, Record<string, string>][] = [
      ['/v1/products/1', { ...key, 'x-user-id': 'admin' }],
      ['/v1/products/1', { ...key, authorization: 'Bearer abc' }],
      ['/v1/products/1', { 'x-api-key': 'ptk_unknown_key' }],
      ['/v1/products/1', {}],
      ['/v1/products/%2e%2e/admin', key],
      ['/v1/products/a%20b', key],
    ];
    for (const [path, headers] of cases) {
      const { fastAnswer, fullAnswer, fastReceived, fullReceived } = await both(path, headers);
      expect({ path, sent: headers, ...fastAnswer }).toEqual({ path, sent: headers, ...fullAnswer });
      expect(fastReceived).toEqual(fullReceived);
    }
    expect(await fastPathServed(fast)).toBe(before);
  });

  it('answers hostile requests as the whole pipeline does', async () => {
    upstream.respondWith((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    // Remembered key first (the whole pipeline verifies it once).
    await both('/v1/products/1');
    const cases: [string, Record<string, string>][] = [
      ['/v1/products/./1', key],
      ['/v1/products/../orders/1', key],
      ['/v1/products/..;/orders/1', key],
      ['/v1/products//1', key],
      ['/v1/products/1;jsessionid=x', key],
      ['/v1/products/1?q=%0d%0aX-Injected:%201', key],
      ['/v1/products/1?a=..%2f..%2f', key],
      [`/v1/products/${'a'.repeat(5_000)}`, key],
      ['/v1/products/1', { ...key, 'x-forwarded-for': '10.9.8.7', 'x-real-ip': '10.9.8.7', forwarded: 'for=10.9.8.7' }],
      ['/v1/products/1', { ...key, connection: 'x-api-key' }],
      ['/v1/products/1', { ...key, connection: 'keep-alive, x-request-id', 'x-request-id': 'client-chosen' }],
      ['/v1/products/1', { ...key, 'x-http-method-override': 'DELETE', 'x-original-url': '/admin' }],
      ['/v1/products/1', { ...key, cookie: 'session=abc', 'x-portico-target': 'canary' }],
      ['/V1/PRODUCTS/1', key],
      // Not dot segments, but the proxy refuses `..` next to a slash anywhere.
      ['/v1/products/...', key],
      ['/v1/products/..a', key],
      ['/v1/products/a../b', key],
    ];
    for (const [path, headers] of cases) {
      const { fastAnswer, fullAnswer, fastReceived, fullReceived } = await both(path, headers);
      expect(fastAnswer.status).not.toBe(429);
      expect({ path, sent: headers, ...fastAnswer }).toEqual({ path, sent: headers, ...fullAnswer });
      expect({ path, sent: headers, received: fastReceived }).toEqual({ path, sent: headers, received: fullReceived });
    }
  });

  it('spends the same budget and refuses with the same 429 once it is spent', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const remaining: [string | undefined, string | undefined][] = [];
    for (let i = 0; i < 14; i++) {
      const { fastAnswer, fullAnswer } = await both('/v1/products/1', second.headers);
      remaining.push([fastAnswer.headers['ratelimit-remaining'] as string | undefined, fullAnswer.headers['ratelimit-remaining'] as string | undefined]);
      if (fastAnswer.status === 429 || fullAnswer.status === 429) {
        // The reset moves with the clock: equal up to a second.
        expect(Math.abs(Number(fastAnswer.headers['retry-after']) - Number(fullAnswer.headers['retry-after']))).toBeLessThanOrEqual(1);
        const strip = (a: Answer) => ({ ...a, headers: { ...a.headers, 'retry-after': undefined, 'ratelimit-reset': undefined }, body: a.body.replace(/retry in \d+ s/, 'retry in n s') });
        expect(strip(fastAnswer)).toEqual(strip(fullAnswer));
        expect(fastAnswer.status).toBe(429);
        // Twelve allowed by both, counted down alike, before the refusal.
        expect(remaining.length).toBe(13);
        return;
      }
      expect(fastAnswer.headers['ratelimit-remaining']).toBe(fullAnswer.headers['ratelimit-remaining']);
    }
    throw new Error(`no 429 after 14 requests: ${JSON.stringify(remaining)}`);
  });
});

describe('passthrough fast path: a passthrough listed in publicPaths', () => {
  let upstream: RecordingUpstream;
  let fast: RunningBff;
  let full: RunningBff;
  const client = generateApiKey({ clientId: 'public-partner', plan: 'pro', scopes: [] });

  beforeAll(async () => {
    upstream = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    // The products' item routes need no credentials: the pipeline neither authenticates nor limits them.
    const policies: PolicySettings = {
      authn: { apiKeys: { records: [client.record] }, publicPaths: ['/healthz', '/readyz', '/metrics', '/v1/products/*'] },
      rateLimit: { plans: { pro: { limit: 5, windowMs: 60_000 } } },
    };
    [fast, full] = await startBoth({ products: { origin: upstream.origin, healthPath: '/healthz' } }, policies);
  });

  afterAll(async () => {
    await fast?.close();
    await full?.close();
    await upstream?.close();
  });

  it('leaves it to the pipeline: no identity sent upstream, no budget spent', async () => {
    const headers = { 'x-api-key': client.key };
    for (const bff of [fast, full]) {
      upstream.requests.length = 0;
      // The list route is not public: the pipeline verifies the key there, and it is remembered.
      expect((await get(bff, '/v1/products', headers)).status).toBe(200);
      const served = await fastPathServed(bff);
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await get(bff, '/v1/products/1', headers));
      expect((await fastPathServed(bff)) - served).toBe(0);
      expect(answers.map((a) => [a.status, a.headers['ratelimit-remaining']])).toEqual([
        [200, undefined],
        [200, undefined],
        [200, undefined],
      ]);
      expect(upstream.requests.slice(1).map((r) => r.headers['x-client-id'])).toEqual([undefined, undefined, undefined]);
      // The key's budget: only the list route's request was spent.
      expect((await get(bff, '/v1/products', headers)).headers['ratelimit-remaining']).toBe('3');
    }
  });
});

describe('passthrough fast path: a client leaving while its call waits for a connection', () => {
  let upstream: RecordingUpstream;
  let fast: RunningBff;
  let full: RunningBff;
  const credentials = createPartnerCredentials();

  beforeAll(async () => {
    upstream = await startRecordingUpstream((req, res) => {
      setTimeout(
        () => {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
          res.end('ok');
        },
        req.url.startsWith('/products/slow') ? 300 : 0,
      );
    });
    // One socket: a second call waits for the first.
    [fast, full] = await startBoth({ products: { origin: upstream.origin, healthPath: '/healthz', pool: { connections: 1 } } }, credentials.policies);
  });

  afterAll(async () => {
    await fast?.close();
    await full?.close();
    await upstream?.close();
  });

  it('records its answer nowhere, as the pipeline does', async () => {
    const recorded = async (bff: RunningBff) => [await httpCount(bff, '/v1/products/*', '200'), await upstreamCallCount(bff.app)];
    const deltas: number[][] = [];
    for (const bff of [fast, full]) {
      // The key is verified and remembered first.
      await get(bff, '/v1/products/1', credentials.headers);
      const before = await recorded(bff);
      const slow = get(bff, '/v1/products/slow', credentials.headers);
      await new Promise((resolve) => setTimeout(resolve, 20));
      // A client of its own that sends the request and closes its connection before any answer.
      const { port, hostname } = new URL(bff.url);
      const leaving = connect(Number(port), hostname, () => leaving.write(`GET /v1/products/queued HTTP/1.1\r\nhost: ${hostname}\r\nx-api-key: ${credentials.headers['x-api-key']}\r\n\r\n`));
      leaving.on('error', () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      leaving.destroy();
      expect((await slow).status).toBe(200);
      // The queued call still reaches the upstream (the proxy does not withdraw it); its answer is dropped.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(upstream.requests.at(-1)?.url).toBe('/products/queued');
      const after = await recorded(bff);
      deltas.push(after.map((value, i) => value - (before[i] as number)));
    }
    // The slow call only, on both.
    expect(deltas).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });
});

describe('passthrough fast path: upstream failures', () => {
  let fast: RunningBff;
  let full: RunningBff;
  const credentials = createPartnerCredentials();

  beforeAll(async () => {
    const upstreams = { products: { origin: 'http://127.0.0.1:1', healthPath: '/healthz' } };
    const policies: PolicySettings = { ...credentials.policies, breakers: { all: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } } };
    [fast, full] = await startBoth(upstreams, policies);
  });

  afterAll(async () => {
    await fast?.close();
    await full?.close();
  });

  it('answers an unreachable upstream, then its open circuit, with the same errors', async () => {
    const codes: [string, string][] = [];
    for (let i = 0; i < 6; i++) {
      const a = await get(fast, '/v1/products/1', credentials.headers);
      const b = await get(full, '/v1/products/1', credentials.headers);
      const strip = (x: Answer) => ({ ...x, headers: { ...x.headers, 'ratelimit-reset': undefined, 'retry-after': x.headers['retry-after'] === undefined ? undefined : 'n' }, body: x.body.replace(/\d+ s/g, 'n s') });
      expect(strip(a)).toEqual(strip(b));
      codes.push([a.status.toString(), JSON.parse(a.body).code]);
    }
    expect(codes[0]).toEqual(['502', 'UPSTREAM_UNAVAILABLE']);
    expect(codes.at(-1)).toEqual(['503', 'UPSTREAM_CIRCUIT_OPEN']);
    expect(await fastPathServed(fast)).toBeGreaterThan(0);
  });
});

describe('passthrough fast path: behind trusted proxies', () => {
  let upstream: RecordingUpstream;
  let fast: RunningBff;
  let full: RunningBff;
  const credentials = createPartnerCredentials();

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const policies: PolicySettings = { ...credentials.policies, trustedProxies: ['127.0.0.1'] };
    const upstreams = { products: { origin: upstream.origin, healthPath: '/healthz' } };
    [fast, full] = await startBoth(upstreams, policies);
  });

  afterAll(async () => {
    await fast?.close();
    await full?.close();
    await upstream?.close();
  });

  it('believes the forwarded address, scheme and host from the trusted peer only as far as the chain is trusted, as the pipeline does', async () => {
    upstream.respondWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const forwarded: Record<string, string>[] = [
      { 'x-forwarded-for': '203.0.113.7, 10.0.0.2', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' },
      { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'http, https', 'x-forwarded-host': 'a.example, b.example' },
      {},
    ];
    // The key is verified once on each BFF by the whole pipeline, then remembered.
    await get(fast, '/v1/products/1', credentials.headers);
    await get(full, '/v1/products/1', credentials.headers);
    const before = await fastPathServed(fast);
    for (const extra of forwarded) {
      upstream.requests.length = 0;
      const a = await get(fast, '/v1/products/1', { ...credentials.headers, ...extra });
      const fastSeen = received(upstream.requests[0], fast);
      upstream.requests.length = 0;
      const b = await get(full, '/v1/products/1', { ...credentials.headers, ...extra });
      const fullSeen = received(upstream.requests[0], full);
      expect({ extra, ...a }).toEqual({ extra, ...b });
      expect(fastSeen).toEqual(fullSeen);
    }
    expect((await fastPathServed(fast)) - before).toBe(forwarded.length);
  });
});

describe('passthrough fast path: limits kept in Redis', () => {
  let redis: RedisServer;
  let upstream: RecordingUpstream;
  let fast: RunningBff;
  let full: RunningBff;
  // One client per BFF (they share the Redis store), on the same plan.
  const fastClient = generateApiKey({ clientId: 'redis-fast', plan: 'pro', scopes: [] });
  const fullClient = generateApiKey({ clientId: 'redis-full', plan: 'pro', scopes: [] });

  beforeAll(async () => {
    redis = await startRedis();
    upstream = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const policies: PolicySettings = {
      authn: { apiKeys: { records: [fastClient.record, fullClient.record] } },
      rateLimit: { perIp: { limit: 1_000, windowMs: 60_000 }, plans: { pro: { limit: 6, windowMs: 60_000 } }, store: { kind: 'redis', url: redis.url, commandTimeoutMs: 500 } },
    };
    const upstreams = { products: { origin: upstream.origin, healthPath: '/healthz' } };
    [fast, full] = await startBoth(upstreams, policies);
  });

  afterAll(async () => {
    await fast?.close();
    await full?.close();
    await upstream?.close();
    await redis?.stop();
  });

  it('waits for the shared store and spends and refuses alike', async () => {
    const before = await fastPathServed(fast);
    const steps: [number, unknown, number, unknown][] = [];
    for (let i = 0; i < 8; i++) {
      const a = await get(fast, '/v1/products/1', { 'x-api-key': fastClient.key });
      const b = await get(full, '/v1/products/1', { 'x-api-key': fullClient.key });
      steps.push([a.status, a.headers['ratelimit-remaining'], b.status, b.headers['ratelimit-remaining']]);
      const strip = (x: Answer) => ({ ...x, headers: { ...x.headers, 'ratelimit-reset': undefined, 'retry-after': x.headers['retry-after'] === undefined ? undefined : 'n' }, body: x.body.replace(/retry in \d+ s/, 'retry in n s') });
      expect(strip(a)).toEqual(strip(b));
    }
    expect(steps.map(([status]) => status)).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    // The first request of the key went through the whole pipeline, which verified it.
    expect((await fastPathServed(fast)) - before).toBe(7);
  });
});
