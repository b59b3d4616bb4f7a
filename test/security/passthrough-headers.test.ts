/**
 * Attack: headers a client sends to be believed by the upstream (its own address, scheme
 * and host, cookies, method and URL overrides), headers an upstream sends to be believed
 * by the client (cookies, banners, CORS, Portico's own names), and matrix-parameter paths.
 * Forwarded headers are Portico's, rebuilt from the peer and extended only through trusted
 * proxies; the rest is dropped unless a route opts in; paths with `;` never leave Portico.
 */
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http, rawGet } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import type { RouteTable } from '../../shared/rest/route-table';

const TABLE: RouteTable = {
  version: 'v1',
  deprecation: { since: '2026-11-01', sunset: '2027-06-30', successor: '/v2' },
  routes: [
    { kind: 'passthrough', prefix: '/v1/products', upstream: 'products', rewritePrefix: '/products', methods: ['GET', 'POST'] },
    {
      kind: 'passthrough',
      prefix: '/v1/legacy',
      upstream: 'products',
      rewritePrefix: '/legacy',
      methods: ['GET', 'POST'],
      forwardCookie: true,
      forwardMethodOverride: true,
      forwardUrlOverride: true,
      responseHeaders: ['x-trace-id', 'set-cookie'],
      cache: false,
    },
  ],
};

/** Everything an upstream could send that a client must not get, plus what it may. */
const UPSTREAM_RESPONSE_HEADERS: Record<string, string | string[]> = {
  'content-type': 'application/json',
  'cache-control': 'max-age=5',
  etag: '"abc"',
  'last-modified': 'Mon, 30 Nov 2026 10:00:00 GMT',
  link: '</products?page=2>; rel="next"',
  location: '/products/9',
  'set-cookie': ['session=upstream; Path=/', 'tracking=1'],
  server: 'internal-nginx/1.2.3',
  'x-powered-by': 'Express',
  'access-control-allow-origin': '*',
  'access-control-allow-credentials': 'true',
  'x-internal-debug': 'db=primary-3',
  'x-trace-id': 'trace-1',
  'x-request-id': 'upstream-made-up',
  'ratelimit-remaining': '999999',
  'x-cache': 'HIT',
  deprecation: 'false',
  'strict-transport-security': 'max-age=0',
};

function startUpstream(): Promise<RecordingUpstream> {
  return startRecordingUpstream((req, res) => {
    if (req.url === '/healthz') {
      res.end('ok');
      return;
    }
    const body = JSON.stringify({ ok: true });
    res.writeHead(200, { ...UPSTREAM_RESPONSE_HEADERS, 'content-length': String(body.length) });
    res.end(body);
  });
}

