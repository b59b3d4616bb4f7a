import { ConfigError, httpUrl, integer, oneOf, port, readEnv, text } from '../../shared/config/env';
import { readPrefixedUrls } from '../../shared/config/server-env';
import { policiesEnvSpec, POLICY_ENV_MAPPINGS, policiesFromEnv } from '../../shared/config/policies-env';
import { graphqlRoutesEnvSpec } from '../../shared/graphql/federated-graphql-env';
import { authnEnv } from '../../shared/policies/authn/authn-env';
import { edgeEnv } from '../../shared/policies/edge/edge-env';
import { rateLimitEnv } from '../../shared/policies/rate-limit/rate-limit-env';
import { DEFAULT_PER_IP_RULE, DEFAULT_PLAN_RULES } from '../../shared/policies/rate-limit/rate-limit-settings';
import { responseCacheEnv } from '../../shared/policies/response-cache/response-cache-env';
import { serverEnvSpec } from '../../shared/server-env';

const spec = {
  PORT: port('Listen port', 4000),
  HOST: text('Listen address', '127.0.0.1'),
  LOG_LEVEL: oneOf('Log level', ['info', 'warn'] as const, 'info'),
  TIMEOUT_MS: integer('Timeout', 1000, { min: 1 }),
  JWKS_URL: httpUrl('JWKS', undefined),
};

