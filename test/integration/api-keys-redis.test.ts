/** API keys kept in a real Redis (hashes only): accepted, then revoked without a restart. */
import Redis from 'ioredis';
import { generateApiKey, saveApiKeyToRedis } from '../../shared/policies/authn/api-key';
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startRedis, type RedisServer } from '../helpers/redis';

describe('API keys in Redis', () => {
  const issued = generateApiKey({ clientId: 'globex', plan: 'enterprise', scopes: ['orders:read'] });
  let redis: RedisServer;
  let admin: Redis;
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    await saveApiKeyToRedis(admin, issued.record);
    upstream = await startRecordingUpstream();
    const upstreams = allUpstreamsAt(upstream.origin);
    partner = await startPartnerBff(upstreams, { policies: { authn: { apiKeys: { redisUrl: redis.url } } } });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  async function refusedWithin(boundMs: number) {
    const deadline = Date.now() + boundMs;
    let res = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': issued.key } });
    while (res.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      res = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': issued.key } });
    }
    return res;
  }

  it('stores no usable key material', async () => {
    const stored = await admin.hgetall(`portico:apikeys:${issued.record.keyId}`);
    expect(stored.hash).toBe(issued.record.hash);
    expect(JSON.stringify(stored)).not.toContain(issued.key.slice(22));
  });

  it('accepts the key, then refuses it once revoked', async () => {
    const ok = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': issued.key } });
    expect(ok.status).toBe(200);
    expect(upstream.requests.find((r) => r.url === '/products')?.headers['x-client-plan']).toBe('enterprise');

    await admin.hset(`portico:apikeys:${issued.record.keyId}`, 'revoked', 'true');
    // A verified key is trusted from memory for at most a second.
    const revoked = await refusedWithin(2_000);
    expect(revoked.status).toBe(401);
    expect(revoked.json.code).toBe('AUTH_API_KEY_INVALID');
  });

  it('answers 503 AUTH_KEYS_UNAVAILABLE, not 401, while Redis is down', async () => {
    await redis.kill();
    const res = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': issued.key } });
    expect(res.status).toBe(503);
    expect(res.json.code).toBe('AUTH_KEYS_UNAVAILABLE');
    await redis.restart();
    // Back in service once the client has reconnected (Redis restarted empty, so the key is re-saved).
    let saved = false;
    for (let i = 0; i < 100 && !saved; i++) {
      saved = await saveApiKeyToRedis(admin, issued.record).then(
        () => true,
        async () => {
          await new Promise((r) => setTimeout(r, 100));
          return false;
        },
      );
    }
    expect(saved).toBe(true);
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': issued.key } })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
