/**
 * Deployment safe by default: production mode refuses to start on settings an attacker
 * would love (no authentication, keys or token checks over plain HTTP, introspected tokens
 * accepted for any API, the demo's dev credentials, metrics on the client port), and
 * /metrics can live on its own port or behind a token.
 */
import path from 'node:path';
import { webManifest } from '../../bffs/web/manifest';
import { partnerManifest } from '../../bffs/partner/manifest';
import { ConfigError } from '../../shared/config/env';
import { graphqlManifestFromEnv } from '../../shared/config/graphql-env';
import { restManifestFromEnv } from '../../shared/config/rest-env';
import { DEV_INTROSPECTION_CLIENT_SECRET, DEV_ISSUER, DEV_KEYS_DIR, DEV_REDIS_PASSWORD } from '../../shared/dev/dev-keys';
import { partnerUpstreamEnv, startWebBff } from '../helpers/bffs';
import { http } from '../helpers/http';

const SAFE: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  JWT_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
  JWT_ISSUER: 'https://id.example.com',
  JWT_AUDIENCE: 'web',
  METRICS_PORT: '9464',
};

function problems(env: NodeJS.ProcessEnv, build: (env: NodeJS.ProcessEnv) => unknown = (e) => graphqlManifestFromEnv(webManifest, e)): string[] {
  try {
    build(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('production refuses to start', () => {
  it('accepts a safe configuration', () => {
    expect(problems(SAFE)).toEqual([]);
    expect(problems({ ...SAFE, METRICS_PORT: undefined, METRICS_TOKEN: 'a-long-random-scrape-token' })).toEqual([]);
  });

  it.each([
    ['without authentication', { AUTH: 'off' }, /AUTH=off/],
    ['with a JWKS over plain HTTP', { JWT_JWKS_URL: 'http://id.example.com/jwks.json' }, /JWT_JWKS_URL=.*HTTPS/],
    ['with the dev issuer', { JWT_ISSUER: DEV_ISSUER }, /JWT_ISSUER=.*dev keys/],
    ['with the dev key set', { JWT_JWKS_URL: undefined, JWT_JWKS_FILE: path.join(DEV_KEYS_DIR, 'jwks.json') }, /JWT_JWKS_FILE=.*dev key set/],
    ['with metrics on the client port', { METRICS_PORT: undefined }, /METRICS_PORT or METRICS_TOKEN/],
    ['with the dev Redis password', { REDIS_URL: `redis://:${DEV_REDIS_PASSWORD}@redis:6379` }, /dev password/],
    [
      'with introspection over HTTP, unchecked audience and issuer, and the dev secret',
      { INTROSPECTION_URL: 'http://auth.example.com/introspect', INTROSPECTION_CLIENT_ID: 'gw', INTROSPECTION_CLIENT_SECRET: DEV_INTROSPECTION_CLIENT_SECRET },
      /INTROSPECTION_URL=.*HTTPS/,
    ],
  ])('%s', (_name, change, expected) => {
    const found = problems({ ...SAFE, ...change });
    expect(found.some((p) => expected.test(p))).toBe(true);
    expect(found.every((p) => p.startsWith('production: '))).toBe(true);
  });

  it('names every introspection problem at once', () => {
    const found = problems({ ...SAFE, INTROSPECTION_URL: 'http://auth.example.com/introspect', INTROSPECTION_CLIENT_ID: 'gw', INTROSPECTION_CLIENT_SECRET: DEV_INTROSPECTION_CLIENT_SECRET });
    expect(found.join('\n')).toMatch(/INTROSPECTION_AUDIENCE/);
    expect(found.join('\n')).toMatch(/INTROSPECTION_ISSUER/);
    expect(found.join('\n')).toMatch(/INTROSPECTION_CLIENT_SECRET/);
  });

  it('allows loopback over HTTP (a sidecar), and applies to partner too', () => {
    expect(problems({ ...SAFE, JWT_JWKS_URL: 'http://127.0.0.1:8080/jwks.json' })).toEqual([]);
    const partner = (env: NodeJS.ProcessEnv) => restManifestFromEnv(partnerManifest, { ...partnerUpstreamEnv('http://127.0.0.1:4101'), ...env });
    expect(problems({ NODE_ENV: 'production', API_KEYS_FILE: path.join(DEV_KEYS_DIR, 'api-keys.json'), METRICS_TOKEN: 't' }, partner)).toEqual([
      `production: API_KEYS_FILE=${path.join(DEV_KEYS_DIR, 'api-keys.json')}: is the dev key file`,
    ]);
  });

  it('runs production behaviour without the checks only when told so', () => {
    expect(problems({ NODE_ENV: 'production', AUTH: 'off', PRODUCTION_CHECKS: 'off' })).toEqual([]);
    expect(problems({ NODE_ENV: 'development', AUTH: 'off' })).toEqual([]);
  });
});

describe('/metrics access', () => {
  it('moves to its own port: the client port answers 404, the admin port serves it', async () => {
    const web = await startWebBff({ server: { metrics: { port: 0 } }, ready: false });
    try {
      expect((await http(`${web.url}/metrics`)).status).toBe(404);
      const admin = web.app.metricsListener?.address();
      expect(admin?.port).toBeGreaterThan(0);
      const scraped = await http(`http://127.0.0.1:${admin?.port}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.text).toContain('portico_http_requests_total');
      expect((await http(`http://127.0.0.1:${admin?.port}/graphql`)).status).toBe(404);
    } finally {
      await web.close();
    }
  });

  it('asks for its token on the client port', async () => {
    const web = await startWebBff({ server: { metrics: { token: 'scrape-token' } }, ready: false });
    try {
      const refused = await http(`${web.url}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.json).toMatchObject({ code: 'AUTH_REQUIRED', requestId: refused.headers['x-request-id'] });
      expect((await http(`${web.url}/metrics`, { headers: { authorization: 'Bearer wrong-token!' } })).status).toBe(401);
      expect((await http(`${web.url}/metrics`, { headers: { authorization: 'Bearer scrape-token' } })).status).toBe(200);
    } finally {
      await web.close();
    }
  });
});
