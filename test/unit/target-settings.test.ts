/**
 * Configuration of multi-target upstreams: validation with readable errors, the manifest
 * and route-table hooks, the JSON environment variables, and the pure discovery parsers.
 */
import { ConfigError } from '../../shared/config/env';
import { graphqlManifestFromEnv } from '../../shared/config/graphql-env';
import { restManifestFromEnv } from '../../shared/config/rest-env';
import { readPrefixedTargets } from '../../shared/upstream/target-settings-env';
import { validateManifest, type BffManifest } from '../../shared/manifest';
import { validateRouteTables } from '../../shared/rest/route-table';
import { originsFromAddresses, parseEndpointsFile } from '../../shared/upstream/target-discovery';
import { isOrigin, validateTargetSettings } from '../../shared/upstream/target-settings';
import { partnerManifest } from '../../bffs/partner/manifest';
import { allUpstreamsAt, partnerUpstreamEnv } from '../helpers/bffs';
import { webManifest } from '../../bffs/web/manifest';

const CANARY = { targets: [{ name: 'stable', weight: 90, origins: ['http://a:1'] }, { name: 'canary', weight: 10, origins: ['http://b:1'] }] };

describe('validateTargetSettings', () => {
  it('accepts every source, balancing, allow list, health check and outlier setting', () => {
    expect(
      validateTargetSettings(
        {
          targets: [
            { name: 'stable', weight: 9, origins: ['http://a:1', 'https://b'] },
            { name: 'dns-pool', dns: { hostname: 'orders.internal', port: 4105, protocol: 'http', refreshMs: 1_000, family: 4 } },
            { name: 'from-file', weight: 0, file: { path: '/etc/portico/orders.json', watchMs: 500 } },
          ],
          balancing: 'least-busy',
          overrideAllowed: { clientIds: ['qa'], userIds: ['alice'], scopes: ['canary:choose'] },
          healthCheck: { path: '/healthz', intervalMs: 1_000, timeoutMs: 200, healthyThreshold: 1, unhealthyThreshold: 2 },
          outlierDetection: { consecutiveFailures: 3, ejectionMs: 10_000 },
        },
        'x',
      ),
    ).toEqual([]);
    expect(validateTargetSettings({ ...CANARY, outlierDetection: false }, 'x')).toEqual([]);
  });

  it('names every problem', () => {
    const problems = validateTargetSettings(
      {
        targets: [
          { name: 'Stable', weight: -1, origins: ['http://a:1/path'] },
          { name: 'b', origins: ['http://b:1'], dns: { hostname: 'b', port: 1 } },
          { name: 'b', file: { watchMs: 0 }, extra: true },
          { name: 'd', dns: { port: 70_000, family: 5 } },
        ],
        balancing: 'random',
        overrideAllowed: { users: ['x'], scopes: 'admin' },
        healthCheck: { path: 'healthz', intervalMs: 0 },
        outlierDetection: { consecutiveFailures: 1.5 },
        weights: {},
      },
      'upstreamTargets.orders',
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        "upstreamTargets.orders: unknown key 'weights'",
        'upstreamTargets.orders.targets[0].name must be a lowercase identifier, got "Stable"',
        'upstreamTargets.orders.targets[0].weight must be >= 0, got -1',
        'upstreamTargets.orders.targets[0].origins: "http://a:1/path" is not an http(s) origin like http://host:port',
        "upstreamTargets.orders.targets[1] needs exactly one of 'origins', 'dns', 'file', got origins and dns",
        "upstreamTargets.orders.targets[2].name 'b' is used twice",
        "upstreamTargets.orders.targets[2]: unknown key 'extra'",
        'upstreamTargets.orders.targets[2].file.path is required',
        'upstreamTargets.orders.targets[2].file.watchMs must be >= 1, got 0',
        'upstreamTargets.orders.targets[3].dns.hostname is required',
        'upstreamTargets.orders.targets[3].dns.port must be <= 65535, got 70000',
        'upstreamTargets.orders.targets[3].dns.family must be one of 0, 4, 6, got 5',
        'upstreamTargets.orders.balancing must be one of round-robin, least-busy, got "random"',
        "upstreamTargets.orders.overrideAllowed: unknown key 'users'",
        'upstreamTargets.orders.overrideAllowed.scopes must be a list, got "admin"',
        'upstreamTargets.orders.healthCheck.path must start with /, got "healthz"',
        'upstreamTargets.orders.healthCheck.intervalMs must be >= 1, got 0',
        'upstreamTargets.orders.outlierDetection.consecutiveFailures must be an integer, got 1.5',
      ]),
    );
    expect(validateTargetSettings({ targets: [] }, 'x')).toEqual(['x.targets must be a non-empty list']);
    expect(validateTargetSettings({ targets: [{ name: 'a', weight: 0, origins: ['http://a:1'] }] }, 'x')).toEqual(['x.targets: at least one target needs a weight above 0']);
    expect(validateTargetSettings('nope', 'x')).toEqual(['x must be an object with a \'targets\' list, got "nope"']);
  });

  it('recognises bare origins only', () => {
    expect(isOrigin('http://127.0.0.1:80')).toBe(true);
    expect(isOrigin('http://[::1]:8080')).toBe(true);
    expect(isOrigin('http://a:1/')).toBe(true);
    expect(isOrigin('ftp://a')).toBe(false);
    expect(isOrigin('http://user:pw@a:1')).toBe(false);
    expect(isOrigin('http://a:1?x=1')).toBe(false);
  });
});

