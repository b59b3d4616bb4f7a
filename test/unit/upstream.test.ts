import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPorticoError, type PorticoError } from '../../shared/errors';
import { createUpstreamBreaker, DEFAULT_BREAKER_OPTIONS } from '../../shared/upstream/breaker';
import { createUpstream, singleOriginEndpoints, type Upstream, type UpstreamCall } from '../../shared/upstream/upstream';
import type { UpstreamObserver } from '../../shared/upstream/upstream-observer';
import { createUpstreamPool } from '../../shared/upstream/upstream-pool';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real upstream on 127.0.0.1:0 whose behaviour each test sets; it counts the requests that reached it. */
async function startUpstream(): Promise<{ origin: string; hits(): number; behave(handler: Handler): void; close(): Promise<void> }> {
  let handler: Handler = (_req, res) => res.end('{}');
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    behave: (h) => (handler = h),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const GET: UpstreamCall = { method: 'GET', path: '/items', headers: {}, idempotent: true };

/** Resets the connection without answering: a failure a retry can fix. */
const reset: Handler = (req) => req.socket.destroy();

async function failure(promise: Promise<unknown>): Promise<PorticoError> {
  try {
    await promise;
  } catch (err) {
    if (isPorticoError(err)) return err;
    throw err;
  }
  throw new Error('the call did not fail');
}

describe('upstream client', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  const pools: Array<{ close(): Promise<void> }> = [];
  let observed: Array<{ status: number } | { error: unknown }>;
  const observe: UpstreamObserver = (_name, _startedAt, result) => void observed.push(result);

  beforeAll(async () => {
    upstream = await startUpstream();
  });

  beforeEach(() => {
    observed = [];
    upstream.behave((_req, res) => res.end('{"ok":true}'));
  });

  afterAll(async () => {
    await Promise.allSettled(pools.map((p) => p.close()));
    await upstream.close();
  });

  function client(options: { retryBudget?: { ratio: number; maxTokens: number }; breaker?: ReturnType<typeof createUpstreamBreaker>; headersTimeoutMs?: number } = {}): Upstream {
    const pool = createUpstreamPool(upstream.origin, { headersTimeoutMs: options.headersTimeoutMs ?? 5_000 });
    pools.push(pool);
    return createUpstream({ name: 'items', endpoints: singleOriginEndpoints(upstream.origin, pool), breaker: options.breaker, observe, retryBudget: options.retryBudget });
  }

  it('answers with status, headers and the body read as text, observed once', async () => {
    const items = client();
    const res = await items.call(GET);
    expect(res).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
    expect(res.headers['content-length']).toBe('11');
    expect(observed).toEqual([{ status: 200 }]);
  });

  it('retries an idempotent call while the budget has tokens, then stops retrying once it is spent', async () => {
    const items = client({ retryBudget: { ratio: 0, maxTokens: 1 } });
    let calls = 0;
    upstream.behave((req, res) => (++calls % 2 === 1 ? reset(req, res) : res.end('{}')));
    const before = upstream.hits();
    expect((await items.call(GET)).statusCode).toBe(200);
    expect(upstream.hits() - before).toBe(2);
    expect(items.retryBudget().balance()).toBe(0);
    // The budget is spent: the next reset is the caller's answer, not a second attempt.
    const err = await failure(items.call(GET));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstream.hits() - before).toBe(3);
    // Retries add no observations: one per call.
    expect(observed).toHaveLength(2);
  });

  it('never retries a call that is not idempotent', async () => {
    const items = client();
    upstream.behave(reset);
    const before = upstream.hits();
    const err = await failure(items.call({ ...GET, method: 'POST', body: '{}', idempotent: false }));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(upstream.hits() - before).toBe(1);
  });

  it('opens the breaker on upstream failures (5xx answers), never on 4xx answers or client-caused failures', async () => {
    const options = { ...DEFAULT_BREAKER_OPTIONS, errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 60_000, rollingWindowMs: 10_000 };
    const spared = createUpstreamBreaker('items', options);
    const failing = createUpstreamBreaker('items', options);
    try {
      const items = client({ breaker: spared });
      upstream.behave((_req, res) => {
        res.statusCode = 404;
        res.end('{}');
      });
      for (let i = 0; i < 5; i++) expect((await items.call(GET)).statusCode).toBe(404);
      // A header undici refuses to send: the client's fault, answered 400, never held against the upstream.
      for (let i = 0; i < 5; i++) expect((await failure(items.call({ ...GET, headers: { 'x-bad': 'line\nbreak' } }))).code).toBe('BAD_REQUEST');
      expect(spared.state()).toBe('closed');

      const broken = client({ breaker: failing });
      upstream.behave((_req, res) => {
        res.statusCode = 503;
        res.end('{}');
      });
      // A 5xx answer still reaches the caller; it counts against the upstream.
      for (let i = 0; i < 3; i++) expect((await broken.call(GET)).statusCode).toBe(503);
      expect(failing.state()).toBe('open');
      const before = upstream.hits();
      const open = await failure(broken.call(GET));
      expect(open.code).toBe('UPSTREAM_CIRCUIT_OPEN');
      expect(open.headers?.['retry-after']).toBeDefined();
      expect(upstream.hits()).toBe(before);
    } finally {
      spared.shutdown();
      failing.shutdown();
    }
  });

  it('maps failures where they enter, keeping the original as cause: no answer in time is UPSTREAM_TIMEOUT', async () => {
    const items = client({ headersTimeoutMs: 100 });
    upstream.behave(() => undefined);
    const slow = await failure(items.call(GET));
    expect(slow.code).toBe('UPSTREAM_TIMEOUT');
    expect((slow.cause as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    const deadline = await failure(client().call({ ...GET, deadlineMs: 100 }));
    expect(deadline.code).toBe('UPSTREAM_TIMEOUT');
    expect(observed).toHaveLength(2);
    expect(observed.every((r) => 'error' in r)).toBe(true);
  });

  it('maps a refused connection to UPSTREAM_UNAVAILABLE', async () => {
    const gone = await startUpstream();
    const origin = gone.origin;
    await gone.close();
    const pool = createUpstreamPool(origin);
    pools.push(pool);
    const orphan = createUpstream({ name: 'gone', endpoints: singleOriginEndpoints(origin, pool) });
    const err = await failure(orphan.call(GET));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.message).toBe("Upstream 'gone' could not be reached.");
    expect(err.cause).toBeDefined();
  });

  it('fails a body over maxResponseBytes', async () => {
    upstream.behave((_req, res) => res.end('x'.repeat(1_000)));
    expect((await failure(client().call({ ...GET, maxResponseBytes: 100 }))).code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('shares one upstream call among identical concurrent calls with the same dedup key', async () => {
    const items = client();
    upstream.behave((_req, res) => setTimeout(() => res.end('{"shared":true}'), 50));
    const before = upstream.hits();
    const answers = await Promise.all([items.call({ ...GET, dedupeKey: 'k' }), items.call({ ...GET, dedupeKey: 'k' }), items.call({ ...GET, dedupeKey: 'other' })]);
    expect(answers.map((a) => a.body)).toEqual(['{"shared":true}', '{"shared":true}', '{"shared":true}']);
    expect(upstream.hits() - before).toBe(2);
  });

  it('hands the proxy its origin pool as the dispatcher', async () => {
    const items = client();
    const res = await items.dispatcher.request({ origin: upstream.origin, path: '/direct', method: 'GET' });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
});
