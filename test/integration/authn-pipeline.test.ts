/**
 * Authentication and header hygiene through real BFFs: credentials checked with the
 * right codes, spoofed identity never reaching an upstream, verified identity injected,
 * credentials not forwarded.
 */
import { generateApiKey } from '../../shared/policies/authn/api-key';
import { allUpstreamsAt, startPartnerBff, startWebBff, waitForSupergraph, type RunningBff } from '../helpers/bffs';
import { http, postGraphql, rawGet } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, type TestSigner } from '../helpers/tokens';

const SPOOFED = {
  'x-user-id': 'admin',
  'X-User-Roles': 'superuser',
  x_client_plan: 'enterprise',
  'x-portico-internal': 'yes',
};

describe('partner BFF with API keys', () => {
  const acme = generateApiKey({ clientId: 'acme', plan: 'pro', scopes: ['orders:read'] });
  const revoked = generateApiKey({ clientId: 'old', plan: 'free', scopes: [] });
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const upstreams = allUpstreamsAt(upstream.origin);
    partner = await startPartnerBff(upstreams, { policies: { authn: { apiKeys: { records: [acme.record, { ...revoked.record, revoked: true }] } } } });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  beforeEach(() => {
    upstream.requests.length = 0;
  });

  it('rejects a request without credentials with 401, a challenge, and no upstream call', async () => {
    const res = await http(`${partner.url}/v1/products/1`);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ code: 'AUTH_REQUIRED', requestId: expect.any(String) });
    expect(res.headers['www-authenticate']).toBe('ApiKey realm="portico", header="x-api-key"');
    expect(upstream.requests.filter((r) => r.url !== '/healthz')).toHaveLength(0);
  });

  it('rejects unknown and revoked keys with AUTH_API_KEY_INVALID', async () => {
    for (const key of ['ptk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', revoked.key, 'garbage']) {
      const res = await http(`${partner.url}/v1/products/1`, { headers: { 'x-api-key': key } });
      expect(res.status).toBe(401);
      expect(res.json.code).toBe('AUTH_API_KEY_INVALID');
    }
    expect(upstream.requests.filter((r) => r.url !== '/healthz')).toHaveLength(0);
  });

  it('never lets spoofed identity headers reach the upstream, in any spelling', async () => {
    await rawGet(`${partner.url}/v1/products/1`, { 'x-api-key': acme.key, ...SPOOFED });
    const seen = upstream.requests.find((r) => r.url === '/products/1');
    expect(seen).toBeDefined();
    const rawNames = (seen?.rawHeaders ?? []).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(rawNames).not.toContain('x-portico-internal');
    expect(rawNames).not.toContain('x_client_plan');
    expect(seen?.headers['x-user-id']).toBeUndefined();
    expect(seen?.headers['x-user-roles']).toBeUndefined();
    // The verified identity replaces what the client claimed.
    expect(seen?.headers).toMatchObject({ 'x-principal-kind': 'client', 'x-client-id': 'acme', 'x-client-plan': 'pro', 'x-user-scopes': 'orders:read', 'x-auth-method': 'api-key' });
    // Credentials stay at the edge.
    expect(seen?.headers['x-api-key']).toBeUndefined();
    expect(seen?.headers.authorization).toBeUndefined();
  });

  it('sends the verified identity on aggregate fan-out calls too', async () => {
    upstream.respondWith((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = req.url.startsWith('/orders/') ? { id: '5', customerId: '1', status: 'PAID', createdAt: 'x', items: [], totalCents: 0 } : req.url.startsWith('/users/') ? { id: '1', username: 'u', name: 'U', email: 'e' } : { items: [] };
      res.end(JSON.stringify(body));
    });
    const res = await http(`${partner.url}/v1/orders/5`, { headers: { 'x-api-key': acme.key, 'x-user-id': 'admin' } });
    expect(res.status).toBe(200);
    const calls = upstream.requests.filter((r) => r.url !== '/healthz');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call.headers['x-client-id']).toBe('acme');
      expect(call.headers['x-user-id']).toBeUndefined();
    }
  });

  it('keeps health, readiness and metrics public', async () => {
    expect((await http(`${partner.url}/healthz`)).status).toBe(200);
    expect((await http(`${partner.url}/metrics`)).status).toBe(200);
    const metrics = (await http(`${partner.url}/metrics`)).text;
    expect(metrics).toMatch(/portico_auth_failures_total\{reason="AUTH_API_KEY_INVALID",bff="partner"\} [1-9]/);
    expect(metrics).toMatch(/portico_identity_headers_stripped_total\{bff="partner"\} [1-9]/);
  });
});

