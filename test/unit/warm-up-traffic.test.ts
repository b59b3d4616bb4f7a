import Fastify, { type FastifyInstance } from 'fastify';
import { sendWarmUpTraffic, warmUpHeaderShapes } from '../../shared/graphql/warm-up-traffic';
import { WARM_UP_REQUEST_HEADER } from '../../shared/warm-up-request';

/** An app whose listener is bound to `address` (nothing is listening: no request may be sent). */
function boundTo(address: string, family: 'IPv4' | 'IPv6'): FastifyInstance {
  return { server: { listening: true, address: () => ({ address, family, port: 9 }) } } as unknown as FastifyInstance;
}

describe('sendWarmUpTraffic', () => {
  it.each([
    ['a private IPv4 address', '10.1.2.3', 'IPv4'],
    ['a public IPv6 address', '2001:db8::7', 'IPv6'],
  ] as const)('sends nothing when the listener is bound to %s: its requests would come from there, as a client’s', async (_name, address, family) => {
    const report = await sendWarmUpTraffic(boundTo(address, family), '/graphql', [{ name: 'Q', body: '{ __typename }', variables: {} }], { requests: 10, until: performance.now() + 1_000 });
    expect(report).toMatchObject({ sent: 0, failed: 0 });
  });
});

describe('the warm-up’s request headers', () => {
  let app: FastifyInstance;
  const seen: Array<{ operation: string; names: string; headers: Record<string, unknown> }> = [];

  beforeAll(async () => {
    app = Fastify();
    app.post('/graphql', async (request) => {
      const raw = request.raw.rawHeaders;
      const names = raw.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      seen.push({ operation: (request.body as { operationName: string }).operationName, names: names.join(','), headers: { ...request.headers } });
      return { data: {} };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('come in more shapes than V8 specialises code for, each operation under every shape, each with the warm-up’s own headers', async () => {
    const operations = [
      { name: 'A', body: 'query A { a }', variables: {} },
      { name: 'B', body: 'query B { b }', variables: {} },
    ];
    const shapes = warmUpHeaderShapes({ authorization: 'Bearer t', [WARM_UP_REQUEST_HEADER]: 's' });
    const report = await sendWarmUpTraffic(app, '/graphql', operations, { requests: operations.length * shapes.length, until: performance.now() + 10_000 });
    expect(report).toMatchObject({ sent: 12, failed: 0 });
    // Four is the most shapes V8 keeps specialised code for at one property access.
    const distinct = new Set(seen.map((s) => s.names));
    expect(distinct.size).toBeGreaterThan(4);
    for (const op of ['A', 'B']) expect(new Set(seen.filter((s) => s.operation === op).map((s) => s.names)).size).toBe(distinct.size);
    for (const { headers } of seen) {
      expect(headers.authorization).toMatch(/^Bearer /);
      expect(headers[WARM_UP_REQUEST_HEADER]).toBeDefined();
      expect(headers['content-type']).toBe('application/json');
    }
  });
});
