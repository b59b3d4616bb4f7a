import type { Cluster, Redis } from 'ioredis';
import { carryTat, decideLimit, type RateLimitRule } from '../../shared/policies/rate-limit/gcra';
import { createMemoryStore } from '../../shared/policies/rate-limit/memory-store';
import { GCRA_SCRIPT, createRedisStore } from '../../shared/policies/rate-limit/redis-store';
import { closeRedisClient, createRedisClient, type RedisClientOptions } from '../../shared/redis';
import { RateLimiterUnavailableError, createResilientStore, type StoreDecision } from '../../shared/policies/rate-limit/resilient-store';
import { startRedis, type RedisServer } from '../helpers/redis';

const PREFIX = 'portico:test:rl:';
/** Each decision must come back well within this, whatever state Redis is in (generous on purpose). */
const BOUNDED_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Clients opened by a test file section; closed in its afterAll. */
function clientPool(): { open: (options: RedisClientOptions) => Redis | Cluster; closeAll: () => Promise<void> } {
  const clients: Array<Redis | Cluster> = [];
  return {
    open: (options) => {
      const client = createRedisClient(options);
      clients.push(client);
      return client;
    },
    closeAll: async () => {
      await Promise.all(clients.splice(0).map((c) => closeRedisClient(c)));
    },
  };
}

async function untilReady(client: Redis | Cluster, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (client.status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`Redis client not ready after ${timeoutMs} ms (status ${client.status})`);
    await sleep(20);
  }
}

/** Runs one consume and checks it settled within the bound, whatever its outcome. */
async function timed<T>(work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    expect(Date.now() - started).toBeLessThan(BOUNDED_MS);
  }
}

