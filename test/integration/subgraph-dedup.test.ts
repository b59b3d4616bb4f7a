/**
 * Identical in-flight subgraph queries share one call, but never across identities.
 */
import { createInFlightDeduplicator, subgraphCallKey } from '../../shared/upstream/in-flight-dedup';
import { startWebBff, type RunningBff, waitForSupergraph } from '../helpers/bffs';
import { postGraphql } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { TEST_AUDIENCE, TEST_ISSUER, createTestSigner, type TestSigner } from '../helpers/tokens';

describe('in-flight deduplication', () => {
  let signer: TestSigner;
  let subgraph: RecordingUpstream;
  let web: RunningBff;

  beforeAll(async () => {
    signer = await createTestSigner();
    subgraph = await startRecordingUpstream((req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { topProducts: [{ name: `for ${req.headers['x-user-id']}` }] } }));
      }, 150);
    });
    web = await startWebBff({
      ready: false,
      graphql: { subgraphUrls: { products: `${subgraph.origin}/graphql` } },
      policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } },
    });
    await waitForSupergraph(web);
  });

  afterAll(async () => {
    await web?.close();
    await subgraph?.close();
  });

  const calls = () => subgraph.requests.filter((r) => r.body.includes('topProducts'));

  it('sends one subgraph call for ten identical concurrent queries of one user', async () => {
    const token = await signer.mint({ sub: 'alice' });
    // Planned and the token verified first: the ten then reach the subgraph together, not one
    // planning (or verification) after another, which on a loaded machine can outlast the call.
    await postGraphql(web.url, '{ topProducts { name } }', undefined, { authorization: `Bearer ${token}` });
    subgraph.requests.length = 0;
    const results = await Promise.all(Array.from({ length: 10 }, () => postGraphql(web.url, '{ topProducts { name } }', undefined, { authorization: `Bearer ${token}` })));
    for (const r of results) expect(r.json).toEqual({ data: { topProducts: [{ name: 'for alice' }] } });
    expect(calls()).toHaveLength(1);
  });

  it('never shares an answer between identities', async () => {
    subgraph.requests.length = 0;
    const [alice, bob] = await Promise.all([signer.mint({ sub: 'alice' }), signer.mint({ sub: 'bob' })]);
    const results = await Promise.all([
      postGraphql(web.url, '{ topProducts { name } }', undefined, { authorization: `Bearer ${alice}` }),
      postGraphql(web.url, '{ topProducts { name } }', undefined, { authorization: `Bearer ${bob}` }),
    ]);
    expect(results.map((r) => r.json.data.topProducts[0].name)).toEqual(['for alice', 'for bob']);
    expect(calls()).toHaveLength(2);
  });

  it('sends every call when deduplication is turned off', async () => {
    const separate = await startWebBff({
      ready: false,
      graphql: { subgraphUrls: { products: `${subgraph.origin}/graphql` }, dedupeSubgraphQueries: false },
      policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } },
    });
    try {
      await waitForSupergraph(separate);
      subgraph.requests.length = 0;
      const token = await signer.mint({ sub: 'alice' });
      await Promise.all(Array.from({ length: 5 }, () => postGraphql(separate.url, '{ topProducts { name } }', undefined, { authorization: `Bearer ${token}` })));
      expect(calls()).toHaveLength(5);
    } finally {
      await separate.close();
    }
  });

  it('keys on identity headers regardless of their order, and forgets settled calls', async () => {
    expect(subgraphCallKey('{}', { 'x-user-id': '1', 'x-tenant-id': 't' })).toBe(subgraphCallKey('{}', { 'x-tenant-id': 't', 'x-user-id': '1' }));
    expect(subgraphCallKey('{}', { 'x-user-id': '1' })).not.toBe(subgraphCallKey('{}', { 'x-user-id': '2' }));
    const dedup = createInFlightDeduplicator<number>();
    let n = 0;
    const [a, b] = await Promise.all([dedup.run('k', async () => ++n), dedup.run('k', async () => ++n)]);
    expect([a, b, dedup.size()]).toEqual([1, 1, 0]);
    expect(await dedup.run('k', async () => ++n)).toBe(2);
  });
});
