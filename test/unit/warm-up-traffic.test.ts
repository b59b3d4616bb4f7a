import type { FastifyInstance } from 'fastify';
import { sendWarmUpTraffic } from '../../shared/graphql/warm-up-traffic';

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
