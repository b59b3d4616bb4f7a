import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../shared/config/env';
import { graphqlManifestFromEnv } from '../../shared/config/graphql-env';
import { restManifestFromEnv } from '../../shared/config/rest-env';
import { overlay } from '../../shared/config/config-file';
import { DEFAULT_PLAN_RULES } from '../../shared/policies/rate-limit/rate-limit-settings';
import { partnerManifest } from '../../bffs/partner/manifest';
import { partnerUpstreamEnv } from '../helpers/bffs';
import { webManifest } from '../../bffs/web/manifest';

const dir = mkdtempSync(path.join(tmpdir(), 'portico-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

const WEB_YAML = `
server:
  port: 4100
  compress: true
routes:
  limits:
    maxDepth: 6
policies:
  rateLimit:
    plans:
      default: { limit: 50, windowMs: 1000 }
  cors:
    origins: [https://app.example.com]
  authn:
    jwt:
      jwksFile: /etc/portico/jwks.json
      issuer: https://idp.example
      audience: portico-web
`;

describe('PORTICO_CONFIG', () => {
  it('lays the file over the manifest, and the file stands where no variable is set', () => {
    const manifest = graphqlManifestFromEnv(webManifest, { PORTICO_CONFIG: file('portico.web.yaml', WEB_YAML) });
    expect(manifest.server).toMatchObject({ port: 4100, compress: true, host: '127.0.0.1' });
    expect(manifest.routes.limits?.maxDepth).toBe(6);
    expect(manifest.policies?.rateLimit).toEqual({ plans: { default: { limit: 50, windowMs: 1000 } } });
    expect(manifest.policies?.cors).toEqual({ origins: ['https://app.example.com'] });
    // Its authentication stands: AUTH=required is satisfied by the file.
    expect(manifest.policies?.authn?.jwt).toEqual({ jwksFile: '/etc/portico/jwks.json', issuer: 'https://idp.example', audience: 'portico-web' });
  });

  it('is overridden by the environment, slice by slice', () => {
    const PORTICO_CONFIG = file('portico.web.yaml', WEB_YAML);
    const manifest = graphqlManifestFromEnv(webManifest, { PORTICO_CONFIG, PORT: '4200', GRAPHQL_MAX_DEPTH: '9', RATE_LIMIT_PER_MIN: '7', TRUSTED_PROXIES: '10.0.0.1' });
    expect(manifest.server.port).toBe(4200);
    expect(manifest.routes.limits?.maxDepth).toBe(9);
    expect(manifest.policies?.rateLimit?.plans).toEqual({ ...DEFAULT_PLAN_RULES, default: { limit: 7, windowMs: 60_000 } });
    expect(manifest.policies?.trustedProxies).toEqual(['10.0.0.1']);
    // CORS has no variable set: the file's stays.
    expect(manifest.policies?.cors).toEqual({ origins: ['https://app.example.com'] });
    const off = graphqlManifestFromEnv(webManifest, { PORTICO_CONFIG, AUTH: 'off', RATE_LIMIT: 'off' });
    expect(off.policies?.authn).toBeUndefined();
    expect(off.policies?.rateLimit).toBeUndefined();
  });

  it('is checked against the manifest schema, every problem named with the file and the key path', () => {
    const PORTICO_CONFIG = file('bad.yaml', 'server:\n  prot: 1\npolicies:\n  rateLimit:\n    plans:\n      pro: { limit: 0, windowMs: 1000 }\n');
    let error: unknown;
    try {
      graphqlManifestFromEnv(webManifest, { PORTICO_CONFIG, AUTH: 'off' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([`PORTICO_CONFIG=${PORTICO_CONFIG}: server: unknown key 'prot'`, `PORTICO_CONFIG=${PORTICO_CONFIG}: policies.rateLimit.plans.pro.limit must be >= 1, got 0`]);
  });

  it("refuses what stays in code (the BFF's name, route kind and tables), unreadable files and bad YAML", () => {
    const identity = file('identity.yaml', 'name: other\nroutes:\n  kind: rest\n');
    expect(() => graphqlManifestFromEnv(webManifest, { PORTICO_CONFIG: identity, AUTH: 'off' })).toThrow(/name: is the BFF's own, set in code[\s\S]*routes.kind: is set in code/);
    expect(() => graphqlManifestFromEnv(webManifest, { PORTICO_CONFIG: path.join(dir, 'missing.yaml'), AUTH: 'off' })).toThrow(/PORTICO_CONFIG=.*missing.yaml: ENOENT/);
    expect(() => graphqlManifestFromEnv(webManifest, { PORTICO_CONFIG: file('broken.yaml', 'server: [\n'), AUTH: 'off' })).toThrow(/PORTICO_CONFIG=.*broken.yaml: /);
    expect(() => graphqlManifestFromEnv(webManifest, { PORTICO_CONFIG: file('list.yaml', '- 1\n'), AUTH: 'off' })).toThrow(/must hold a mapping of server, routes and policies/);
  });

  it('configures the partner too (JSON is YAML), with UPSTREAM_URL_<NAME> over the file', () => {
    const PORTICO_CONFIG = file('portico.partner.json', JSON.stringify({ routes: { upstreams: { orders: { origin: 'http://orders.internal:4105' } } } }));
    const placed = partnerUpstreamEnv();
    delete placed.UPSTREAM_URL_ORDERS;
    expect(restManifestFromEnv(partnerManifest, { ...placed, PORTICO_CONFIG, AUTH: 'off' }).routes.upstreams.orders).toEqual({ origin: 'http://orders.internal:4105', healthPath: '/healthz' });
    expect(restManifestFromEnv(partnerManifest, { ...placed, PORTICO_CONFIG, AUTH: 'off', UPSTREAM_URL_ORDERS: 'http://orders-b:4105' }).routes.upstreams.orders?.origin).toBe('http://orders-b:4105');
  });

  it('overlays objects key by key and replaces lists', () => {
    expect(overlay({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 1, e: 2 });
  });
});
