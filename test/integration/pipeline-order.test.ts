/**
 * The pipeline order, proven end to end on the partner BFF with a recording upstream:
 * identity headers stripped -> per-IP limit -> authentication -> principal limit ->
 * identity injected -> route. Unauthenticated floods spend nobody's budget, refused
 * requests never reach the upstream, spoofed identity never reaches the upstream.
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';

const LIMIT = 5;

describe('pipeline order on the partner BFF', () => {
  const alice = generateApiKey({ clientId: 'alice', plan: 'free', scopes: [] });
  const bob = generateApiKey({ clientId: 'bob', plan: 'free', scopes: ['orders:write'] });
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  const upstreamCalls = () => upstream.requests.filter((r) => r.url !== '/healthz');

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const upstreams = allUpstreamsAt(upstream.origin);
    partner = await startPartnerBff(upstreams, {
      policies: {
        authn: { apiKeys: { records: [alice.record, bob.record] } },
        rateLimit: {
          perIp: { limit: 40, windowMs: 60_000 },
          plans: { free: { limit: LIMIT, windowMs: 60_000 } },
          routes: { 'POST /v1/orders': { limit: 1, windowMs: 60_000 } },
        },
      },
    });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('lets an unauthenticated flood spend no principal budget', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await http(`${partner.url}/v1/products`, { headers: i % 2 ? { 'x-api-key': 'ptk_bogus' } : {} });
      expect(res.status).toBe(401);
    }
    expect(upstreamCalls()).toHaveLength(0);
    // Alice's full budget is intact.
    for (let i = 0; i < LIMIT; i++) {
      const res = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': alice.key } });
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe(String(LIMIT));
      expect(res.headers['ratelimit-remaining']).toBe(String(LIMIT - 1 - i));
      expect(res.headers['ratelimit-reset']).toMatch(/^\d+$/);
      // One set of headers: the X- copies only with legacyHeaders.
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
  });

  it('never forwards a rate-limited request, and answers 429 with Retry-After', async () => {
    const res = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': alice.key } });
    expect(res.status).toBe(429);
    expect(res.json).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED', requestId: expect.any(String) });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.headers['ratelimit-remaining']).toBe('0');
    expect(upstreamCalls()).toHaveLength(0);
  });

  it('keeps principals independent and gives limited routes their own bucket', async () => {
    const first = await http(`${partner.url}/v1/orders`, { method: 'POST', headers: { 'x-api-key': bob.key, 'content-type': 'application/json' }, body: '{}' });
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-limit']).toBe('1');
    const second = await http(`${partner.url}/v1/orders`, { method: 'POST', headers: { 'x-api-key': bob.key, 'content-type': 'application/json' }, body: '{}' });
    expect(second.status).toBe(429);
    // Bob's general budget is untouched by the route's own limit.
    const other = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': bob.key } });
    expect(other.status).toBe(200);
    expect(other.headers['ratelimit-remaining']).toBe(String(LIMIT - 1));
    expect(upstreamCalls()).toHaveLength(2);
  });

  it('strips spoofed identity before anything else, even on refused requests', async () => {
    await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': bob.key, 'x-client-id': 'alice', 'x-client-plan': 'enterprise' } });
    const seen = upstreamCalls()[0];
    expect(seen?.headers['x-client-id']).toBe('bob');
    expect(seen?.headers['x-client-plan']).toBe('free');
  });

  it('cuts a flood from one address at the per-IP limit, before authentication', async () => {
    let limited = 0;
    for (let i = 0; i < 45; i++) {
      const res = await http(`${partner.url}/v1/products`);
      if (res.status === 429) {
        limited++;
        expect(res.json.message).toContain('for this address');
      } else expect(res.status).toBe(401);
    }
    expect(limited).toBeGreaterThan(0);
    const metrics = (await http(`${partner.url}/metrics`)).text;
    expect(metrics).toMatch(/portico_rate_limit_decisions_total\{scope="ip",decision="limited",source="memory",bff="partner"\} [1-9]/);
    expect(metrics).toMatch(/portico_rate_limit_decisions_total\{scope="principal",decision="limited",source="memory",bff="partner"\} [1-9]/);
  });

  it('never limits health and metrics', async () => {
    for (let i = 0; i < 5; i++) expect((await http(`${partner.url}/healthz`)).status).toBe(200);
  });
});

describe('client address behind proxies', () => {
  let upstream: RecordingUpstream;
  const started: RunningBff[] = [];

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
  });

  afterAll(async () => {
    for (const bff of started) await bff.close();
    await upstream?.close();
  });

  async function partnerWith(trustedProxies: string[]): Promise<RunningBff> {
    const upstreams = allUpstreamsAt(upstream.origin);
    const bff = await startPartnerBff(upstreams, { policies: { trustedProxies, rateLimit: { perIp: { limit: 2, windowMs: 60_000 } } } });
    started.push(bff);
    return bff;
  }

  it('believes X-Forwarded-For from a trusted proxy: each client gets its own per-IP budget', async () => {
    const partner = await partnerWith(['127.0.0.1/32']);
    for (const client of ['203.0.113.7', '203.0.113.8']) {
      for (let i = 0; i < 2; i++) expect((await http(`${partner.url}/v1/products`, { headers: { 'x-forwarded-for': client } })).status).toBe(200);
      expect((await http(`${partner.url}/v1/products`, { headers: { 'x-forwarded-for': client } })).status).toBe(429);
    }
  });

  it('ignores X-Forwarded-For from an untrusted peer, so spoofing it buys no budget', async () => {
    const partner = await partnerWith([]);
    const statuses: number[] = [];
    for (const client of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      statuses.push((await http(`${partner.url}/v1/products`, { headers: { 'x-forwarded-for': client } })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe('partner documentation with policies on', () => {
  it('declares bearer tokens as an alternative when the facade accepts them', async () => {
    const upstream = await startRecordingUpstream();
    const key = generateApiKey({ clientId: 'docs', plan: 'free', scopes: [] });
    const partner = await startPartnerBff(allUpstreamsAt(upstream.origin), {
      policies: { authn: { apiKeys: { records: [key.record] }, jwt: { jwks: { keys: [] }, issuer: 'https://issuer.test', audience: 'partner' } } },
    });
    try {
      const doc = (await http(`${partner.url}/v2/openapi.json`)).json;
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.paths['/v2/orders/{id}'].get.security).toEqual([{ apiKey: ['orders:read'] }, { bearer: ['orders:read'] }]);
      const { validate } = await import('@readme/openapi-parser');
      const result = await validate(structuredClone(doc));
      expect(result.valid ? [] : result.errors).toEqual([]);
    } finally {
      await partner.close();
      await upstream.close();
    }
  });

  it('declares API-key auth and plan limits per route, and stays public', async () => {
    const upstream = await startRecordingUpstream();
    const upstreams = allUpstreamsAt(upstream.origin);
    const key = generateApiKey({ clientId: 'docs', plan: 'free', scopes: [] });
    const partner = await startPartnerBff(upstreams, {
      policies: { authn: { apiKeys: { records: [key.record] } }, rateLimit: { routes: { 'GET /v2/orders/:id': { limit: 10, windowMs: 60_000 } } } },
    });
    try {
      const doc = (await http(`${partner.url}/v2/openapi.json`)).json;
      expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
      expect(doc.paths['/v2/products'].get.security).toEqual([{ apiKey: [] }]);
      expect(doc.paths['/v2/products'].get['x-rate-limits'].free).toEqual({ limit: 60, windowMs: 60_000 });
      expect(doc.paths['/v2/orders/{id}'].get['x-rate-limits']).toEqual({ all: { limit: 10, windowMs: 60_000 } });
      expect((await http(`${partner.url}/docs`)).status).toBe(200);
      expect(doc.components.securitySchemes.bearer).toBeUndefined();
    } finally {
      await partner.close();
      await upstream.close();
    }
  });
});

describe('rate-limit headers on the partner BFF', () => {
  it('sends the X-RateLimit copies only when legacy headers are on, on answers and refusals', async () => {
    const upstream = await startRecordingUpstream();
    const key = generateApiKey({ clientId: 'legacy', plan: 'free', scopes: [] });
    const partner = await startPartnerBff(allUpstreamsAt(upstream.origin), {
      policies: { authn: { apiKeys: { records: [key.record] } }, rateLimit: { perIp: false, plans: { free: { limit: 1, windowMs: 60_000 } }, legacyHeaders: true } },
    });
    try {
      const allowed = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': key.key } });
      expect(allowed.status).toBe(200);
      expect(allowed.headers).toMatchObject({ 'ratelimit-limit': '1', 'ratelimit-remaining': '0', 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0' });
      expect(allowed.headers['x-ratelimit-reset']).toBe(allowed.headers['ratelimit-reset']);
      const refused = await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': key.key } });
      expect(refused.status).toBe(429);
      expect(refused.headers).toMatchObject({ 'ratelimit-remaining': '0', 'x-ratelimit-remaining': '0' });
    } finally {
      await partner.close();
      await upstream.close();
    }
  });
});
