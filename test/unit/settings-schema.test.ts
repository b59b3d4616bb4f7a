import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { checkSettings } from '../../shared/config/check-settings';
import { DEFAULT_SERVER_SETTINGS, ManifestSchema, validateManifest, type BffManifest } from '../../shared/manifest';
import { DEFAULT_OPERATION_LIMITS, OperationLimitsSchema } from '../../shared/graphql/operation-limits';
import { RateLimitSettingsSchema } from '../../shared/policies/rate-limit/rate-limit-settings';
import { ServerSettingsSchema } from '../../shared/server-settings';
import { BreakerOptionsSchema } from '../../shared/upstream/breaker-settings';
import { DEFAULT_BREAKER_OPTIONS } from '../../shared/upstream/breaker';
import { DEFAULT_UPSTREAM_POOL_OPTIONS } from '../../shared/upstream/upstream-pool';
import { UpstreamPoolOptionsSchema } from '../../shared/upstream/upstream-pool-settings';
import { partnerManifest } from '../../bffs/partner/manifest';
import { webManifest } from '../../bffs/web/manifest';

const web = (policies: unknown) => ({ ...webManifest, policies }) as unknown as BffManifest;

/** Every object schema reachable from `schema`, with its JSON path. */
function objectSchemas(schema: TSchema, at = ''): Array<[string, TSchema]> {
  const out: Array<[string, TSchema]> = [];
  if (schema.type === 'object' && schema.properties) out.push([at, schema]);
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>)) out.push(...objectSchemas(child, `${at}.${key}`));
  for (const child of Object.values((schema.patternProperties ?? {}) as Record<string, TSchema>)) out.push(...objectSchemas(child, `${at}.*`));
  for (const child of (schema.anyOf ?? []) as TSchema[]) out.push(...objectSchemas(child, at));
  if (schema.items) out.push(...objectSchemas(schema.items as TSchema, `${at}[]`));
  return out;
}

describe('the manifest schema', () => {
  it('rejects unknown keys in every settings object but the two that hold foreign documents (a JWKS, a route table)', () => {
    const open = objectSchemas(ManifestSchema)
      .filter(([, schema]) => schema.additionalProperties !== false)
      .map(([at]) => at);
    expect(open).toEqual(['.routes.versions[]', '.policies.authn.jwt.jwks', '.policies.authn.jwt.jwks.keys[]']);
  });

  it('names the offending key by its path, with what was expected and what it got', () => {
    expect(validateManifest(web({ rateLimit: { plans: { pro: { limit: 0, windowMs: 60_000 } } } }))).toEqual(['policies.rateLimit.plans.pro.limit must be >= 1, got 0']);
    expect(validateManifest(web({ rateLimit: { routes: { 'POST /v1/orders': { limit: 1, windowMs: 0 } } } }))).toEqual(['policies.rateLimit.routes["POST /v1/orders"].windowMs must be >= 1, got 0']);
    expect(validateManifest(web({ cors: { origins: ['https://a.example'], origin: 'x' } }))).toEqual(["policies.cors: unknown key 'origin'"]);
  });

  it('checks the breaker settings, for all upstreams and per upstream', () => {
    expect(validateManifest(web({ breakers: { all: { errorThresholdPercentage: 50 }, upstreams: { orders: { resetTimeoutMs: 1_000 } } } }))).toEqual([]);
    expect(validateManifest(web({ breakers: { all: { errorThresholdPercentage: 150 }, upstreams: { orders: { resetTimeout: 1_000 } }, every: {} } }))).toEqual([
      "policies.breakers: unknown key 'every'",
      'policies.breakers.all.errorThresholdPercentage must be <= 100, got 150',
      "policies.breakers.upstreams.orders: unknown key 'resetTimeout'",
    ]);
  });

  it('checks the JWT options in detail, and that exactly one key source is given', () => {
    expect(validateManifest(web({ authn: { jwt: { jwksUrl: 'https://idp.example/jwks', issuer: 'https://idp.example', audience: ['portico'] } } }))).toEqual([]);
    expect(validateManifest(web({ authn: { jwt: { jwksUrl: 'idp/jwks', jwksFile: 'jwks.json', issuer: '', clockToleranceSec: -1, algorithm: 'RS256' } } }))).toEqual([
      'policies.authn.jwt.audience is required',
      "policies.authn.jwt: unknown key 'algorithm'",
      'policies.authn.jwt.jwksUrl must be an http(s) URL, got "idp/jwks"',
      'policies.authn.jwt.issuer must not be empty',
      'policies.authn.jwt.clockToleranceSec must be >= 0, got -1',
      'policies.authn.jwt needs exactly one of jwksUrl, jwksFile, jwks',
    ]);
  });

  it('picks the variant a union value meant (store kind, perIp false, routes kind) and reports inside it', () => {
    expect(validateManifest(web({ rateLimit: { perIp: false, store: { kind: 'redis', url: 'redis://r:6379', failMode: 'open' } } }))).toEqual([
      'policies.rateLimit.store.failMode must be one of open-to-local, closed, got "open"',
    ]);
    expect(validateManifest(web({ responseCache: { store: { kind: 'disk' } } }))).toEqual([`policies.responseCache.store.kind must be one of 'memory', 'redis', got "disk"`]);
    expect(validateManifest(web({ principalKinds: [] }))).toEqual(['policies.principalKinds must be a non-empty list']);
  });

  it('checks the REST routes at the top level and leaves the route tables to their own validation', () => {
    const routes = { ...partnerManifest.routes, upstreams: { ...partnerManifest.routes.upstreams, orders: { origin: 'http://orders:4105/api', timeout: 1 } }, prefix: '/v1' };
    expect(validateManifest({ ...partnerManifest, routes } as unknown as BffManifest)).toEqual([
      "routes: unknown key 'prefix'",
      "routes.upstreams.orders: unknown key 'timeout'",
      'routes.upstreams.orders.origin must be an http(s) origin like http://host:port, got "http://orders:4105/api"',
    ]);
  });
});

describe('settings defaults live in the schemas', () => {
  it('are the named defaults the policies use', () => {
    expect(Value.Create(ServerSettingsSchema)).toEqual(DEFAULT_SERVER_SETTINGS);
    expect(Value.Default(OperationLimitsSchema, {})).toEqual(DEFAULT_OPERATION_LIMITS);
    expect(Value.Default(BreakerOptionsSchema, {})).toEqual(DEFAULT_BREAKER_OPTIONS);
    expect(Value.Default(UpstreamPoolOptionsSchema, {})).toEqual(DEFAULT_UPSTREAM_POOL_OPTIONS);
    expect(Value.Default(RateLimitSettingsSchema, {})).toMatchObject({ perIp: { limit: 1_200, windowMs: 60_000 }, plans: { default: { limit: 600, windowMs: 60_000 } } });
  });
});

describe('checkSettings', () => {
  it('reports a missing key once, and a wrong root as the object it should be', () => {
    expect(checkSettings(RateLimitSettingsSchema, { plans: { pro: { windowMs: 1_000 } } }, 'policies.rateLimit')).toEqual(['policies.rateLimit.plans.pro.limit is required']);
    expect(checkSettings(RateLimitSettingsSchema, 'on', 'policies.rateLimit')).toEqual(['policies.rateLimit must be an object, got "on"']);
  });
});
