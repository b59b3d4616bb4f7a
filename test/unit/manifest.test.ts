import { DEFAULT_SERVER_SETTINGS, defineManifest, validateManifest, type BffManifest } from '../../shared/manifest';
import { validateRouteTables } from '../../shared/rest/route-table';
import { restManifestFromEnv } from '../../shared/config/rest-env';
import { mobileManifest } from '../../bffs/mobile/manifest';
import { partnerManifest } from '../../bffs/partner/manifest';
import { allUpstreamsAt, partnerUpstreamEnv } from '../helpers/bffs';
import { webManifest } from '../../bffs/web/manifest';

describe('manifests', () => {
  it.each([webManifest, mobileManifest, partnerManifest])('the $name manifest is valid', (manifest) => {
    expect(validateManifest(manifest as BffManifest)).toEqual([]);
  });

  it('each BFF has its own port', () => {
    const ports = [webManifest, mobileManifest, partnerManifest].map((m) => m.server.port);
    expect(new Set(ports).size).toBe(3);
  });

  it('rejects unknown keys at every level', () => {
    const manifest = { name: 'web', server: { ...DEFAULT_SERVER_SETTINGS, prot: 1 }, routes: { kind: 'graphql', supergraphPath: 'x', introspecton: true }, extra: 1 };
    const problems = validateManifest(manifest as unknown as BffManifest);
    expect(problems).toEqual(
      expect.arrayContaining(["manifest: unknown key 'extra'", "server: unknown key 'prot'", "routes: unknown key 'introspecton'"]),
    );
  });

  it('asks for routes of a known kind', () => {
    expect(validateManifest({ name: 'web', server: DEFAULT_SERVER_SETTINGS } as unknown as BffManifest)).toEqual(['routes is required']);
    expect(validateManifest({ name: 'web', server: DEFAULT_SERVER_SETTINGS, routes: { kind: 'soap' } } as unknown as BffManifest)).toEqual(["routes.kind must be one of 'graphql', 'rest', got \"soap\""]);
  });

  it('rejects out-of-range limits with a readable error', () => {
    expect(() => defineManifest({ name: 'web', server: { ...DEFAULT_SERVER_SETTINGS, port: 70000, bodyLimitBytes: 0 }, routes: { kind: 'graphql', supergraphPath: 'x' } })).toThrow(
      /server.port must be <= 65535, got 70000[\s\S]*server.bodyLimitBytes must be >= 1, got 0/,
    );
  });
});

describe('route tables', () => {
  it('the partner route tables are consistent with its upstreams, once the environment places them', () => {
    expect(validateRouteTables({ ...partnerManifest.routes, upstreams: allUpstreamsAt('http://127.0.0.1:1') })).toEqual([]);
  });

  it("the partner's code names its upstreams; starting without their origins names the variables to set", () => {
    expect(Object.values(partnerManifest.routes.upstreams).every((u) => u.origin === undefined)).toBe(true);
    const { UPSTREAM_URL_ORDERS: _orders, ...allButOrders } = partnerUpstreamEnv();
    expect(() => restManifestFromEnv(partnerManifest, { ...allButOrders, AUTH: 'off' })).toThrow(
      /^Invalid configuration:\n  - UPSTREAM_URL_ORDERS: is required \(upstream 'orders' has no origin; or set routes.upstreams.orders.origin in PORTICO_CONFIG, or UPSTREAM_TARGETS_ORDERS\)$/,
    );
    expect(restManifestFromEnv(partnerManifest, { ...allButOrders, UPSTREAM_URL_ORDERS: 'http://orders:4105', AUTH: 'off' }).routes.upstreams.orders).toEqual({ origin: 'http://orders:4105', healthPath: '/healthz' });
  });

  it('reports routes outside their version and unknown upstreams', () => {
    const problems = validateRouteTables({
      upstreams: { a: { origin: 'http://127.0.0.1:1' } },
      versions: [{ version: 'v1', routes: [{ kind: 'passthrough', prefix: '/v2/x', upstream: 'b', rewritePrefix: '/x' }] }],
    });
    expect(problems).toEqual(["v1: route '/v2/x' must start with /v1/", "v1: route '/v2/x' names unknown upstream 'b'"]);
  });
});
