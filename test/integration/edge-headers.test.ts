/**
 * CORS and security headers on a real BFF with authentication on: preflights need no
 * credentials, only listed origins are allowed, scripts can read tracing and limit headers.
 */
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner } from '../helpers/tokens';

let subgraphs: RunningSubgraphs;
let web: RunningBff;

beforeAll(async () => {
  subgraphs = await startSubgraphs(['products']);
  const signer = await createTestSigner();
  web = await startWebBff({
    ready: false,
    graphql: { subgraphUrls: subgraphs.urls },
    policies: {
      cors: { origins: ['https://app.portico.dev'] },
      authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } },
      rateLimit: {},
    },
  });
});

afterAll(async () => {
  await web?.close();
  await subgraphs?.close();
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin without credentials', async () => {
    const res = await http(`${web.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.portico.dev', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.portico.dev');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(String(res.headers['access-control-allow-headers'])).toContain('authorization');
    expect(res.headers['access-control-max-age']).toBe('600');
  });

  it('gives no CORS grant to an origin that is not listed', async () => {
    const res = await http(`${web.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets scripts read the request id and rate-limit headers of real answers, errors included', async () => {
    const res = await http(`${web.url}/graphql`, { method: 'POST', headers: { origin: 'https://app.portico.dev', 'content-type': 'application/json' }, body: '{"query":"{ topProducts { name } }"}' });
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.portico.dev');
    expect(String(res.headers['access-control-expose-headers'])).toContain('x-request-id');
    expect(String(res.headers['access-control-expose-headers'])).toContain('ratelimit-remaining');
  });
});

describe('security headers', () => {
  it('are set on every answer, with API defaults', async () => {
    const res = await http(`${web.url}/healthz`);
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cross-origin-resource-policy': 'cross-origin' });
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('access rules on the partner BFF', () => {
  it('refuses denied addresses and user agents with 403 before authentication, counts them, and keeps probes answerable', async () => {
    const { startPartnerBff, allUpstreamsAt } = await import('../helpers/bffs');
    const { startRecordingUpstream } = await import('../helpers/recording-upstream');
    const { generateApiKey } = await import('../../shared/policies/authn/api-key');
    const upstream = await startRecordingUpstream();
    const key = generateApiKey({ clientId: 'c', plan: 'pro', scopes: [] });
    const partner = await startPartnerBff(allUpstreamsAt(upstream.origin), {
      policies: {
        trustedProxies: ['127.0.0.1'],
        accessRules: { deny: ['203.0.113.0/24'], denyUserAgents: ['badbot'] },
        authn: { apiKeys: { records: [key.record] } },
      },
    });
    try {
      const denied = await http(`${partner.url}/v1/products`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(denied.status).toBe(403);
      expect(denied.json).toMatchObject({ code: 'ACCESS_DENIED' });
      expect((await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': key.key, 'user-agent': 'BadBot/2.0' } })).status).toBe(403);
      expect((await http(`${partner.url}/v1/products`, { headers: { 'x-api-key': key.key, 'x-forwarded-for': '198.51.100.4' } })).status).toBe(200);
      expect((await http(`${partner.url}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(200);
      const metrics = (await http(`${partner.url}/metrics`)).text;
      expect(metrics).toMatch(/portico_access_denied_total\{rule="ip_deny",bff="partner"\} 1/);
      expect(metrics).toMatch(/portico_access_denied_total\{rule="user_agent",bff="partner"\} 1/);
      expect(metrics).not.toMatch(/portico_auth_failures_total\{/);
      expect(upstream.requests.filter((r) => r.url !== '/healthz')).toHaveLength(1);
    } finally {
      await partner.close();
      await upstream.close();
    }
  });
});
