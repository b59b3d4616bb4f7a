import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isPorticoError } from '../../shared/errors';
import type { ReadinessCheck } from '../../shared/observability/health';
import { createBreakerRegistry } from '../../shared/upstream/breaker';
import { createUpstreamRegistry, type UpstreamRegistryHost } from '../../shared/upstream/upstream-registry';

/** The app side of a registry: hooks collected so the test runs them, readiness checks by name. */
function testHost() {
  const ready: Array<() => Promise<void>> = [];
  const closing: Array<() => Promise<void>> = [];
  const checks = new Map<string, ReadinessCheck>();
  const breakers = createBreakerRegistry();
  const host: UpstreamRegistryHost = {
    breakers,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    readiness: { add: (name, check) => void checks.set(name, check) },
    onReady: (task) => void ready.push(task),
    onClose: (task) => void closing.push(task),
  };
  return {
    host,
    checks,
    breakers,
    ready: () => Promise.all(ready.map((t) => t())),
    close: async () => {
      for (const t of closing) await t();
      breakers.shutdown();
    },
    readyHooks: () => ready.length,
    closeHooks: () => closing.length,
  };
}

describe('upstream registry', () => {
  let server: Server;
  let origin: string;
  let paths: string[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    paths = [];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives every caller asking for one name and origin the same client, with the breaker of that name', async () => {
    const app = testHost();
    const registry = createUpstreamRegistry(app.host);
    const a = registry.atOrigin('orders', origin);
    expect(registry.atOrigin('orders', origin)).toBe(a);
    expect(registry.upstream('orders', origin)).toBe(a);
    expect(registry.atOrigin('orders', 'http://127.0.0.1:1')).not.toBe(a);
    expect(a.breaker).toBe(app.breakers.get('orders'));
    expect(registry.hasTargets).toBe(false);
    expect(registry.withTargets('orders')).toBeUndefined();
    // Nothing to start without targets; the close hook is registered once.
    expect(app.readyHooks()).toBe(0);
    expect(app.closeHooks()).toBe(1);
    await app.close();
  });

  it('registers readiness probes that go through the upstream pool', async () => {
    const app = testHost();
    const registry = createUpstreamRegistry(app.host);
    registry.addReadiness('upstream:orders', registry.atOrigin('orders', origin), { kind: 'http', path: '/healthz' });
    registry.addReadiness('subgraph:orders', registry.atOrigin('orders', origin), { kind: 'graphql', path: '/graphql' });
    expect(await app.checks.get('upstream:orders')?.()).toEqual({ ok: true, detail: 'reachable' });
    expect(await app.checks.get('subgraph:orders')?.()).toEqual({ ok: true, detail: 'reachable' });
    expect(paths).toEqual(['GET /healthz', 'POST /graphql']);
    await app.close();
  });

  it('starts multi-target upstreams when the app is ready and routes their calls to an endpoint', async () => {
    const app = testHost();
    const registry = createUpstreamRegistry(app.host, { targets: { orders: { targets: [{ name: 'stable', origins: [origin] }] } } });
    const orders = registry.withTargets('orders');
    expect(orders?.targets).toBeDefined();
    expect(registry.hasTargets).toBe(true);
    expect(registry.upstream('orders', 'http://127.0.0.1:1')).toBe(orders);
    registry.addReadiness('upstream:orders', orders!, { kind: 'http', path: '/healthz' });
    expect(await app.checks.get('upstream:orders')?.()).toMatchObject({ ok: false });
    await app.ready();
    expect(await app.checks.get('upstream:orders')?.()).toEqual({ ok: true, detail: '1 of 1 endpoints available' });
    const res = await orders!.call({ method: 'GET', path: '/orders/1', headers: {}, idempotent: true });
    expect(res.statusCode).toBe(200);
    // The proxy's dispatcher sends each dispatch to the pool of the origin it names.
    const proxied = await orders!.dispatcher.request({ origin, path: '/orders/2', method: 'GET' });
    await proxied.body.dump();
    expect(paths).toEqual(['GET /orders/1', 'GET /orders/2']);
    // An origin that is no longer an endpoint fails like a closed connection (retryable), without a request.
    await expect(orders!.dispatcher.request({ origin: 'http://127.0.0.1:1', path: '/orders/3', method: 'GET' })).rejects.toMatchObject({ code: 'UND_ERR_CLOSED' });
    expect(paths).toHaveLength(2);
    await app.close();
  });

  it('closes every pool with the app: later calls fail as unavailable, and closing twice is harmless', async () => {
    const app = testHost();
    const registry = createUpstreamRegistry(app.host);
    const orders = registry.atOrigin('orders', origin);
    expect((await orders.call({ method: 'GET', path: '/a', headers: {}, idempotent: true })).statusCode).toBe(200);
    await app.close();
    await registry.close();
    const err = await orders.call({ method: 'GET', path: '/b', headers: {}, idempotent: true }).catch((e: unknown) => e);
    expect(isPorticoError(err) && err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(paths).toEqual(['GET /a']);
  });
});
