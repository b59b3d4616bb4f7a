import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { policiesFromEnv } from '../../shared/config/policies-env';
import { bearerMethodFor } from '../../shared/policies/authn/authn-plugin';
import { validateAuthnSettings } from '../../shared/policies/authn/authn-settings';
import { looksLikeJws, parseBearerToken } from '../../shared/policies/authn/bearer';
import {
  basicCredentials,
  createIntrospectionVerifier,
  positiveCacheTtlMs,
  principalFromIntrospection,
  readIntrospectionResponse,
  tokenCacheKey,
  type IntrospectionResponse,
} from '../../shared/policies/authn/introspection';

const NOW_MS = 1_800_000_000_000;
const NOW_SEC = NOW_MS / 1000;

function active(claims: Record<string, unknown> = {}): IntrospectionResponse {
  return { active: true, sub: '17', client_id: 'web-app', scope: 'profile orders:read', exp: NOW_SEC + 300, iss: 'https://auth.test', aud: 'portico', ...claims };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('principalFromIntrospection', () => {
  it('maps an active user token onto the principal the JWT path produces', () => {
    const principal = principalFromIntrospection(active({ roles: ['admin', 'ops'], tenant: 't1', plan: 'pro', username: 'ada' }), {}, NOW_MS);
    expect(principal).toEqual({ kind: 'user', id: '17', scopes: ['profile', 'orders:read'], roles: ['admin', 'ops'], tenant: 't1', clientId: 'web-app', plan: 'pro', method: 'introspection' });
  });

  it('makes a client principal of a client-credentials token without a subject', () => {
    expect(principalFromIntrospection({ active: true, client_id: 'acme', scope: 'orders:read' }, {}, NOW_MS)).toEqual({
      kind: 'client',
      id: 'acme',
      clientId: 'acme',
      scopes: ['orders:read'],
      roles: [],
      plan: 'default',
      method: 'introspection',
    });
  });

  it('falls back to username when there is no sub', () => {
    expect(principalFromIntrospection({ active: true, username: 'ada' }, {}, NOW_MS)).toMatchObject({ kind: 'user', id: 'ada' });
  });

  it('reads tenant and roles from the configured claims', () => {
    const principal = principalFromIntrospection(active({ org: 'acme-corp', groups: 'buyers approvers', tenant: 'ignored' }), { tenantClaim: 'org', rolesClaim: 'groups' }, NOW_MS);
    expect(principal).toMatchObject({ tenant: 'acme-corp', roles: ['buyers', 'approvers'] });
  });

  it('rejects inactive tokens with AUTH_TOKEN_INACTIVE', () => {
    expect(codeOf(() => principalFromIntrospection({ active: false }, {}, NOW_MS))).toBe('AUTH_TOKEN_INACTIVE');
  });

  it('checks exp and nbf with the clock tolerance', () => {
    expect(codeOf(() => principalFromIntrospection(active({ exp: NOW_SEC - 3 }), {}, NOW_MS))).toBeUndefined();
    expect(codeOf(() => principalFromIntrospection(active({ exp: NOW_SEC - 6 }), {}, NOW_MS))).toBe('AUTH_TOKEN_EXPIRED');
    expect(codeOf(() => principalFromIntrospection(active({ exp: NOW_SEC - 3 }), { clockToleranceSec: 0 }, NOW_MS))).toBe('AUTH_TOKEN_EXPIRED');
    expect(codeOf(() => principalFromIntrospection(active({ nbf: NOW_SEC + 3 }), {}, NOW_MS))).toBeUndefined();
    expect(codeOf(() => principalFromIntrospection(active({ nbf: NOW_SEC + 60 }), {}, NOW_MS))).toBe('AUTH_TOKEN_NOT_YET_VALID');
  });

  it('checks issuer and audience only when configured', () => {
    expect(codeOf(() => principalFromIntrospection(active({ iss: 'https://other', aud: 'elsewhere' }), {}, NOW_MS))).toBeUndefined();
    expect(codeOf(() => principalFromIntrospection(active({ iss: 'https://other' }), { issuer: 'https://auth.test' }, NOW_MS))).toBe('AUTH_TOKEN_WRONG_ISSUER');
    expect(codeOf(() => principalFromIntrospection(active({ iss: undefined }), { issuer: ['https://auth.test'] }, NOW_MS))).toBe('AUTH_TOKEN_WRONG_ISSUER');
    expect(codeOf(() => principalFromIntrospection(active({ aud: ['a', 'b'] }), { audience: 'portico' }, NOW_MS))).toBe('AUTH_TOKEN_WRONG_AUDIENCE');
    expect(codeOf(() => principalFromIntrospection(active({ aud: ['a', 'portico'] }), { audience: ['x', 'portico'] }, NOW_MS))).toBeUndefined();
  });

  it('refuses an active token that names neither a subject nor a client', () => {
    expect(codeOf(() => principalFromIntrospection({ active: true, scope: 'a' }, {}, NOW_MS))).toBe('AUTH_TOKEN_INVALID');
  });
});

describe('readIntrospectionResponse', () => {
  it.each([null, 'active', [], {}, { active: 'true' }])('treats %j as a broken endpoint answer', (body) => {
    expect(() => readIntrospectionResponse(body)).toThrow(/boolean `active`/);
  });

  it('accepts an RFC 7662 answer', () => {
    expect(readIntrospectionResponse({ active: false })).toEqual({ active: false });
  });
});

describe('positiveCacheTtlMs', () => {
  it('caches until exp, capped by the maximum', () => {
    expect(positiveCacheTtlMs(NOW_SEC + 10, NOW_MS, 60_000)).toBe(10_000);
    expect(positiveCacheTtlMs(NOW_SEC + 3_600, NOW_MS, 60_000)).toBe(60_000);
  });

  it('uses the maximum when the token has no exp, and nothing for a token past its exp', () => {
    expect(positiveCacheTtlMs(undefined, NOW_MS, 60_000)).toBe(60_000);
    expect(positiveCacheTtlMs(NOW_SEC - 1, NOW_MS, 60_000)).toBe(0);
    expect(positiveCacheTtlMs(NOW_SEC + 10, NOW_MS, 0)).toBe(0);
  });
});

describe('the verifier cache (real endpoint on 127.0.0.1, injected clock)', () => {
  let server: Server;
  let endpoint: string;
  let calls = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      calls += 1;
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ active: true, sub: '17', exp: NOW_SEC + 3_600 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function verifier(options: { cacheMaxEntries?: number; maxCacheTtlMs?: number }, clock: { ms: number }) {
    return createIntrospectionVerifier({ endpoint, clientId: 'gateway', clientSecret: 'secret', now: () => clock.ms, ...options });
  }

  it('holds at most cacheMaxEntries, forgetting the least recently used first', async () => {
    const clock = { ms: NOW_MS };
    const v = verifier({ cacheMaxEntries: 2 }, clock);
    const start = calls;
    await v.verify('token-a');
    await v.verify('token-b');
    await v.verify('token-a');
    await v.verify('token-c');
    expect(calls - start).toBe(3);
    await v.verify('token-a');
    await v.verify('token-c');
    expect(calls - start).toBe(3);
    await v.verify('token-b');
    expect(calls - start).toBe(4);
    await v.close();
  });

  it('forgets an answer once its time to live has passed on the verifier clock', async () => {
    const clock = { ms: NOW_MS };
    const v = verifier({ maxCacheTtlMs: 100 }, clock);
    const start = calls;
    await v.verify('token-ttl');
    clock.ms += 100;
    await v.verify('token-ttl');
    expect(calls - start).toBe(1);
    clock.ms += 1;
    await v.verify('token-ttl');
    expect(calls - start).toBe(2);
    await v.close();
  });

  it('holds nothing with cacheMaxEntries 0', async () => {
    const v = verifier({ cacheMaxEntries: 0 }, { ms: NOW_MS });
    const start = calls;
    await v.verify('token-none');
    await v.verify('token-none');
    expect(calls - start).toBe(2);
    await v.close();
  });
});

describe('bearer tokens', () => {
  it('keys the cache by a SHA-256 of the token, never the token itself', () => {
    const token = 'opaque-token-value-123';
    expect(tokenCacheKey(token)).toBe(tokenCacheKey(token));
    expect(tokenCacheKey(token)).not.toContain(token);
    expect(tokenCacheKey(token)).toHaveLength(43);
  });

  it('parses any RFC 6750 bearer token', () => {
    expect(parseBearerToken(undefined)).toBeUndefined();
    expect(parseBearerToken('Bearer abc-DEF_123.~+/==')).toBe('abc-DEF_123.~+/==');
    expect(parseBearerToken('bearer   aaa.bbb.ccc ')).toBe('aaa.bbb.ccc');
    expect(parseBearerToken('Basic dXNlcjpwYXNz')).toBe('');
    expect(parseBearerToken('Bearer two words')).toBe('');
    expect(parseBearerToken('Bearer')).toBe('');
  });

  it('sends JWS-shaped tokens to JWT verification and the rest to introspection', () => {
    expect(looksLikeJws('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toBe(true);
    expect(looksLikeJws('eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.')).toBe(true);
    expect(looksLikeJws('3EA-CcaHENXsd-p362xFuj7QUpDX05OZ91bW9Nb2-uw')).toBe(false);
    expect(looksLikeJws('a.b')).toBe(false);
    const both = { jwt: true, introspection: true };
    expect(bearerMethodFor('aaa.bbb.ccc', both)).toBe('jwt');
    expect(bearerMethodFor('opaque', both)).toBe('introspection');
    expect(bearerMethodFor('aaa.bbb.ccc', { jwt: false, introspection: true })).toBe('introspection');
    expect(bearerMethodFor('opaque', { jwt: true, introspection: false })).toBe('jwt');
  });

  it('form-encodes client credentials before Basic encoding them', () => {
    const header = basicCredentials('gateway client', 'p@ss:word');
    expect(Buffer.from(header.replace('Basic ', ''), 'base64').toString()).toBe('gateway+client:p%40ss%3Aword');
  });
});

describe('introspection settings', () => {
  const valid = { endpoint: 'http://127.0.0.1:4106/oauth/introspect', clientId: 'portico-gateway', clientSecret: 's3cret' };

  it('accepts a complete configuration', () => {
    expect(validateAuthnSettings({ introspection: { ...valid, timeoutMs: 500, cacheMaxEntries: 0, negativeCacheTtlMs: 0, audience: ['a'], issuer: 'https://auth' } })).toEqual([]);
  });

  it('explains every problem', () => {
    const problems = validateAuthnSettings({
      introspection: { endpoint: 'ftp://x', clientId: '', clientSecret: 's', timeoutMs: 0, maxCacheTtlMs: -1, audience: [], tenantClaim: '', cacheTtl: 5 } as never,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "policies.authn.introspection: unknown key 'cacheTtl'",
        'policies.authn.introspection.endpoint must be an http(s) URL, got "ftp://x"',
        'policies.authn.introspection.clientId must not be empty',
        'policies.authn.introspection.timeoutMs must be >= 1, got 0',
        'policies.authn.introspection.maxCacheTtlMs must be >= 0, got -1',
        'policies.authn.introspection.audience must be a non-empty string or list of strings, got []',
        'policies.authn.introspection.tenantClaim must not be empty',
      ]),
    );
  });

  it('reads the INTROSPECTION_* variables with their defaults', () => {
    const policies = policiesFromEnv({ RATE_LIMIT: 'off', INTROSPECTION_URL: valid.endpoint, INTROSPECTION_CLIENT_ID: valid.clientId, INTROSPECTION_CLIENT_SECRET: valid.clientSecret, INTROSPECTION_AUDIENCE: 'portico-demo' });
    expect(policies.authn).toEqual({
      introspection: {
        ...valid,
        timeoutMs: 2_000,
        cacheMaxEntries: 10_000,
        maxCacheTtlMs: 60_000,
        negativeCacheTtlMs: 5_000,
        audience: ['portico-demo'],
        tenantClaim: 'tenant',
        rolesClaim: 'roles',
      },
    });
  });

  it('names the missing client credentials and stray variables', () => {
    expect(() => policiesFromEnv({ INTROSPECTION_URL: valid.endpoint })).toThrow(/INTROSPECTION_CLIENT_ID: is required with INTROSPECTION_URL[\s\S]*INTROSPECTION_CLIENT_SECRET: is required/);
    expect(() => policiesFromEnv({ INTROSPECTION_CLIENT_ID: 'x', API_KEYS_FILE: 'k.json' })).toThrow(/set INTROSPECTION_URL too/);
    expect(() => policiesFromEnv({ INTROSPECTION_URL: 'not a url' })).toThrow(/INTROSPECTION_URL="not a url": must be an absolute URL/);
  });
});
