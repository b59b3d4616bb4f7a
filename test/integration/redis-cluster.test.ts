/**
 * Two partner BFF instances on a real three-master Redis Cluster, configured as an operator
 * would (`REDIS_CLUSTER_NODES`, `API_KEYS_STORE=redis`, `RESPONSE_CACHE=redis`): one limit
 * across both, API keys and cached responses shared; then the master holding a client's
 * limiter bucket and API key is killed mid-run and restarted: no 5xx meanwhile, the local
 * fallback counted, and the limiter back on Redis once the master returns.
 */
import type { Cluster, Redis } from 'ioredis';
import { partnerManifest } from '../../bffs/partner/manifest';
import { restManifestFromEnv } from '../../shared/config/rest-env';
import type { PolicySettings } from '../../shared/manifest';
import { generateApiKey, saveApiKeyToRedis } from '../../shared/policies/authn/api-key';
import { httpCacheKey } from '../../shared/policies/response-cache/http-response-cache';
import { closeRedisClient, createRedisClient, REDIS_KEY_PREFIXES, waitForRedisReady } from '../../shared/redis';
import { allUpstreamsAt, partnerUpstreamEnv, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster';

/** The limit the two instances share in the exactness check, per minute. */
const LIMIT = 50;
/** Requests sent for it, all at once, alternating between the instances. */
const SENT = 80;
/** The failover client's limit: per second, so the load keeps meeting it. */
const FAILOVER_LIMIT = { limit: 20, windowMs: 1_000 };
/** Bounds of the load loop that runs through the failover. */
const LOAD_MAX_MS = 30_000;
const LOAD_MAX_REQUESTS = 5_000;

describe('two BFF instances on a Redis Cluster', () => {
  const exact = generateApiKey({ clientId: 'cluster-exact', plan: 'free', scopes: [] });
  let failover: ReturnType<typeof generateApiKey>;
  let cluster: RedisCluster;
  let admin: Redis | Cluster;
  let upstream: RecordingUpstream;
  let first: RunningBff;
  let second: RunningBff;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    admin = createRedisClient({ clusterNodes: cluster.seeds, commandTimeoutMs: 1_000 });
    await waitForRedisReady(admin, 10_000);
    // The client whose master is killed keeps its limiter bucket and its API key on that one
    // master, so the kill takes both away at once.
    for (let i = 0; i < 50 && !failover; i++) {
      const candidate = generateApiKey({ clientId: `cluster-failover-${i}`, plan: 'pro', scopes: [] });
      const bucketMaster = await cluster.masterFor(`${REDIS_KEY_PREFIXES.rateLimit('partner')}{client:${candidate.record.clientId}}`);
      const keyMaster = await cluster.masterFor(`${REDIS_KEY_PREFIXES.apiKeys}${candidate.record.keyId}`);
      if (bucketMaster === keyMaster) failover = candidate;
    }
    expect(failover).toBeDefined();
    await saveApiKeyToRedis(admin, exact.record);
    await saveApiKeyToRedis(admin, failover.record);

    upstream = await startRecordingUpstream((request, res) => {
      const body = JSON.stringify({ url: request.url });
      // A declared length: only bounded bodies are cached.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=60' });
      res.end(body);
    });
    const env = {
      ...partnerUpstreamEnv(upstream.origin),
      REDIS_CLUSTER_NODES: cluster.seeds.join(','),
      API_KEYS_STORE: 'redis',
      RESPONSE_CACHE: 'redis',
      RATE_LIMIT_EXPECTED_INSTANCES: '2',
      RATE_LIMIT_PER_IP_PER_MIN: '0',
    };
    const fromEnv = restManifestFromEnv(partnerManifest, env).policies ?? {};
    const policies: PolicySettings = {
      ...fromEnv,
      rateLimit: { ...fromEnv.rateLimit, plans: { ...fromEnv.rateLimit?.plans, free: { limit: LIMIT, windowMs: 60_000 }, pro: FAILOVER_LIMIT } },
    };
    first = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies });
    second = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies });
  }, 60_000);

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    if (admin) await closeRedisClient(admin);
    await cluster?.stop();
  });

  const get = (bff: RunningBff, path: string, key: string) => http(`${bff.url}${path}`, { headers: { 'x-api-key': key } });
  const metrics = async (bff: RunningBff) => (await http(`${bff.url}/metrics`)).text;
  const primaryDecisions = async (bff: RunningBff) => {
    const text = await metrics(bff);
    return ['allowed', 'limited'].reduce((sum, decision) => sum + (metricValue(text, 'portico_rate_limit_decisions_total', { scope: 'principal', decision, source: 'primary' }) ?? 0), 0);
  };

  it('takes every use to the cluster from REDIS_CLUSTER_NODES', () => {
    const policies = restManifestFromEnv(partnerManifest, { ...partnerUpstreamEnv(), REDIS_CLUSTER_NODES: cluster.seeds.join(','), API_KEYS_STORE: 'redis', RESPONSE_CACHE: 'redis' }).policies;
    expect(policies?.rateLimit?.store).toMatchObject({ kind: 'redis', clusterNodes: cluster.seeds });
    expect(policies?.authn?.apiKeys).toEqual({ redisClusterNodes: cluster.seeds });
    expect(policies?.responseCache?.store).toEqual({ kind: 'redis', clusterNodes: cluster.seeds });
  });

  it('lets exactly the limit through across both instances, not the limit per instance', async () => {
    const results = await Promise.all(Array.from({ length: SENT }, (_, i) => get(i % 2 ? first : second, '/v1/products', exact.key).then((r) => ({ via: i % 2, status: r.status }))));
    const allowed = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    process.stdout.write(`Redis Cluster, two instances: ${allowed.length} of ${SENT} allowed for a limit of ${LIMIT} (first ${allowed.filter((r) => r.via === 1).length}, second ${allowed.filter((r) => r.via === 0).length}), ${limited.length} refused\n`);
    expect(allowed).toHaveLength(LIMIT);
    expect(limited).toHaveLength(SENT - LIMIT);
    // Each instance let some through: the count is shared, not one instance doing all the work.
    expect(allowed.some((r) => r.via === 0) && allowed.some((r) => r.via === 1)).toBe(true);
  });

  it('accepts on both instances a key stored after they started, whichever master holds it', async () => {
    const issued = Array.from({ length: 6 }, (_, i) => generateApiKey({ clientId: `cluster-late-${i}`, plan: 'pro', scopes: [] }));
    for (const { record } of issued) await saveApiKeyToRedis(admin, record);
    const masters = new Set(await Promise.all(issued.map(({ record }) => cluster.masterFor(`${REDIS_KEY_PREFIXES.apiKeys}${record.keyId}`))));
    for (const { key } of issued) {
      expect((await get(first, '/v1/products', key)).status).toBe(200);
      expect((await get(second, '/v1/products', key)).status).toBe(200);
    }
    // Six random key ids fall on one master with a chance of 1 in 243: several masters served lookups.
    expect(masters.size).toBeGreaterThan(1);
  });

  it('serves from the second instance a response the first one cached', async () => {
    // Behind a load balancer every instance sees the public Host; a stored answer is only served for the Host it was fetched for.
    const viaBalancer = (bff: RunningBff, path: string) => http(`${bff.url}${path}`, { headers: { 'x-api-key': failover.key, host: 'partner.example.test' } });
    const hits = async () => metricValue(await metrics(second), 'portico_response_cache_total', { status: 'HIT' }) ?? 0;
    const errors = async () => metricValue(await metrics(second), 'portico_response_cache_errors_total', {}) ?? 0;
    const hitsBefore = await hits();
    const errorsBefore = await errors();
    for (const id of [1, 2, 3]) {
      const path = `/v1/products/${id}`;
      expect((await viaBalancer(first, path)).headers['x-cache']).toBe('MISS');
      // The entry is written after the answer is sent: wait (bounded) until the cluster has it.
      const entry = REDIS_KEY_PREFIXES.responseCache('partner') + httpCacheKey({ method: 'GET', url: path }, { kind: 'shared' });
      const deadline = Date.now() + 5_000;
      while ((await admin.exists(entry)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect((await viaBalancer(second, path)).headers['x-cache']).toBe('HIT');
      expect(upstream.requests.filter((r) => r.url === `/products/${id}`)).toHaveLength(1);
    }
    expect((await hits()) - hitsBefore).toBe(3);
    expect((await errors()) - errorsBefore).toBe(0);
  });

  it('answers every request without a 5xx while a master is down, falls back counted, and goes back to Redis when it returns', async () => {
    const victim = await cluster.masterFor(`${REDIS_KEY_PREFIXES.rateLimit('partner')}{client:${failover.record.clientId}}`);
    const statuses: number[] = [];
    const durations: number[] = [];
    const serverErrors: string[] = [];
    let stop = false;
    const started = Date.now();
    // Two callers, each alternating between the instances, until told to stop or out of bounds.
    const load = Promise.all(
      [0, 1].map(async (caller) => {
        for (let i = 0; !stop && Date.now() - started < LOAD_MAX_MS && statuses.length < LOAD_MAX_REQUESTS; i++) {
          const sentAt = Date.now();
          const res = await get((i + caller) % 2 ? first : second, '/v1/products', failover.key);
          durations.push(Date.now() - sentAt);
          statuses.push(res.status);
          if (res.status >= 500) serverErrors.push(`${res.status} ${res.text}`);
          await new Promise((r) => setTimeout(r, 5));
        }
      }),
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      await victim.kill();
      const killedAt = Date.now();
      // Longer than the cluster's node timeout and the API key cache: lookups of the key fail too.
      while (Date.now() - killedAt < 3_000) await new Promise((r) => setTimeout(r, 100));
      const duringOutage = statuses.length;
      const failures = await Promise.all([first, second].map(async (bff) => metricValue(await metrics(bff), 'portico_rate_limit_store_failures_total', {}) ?? 0));
      const fallbackDecisions = await Promise.all(
        [first, second].map(async (bff) => {
          const text = await metrics(bff);
          return ['allowed', 'limited'].reduce((sum, decision) => sum + (metricValue(text, 'portico_rate_limit_decisions_total', { scope: 'principal', decision, source: 'fallback' }) ?? 0), 0);
        }),
      );

      await victim.restart();
      const restartedAt = Date.now();
      const primaryAtRestart = await Promise.all([first, second].map(primaryDecisions));
      let back = [false, false];
      while (!back.every(Boolean) && Date.now() - restartedAt < 15_000) {
        await new Promise((r) => setTimeout(r, 50));
        const now = await Promise.all([first, second].map(primaryDecisions));
        back = now.map((n, i) => n > (primaryAtRestart[i] ?? 0));
      }
      const recoveredMs = Date.now() - restartedAt;
      await cluster.waitUntilHealthy();
      stop = true;
      await load;

      const count = (s: number) => statuses.filter((x) => x === s).length;
      const others = statuses.filter((s) => s !== 200 && s !== 429);
      const sorted = [...durations].sort((a, b) => a - b);
      process.stdout.write(
        `Redis Cluster failover: ${statuses.length} requests (${duringOutage} before the master returned): ${count(200)} allowed, ${count(429)} limited, ${serverErrors.length} 5xx, ${others.length} other (${[...new Set(others)].join(', ')}); ` +
          `store failures counted: first ${failures[0]}, second ${failures[1]}; fallback decisions: first ${fallbackDecisions[0]}, second ${fallbackDecisions[1]}; ` +
          `limiter back on Redis ${recoveredMs} ms after the master answered again; request time median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms (printed, not asserted)\n`,
      );
      expect(serverErrors).toEqual([]);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      expect(count(429)).toBeGreaterThan(0);
      expect(failures.every((f) => f >= 1)).toBe(true);
      expect(fallbackDecisions.every((f) => f > 0)).toBe(true);
      expect(back).toEqual([true, true]);
    } finally {
      stop = true;
      await load;
    }
  }, 60_000);
});
