/**
 * Opaque bearer tokens through a real partner BFF, checked against the real demo
 * authorization server over HTTP: identity reaches the upstream, answers are cached and
 * shared, revocation takes effect after the cache window, and an endpoint that cannot
 * answer is a 503, never a 401.
 */
import type { IntrospectionOptions } from '../../shared/policies/authn/introspection';
import { DEV_USER_AUDIENCES } from '../../shared/dev/dev-keys';
import { DEMO_AUTH_AUDIENCE, DEMO_AUTH_ISSUER, DEMO_CLIENTS, DEMO_USERS, GATEWAY_CLIENT, PARTNER_CLIENT, WEB_CLIENT } from '../../supergraph/authorization-server/demo-clients';
import { createAuthorizationServer } from '../../supergraph/authorization-server/server';
import type { RegisteredClient } from '../../supergraph/authorization-server/token-store';
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { startRecordingUpstream, unusedPort, type RecordingUpstream } from '../helpers/recording-upstream';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner } from '../helpers/tokens';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunningAuthorizationServer {
  url: string;
  introspectEndpoint: string;
  /** Introspection requests received so far. */
  introspections(): number;
  /** Delay added to every introspection answer, in ms. */
  delayIntrospection(ms: number): void;
  token(client: RegisteredClient, params: Record<string, string>): Promise<string>;
  revoke(client: RegisteredClient, token: string): Promise<number>;
  close(): Promise<void>;
}

