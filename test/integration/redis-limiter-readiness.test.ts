/**
 * What a BFF whose limiter uses Redis says while Redis is gone: fail-closed refusals are
 * catalogue 503s with `Retry-After`, and `/readyz` reports the limiter, failing only when
 * its readiness is 'required' (by default: when failing closed).
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import type { PolicySettings } from '../../shared/manifest';
import type { RedisRateLimitStoreSettings } from '../../shared/policies/rate-limit/rate-limit-settings';
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { startRedis, type RedisServer } from '../helpers/redis';

/** Readiness must be decided within the command timeout, not the check's 1 s timeout: generous bound. */
const READYZ_BOUND_MS = 900;

describe('a Redis-backed limiter while Redis is unreachable', () => {
  const key = generateApiKey({ clientId: 'readiness-client', plan: 'free', scopes: [] });
  let redis: RedisServer;
  let upstream: RecordingUpstream;
  const bffs: Record<'closed' | 'open' | 'openRequired', RunningBff | undefined> = { closed: undefined, open: undefined, openRequired: undefined };

  const start = (store: Partial<RedisRateLimitStoreSettings>): Promise<RunningBff> => {
    const policies: PolicySettings = {
      authn: { apiKeys: { records: [key.record] } },
      rateLimit: { perIp: false, plans: { free: { limit: 100, windowMs: 60_000 } }, store: { kind: 'redis', url: redis.url, commandTimeoutMs: 100, ...store } },
    };
    return startPartnerBff(allUpstreamsAt(upstream.origin), { policies });
  };
  const bff = (name: keyof typeof bffs): RunningBff => {
    const running = bffs[name];
    if (!running) throw new Error(`${name} BFF not started`);
    return running;
  };
  const readyz = async (name: keyof typeof bffs) => {
    const started = Date.now();
    const res = await http(`${bff(name).url}/readyz`);
    expect(Date.now() - started).toBeLessThan(READYZ_BOUND_MS);
    return { status: res.status, check: res.json?.checks?.rateLimitStore };
  };
  const products = (name: keyof typeof bffs) => http(`${bff(name).url}/v1/products`, { headers: { 'x-api-key': key.key } });

  async function untilReady(name: keyof typeof bffs, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await readyz(name)).status !== 200) {
      if (Date.now() > deadline) throw new Error(`${name} not ready again after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    redis = await startRedis();
    upstream = await startRecordingUpstream();
    bffs.closed = await start({ failMode: 'closed' });
    bffs.open = await start({});
    bffs.openRequired = await start({ readiness: 'required' });
  });

  afterAll(async () => {
    await Promise.all(Object.values(bffs).map((b) => b?.close()));
    await upstream?.close();
    await redis?.stop();
  });

  it('reports the limiter as reachable while Redis is up', async () => {
    for (const name of ['closed', 'open', 'openRequired'] as const) {
      expect(await readyz(name)).toEqual({ status: 200, check: { ok: true, detail: 'redis reachable' } });
    }
  });

  it('answers fail-closed refusals with the catalogue body and Retry-After, and is not ready meanwhile', async () => {
    await redis.kill();
    const refused = await products('closed');
    expect(refused.status).toBe(503);
    // The time until Redis is tried again (a 1 s cooldown), in whole seconds.
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json).toEqual({
      statusCode: 503,
      code: 'RATE_LIMITER_UNAVAILABLE',
      error: 'Service Unavailable',
      message: 'The rate limiter is unavailable and this gateway is configured to fail closed.',
      requestId: refused.headers['x-request-id'],
    });
    // Refusals during the cooldown carry it too.
    expect((await products('closed')).headers['retry-after']).toBe('1');
    expect(await readyz('closed')).toEqual({ status: 503, check: { ok: false, detail: 'redis unreachable: refusing with 503 (fail closed)' } });
  });

  it('stays ready failing open (informational by default) and serves with local limits', async () => {
    expect((await products('open')).status).toBe(200);
    expect(await readyz('open')).toEqual({ status: 200, check: { ok: true, detail: 'redis unreachable: deciding locally' } });
  });

  it('is not ready failing open when readiness is required, though it still serves', async () => {
    expect(await readyz('openRequired')).toEqual({ status: 503, check: { ok: false, detail: 'redis unreachable: deciding locally' } });
    expect((await products('openRequired')).status).toBe(200);
  });

  it('is ready again once Redis is back, without waiting for a request', async () => {
    await redis.restart();
    await untilReady('closed');
    await untilReady('openRequired');
    expect(await readyz('closed')).toEqual({ status: 200, check: { ok: true, detail: 'redis reachable' } });
    expect((await products('closed')).status).toBe(200);
  });

  it('reports a hung Redis as unreachable within the command timeout', async () => {
    redis.pause();
    try {
      expect(await readyz('closed')).toEqual({ status: 503, check: { ok: false, detail: 'redis unreachable: refusing with 503 (fail closed)' } });
      expect(await readyz('open')).toMatchObject({ status: 200, check: { ok: true } });
    } finally {
      redis.resume();
    }
    await untilReady('closed');
  });
});
