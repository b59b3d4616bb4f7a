/**
 * Multi-target upstreams over the real demo services: the web BFF's subgraph calls and
 * the partner's aggregate calls go to the targets' endpoints (counted per target, the
 * override honoured for a permitted user), and every endpoint down answers with the
 * breaker-open code in GraphQL too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWebBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { unusedPort } from '../helpers/recording-upstream';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';
import { eventually, startPartnerWithTargets } from '../helpers/target-upstreams';
import { createTestSigner, TEST_AUDIENCE, TEST_ISSUER } from '../helpers/tokens';
import type { UpstreamTargetsSettings } from '../../shared/upstream/target-settings';

const targetCount = (metrics: string, upstream: string, target: string) => metricValue(metrics, 'portico_upstream_target_requests_total', { upstream, target }) ?? 0;

describe('subgraph and aggregate calls to multi-target upstreams', () => {
  let subgraphs: RunningSubgraphs;
  let canaryProducts: RunningSubgraphs;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    canaryProducts = await startSubgraphs(['products']);
  });

  afterAll(async () => {
    await subgraphs?.close();
    await canaryProducts?.close();
  });

  it('web: spreads subgraph calls by weight, honours a permitted override, counts per target', async () => {
    const signer = await createTestSigner();
    const products: UpstreamTargetsSettings = {
      targets: [
        { name: 'stable', weight: 1, origins: [subgraphs.origins.products] },
        { name: 'canary', weight: 1, origins: [canaryProducts.origins.products] },
      ],
      overrideAllowed: { scopes: ['canary:choose'] },
    };
    const web = await startWebBff({
      graphql: { subgraphUrls: subgraphs.urls, subgraphTargets: { products } },
      policies: { authn: { jwt: { jwks: signer.jwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE } } },
    });
    try {
      for (let i = 0; i < 30; i++) {
        const res = await postGraphql(web.url, '{ topProducts(first: 2) { upc name } }', undefined, { authorization: `Bearer ${await signer.mint({ sub: `user-${i}` })}` });
        expect(res.json.errors).toBeUndefined();
        expect(res.json.data.topProducts).toHaveLength(2);
      }
      let metrics = (await http(`${web.url}/metrics`)).text;
      const stable = targetCount(metrics, 'products', 'stable');
      const canary = targetCount(metrics, 'products', 'canary');
      expect(stable + canary).toBe(30);
      expect(stable).toBeGreaterThan(0);
      expect(canary).toBeGreaterThan(0);

      const tester = await signer.mint({ sub: 'qa-7', scope: 'canary:choose' });
      for (let i = 0; i < 5; i++) {
        const res = await postGraphql(web.url, '{ topProducts(first: 1) { upc } }', undefined, { authorization: `Bearer ${tester}`, 'x-canary': 'canary' });
        expect(res.json.errors).toBeUndefined();
      }
      metrics = (await http(`${web.url}/metrics`)).text;
      expect(targetCount(metrics, 'products', 'canary')).toBe(canary + 5);
      expect(targetCount(metrics, 'products', 'stable')).toBe(stable);
    } finally {
      await web.close();
    }
  });

  it('web: every endpoint of a subgraph down answers UPSTREAM_CIRCUIT_OPEN, and a recovered file list serves again', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'portico-subgraph-targets-'));
    const file = path.join(dir, 'products.json');
    await writeFile(file, JSON.stringify({ endpoints: [`http://127.0.0.1:${await unusedPort()}`] }));
    const web = await startWebBff({
      graphql: {
        subgraphUrls: subgraphs.urls,
        subgraphTargets: { products: { targets: [{ name: 'stable', file: { path: file, watchMs: 30 } }], outlierDetection: { consecutiveFailures: 1, ejectionMs: 60_000 } } },
      },
      policies: { breakers: { all: { volumeThreshold: 1_000 } } },
      ready: false,
    });
    try {
      await eventually(async () => (await http(`${web.url}/readyz`)).json?.checks?.supergraph?.ok === true);
      const first = await postGraphql(web.url, '{ topProducts(first: 1) { upc } }');
      // The refused connection ejects the only endpoint; the query's retry already finds none left.
      expect(first.json.errors[0].extensions.code).toMatch(/^UPSTREAM_(UNAVAILABLE|CIRCUIT_OPEN)$/);
      const paused = await postGraphql(web.url, '{ topProducts(first: 1) { upc } }');
      expect(paused.json.errors[0].extensions).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN', subgraph: 'products' });
      expect(paused.json.errors[0].message).toBe("Upstream 'products' is failing; calls to it are paused.");

      await writeFile(file, JSON.stringify({ endpoints: [subgraphs.origins.products] }));
      await eventually(async () => (await postGraphql(web.url, '{ topProducts(first: 1) { upc } }')).json.errors === undefined);
    } finally {
      await web.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('partner: aggregate calls go to the targets and are counted per target', async () => {
    const upstreams = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }]));
    const products: UpstreamTargetsSettings = {
      targets: [
        { name: 'stable', weight: 1, origins: [subgraphs.origins.products] },
        { name: 'canary', weight: 1, origins: [canaryProducts.origins.products] },
      ],
    };
    const partner = await startPartnerWithTargets(upstreams, { products });
    try {
      const direct = await http(`${partner.url}/v1/orders/1`);
      expect(direct.status).toBe(200);
      for (let i = 0; i < 19; i++) expect((await http(`${partner.url}/v1/orders/1`)).json).toEqual(direct.json);
      const metrics = (await http(`${partner.url}/metrics`)).text;
      const stable = targetCount(metrics, 'products', 'stable');
      const canary = targetCount(metrics, 'products', 'canary');
      expect(stable + canary).toBe(20);
      expect(stable).toBeGreaterThan(0);
      expect(canary).toBeGreaterThan(0);
    } finally {
      await partner.close();
    }
  });
});