async function startAuthorizationServer(): Promise<RunningAuthorizationServer> {
  const { app } = createAuthorizationServer({ clients: DEMO_CLIENTS, users: DEMO_USERS, issuer: DEMO_AUTH_ISSUER, audience: DEMO_AUTH_AUDIENCE });
  let introspections = 0;
  let delayMs = 0;
  app.addHook('onRequest', async (request) => {
    if (request.url !== '/oauth/introspect') return;
    introspections += 1;
    if (delayMs > 0) await sleep(delayMs);
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const post = (path: string, client: RegisteredClient, params: Record<string, string>) =>
    http(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams(params).toString(),
    });
  return {
    url,
    introspectEndpoint: `${url}/oauth/introspect`,
    introspections: () => introspections,
    delayIntrospection: (ms) => {
      delayMs = ms;
    },
    async token(client, params) {
      const res = await post('/oauth/token', client, params);
      if (res.status !== 200) throw new Error(`token request failed: ${res.text}`);
      return res.json.access_token as string;
    },
    async revoke(client, token) {
      return (await post('/oauth/revoke', client, { token })).status;
    },
    close: () => app.close(),
  };
}

function gatewayIntrospection(as: RunningAuthorizationServer, overrides: Partial<IntrospectionOptions> = {}): IntrospectionOptions {
  return {
    endpoint: as.introspectEndpoint,
    clientId: GATEWAY_CLIENT.clientId,
    clientSecret: GATEWAY_CLIENT.clientSecret,
    // Partner client tokens and signed-in users' tokens alike: these tests are about identity, not audience binding.
    audience: [DEMO_AUTH_AUDIENCE, ...DEV_USER_AUDIENCES],
    issuer: DEMO_AUTH_ISSUER,
    ...overrides,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const upstreamCalls = (upstream: RecordingUpstream) => upstream.requests.filter((r) => r.url !== '/healthz');

describe('partner BFF accepting introspected opaque tokens', () => {
  let as: RunningAuthorizationServer;
  let upstream: RecordingUpstream;
  let partner: RunningBff;
  let signer: Awaited<ReturnType<typeof createTestSigner>>;

  beforeAll(async () => {
    as = await startAuthorizationServer();
    upstream = await startRecordingUpstream();
    signer = await createTestSigner();
    partner = await startPartnerBff(allUpstreamsAt(upstream.origin), {
      policies: {
        authn: {
          jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE },
          introspection: gatewayIntrospection(as, { maxCacheTtlMs: 30_000, negativeCacheTtlMs: 30_000 }),
        },
      },
    });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
    await as?.close();
  });

  beforeEach(() => {
    upstream.requests.length = 0;
    as.delayIntrospection(0);
  });

  it('accepts a client-credentials token and sends its identity upstream, not the token', async () => {
    const token = await as.token(PARTNER_CLIENT, { grant_type: 'client_credentials', scope: 'orders:read' });
    const res = await http(`${partner.url}/v1/products/1`, { headers: { ...bearer(token), 'x-client-id': 'spoofed' } });
    expect(res.status).toBe(200);
    const [call] = upstreamCalls(upstream);
    expect(call?.headers).toMatchObject({ 'x-principal-kind': 'client', 'x-client-id': 'demo-partner', 'x-client-plan': 'pro', 'x-user-scopes': 'orders:read', 'x-auth-method': 'introspection' });
    expect(call?.headers['x-user-id']).toBeUndefined();
    expect(call?.headers.authorization).toBeUndefined();
  });

  it("sends a signed-in user's id, roles and tenant from a password-grant token", async () => {
    const user = DEMO_USERS[1];
    const token = await as.token(WEB_CLIENT, { grant_type: 'password', username: user?.username ?? '', password: user?.password ?? '' });
    expect((await http(`${partner.url}/v1/products/1`, { headers: bearer(token) })).status).toBe(200);
    expect(upstreamCalls(upstream)[0]?.headers).toMatchObject({
      'x-principal-kind': 'user',
      'x-user-id': user?.sub,
      'x-user-roles': user?.roles.join(' '),
      'x-tenant-id': user?.tenant,
      'x-client-id': 'demo-web',
      'x-user-scopes': 'profile orders:read',
    });
  });

  it('enforces route scopes from the introspected scope', async () => {
    const token = await as.token(PARTNER_CLIENT, { grant_type: 'client_credentials', scope: 'orders:read' });
    const res = await http(`${partner.url}/v1/orders`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('FORBIDDEN');
    expect(upstreamCalls(upstream)).toHaveLength(0);
  });

  it('asks the endpoint once for many requests with the same token', async () => {
    const token = await as.token(PARTNER_CLIENT, { grant_type: 'client_credentials' });
    const before = as.introspections();
    for (let i = 0; i < 10; i += 1) expect((await http(`${partner.url}/v1/products/${i}`, { headers: bearer(token) })).status).toBe(200);
    expect(as.introspections() - before).toBe(1);
    const metrics = (await http(`${partner.url}/metrics`)).text;
    expect(metricValue(metrics, 'portico_introspection_cache_total', { result: 'hit' })).toBeGreaterThanOrEqual(9);
    expect(metricValue(metrics, 'portico_introspection_requests_total', { outcome: 'active' })).toBeGreaterThanOrEqual(1);
  });

  it('shares one call among concurrent requests for the same new token', async () => {
    const token = await as.token(PARTNER_CLIENT, { grant_type: 'client_credentials' });
    as.delayIntrospection(200);
    const before = as.introspections();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => http(`${partner.url}/v1/products/${i}`, { headers: bearer(token) })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(as.introspections() - before).toBe(1);
    expect(metricValue((await http(`${partner.url}/metrics`)).text, 'portico_introspection_cache_total', { result: 'shared' })).toBeGreaterThanOrEqual(19);
  });

  it('rejects unknown tokens with AUTH_TOKEN_INACTIVE, asking about a flood of them once', async () => {
    const before = as.introspections();
    for (let i = 0; i < 5; i += 1) {
      const res = await http(`${partner.url}/v1/products/1`, { headers: bearer('made-up-token-that-was-never-issued') });
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ code: 'AUTH_TOKEN_INACTIVE', requestId: expect.any(String) });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="portico", error="invalid_token"/);
    }
    expect(as.introspections() - before).toBe(1);
    expect(upstreamCalls(upstream)).toHaveLength(0);
  });

  it('verifies JWS-shaped tokens as JWTs without calling the endpoint', async () => {
    const before = as.introspections();
    const res = await http(`${partner.url}/v1/products/1`, { headers: bearer(await signer.mint({ sub: '42' })) });
    expect(res.status).toBe(200);
    expect(upstreamCalls(upstream)[0]?.headers).toMatchObject({ 'x-user-id': '42', 'x-auth-method': 'jwt' });
    expect(as.introspections()).toBe(before);
  });

  it('refuses a malformed Authorization header without calling the endpoint', async () => {
    const before = as.introspections();
    const res = await http(`${partner.url}/v1/products/1`, { headers: { authorization: 'Bearer two words' } });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('AUTH_TOKEN_INVALID');
    expect(as.introspections()).toBe(before);
  });
});

describe('revocation with a short cache window', () => {
  let as: RunningAuthorizationServer;
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    as = await startAuthorizationServer();
    upstream = await startRecordingUpstream();
    partner = await startPartnerBff(allUpstreamsAt(upstream.origin), {
      policies: { authn: { introspection: gatewayIntrospection(as, { maxCacheTtlMs: 1_000, negativeCacheTtlMs: 600 }) } },
    });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
    await as?.close();
  });

  it('keeps a revoked token working only until its cached answer expires, then caches the rejection briefly', async () => {
    const token = await as.token(PARTNER_CLIENT, { grant_type: 'client_credentials' });
    const call = () => http(`${partner.url}/v1/products/1`, { headers: bearer(token) });
    const start = as.introspections();
    expect((await call()).status).toBe(200);
    expect(await as.revoke(PARTNER_CLIENT, token)).toBe(200);
    // Within the positive window the cached answer still stands: the documented bound on revocation.
    expect((await call()).status).toBe(200);
    expect(as.introspections() - start).toBe(1);

    await sleep(1_100);
    const revoked = await call();
    expect(revoked.status).toBe(401);
    expect(revoked.json.code).toBe('AUTH_TOKEN_INACTIVE');
    expect(as.introspections() - start).toBe(2);
    expect((await call()).status).toBe(401);
    expect(as.introspections() - start).toBe(2);

    await sleep(700);
    expect((await call()).status).toBe(401);
    expect(as.introspections() - start).toBe(3);
  });
});

