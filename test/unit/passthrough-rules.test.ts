/**
 * The pure cores behind passthrough hygiene and breaker attribution: header rules compiled
 * per route, forwarded headers, route-table validation of the header options, body framing,
 * client-caused failure attribution, and breaker records.
 */
import { PorticoError } from '../../shared/errors';
import { createUpstreamBreaker, DEFAULT_BREAKER_OPTIONS } from '../../shared/upstream/breaker';
import {
  allowedResponseHeaders,
  compilePassthroughHeaderRules,
  DEFAULT_RESPONSE_HEADERS,
  forwardedHeaders,
  responseHeaderProblem,
  upstreamRequestHeaders,
} from '../../shared/rest/passthrough-headers';
import { validateRouteTables, type PassthroughRoute } from '../../shared/rest/route-table';
import { declaredBody, limitStreamedBody } from '../../shared/rest/streaming-body-limit';
import { clientCausedError, upstreamError } from '../../shared/upstream/upstream-errors';
import { Readable } from 'node:stream';

const FORWARDING = { chain: ['192.0.2.1'], proto: 'http', host: 'api.example' };

describe('passthrough header rules', () => {
  it('drops credentials, overrides, forwarding claims, Expect and hop-by-hop headers by default, and adds Portico\'s own last', () => {
    const rules = compilePassthroughHeaderRules({}, ['x-api-key']);
    const out = upstreamRequestHeaders(
      { accept: 'application/json', authorization: 'Bearer t', cookie: 'a=b', 'x-api-key': 'k', expect: '100-continue', te: 'trailers', 'x-http-method-override': 'DELETE', 'x-original-url': '/admin', 'x-forwarded-for': '6.6.6.6', 'x-request-id': 'client', 'x-user-id': 'forged' },
      rules,
      { identity: { 'x-user-id': 'verified' }, requestIdHeader: 'x-request-id', requestId: 'portico-id', forwarding: FORWARDING },
    );
    expect(out).toEqual({
      accept: 'application/json',
      'x-user-id': 'verified',
      'x-request-id': 'portico-id',
      'x-forwarded-for': '192.0.2.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'api.example',
      forwarded: 'for=192.0.2.1;host=api.example;proto=http',
    });
  });

  it('lets a route opt into Authorization, Cookie and the override headers', () => {
    const rules = compilePassthroughHeaderRules({ forwardAuthorization: true, forwardCookie: true, forwardMethodOverride: true, forwardUrlOverride: true });
    for (const name of ['authorization', 'cookie', 'x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-url', 'x-rewrite-url']) expect(rules.dropRequest.has(name)).toBe(false);
    expect(rules.dropRequest.has('expect')).toBe(true);
    expect(rules.dropRequest.has('x-forwarded-for')).toBe(true);
  });

  it('returns only the default response headers plus what the route lists', () => {
    const rules = compilePassthroughHeaderRules({ responseHeaders: ['x-trace-id'] });
    expect(allowedResponseHeaders({ 'content-type': 'a', etag: '"1"', 'x-trace-id': 't', 'set-cookie': ['s'], server: 'x', 'access-control-allow-origin': '*', 'x-other': '1' }, rules)).toEqual({ 'content-type': 'a', etag: '"1"', 'x-trace-id': 't' });
    expect(allowedResponseHeaders({ connection: 'etag', etag: '"1"', 'content-type': 'a' }, rules)).toEqual({ 'content-type': 'a' });
    expect(DEFAULT_RESPONSE_HEADERS).toEqual(['content-type', 'content-length', 'content-encoding', 'cache-control', 'etag', 'last-modified', 'expires', 'vary', 'location', 'link', 'retry-after']);
  });

  it('writes RFC 7239 Forwarded with IPv6 addresses and non-token hosts quoted', () => {
    expect(forwardedHeaders({ chain: ['2001:db8::1', '10.0.0.1'], proto: 'https', host: 'api.example:8443' })).toEqual({
      'x-forwarded-for': '2001:db8::1, 10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example:8443',
      forwarded: 'for="[2001:db8::1]";host="api.example:8443";proto=https, for=10.0.0.1',
    });
  });

  it('refuses response header names that are hop-by-hop, banners, CORS or Portico\'s own', () => {
    for (const name of ['connection', 'transfer-encoding', 'server', 'x-powered-by', 'access-control-allow-origin', 'x-request-id', 'ratelimit-remaining', 'x-ratelimit-limit', 'deprecation', 'sunset', 'x-cache', 'strict-transport-security', 'Content-Type', 'bad name']) {
      expect(responseHeaderProblem(name)).toEqual(expect.any(String));
    }
    for (const name of ['x-trace-id', 'set-cookie', 'content-disposition']) expect(responseHeaderProblem(name)).toBeUndefined();
  });
});