/** Deterministic pseudo-random sequence, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('Redis store against a real redis-server', () => {
  let server: RedisServer;
  const pool = clientPool();
  let client: Redis | Cluster;

  beforeAll(async () => {
    server = await startRedis();
    // Generous timeout: these tests check the algorithm, not latency under a loaded CI machine.
    client = pool.open({ url: server.url, commandTimeoutMs: 2_000 });
    await untilReady(client);
  });

  afterAll(async () => {
    await pool.closeAll();
    await server?.stop();
  });

  it.each<[string, RateLimitRule]>([
    ['an even interval', { limit: 50, windowMs: 60_000 }],
    ['an uneven interval', { limit: 3, windowMs: 1_000 }],
    ['a prime limit', { limit: 7, windowMs: 10_000 }],
    ['a 1 µs interval', { limit: 1_000, windowMs: 1 }],
  ])('gives the same decisions as decideLimit (and carryTat) for %s', async (name, rule) => {
    const key = `${PREFIX}{compare:${name}}`;
    const random = lcg(rule.limit * 31 + rule.windowMs);
    const intervalMs = rule.windowMs / rule.limit;
    // Costs from 0 (peek) up, past the limit for small limits; time moves in µs steps, a
    // third of the time not at all, slower on average than the costs drain the bucket, so
    // refusals, refills and full buckets all occur.
    const maxCost = Math.min(rule.limit + 1, Math.max(6, Math.ceil(rule.limit / 4)));
    let nowMs = 1_700_000_000_000;
    let tatMs: number | undefined;
    for (let i = 0; i < 300; i++) {
      nowMs += Math.floor(random() * 3) * (Math.round(random() * intervalMs * maxCost * 500) / 1000);
      const cost = Math.floor(random() * (maxCost + 1));
      // One step in five carries a local state (in µs steps, up to past the tolerance).
      const carried = random() < 0.2 ? Math.round(random() * rule.windowMs * 1_200) / 1_000 : 0;
      // The script sets a real-time TTL from this simulated clock: PERSIST in the same
      // transaction so that only the stored TAT, not wall-clock expiry, decides the next step.
      const results = await client.multi().eval(GCRA_SCRIPT, 1, key, rule.limit, rule.windowMs, cost, carried, nowMs).persist(key).exec();
      const reply = results?.[0]?.[1];
      const expected = decideLimit(carryTat(tatMs, nowMs, carried, rule), nowMs, cost, rule);
      tatMs = expected.tatMs;
      const d = expected.decision;
      expect({ step: i, reply }).toEqual({
        step: i,
        reply: [d.allowed ? 1 : 0, d.remaining, d.resetMs, Number.isFinite(d.retryAfterMs) ? d.retryAfterMs : -1],
      });
    }
  });

  it('allows a burst of limit, then refuses with the time to the next slot', async () => {
    const store = createRedisStore({ client, keyPrefix: PREFIX });
    const rule = { limit: 5, windowMs: 60_000 };
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await store.consume('burst', rule, 1));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    const refused = decisions[5]!;
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(12_000);
    expect(refused.resetMs).toBeLessThanOrEqual(60_000);
    expect(store.kind).toBe('redis');
  });

  it('refuses a cost above the limit with an infinite retry-after', async () => {
    const store = createRedisStore({ client, keyPrefix: PREFIX });
    const d = await store.consume('too-big', { limit: 5, windowMs: 1_000 }, 6);
    expect(d).toEqual({ allowed: false, limit: 5, remaining: 5, resetMs: 0, retryAfterMs: Number.POSITIVE_INFINITY });
    expect(await client.exists(`${PREFIX}{too-big}`)).toBe(0);
  });

  it('lets exactly limit requests through when two instances race for one key', async () => {
    const other = pool.open({ url: server.url, commandTimeoutMs: 2_000 });
    await untilReady(other);
    const instanceA = createRedisStore({ client, keyPrefix: PREFIX });
    const instanceB = createRedisStore({ client: other, keyPrefix: PREFIX });
    const rule = { limit: 50, windowMs: 60_000 };
    const attempts = Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? instanceA : instanceB).consume('shared-user', rule, 1));
    const decisions = await Promise.all(attempts);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterMs > 0 && d.remaining === 0)).toBe(true);
  });

  it('stores the bucket under a hash-tagged key that expires once the bucket is full again', async () => {
    const store = createRedisStore({ client, keyPrefix: PREFIX });
    const rule = { limit: 2, windowMs: 400 }; // 200 ms per request
    await store.consume('expiring', rule, 1);
    const key = `${PREFIX}{expiring}`;
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(200);
    await store.consume('expiring', rule, 1);
    expect(await client.pttl(key)).toBeGreaterThan(200);
    expect(await client.pttl(key)).toBeLessThanOrEqual(400);

    const deadline = Date.now() + 5_000;
    while ((await client.exists(key)) === 1 && Date.now() < deadline) await sleep(50);
    expect(await client.exists(key)).toBe(0);
    expect(await store.consume('expiring', rule, 0)).toEqual({ allowed: true, limit: 2, remaining: 2, resetMs: 0, retryAfterMs: 0 });
  });

  it('registers the script once per client however many stores share it', async () => {
    const before = (client as unknown as { porticoGcra: unknown }).porticoGcra;
    createRedisStore({ client, keyPrefix: 'portico:other:rl:' });
    expect((client as unknown as { porticoGcra: unknown }).porticoGcra).toBe(before);
  });

  it('rejects invalid input without counting it as an outage', async () => {
    const onPrimaryFailure = jest.fn();
    const store = createResilientStore({ primary: createRedisStore({ client, keyPrefix: PREFIX }), fallback: createMemoryStore(), onPrimaryFailure });
    await expect(store.consume('k', { limit: 10, windowMs: 1_000 }, -1)).rejects.toThrow(RangeError);
    expect(onPrimaryFailure).not.toHaveBeenCalled();
    expect(store.isPrimaryAvailable()).toBe(true);
  });
});

describe('resilient store when Redis goes away', () => {
  let server: RedisServer;
  const pool = clientPool();
  const rule = { limit: 1_000, windowMs: 60_000 };

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(async () => {
    await pool.closeAll();
    await server?.stop();
  });

  it('keeps answering from the fallback after a crash and returns to Redis once it is back', async () => {
    const client = pool.open({ url: server.url, commandTimeoutMs: 300 });
    await untilReady(client);
    const onPrimaryFailure = jest.fn();
    const onRecovered = jest.fn();
    let clockMs = 0;
    const store = createResilientStore({
      primary: createRedisStore({ client, keyPrefix: PREFIX }),
      fallback: createMemoryStore(),
      onPrimaryFailure,
      onRecovered,
      now: () => clockMs,
    });

    for (let i = 0; i < 5; i++) expect((await store.consume('crash', rule, 1)).source).toBe('primary');

    await server.kill();
    const during: StoreDecision[] = [];
    for (let i = 0; i < 20; i++) during.push(await timed(() => store.consume('crash', rule, 1)));
    expect(during.every((d) => d.source === 'fallback' && d.allowed)).toBe(true);
    expect(onPrimaryFailure).toHaveBeenCalledTimes(1);
    expect(store.isPrimaryAvailable()).toBe(false);

    // Past the cooldown, a probe still fails: same outage, no second report.
    clockMs += 1_000;
    expect((await timed(() => store.consume('crash', rule, 1))).source).toBe('fallback');
    expect(onPrimaryFailure).toHaveBeenCalledTimes(1);

    await server.restart();
    const deadline = Date.now() + 15_000;
    let decision: StoreDecision | undefined;
    while (Date.now() < deadline) {
      clockMs += 1_000;
      decision = await timed(() => store.consume('crash', rule, 1));
      if (decision.source === 'primary') break;
      await sleep(100);
    }
    expect(decision?.source).toBe('primary');
    expect(onRecovered).toHaveBeenCalledTimes(1);
    expect(onPrimaryFailure).toHaveBeenCalledTimes(1);
    expect(store.isPrimaryAvailable()).toBe(true);
  });

  it('answers from the fallback within the command timeout when Redis is alive but stalled', async () => {
    const client = pool.open({ url: server.url }); // default 50 ms command timeout
    const admin = pool.open({ url: server.url, commandTimeoutMs: 2_000 });
    await untilReady(client);
    await untilReady(admin);
    const onPrimaryFailure = jest.fn();
    const store = createResilientStore({ primary: createRedisStore({ client, keyPrefix: PREFIX }), fallback: createMemoryStore(), onPrimaryFailure });
    expect((await store.consume('stalled', rule, 1)).source).toBe('primary');

    await admin.call('CLIENT', 'PAUSE', '500', 'ALL');
    const d = await timed(() => store.consume('stalled', rule, 1));
    expect(d).toMatchObject({ source: 'fallback', allowed: true });
    expect(onPrimaryFailure).toHaveBeenCalledTimes(1);
    expect(String(onPrimaryFailure.mock.calls[0]?.[0])).toMatch(/timed out/i);
    await admin.ping(); // answered once the pause is over
  });

  it('skips Redis during the cooldown after a failure', async () => {
    await server.stop();
    const client = pool.open({ url: server.url, commandTimeoutMs: 300 });
    const redisStore = createRedisStore({ client, keyPrefix: PREFIX });
    let primaryCalls = 0;
    const counted = { ...redisStore, consume: (...args: Parameters<typeof redisStore.consume>) => (primaryCalls++, redisStore.consume(...args)) };
    let clockMs = 0;
    const store = createResilientStore({ primary: counted, fallback: createMemoryStore(), retryPrimaryAfterMs: 1_000, now: () => clockMs });

    for (let i = 0; i < 10; i++) await store.consume('cooldown', rule, 1);
    expect(primaryCalls).toBe(1);
    clockMs += 999;
    await store.consume('cooldown', rule, 1);
    expect(primaryCalls).toBe(1);
    clockMs += 1;
    await store.consume('cooldown', rule, 1);
    expect(primaryCalls).toBe(2);
    await server.restart();
  });

  it('works from the fallback when Redis is down from the start, and uses Redis once it comes up', async () => {
    await server.stop();
    const client = pool.open({ url: server.url });
    const onPrimaryFailure = jest.fn();
    const onRecovered = jest.fn();
    let clockMs = 0;
    const store = createResilientStore({
      primary: createRedisStore({ client, keyPrefix: PREFIX }),
      fallback: createMemoryStore(),
      onPrimaryFailure,
      onRecovered,
      now: () => clockMs,
    });
    // Startup waits for the connection, but only as long as its bound: a down Redis does not block it.
    const waitStarted = Date.now();
    await createRedisStore({ client, keyPrefix: PREFIX, startupWaitMs: 300 }).whenReady();
    expect(Date.now() - waitStarted).toBeGreaterThanOrEqual(290);
    expect(Date.now() - waitStarted).toBeLessThan(BOUNDED_MS);
    const small = { limit: 3, windowMs: 60_000 };
    const decisions: StoreDecision[] = [];
    for (let i = 0; i < 5; i++) decisions.push(await timed(() => store.consume('cold-start', small, 1)));
    expect(decisions.map((d) => [d.source, d.allowed])).toEqual([
      ['fallback', true],
      ['fallback', true],
      ['fallback', true],
      ['fallback', false],
      ['fallback', false],
    ]);
    expect(onPrimaryFailure).toHaveBeenCalledTimes(1);
    expect(onPrimaryFailure.mock.calls[0]?.[0]).toBeInstanceOf(Error);

    await server.restart();
    // Once Redis is up the startup wait ends as soon as the client has connected.
    const fresh = pool.open({ url: server.url });
    await store.whenReady?.();
    await createRedisStore({ client: fresh, keyPrefix: PREFIX, startupWaitMs: 10_000 }).whenReady();
    expect(fresh.status).toBe('ready');
    const deadline = Date.now() + 15_000;
    let decision: StoreDecision | undefined;
    while (Date.now() < deadline) {
      clockMs += 1_000;
      decision = await timed(() => store.consume('cold-start', small, 1));
      if (decision.source === 'primary') break;
      await sleep(100);
    }
    // Redis came up empty, but the first decision carried the spent local bucket into it: no second burst.
    expect(decision).toMatchObject({ source: 'primary', allowed: false });
    expect(decision?.retryAfterMs).toBeGreaterThan(15_000);
    expect(await client.pttl(`${PREFIX}{cold-start}`)).toBeGreaterThan(55_000);
    expect(onRecovered).toHaveBeenCalledTimes(1);
  });

  it('starts an outage from the state Redis last gave for a key, and a key never seen from its share of the limit', async () => {
    const client = pool.open({ url: server.url, commandTimeoutMs: 300 });
    await untilReady(client);
    const store = createResilientStore({ primary: createRedisStore({ client, keyPrefix: PREFIX }), fallback: createMemoryStore(), expectedInstances: 2 });
    const ten = { limit: 10, windowMs: 60_000 };
    for (let i = 0; i < 10; i++) expect(await store.consume('spent', ten, 1)).toMatchObject({ source: 'primary', allowed: true });

    await server.kill();
    const spent: StoreDecision[] = [];
    const unseen: StoreDecision[] = [];
    for (let i = 0; i < 8; i++) spent.push(await timed(() => store.consume('spent', ten, 1)));
    for (let i = 0; i < 8; i++) unseen.push(await timed(() => store.consume('unseen', ten, 1)));
    expect(spent.every((d) => d.source === 'fallback' && !d.allowed)).toBe(true);
    expect(unseen.filter((d) => d.allowed)).toHaveLength(5);
    await server.restart();
  });

  it('refuses with RateLimiterUnavailableError in fail-closed mode while Redis is down', async () => {
    await server.stop();
    const client = pool.open({ url: server.url });
    const fallback = createMemoryStore();
    const store = createResilientStore({ primary: createRedisStore({ client, keyPrefix: PREFIX }), fallback, failMode: 'closed' });

    const first = await timed(() => store.consume('closed', rule, 1).catch((err: unknown) => err));
    expect(first).toBeInstanceOf(RateLimiterUnavailableError);
    expect(first).toMatchObject({ code: 'RATE_LIMITER_UNAVAILABLE', statusCode: 503 });
    expect((first as Error).cause).toBeInstanceOf(Error);
    // During the cooldown the primary is not asked, and the answer is still a refusal.
    await expect(timed(() => store.consume('closed', rule, 1))).rejects.toBeInstanceOf(RateLimiterUnavailableError);
    expect(fallback.size()).toBe(0);
    await server.restart();
  });

  it('fails fast with a cluster client that reaches no node', async () => {
    await server.stop();
    const cluster = pool.open({ clusterNodes: [`127.0.0.1:${server.port}`] });
    const store = createResilientStore({ primary: createRedisStore({ client: cluster, keyPrefix: PREFIX }), fallback: createMemoryStore() });
    const d = await timed(() => store.consume('cluster', rule, 1));
    expect(d).toMatchObject({ source: 'fallback', allowed: true });
    await server.restart();
  });
});