describe('where target settings are configured', () => {
  it('validates graphql.subgraphTargets in the manifest', () => {
    expect(validateManifest({ ...webManifest, routes: { ...webManifest.routes, subgraphTargets: { products: CANARY } } })).toEqual([]);
    expect(validateManifest({ ...webManifest, routes: { ...webManifest.routes, subgraphTargets: { products: { targets: [] } } } })).toEqual([
      'routes.subgraphTargets.products.targets must be a non-empty list',
    ]);
  });

  it('validates upstreamTargets next to the partner upstreams', () => {
    const routes = { ...partnerManifest.routes, upstreams: allUpstreamsAt('http://127.0.0.1:1') };
    expect(validateRouteTables({ ...routes, upstreamTargets: { orders: CANARY } })).toEqual([]);
    expect(validateRouteTables({ ...routes, upstreamTargets: { billing: CANARY } })).toEqual(["upstreamTargets.billing: no upstream named 'billing'"]);
    // Targets stand in for an origin.
    const { orders: _orders, ...others } = routes.upstreams;
    expect(validateRouteTables({ ...routes, upstreams: { ...others, orders: {} }, upstreamTargets: { orders: CANARY } })).toEqual([]);
    expect(validateRouteTables({ ...routes, upstreams: { ...others, orders: {} } })).toEqual(['upstreams.orders has no origin and no targets']);
  });

  it('reads JSON variables per upstream, naming the variable of a bad one', () => {
    expect(readPrefixedTargets({ UPSTREAM_TARGETS_ORDERS: JSON.stringify(CANARY), OTHER: 'x' }, 'UPSTREAM_TARGETS_')).toEqual({ orders: CANARY });
    expect(() => readPrefixedTargets({ UPSTREAM_TARGETS_ORDERS: '{nope' }, 'UPSTREAM_TARGETS_')).toThrow(/UPSTREAM_TARGETS_ORDERS: is not valid JSON/);
    expect(() => readPrefixedTargets({ UPSTREAM_TARGETS_ORDERS: '{"targets":[{"name":"a"}]}' }, 'UPSTREAM_TARGETS_')).toThrow(
      /UPSTREAM_TARGETS_ORDERS.targets\[0\] needs exactly one of 'origins', 'dns', 'file'/,
    );
  });

  it('applies UPSTREAM_TARGETS_<NAME> to the partner and SUBGRAPH_TARGETS_<NAME> to web, refusing unknown upstreams', () => {
    const placed = partnerUpstreamEnv();
    const env = { ...placed, AUTH: 'off', UPSTREAM_TARGETS_ORDERS: JSON.stringify(CANARY) };
    expect(restManifestFromEnv(partnerManifest, env).routes?.upstreamTargets).toEqual({ orders: CANARY });
    expect(restManifestFromEnv(partnerManifest, { ...placed, AUTH: 'off' }).routes?.upstreamTargets).toBeUndefined();
    expect(() => restManifestFromEnv(partnerManifest, { ...placed, AUTH: 'off', UPSTREAM_TARGETS_BILLING: JSON.stringify(CANARY) })).toThrow(ConfigError);
    expect(() => restManifestFromEnv(partnerManifest, { ...placed, AUTH: 'off', UPSTREAM_TARGETS_BILLING: JSON.stringify(CANARY) })).toThrow(/UPSTREAM_TARGETS_BILLING: no upstream named 'billing'/);
    const web = graphqlManifestFromEnv(webManifest, { AUTH: 'off', SUBGRAPH_TARGETS_PRODUCTS: JSON.stringify(CANARY) });
    expect(web.routes.subgraphTargets).toEqual({ products: CANARY });
  });
});

describe('discovery parsers', () => {
  it('turns addresses into sorted, unique origins, IPv6 in brackets', () => {
    expect(originsFromAddresses(['10.0.0.2', '10.0.0.1', '::1', '10.0.0.1'], 'http', 4105)).toEqual(['http://10.0.0.1:4105', 'http://10.0.0.2:4105', 'http://[::1]:4105']);
    expect(originsFromAddresses(['10.0.0.1'], 'https', 443)).toEqual(['https://10.0.0.1']);
  });

  it('reads an endpoints file or says what is wrong with it', () => {
    expect(parseEndpointsFile('{"endpoints":["http://b:1/","http://a:1","http://c:80"]}')).toEqual(['http://a:1', 'http://b:1', 'http://c']);
    expect(() => parseEndpointsFile('{')).toThrow('not valid JSON');
    expect(() => parseEndpointsFile('["http://a:1"]')).toThrow("expected an object with an 'endpoints' list");
    expect(() => parseEndpointsFile('{"endpoints":["a:1"]}')).toThrow('not http(s) origins: "a:1"');
  });
});