describe('route table validation of passthrough options', () => {
  const base: PassthroughRoute = { kind: 'passthrough', prefix: '/v1/x', upstream: 'a', rewritePrefix: '/x' };
  const problemsOf = (route: object) => validateRouteTables({ upstreams: { a: { origin: 'http://127.0.0.1:1' } }, versions: [{ version: 'v1', routes: [route as PassthroughRoute] }] });

  it('accepts the header options', () => {
    expect(problemsOf({ ...base, forwardCookie: true, forwardMethodOverride: false, forwardUrlOverride: true, responseHeaders: ['x-trace-id', 'set-cookie'], cache: false })).toEqual([]);
  });

  it('rejects unknown keys, non-boolean switches, refused names and a cached Set-Cookie', () => {
    expect(problemsOf({ ...base, forwardCookies: true })).toEqual(["v1: route '/v1/x': unknown key 'forwardCookies'"]);
    expect(problemsOf({ ...base, forwardCookie: 'yes' })).toEqual(["v1: route '/v1/x': forwardCookie must be true or false"]);
    expect(problemsOf({ ...base, responseHeaders: 'x-trace-id' })).toEqual(["v1: route '/v1/x': responseHeaders must be a list of header names"]);
    expect(problemsOf({ ...base, responseHeaders: ['access-control-allow-origin'] })[0]).toMatch(/responseHeaders 'access-control-allow-origin' is Portico's own/);
    expect(problemsOf({ ...base, responseHeaders: ['set-cookie'] })).toEqual(["v1: route '/v1/x': responseHeaders lists set-cookie, so the route needs cache: false"]);
  });

  it('rejects unknown keys on aggregate routes too', () => {
    const aggregate = { kind: 'aggregate', method: 'GET', path: '/v1/y', description: 'y', handler: async () => ({}), timeoutMs: 5 };
    expect(problemsOf(aggregate)).toEqual(["v1: route '/v1/y': unknown key 'timeoutMs'"]);
  });
});

describe('streamed body framing and limit', () => {
  it('reads the framing headers', () => {
    expect(declaredBody(undefined, undefined)).toEqual({ kind: 'none' });
    expect(declaredBody('0', undefined)).toEqual({ kind: 'none' });
    expect(declaredBody('12', undefined)).toEqual({ kind: 'length', bytes: 12 });
    expect(declaredBody(undefined, 'chunked')).toEqual({ kind: 'chunked' });
    expect(declaredBody('1e3', undefined)).toEqual({ kind: 'invalid' });
  });

  it('passes a body up to the limit and fails with PAYLOAD_TOO_LARGE past it, having passed at most the limit', async () => {
    const read = async (chunks: Buffer[], limit: number) => {
      let passed = 0;
      try {
        for await (const c of limitStreamedBody(Readable.from(chunks), limit)) passed += (c as Buffer).length;
        return { passed };
      } catch (err) {
        return { passed, code: (err as PorticoError).code };
      }
    };
    expect(await read([Buffer.alloc(6), Buffer.alloc(4)], 10)).toEqual({ passed: 10 });
    const over = await read([Buffer.alloc(6), Buffer.alloc(5), Buffer.alloc(5)], 10);
    expect(over.code).toBe('PAYLOAD_TOO_LARGE');
    expect(over.passed).toBeLessThanOrEqual(10);
  });
});

describe('failure attribution', () => {
  const undiciError = (code: string) => Object.assign(new Error(code), { code });

  it('attributes refusals before sending, and Portico 4xx in the cause chain, to the client', () => {
    expect(clientCausedError(undiciError('UND_ERR_NOT_SUPPORTED'))?.code).toBe('BAD_REQUEST');
    expect(clientCausedError(new Error('wrapped', { cause: undiciError('UND_ERR_INVALID_ARG') }))?.code).toBe('BAD_REQUEST');
    const limit = new PorticoError('PAYLOAD_TOO_LARGE');
    expect(clientCausedError(new Error('reply-from', { cause: limit }))).toBe(limit);
    expect(upstreamError('orders', undiciError('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH')).statusCode).toBe(400);
  });

  it('leaves connection failures and timeouts to the upstream', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']) expect(clientCausedError(undiciError(code))).toBeUndefined();
    expect(clientCausedError(new PorticoError('UPSTREAM_UNAVAILABLE'))).toBeUndefined();
  });

  const options = { ...DEFAULT_BREAKER_OPTIONS, errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 60_000, rollingWindowMs: 60_000 };

  it('never counts client-caused failures in run as failures, and passes them on mapped', async () => {
    const breaker = createUpstreamBreaker('orders', options);
    try {
      for (let i = 0; i < 20; i++) await expect(breaker.run(() => Promise.reject(undiciError('UND_ERR_NOT_SUPPORTED')))).rejects.toMatchObject({ code: 'UND_ERR_NOT_SUPPORTED' });
      expect(breaker.state()).toBe('closed');
    } finally {
      breaker.shutdown();
    }
  });

  it('records outcomes reported after the fact: four failures open the circuit', async () => {
    const breaker = createUpstreamBreaker('orders', options);
    try {
      for (let i = 0; i < 3; i++) breaker.record(true);
      await new Promise((r) => setImmediate(r));
      expect(breaker.state()).toBe('closed');
      breaker.record(true);
      await new Promise((r) => setImmediate(r));
      expect(breaker.state()).toBe('open');
      expect(() => breaker.assertNotOpen()).toThrow(PorticoError);
    } finally {
      breaker.shutdown();
    }
  });
});
