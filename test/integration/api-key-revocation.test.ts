/**
 * Verified API keys are answered from memory, yet a revoked key is refused within about a
 * second, through the real partner BFF: a key file rewritten on disk, a Redis record marked
 * revoked.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { generateApiKey, saveApiKeyToRedis } from '../../shared/policies/authn/api-key';
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startRedis, type RedisServer } from '../helpers/redis';

/** The promise: one second, plus room for a loaded test machine. */
const REVOCATION_BOUND_MS = 1_500;

/** Calls with `key` until refused (or `boundMs` passes); resolves with the refusal's status and how long it took. */
async function refusal(url: string, key: string, boundMs: number): Promise<{ status: number; code: unknown; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const res = await http(`${url}/v1/products`, { headers: { 'x-api-key': key } });
    const afterMs = Date.now() - started;
    if (res.status !== 200 || afterMs > boundMs) return { status: res.status, code: res.json?.code, afterMs };
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Warms the cache: the key works several times in a row. */
async function acceptedRepeatedly(url: string, key: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await http(`${url}/v1/products`, { headers: { 'x-api-key': key } })).status);
  return statuses;
}

describe('API key revocation with verified keys cached', () => {
  let upstream: RecordingUpstream;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
  });

  afterAll(async () => {
    await upstream?.close();
  });

  it('refuses a key revoked in the key file within about a second', async () => {
    const issued = generateApiKey({ clientId: 'initech', plan: 'pro', scopes: [] });
    const dir = await mkdtemp(path.join(tmpdir(), 'portico-revocation-'));
    const file = path.join(dir, 'keys.json');
    let partner: RunningBff | undefined;
    try {
      await writeFile(file, JSON.stringify({ keys: [issued.record] }));
      partner = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies: { authn: { apiKeys: { file } } } });
      expect(await acceptedRepeatedly(partner.url, issued.key)).toEqual([200, 200, 200, 200, 200]);

      await writeFile(file, JSON.stringify({ keys: [{ ...issued.record, revoked: true }] }));
      const refused = await refusal(partner.url, issued.key, REVOCATION_BOUND_MS * 2);
      expect(refused).toMatchObject({ status: 401, code: 'AUTH_API_KEY_INVALID' });
      expect(refused.afterMs).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    } finally {
      await partner?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key revoked in Redis within about a second', async () => {
    const issued = generateApiKey({ clientId: 'hooli', plan: 'pro', scopes: [] });
    let redis: RedisServer | undefined;
    let admin: Redis | undefined;
    let partner: RunningBff | undefined;
    try {
      redis = await startRedis();
      admin = new Redis(redis.url);
      await saveApiKeyToRedis(admin, issued.record);
      partner = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies: { authn: { apiKeys: { redisUrl: redis.url } } } });
      expect(await acceptedRepeatedly(partner.url, issued.key)).toEqual([200, 200, 200, 200, 200]);

      await admin.hset(`portico:apikeys:${issued.record.keyId}`, 'revoked', 'true');
      const refused = await refusal(partner.url, issued.key, REVOCATION_BOUND_MS * 2);
      expect(refused).toMatchObject({ status: 401, code: 'AUTH_API_KEY_INVALID' });
      expect(refused.afterMs).toBeLessThanOrEqual(REVOCATION_BOUND_MS);
    } finally {
      await partner?.close();
      admin?.disconnect();
      await redis?.stop();
    }
  });
});
