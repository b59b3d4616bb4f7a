/**
 * Multi-target upstreams through the real partner BFF and real upstream servers: a 90/10
 * canary split that is sticky per user, the override header for permitted callers only
 * (and never forwarded), per-target metrics, active health checks taking an endpoint out
 * and back, file discovery, real DNS lookup of `localhost`, and the breaker-open answer
 * when every endpoint is out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { eventually, startNamedUpstream, startPartnerWithTargets, type NamedUpstream } from '../helpers/target-upstreams';
import { createTestSigner, TEST_AUDIENCE, TEST_ISSUER, type TestSigner } from '../helpers/tokens';
import type { UpstreamTargetsSettings } from '../../shared/upstream/target-settings';

async function served(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await http(url, { headers });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${res.text}`);
  return (res.json as { served: string }).served;
}

describe('canary split on the partner passthrough', () => {
  let signer: TestSigner;
  let fallback: NamedUpstream;
  let stable: NamedUpstream;
  let canary: NamedUpstream;
  let partner: RunningBff;
  const tokens = new Map<string, string>();
  const token = async (sub: string) => {
    let t = tokens.get(sub);
    if (!t) {
      t = await signer.mint({ sub, scope: 'orders:read' });
      tokens.set(sub, t);
    }
    return t;
  };

  beforeAll(async () => {
    signer = await createTestSigner();
    [fallback, stable, canary] = await Promise.all([startNamedUpstream('fallback'), startNamedUpstream('stable'), startNamedUpstream('canary')]);
    const products: UpstreamTargetsSettings = {
      targets: [
        { name: 'stable', weight: 90, origins: [stable.origin] },
        { name: 'canary', weight: 10, origins: [canary.origin] },
      ],
      overrideAllowed: { userIds: ['qa-1'] },
    };
    partner = await startPartnerWithTargets(fallback.origin, { products }, { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } });
  });

  afterAll(async () => {
    await partner?.close();
    await Promise.all([fallback, stable, canary].map((u) => u?.close()));
  });

  it('sends about 10% of 2,000 distinct users to the canary, each user always to the same target, and counts per target', async () => {
    const users = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);
    const home = new Map<string, string>();
    for (let i = 0; i < users.length; i += 50) {
      await Promise.all(
        users.slice(i, i + 50).map(async (user) => {
          home.set(user, await served(`${partner.url}/v1/products`, { authorization: `Bearer ${await token(user)}` }));
        }),
      );
    }
    const onCanary = [...home.values()].filter((t) => t === 'canary').length;
    expect(Math.abs(onCanary / users.length - 0.1)).toBeLessThan(0.02);
    expect(fallback.hits).toBe(0);

    // Sticky: the same users again, several times each, land where they landed first.
    for (const user of users.slice(0, 40)) {
      const auth = { authorization: `Bearer ${await token(user)}` };
      for (let n = 0; n < 5; n++) expect(await served(`${partner.url}/v1/products`, auth)).toBe(home.get(user));
    }

    const metrics = (await http(`${partner.url}/metrics`)).text;
    const canaryCount = metricValue(metrics, 'portico_upstream_target_requests_total', { upstream: 'products', target: 'canary' }) ?? 0;
    const stableCount = metricValue(metrics, 'portico_upstream_target_requests_total', { upstream: 'products', target: 'stable' }) ?? 0;
    expect(canaryCount).toBe(canary.hits);
    expect(stableCount).toBe(stable.hits);
    expect(canaryCount + stableCount).toBe(2_000 + 40 * 5);
    expect(metricValue(metrics, 'portico_upstream_target_endpoints', { upstream: 'products', target: 'canary', state: 'available' })).toBe(1);
  });

  it('honours the override header only for permitted users and never forwards it', async () => {
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    let stableUser: string | undefined;
    for (const user of users) {
      if ((await served(`${partner.url}/v1/products`, { authorization: `Bearer ${await token(user)}` })) === 'stable') {
        stableUser = user;
        break;
      }
    }
    const ignored = await served(`${partner.url}/v1/products`, { authorization: `Bearer ${await token(stableUser as string)}`, 'x-canary': 'canary' });
    expect(ignored).toBe('stable');
    expect(stable.lastHeaders?.['x-canary']).toBeUndefined();

    for (let n = 0; n < 5; n++) expect(await served(`${partner.url}/v1/products`, { authorization: `Bearer ${await token('qa-1')}`, 'x-canary': 'canary' })).toBe('canary');
    expect(canary.lastHeaders?.['x-canary']).toBeUndefined();
    expect(await served(`${partner.url}/v1/products`, { authorization: `Bearer ${await token('qa-1')}`, 'x-canary': 'products=stable' })).toBe('stable');
  });
});

describe('health checks, outlier detection and discovery on the partner passthrough', () => {
  const dirs: string[] = [];
  const upstreams: NamedUpstream[] = [];
  const bffs: RunningBff[] = [];
  const start = async (name: string) => {
    const u = await startNamedUpstream(name);
    upstreams.push(u);
    return u;
  };
  const partnerWith = async (fallback: NamedUpstream, products: UpstreamTargetsSettings) => {
    const bff = await startPartnerWithTargets(fallback.origin, { products });
    bffs.push(bff);
    return bff;
  };
  const spread = async (bff: RunningBff, n: number) => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const name = await served(`${bff.url}/v1/products`);
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  };

  afterEach(async () => {
    await Promise.all(bffs.splice(0).map((b) => b.close()));
    await Promise.all(upstreams.splice(0).map((u) => u.close()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('takes an endpoint failing its health check out of rotation and brings it back once it recovers', async () => {
    const [fallback, a, b] = [await start('fallback'), await start('a'), await start('b')];
    const partner = await partnerWith(fallback, {
      targets: [{ name: 'stable', origins: [a.origin, b.origin] }],
      healthCheck: { intervalMs: 40, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2 },
      outlierDetection: false,
    });
    expect(await spread(partner, 10)).toEqual({ a: 5, b: 5 });

    a.healthy = false;
    await eventually(async () => metricValue((await http(`${partner.url}/metrics`)).text, 'portico_upstream_target_endpoints', { upstream: 'products', target: 'stable', state: 'unhealthy' }) === 1);
    expect(await spread(partner, 10)).toEqual({ b: 10 });

    a.healthy = true;
    await eventually(async () => metricValue((await http(`${partner.url}/metrics`)).text, 'portico_upstream_target_endpoints', { upstream: 'products', target: 'stable', state: 'available' }) === 2);
    expect((await spread(partner, 10)).a).toBe(5);
  });

  it('ejects an endpoint after consecutive 5xx answers, counting the errors per target', async () => {
    const [fallback, a, b] = [await start('fallback'), await start('a'), await start('b')];
    const partner = await partnerWith(fallback, {
      targets: [{ name: 'stable', origins: [a.origin, b.origin] }],
      outlierDetection: { consecutiveFailures: 3, ejectionMs: 60_000 },
    });
    a.status = 500;
    for (let i = 0; i < 6; i++) await http(`${partner.url}/v1/products`);
    expect(a.hits).toBe(3);
    expect(await spread(partner, 6)).toEqual({ b: 6 });
    const metrics = (await http(`${partner.url}/metrics`)).text;
    expect(metricValue(metrics, 'portico_upstream_target_errors_total', { upstream: 'products', target: 'stable', reason: 'server_error' })).toBe(3);
    expect(metricValue(metrics, 'portico_upstream_endpoint_ejections_total', { upstream: 'products', target: 'stable' })).toBe(1);
    expect(metricValue(metrics, 'portico_upstream_target_endpoints', { upstream: 'products', target: 'stable', state: 'ejected' })).toBe(1);
  });

  it('adds an endpoint listed in the watched file without a restart, and keeps the last good list when the file breaks', async () => {
    const [fallback, a, b] = [await start('fallback'), await start('a'), await start('b')];
    const dir = await mkdtemp(path.join(tmpdir(), 'portico-targets-'));
    dirs.push(dir);
    const file = path.join(dir, 'products.json');
    await writeFile(file, JSON.stringify({ endpoints: [a.origin] }));
    const partner = await partnerWith(fallback, { targets: [{ name: 'stable', file: { path: file, watchMs: 30 } }] });
    expect(await spread(partner, 4)).toEqual({ a: 4 });

    await writeFile(file, JSON.stringify({ endpoints: [a.origin, b.origin] }));
    await eventually(async () => (await served(`${partner.url}/v1/products`)) === 'b');

    await writeFile(file, '{ "endpoints": [ broken');
    await new Promise((r) => setTimeout(r, 120));
    expect(Object.keys(await spread(partner, 6)).sort()).toEqual(['a', 'b']);
  });

  it('resolves a DNS name with the system resolver (localhost) and calls its address', async () => {
    const [fallback, a] = [await start('fallback'), await start('a')];
    const partner = await partnerWith(fallback, { targets: [{ name: 'stable', dns: { hostname: 'localhost', port: a.port, family: 4, refreshMs: 60_000 } }] });
    expect(await spread(partner, 3)).toEqual({ a: 3 });
  });

  it('answers like an open circuit when every endpoint is out, without calling any upstream', async () => {
    const [fallback, a, b] = [await start('fallback'), await start('a'), await start('b')];
    const partner = await partnerWith(fallback, {
      targets: [
        { name: 'stable', weight: 90, origins: [a.origin] },
        { name: 'canary', weight: 10, origins: [b.origin] },
      ],
      healthCheck: { intervalMs: 40, timeoutMs: 200, healthyThreshold: 1, unhealthyThreshold: 1 },
    });
    a.healthy = false;
    b.healthy = false;
    await eventually(async () => (await http(`${partner.url}/v1/products`)).status === 503);
    const hitsBefore = a.hits + b.hits;
    const res = await http(`${partner.url}/v1/products`);
    expect(res.status).toBe(503);
    expect(res.json).toEqual({
      statusCode: 503,
      code: 'UPSTREAM_CIRCUIT_OPEN',
      error: 'Service Unavailable',
      message: "Upstream 'products' is failing; calls to it are paused.",
      requestId: res.headers['x-request-id'],
    });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(a.hits + b.hits).toBe(hitsBefore);
    const ready = await http(`${partner.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json.checks['upstream:products']).toMatchObject({ ok: false, detail: '0 of 2 endpoints available' });
  });
});