describe('passthrough request and response headers', () => {
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    upstream = await startUpstream();
    partner = await startPartnerBff(allUpstreamsAt(upstream.origin), { versions: [TABLE], policies: { rateLimit: {} } });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  beforeEach(() => {
    upstream.requests.length = 0;
  });

  const productCalls = () => upstream.requests.filter((r) => r.url.startsWith('/products'));

  it('rebuilds forwarded headers from the real peer and drops every client claim about the connection', async () => {
    const port = new URL(partner.url).port;
    const res = await rawGet(`${partner.url}/v1/products/1`, {
      'x-forwarded-for': '6.6.6.6',
      forwarded: 'for=6.6.6.6;proto=https;host=bank.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'bank.example',
      'x-forwarded-port': '443',
      'x-real-ip': '6.6.6.6',
      'true-client-ip': '6.6.6.6',
    });
    expect(res.status).toBe(200);
    expect(productCalls()).toHaveLength(1);
    const seen = productCalls()[0]?.headers ?? {};
    expect(seen).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': `127.0.0.1:${port}`,
      forwarded: `for=127.0.0.1;host="127.0.0.1:${port}";proto=http`,
    });
    for (const name of ['x-forwarded-port', 'x-real-ip', 'true-client-ip']) expect(seen[name]).toBeUndefined();
  });

  it('drops Cookie, method-override and URL-override headers unless the route opts in', async () => {
    const smuggled = {
      cookie: 'session=stolen',
      'x-http-method-override': 'DELETE',
      'x-http-method': 'DELETE',
      'x-method-override': 'DELETE',
      'x-original-url': '/admin/users',
      'x-rewrite-url': '/admin/users',
      expect: '100-continue',
    };
    const [plain, ordinary] = await Promise.all([rawGet(`${partner.url}/v1/products/1`, smuggled), http(`${partner.url}/v1/products/2`)]);
    expect([plain.status, ordinary.status]).toEqual([200, 200]);
    expect(productCalls()).toHaveLength(2);
    for (const call of productCalls()) for (const name of Object.keys(smuggled)) expect(call.headers[name]).toBeUndefined();

    const optedIn = await rawGet(`${partner.url}/v1/legacy/1`, smuggled);
    expect(optedIn.status).toBe(200);
    const legacy = upstream.requests.filter((r) => r.url.startsWith('/legacy'));
    expect(legacy).toHaveLength(1);
    expect(legacy[0]?.headers).toMatchObject({ cookie: 'session=stolen', 'x-http-method-override': 'DELETE', 'x-original-url': '/admin/users', 'x-rewrite-url': '/admin/users' });
    // Expect is Portico's to answer, on every route.
    expect(legacy[0]?.headers.expect).toBeUndefined();
  });

  it('returns only the allowed upstream headers and never lets an upstream replace Portico\'s own', async () => {
    const res = await http(`${partner.url}/v1/products/1`, { headers: { 'x-request-id': 'client-trace-7' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true });
    expect(res.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'max-age=5',
      etag: '"abc"',
      'last-modified': 'Mon, 30 Nov 2026 10:00:00 GMT',
      location: '/v1/products/9',
      'x-request-id': 'client-trace-7',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
    });
    for (const name of ['set-cookie', 'server', 'x-powered-by', 'access-control-allow-origin', 'access-control-allow-credentials', 'x-internal-debug', 'x-trace-id', 'x-cache']) {
      expect(res.headers[name]).toBeUndefined();
    }
    // Portico's rate-limit state and deprecation notice, not the upstream's.
    expect(Number(res.headers['ratelimit-remaining'])).toBeLessThan(999999);
    expect(res.headers.deprecation).toMatch(/^@\d+$/);
    expect(res.headers.link).toBe('</v2>; rel="successor-version"');
    expect(productCalls()).toHaveLength(1);
  });

  it('returns the headers a route lists, Set-Cookie included where the route says so', async () => {
    const res = await http(`${partner.url}/v1/legacy/1`);
    expect(res.status).toBe(200);
    expect(res.headers['x-trace-id']).toBe('trace-1');
    expect(res.headers['set-cookie']).toEqual(['session=upstream; Path=/', 'tracking=1']);
    expect(res.headers.server).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses paths with ; matrix parameters with 400 before anything is sent upstream', async () => {
    const before = upstream.requests.length;
    const paths = ['/v1/products/..;/admin', '/v1/products;foo', '/v1/products/1;jsessionid=abc', '/v1/products/1%3Bx', '/v1/products/..%3B/admin'];
    const [ordinary, ...refused] = await Promise.all([http(`${partner.url}/v1/products/3`), ...paths.map((p) => rawGet(`${partner.url}${p}`, {}))]);
    for (const res of refused) {
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ statusCode: 400, code: 'BAD_REQUEST', error: 'Bad Request', message: expect.stringContaining('matrix parameters'), requestId: expect.any(String) });
    }
    expect(ordinary.status).toBe(200);
    expect(upstream.requests.length - before).toBe(1);
  });
});

describe('forwarded headers behind trusted proxies', () => {
  let upstream: RecordingUpstream;
  let oneHop: RunningBff;
  let twoHops: RunningBff;

  beforeAll(async () => {
    upstream = await startUpstream();
    oneHop = await startPartnerBff(allUpstreamsAt(upstream.origin), { versions: [TABLE], policies: { trustedProxies: ['127.0.0.1'] } });
    twoHops = await startPartnerBff(allUpstreamsAt(upstream.origin), { versions: [TABLE], policies: { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] } });
  });

  afterAll(async () => {
    await oneHop?.close();
    await twoHops?.close();
    await upstream?.close();
  });

  const sent = { 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example', forwarded: 'for=1.2.3.4' };

  it('extends the chain only through trusted proxies: an untrusted hop is where the chain starts', async () => {
    upstream.requests.length = 0;
    expect((await rawGet(`${oneHop.url}/v1/products/1`, sent)).status).toBe(200);
    expect(upstream.requests[0]?.headers).toMatchObject({
      'x-forwarded-for': '10.0.0.1, 127.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example',
      forwarded: 'for=10.0.0.1;host=api.example;proto=https, for=127.0.0.1',
    });
  });

  it('keeps the whole chain when every hop is trusted', async () => {
    upstream.requests.length = 0;
    expect((await rawGet(`${twoHops.url}/v1/products/1`, sent)).status).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.headers).toMatchObject({
      'x-forwarded-for': '203.0.113.7, 10.0.0.1, 127.0.0.1',
      forwarded: 'for=203.0.113.7;host=api.example;proto=https, for=10.0.0.1, for=127.0.0.1',
    });
  });
});
