/**
 * Idempotent upstream calls survive a dropped connection: a GraphQL query to a subgraph
 * and an aggregate's GETs are retried once; the client never sees the failure.
 */
import { allUpstreamsAt, startPartnerBff, startWebBff, type RunningBff, waitForSupergraph } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';

describe('retries of idempotent upstream calls', () => {
  let dropNext = false;
  let upstream: RecordingUpstream;

  beforeAll(async () => {
    upstream = await startRecordingUpstream((req, res) => {
      if (dropNext && req.url !== '/healthz' && !req.body.includes('PorticoReadiness')) {
        dropNext = false;
        res.socket?.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/graphql') res.end(JSON.stringify({ data: { topProducts: [{ name: 'After retry' }] } }));
      else if (req.url.startsWith('/orders/')) res.end(JSON.stringify({ id: '1', customerId: '1', status: 'PAID', createdAt: 'x', items: [], totalCents: 0 }));
      else res.end(JSON.stringify({ id: '1', username: 'u', name: 'U', email: 'e', items: [] }));
    });
  });

  afterAll(async () => upstream?.close());

  it('retries a subgraph query once after the connection drops', async () => {
    const web: RunningBff = await startWebBff({ ready: false, graphql: { subgraphUrls: { products: `${upstream.origin}/graphql` } } });
    try {
      await waitForSupergraph(web);
      dropNext = true;
      const res = await postGraphql(web.url, '{ topProducts { name } }');
      expect(res.json).toEqual({ data: { topProducts: [{ name: 'After retry' }] } });
      expect(dropNext).toBe(false);
    } finally {
      await web.close();
    }
  });

  it('retries an aggregate GET once after the connection drops', async () => {
    const upstreams = allUpstreamsAt(upstream.origin);
    const partner = await startPartnerBff(upstreams, { ready: false });
    try {
      dropNext = true;
      const res = await http(`${partner.url}/v1/orders/1`);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ order_id: '1', customer_name: 'U' });
      expect(dropNext).toBe(false);
    } finally {
      await partner.close();
    }
  });
});