describe('readEnv', () => {
  it('applies defaults and parses values', () => {
    const env = readEnv({ PORT: '4100', JWKS_URL: 'http://127.0.0.1/jwks' }, spec);
    expect(env).toEqual({ PORT: 4100, HOST: '127.0.0.1', LOG_LEVEL: 'info', TIMEOUT_MS: 1000, JWKS_URL: 'http://127.0.0.1/jwks' });
  });

  it('reports every bad variable by name in one error', () => {
    let error: unknown;
    try {
      readEnv({ PORT: '70000', LOG_LEVEL: 'loud', TIMEOUT_MS: '1.5' }, spec);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PORT="70000": must be between 0 and 65535');
    expect(problems).toContain('LOG_LEVEL="loud": must be one of info, warn');
    expect(problems).toContain('TIMEOUT_MS="1.5": must be an integer');
    expect(problems).toContain('JWKS_URL=undefined: is required');
  });

  it('treats an empty variable as unset', () => {
    expect(readEnv({ PORT: '', JWKS_URL: 'https://a.example/x' }, spec).PORT).toBe(4000);
  });
});

describe('readPrefixedUrls', () => {
  it('collects per-name URL overrides', () => {
    expect(readPrefixedUrls({ SUBGRAPH_URL_ACCOUNTS: 'http://accounts:4101/graphql', OTHER: 'x' }, 'SUBGRAPH_URL_')).toEqual({ accounts: 'http://accounts:4101/graphql' });
  });

  it('names the variable holding a malformed URL', () => {
    expect(() => readPrefixedUrls({ SUBGRAPH_URL_ORDERS: 'orders:4105' }, 'SUBGRAPH_URL_')).toThrow(/SUBGRAPH_URL_ORDERS="orders:4105": must be an http\(s\) URL/);
  });
});

describe('env mappings owned by each policy', () => {
  const specs: Array<[string, Record<string, unknown>]> = [
    ['server', serverEnvSpec()],
    ['graphql routes', graphqlRoutesEnvSpec({ supergraphPath: 'supergraph.graphql' })],
    ...POLICY_ENV_MAPPINGS.map((m) => [m.title, m.spec] as [string, Record<string, unknown>]),
  ];

  it('declare every variable once: a variable several mappings read (REDIS_URL) is one shared declaration', () => {
    const declarations = new Map<string, Set<unknown>>();
    for (const [, spec] of specs) for (const [name, variable] of Object.entries(spec)) declarations.set(name, (declarations.get(name) ?? new Set()).add(variable));
    expect(declarations.size).toBeGreaterThan(50);
    expect([...declarations].filter(([, variables]) => variables.size > 1).map(([name]) => name)).toEqual([]);
    expect(new Set(Object.keys(policiesEnvSpec))).toEqual(new Set(POLICY_ENV_MAPPINGS.flatMap((m) => Object.keys(m.spec))));
  });

  it('let one REDIS_URL serve the limiter, the API keys and the cache, each use keeping its own URL as an override', () => {
    const shared = policiesFromEnv({ REDIS_URL: 'redis://r:6379', API_KEYS_STORE: 'redis', RESPONSE_CACHE: 'redis' });
    expect(shared.rateLimit?.store).toEqual({ kind: 'redis', url: 'redis://r:6379', failMode: 'open-to-local', expectedInstances: 1 });
    expect(shared.authn?.apiKeys).toEqual({ redisUrl: 'redis://r:6379' });
    expect(shared.responseCache?.store).toEqual({ kind: 'redis', url: 'redis://r:6379' });
    const own = policiesFromEnv({ REDIS_URL: 'redis://r:6379', API_KEYS_STORE: 'redis', API_KEYS_REDIS_URL: 'redis://keys:6379', RESPONSE_CACHE: 'redis', RESPONSE_CACHE_REDIS_URL: 'redis://cache:6379' });
    expect(own.authn?.apiKeys).toEqual({ redisUrl: 'redis://keys:6379' });
    expect(own.responseCache?.store).toEqual({ kind: 'redis', url: 'redis://cache:6379' });
    expect(() => policiesFromEnv({ API_KEYS_STORE: 'redis' })).toThrow(/API_KEYS_STORE=redis: set REDIS_URL or REDIS_CLUSTER_NODES \(or API_KEYS_REDIS_URL\)/);
    expect(() => policiesFromEnv({ AUTH: 'off', RESPONSE_CACHE: 'redis' })).toThrow(/RESPONSE_CACHE=redis: set REDIS_URL or REDIS_CLUSTER_NODES \(or RESPONSE_CACHE_REDIS_URL\)/);
  });

  it('let REDIS_CLUSTER_NODES put every use on one Redis Cluster, a use\'s own URL still overriding it', () => {
    const nodes = ['10.0.0.1:6379', '10.0.0.2:6379'];
    const cluster = policiesFromEnv({ REDIS_CLUSTER_NODES: nodes.join(', '), REDIS_URL: 'redis://r:6379', API_KEYS_STORE: 'redis', RESPONSE_CACHE: 'redis' });
    expect(cluster.rateLimit?.store).toMatchObject({ kind: 'redis', clusterNodes: nodes });
    expect(cluster.authn?.apiKeys).toEqual({ redisClusterNodes: nodes });
    expect(cluster.responseCache?.store).toEqual({ kind: 'redis', clusterNodes: nodes });
    const own = policiesFromEnv({ REDIS_CLUSTER_NODES: nodes.join(','), API_KEYS_STORE: 'redis', API_KEYS_REDIS_URL: 'redis://keys:6379', RESPONSE_CACHE: 'redis', RESPONSE_CACHE_REDIS_URL: 'redis://cache:6379' });
    expect(own.authn?.apiKeys).toEqual({ redisUrl: 'redis://keys:6379' });
    expect(own.responseCache?.store).toEqual({ kind: 'redis', url: 'redis://cache:6379' });
  });

  it('map the limiter\'s outage settings: expected instances and readiness (unset: derived from the fail mode)', () => {
    const env = { REDIS_URL: 'redis://r:6379', RATE_LIMIT_FAIL_MODE: 'closed', RATE_LIMIT_EXPECTED_INSTANCES: '3', RATE_LIMIT_READINESS: 'informational' };
    expect(rateLimitEnv.toSettings(readEnv(env, rateLimitEnv.spec)).rateLimit?.store).toEqual({
      kind: 'redis',
      url: 'redis://r:6379',
      failMode: 'closed',
      expectedInstances: 3,
      readiness: 'informational',
    });
    expect(() => readEnv({ RATE_LIMIT_EXPECTED_INSTANCES: '0' }, rateLimitEnv.spec)).toThrow(/RATE_LIMIT_EXPECTED_INSTANCES="0": must be between 1 and 10000/);
    expect(() => readEnv({ RATE_LIMIT_READINESS: 'maybe' }, rateLimitEnv.spec)).toThrow(/RATE_LIMIT_READINESS="maybe": must be one of required, informational/);
  });

  it('map RATE_LIMIT_LEGACY_HEADERS=on to legacyHeaders, and leave it out by default', () => {
    expect(rateLimitEnv.toSettings(readEnv({ RATE_LIMIT_LEGACY_HEADERS: 'on' }, rateLimitEnv.spec)).rateLimit?.legacyHeaders).toBe(true);
    expect(rateLimitEnv.toSettings(readEnv({}, rateLimitEnv.spec)).rateLimit?.legacyHeaders).toBeUndefined();
  });

  it('map an empty environment to the policy defaults', () => {
    expect(rateLimitEnv.toSettings(readEnv({}, rateLimitEnv.spec))).toEqual({ rateLimit: { perIp: DEFAULT_PER_IP_RULE, plans: DEFAULT_PLAN_RULES, store: { kind: 'memory' } } });
    expect(responseCacheEnv.toSettings(readEnv({}, responseCacheEnv.spec))).toEqual({});
    expect(edgeEnv.toSettings(readEnv({}, edgeEnv.spec))).toEqual({});
    expect(authnEnv.toSettings(readEnv({ AUTH: 'off' }, authnEnv.spec))).toEqual({});
  });
});
