/**
 * The warm-up's stand-in subgraphs: made-up answers through a client built like a real
 * subgraph's, and a loopback server that refuses what is not a warm-up fetch.
 */
import { request } from 'undici';
import { MAX_STAND_IN_BODY_BYTES, startWarmUpUpstreams, type WarmUpUpstreams } from '../../shared/graphql/warm-up-upstreams';

describe('stand-in subgraphs', () => {
  let standIns: WarmUpUpstreams;

  beforeAll(async () => {
    standIns = await startWarmUpUpstreams((query, variables) => ({ data: { echoed: { query, variables } } }));
  });

  afterAll(async () => {
    await standIns?.close();
  });

  it('answers a fetch through the stand-in client with the made-up data, and counts it', async () => {
    const upstream = standIns.upstreamFor('products');
    const res = await upstream.call({ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ a }', variables: { x: 1 } }), idempotent: true });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ data: { echoed: { query: '{ a }', variables: { x: 1 } } } });
    expect(standIns.upstreamFor('products')).toBe(upstream);
    expect(standIns.fetches).toBe(1);
  });

  it('refuses a body that is not JSON, and one over the bound, answering nothing made up', async () => {
    const upstream = standIns.upstreamFor('reviews');
    const before = standIns.fetches;
    const notJson = await upstream.call({ method: 'POST', path: '/graphql', headers: {}, body: 'not json', idempotent: false });
    expect(notJson.statusCode).toBe(400);
    // Over the bound: a 400, or the connection closed while the rest is still on its way.
    const huge = await upstream.call({ method: 'POST', path: '/graphql', headers: {}, body: JSON.stringify({ query: 'x'.repeat(MAX_STAND_IN_BODY_BYTES) }), idempotent: false }).then(
      (res) => res.statusCode,
      () => 'closed',
    );
    expect([400, 'closed']).toContain(huge);
    expect(standIns.fetches).toBe(before);
  });
});
