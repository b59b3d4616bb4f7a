/** One REDIS_URL serves the rate limiter, the API keys and the response cache of a BFF, each under its own key prefix, in a real Redis. */
import Redis from 'ioredis';
import { partnerManifest } from '../../bffs/partner/manifest';
import { restManifestFromEnv } from '../../shared/config/rest-env';
import { generateApiKey, saveApiKeyToRedis } from '../../shared/policies/authn/api-key';
import { createResponseCache } from '../../shared/policies/response-cache/response-cache-settings';
import { REDIS_KEY_PREFIXES } from '../../shared/redis';
import { allUpstreamsAt, partnerUpstreamEnv, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startRedis, type RedisServer } from '../helpers/redis';

describe('one Redis for every use', () => {
  const issued = generateApiKey({ clientId: 'initech', plan: 'pro', scopes: ['orders:read'] });
  let redis: RedisServer;
  let admin: Redis;
  let upstream: RecordingUpstream;
  let partner: RunningBff;
  let policies: NonNullable<ReturnType<typeof restManifestFromEnv>['policies']>;

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    await saveApiKeyToRedis(admin, issued.record);
    policies = restManifestFromEnv(partnerManifest, { ...partnerUpstreamEnv(), REDIS_URL: redis.url, API_KEYS_STORE: 'redis', RESPONSE_CACHE: 'redis' }).policies ?? {};
    upstream = await startRecordingUpstream();
    partner = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('takes every Redis URL from REDIS_URL', () => {
    expect(policies.rateLimit?.store).toMatchObject({ kind: 'redis', url: redis.url });
    expect(policies.authn?.apiKeys).toEqual({ redisUrl: redis.url });
    expect(policies.responseCache?.store).toEqual({ kind: 'redis', url: redis.url });
  });

  it('finds the API key and counts the request in the same Redis, under their own prefixes', async () => {
    const res = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': issued.key } });
    expect(res.status).toBe(200);
    expect(await admin.exists(`${REDIS_KEY_PREFIXES.apiKeys}${issued.record.keyId}`)).toBe(1);
    const limiterKeys = await admin.keys(`${REDIS_KEY_PREFIXES.rateLimit('partner')}*`);
    expect(limiterKeys.length).toBeGreaterThan(0);
  });

  it('keeps cache entries under the cache prefix of the BFF', async () => {
    const cache = createResponseCache(policies.responseCache ?? {}, 'partner');
    try {
      await cache.store.whenReady();
      await cache.store.set('probe', 'cached', 60_000);
      expect(await admin.get(`${REDIS_KEY_PREFIXES.responseCache('partner')}probe`)).toBe('cached');
    } finally {
      await cache.store.close();
    }
  });
});