describe('an introspection endpoint that cannot answer', () => {
  let as: RunningAuthorizationServer;
  let upstream: RecordingUpstream;
  const bffs: RunningBff[] = [];

  beforeAll(async () => {
    as = await startAuthorizationServer();
    upstream = await startRecordingUpstream();
  });

  afterAll(async () => {
    await Promise.all(bffs.map((b) => b.close()));
    await upstream?.close();
    await as?.close();
  });

  async function partnerWith(introspection: IntrospectionOptions): Promise<RunningBff> {
    const bff = await startPartnerBff(allUpstreamsAt(upstream.origin), { policies: { authn: { introspection } } });
    bffs.push(bff);
    return bff;
  }

  function expectUnavailable(res: { status: number; json: any; headers: Record<string, unknown> }): void { // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ code: 'AUTH_INTROSPECTION_UNAVAILABLE', requestId: expect.any(String) });
    expect(res.headers['www-authenticate']).toBeUndefined();
  }

  it('answers 503 AUTH_INTROSPECTION_UNAVAILABLE, not 401, when the endpoint is down', async () => {
    const bff = await partnerWith(gatewayIntrospection(as, { endpoint: `http://127.0.0.1:${await unusedPort()}/oauth/introspect` }));
    expectUnavailable(await http(`${bff.url}/v1/products/1`, { headers: bearer('some-opaque-token') }));
    expect(upstreamCalls(upstream)).toHaveLength(0);
    expect(metricValue((await http(`${bff.url}/metrics`)).text, 'portico_introspection_requests_total', { outcome: 'error' })).toBe(1);
  });

  it('answers 503 within the timeout when the endpoint hangs', async () => {
    const hanging = await startRecordingUpstream(() => undefined);
    try {
      const bff = await partnerWith(gatewayIntrospection(as, { endpoint: `${hanging.origin}/oauth/introspect`, timeoutMs: 200 }));
      const started = Date.now();
      expectUnavailable(await http(`${bff.url}/v1/products/1`, { headers: bearer('some-opaque-token') }));
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(metricValue((await http(`${bff.url}/metrics`)).text, 'portico_introspection_requests_total', { outcome: 'timeout' })).toBe(1);
    } finally {
      await hanging.close();
    }
  });

  it('answers 503 and logs the misconfiguration when the endpoint refuses the gateway credentials', async () => {
    const token = await as.token(PARTNER_CLIENT, { grant_type: 'client_credentials' });
    const wrongSecret = await partnerWith(gatewayIntrospection(as, { clientSecret: 'not-the-secret' }));
    const logged = jest.spyOn(wrongSecret.app.log, 'error');
    expectUnavailable(await http(`${wrongSecret.url}/v1/products/1`, { headers: bearer(token) }));
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'unauthorized' }), expect.stringContaining("refused the gateway's client credentials (HTTP 401)"));
    expect(metricValue((await http(`${wrongSecret.url}/metrics`)).text, 'portico_introspection_requests_total', { outcome: 'unauthorized' })).toBe(1);

    // A client that may not introspect is refused the same way.
    const notAResourceServer = await partnerWith(gatewayIntrospection(as, { clientId: PARTNER_CLIENT.clientId, clientSecret: PARTNER_CLIENT.clientSecret }));
    expectUnavailable(await http(`${notAResourceServer.url}/v1/products/1`, { headers: bearer(token) }));
    expect(upstreamCalls(upstream)).toHaveLength(0);
  });

  it('does not remember failures: the next request asks again', async () => {
    let broken = true;
    const flaky = await startRecordingUpstream((_req, res) => {
      res.writeHead(broken ? 500 : 200, { 'content-type': 'application/json' });
      res.end(broken ? '{"error":"boom"}' : JSON.stringify({ active: true, client_id: 'acme', iss: DEMO_AUTH_ISSUER, aud: DEMO_AUTH_AUDIENCE }));
    });
    try {
      const bff = await partnerWith(gatewayIntrospection(as, { endpoint: `${flaky.origin}/introspect` }));
      expectUnavailable(await http(`${bff.url}/v1/products/1`, { headers: bearer('flaky-token') }));
      broken = false;
      expect((await http(`${bff.url}/v1/products/1`, { headers: bearer('flaky-token') })).status).toBe(200);
      // The gateway sent what RFC 7662 asks for, authenticated as itself.
      const [first] = flaky.requests;
      expect(first?.method).toBe('POST');
      expect(first?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(first?.body).toBe('token=flaky-token&token_type_hint=access_token');
      expect(first?.headers.authorization).toBe(`Basic ${Buffer.from(`${GATEWAY_CLIENT.clientId}:${GATEWAY_CLIENT.clientSecret}`).toString('base64')}`);
    } finally {
      await flaky.close();
    }
  });
});
