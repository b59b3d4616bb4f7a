/**
 * Shared limits across BFF instances on one real Redis, and a Redis that dies mid-run:
 * two partner instances enforce ONE limit; with Redis gone no request fails or hangs.
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import type { PolicySettings } from '../../shared/manifest';
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startRedis, type RedisServer } from '../helpers/redis';

const N = 20;
const EXTRA = 12;

describe('rate limits shared through Redis', () => {
  const key = generateApiKey({ clientId: 'shared-client', plan: 'free', scopes: [] });
  let redis: RedisServer;
  let upstream: RecordingUpstream;
  let first: RunningBff;
  let second: RunningBff;

  beforeAll(async () => {
    redis = await startRedis();
    upstream = await startRecordingUpstream();
    const upstreams = allUpstreamsAt(upstream.origin);
    const policies: PolicySettings = {
      authn: { apiKeys: { records: [key.record] } },
      rateLimit: { perIp: false, plans: { free: { limit: N, windowMs: 60_000 } }, store: { kind: 'redis', url: redis.url, commandTimeoutMs: 100 } },
    };
    first = await startPartnerBff(upstreams, { policies });
    second = await startPartnerBff(upstreams, { policies });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    await redis?.stop();
  });

  it('lets exactly N of N+k concurrent requests through across two instances', async () => {
    const results = await Promise.all(
      Array.from({ length: N + EXTRA }, (_, i) => http(`${(i % 2 ? first : second).url}/v1/products`, { headers: { 'x-api-key': key.key } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(N);
    expect(statuses.filter((s) => s === 429)).toHaveLength(EXTRA);
    expect(upstream.requests.filter((r) => r.url.startsWith('/products'))).toHaveLength(N);
  });

  it('keeps serving without a single 5xx or hang when Redis dies, keeps the spent budget spent, and goes back to Redis when it returns', async () => {
    const primaryDecisions = async () => {
      const text = (await http(`${first.url}/metrics`)).text;
      return [...text.matchAll(/scope="principal",decision="(?:allowed|limited)",source="primary",bff="partner"\} (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const beforeOutage = await primaryDecisions();
    expect((await http(`${first.url}/metrics`)).text).toMatch(/^portico_rate_limit_store_fallback_active\{bff="partner"\} 0$/m);
    await redis.kill();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      const res = await http(`${first.url}/v1/products`, { headers: { 'x-api-key': key.key } });
      expect(Date.now() - started).toBeLessThan(2_000);
      statuses.push(res.status);
    }
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // The local fallback starts from the state Redis last gave this instance, not a fresh budget of N.
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(N / 2);
    const metrics = (await http(`${first.url}/metrics`)).text;
    expect(metrics).toMatch(/portico_rate_limit_store_failures_total\{bff="partner"\} 1/);
    // What the alert on the local fallback watches.
    expect(metrics).toMatch(/^portico_rate_limit_store_fallback_active\{bff="partner"\} 1$/m);
    expect(metrics).toMatch(/portico_rate_limit_decisions_total\{scope="principal",decision="limited",source="fallback",bff="partner"\} [1-9]/);

    await redis.restart();
    // Redis restarted empty; decisions come from it again once the client has reconnected,
    // and the spent budget was carried into it, so the client is still limited.
    let fromRedis = false;
    const after: number[] = [];
    for (let i = 0; i < 60 && !fromRedis; i++) {
      const res = await http(`${first.url}/v1/products`, { headers: { 'x-api-key': key.key } });
      after.push(res.status);
      fromRedis = (await primaryDecisions()) > beforeOutage;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(fromRedis).toBe(true);
    expect((await http(`${first.url}/metrics`)).text).toMatch(/^portico_rate_limit_store_fallback_active\{bff="partner"\} 0$/m);
    expect(after.at(-1)).toBe(429);
    expect(after.every((s) => s === 200 || s === 429)).toBe(true);
  });
});