describe('web BFF with JWT', () => {
  let signer: TestSigner;
  let subgraph: RecordingUpstream;
  let web: RunningBff;

  beforeAll(async () => {
    signer = await createTestSigner();
    subgraph = await startRecordingUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { topProducts: [{ name: 'Seen' }] } }));
    });
    web = await startWebBff({
      ready: false,
      graphql: { subgraphUrls: { products: `${subgraph.origin}/graphql` } },
      policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } },
    });
  });

  afterAll(async () => {
    await web?.close();
    await subgraph?.close();
  });

  it('answers missing, expired and wrong-audience tokens with distinct 401 codes and a Bearer challenge', async () => {
    const missing = await postGraphql(web.url, '{ topProducts { name } }');
    expect(missing.status).toBe(401);
    expect(missing.json.code).toBe('AUTH_REQUIRED');
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="portico"');

    const expired = await postGraphql(web.url, '{ topProducts { name } }', undefined, { authorization: `Bearer ${await signer.mint({}, { expiresInSec: -600 })}` });
    expect(expired.status).toBe(401);
    expect(expired.json.code).toBe('AUTH_TOKEN_EXPIRED');
    expect(expired.headers['www-authenticate']).toMatch(/^Bearer realm="portico", error="invalid_token"/);

    const audience = await postGraphql(web.url, '{ topProducts { name } }', undefined, { authorization: `Bearer ${await signer.mint({ aud: 'partner' })}` });
    expect(audience.json.code).toBe('AUTH_TOKEN_WRONG_AUDIENCE');
  });

  it('sends the verified user to subgraphs and drops the client-sent identity and token', async () => {
    await waitForSupergraph(web);
    const token = await signer.mint({ sub: '17', scope: 'profile', tenant: 't1' });
    const res = await postGraphql(web.url, '{ topProducts { name } }', undefined, { authorization: `Bearer ${token}`, 'x-user-id': '1', 'X-Tenant-Id': 'other' });
    expect(res.json).toEqual({ data: { topProducts: [{ name: 'Seen' }] } });
    const call = subgraph.requests.find((r) => r.body.includes('topProducts'));
    expect(call?.headers).toMatchObject({ 'x-user-id': '17', 'x-tenant-id': 't1', 'x-user-scopes': 'profile', 'x-principal-kind': 'user' });
    expect(call?.headers.authorization).toBeUndefined();
  });
});

describe('route scopes on the partner BFF', () => {
  const reader = generateApiKey({ clientId: 'reader', plan: 'pro', scopes: ['orders:read'] });
  const writer = generateApiKey({ clientId: 'writer', plan: 'pro', scopes: ['orders:read', 'orders:write'] });
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const upstreams = allUpstreamsAt(upstream.origin);
    partner = await startPartnerBff(upstreams, { policies: { authn: { apiKeys: { records: [reader.record, writer.record] } } } });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  it('lets a key with orders:read list orders but not place one (403 with the missing scope)', async () => {
    expect((await http(`${partner.url}/v1/orders`, { headers: { 'x-api-key': reader.key } })).status).toBe(200);
    upstream.requests.length = 0;
    const denied = await http(`${partner.url}/v1/orders`, { method: 'POST', headers: { 'x-api-key': reader.key, 'content-type': 'application/json' }, body: '{}' });
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({ code: 'FORBIDDEN', message: 'Missing scope(s): orders:write.' });
    expect(denied.headers['www-authenticate']).toContain('insufficient_scope');
    expect(upstream.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    const placed = await http(`${partner.url}/v1/orders`, { method: 'POST', headers: { 'x-api-key': writer.key, 'content-type': 'application/json' }, body: '{}' });
    expect(placed.status).toBe(200);
  });
});
