/**
 * Warm-up of the web BFF's registered operations: a fresh BFF reports ready only once
 * their query plans are cached (a client's first request of one is a plan cache hit), a
 * reloaded supergraph is warmed before it serves, and an operation the supergraph refuses
 * is logged and counted without keeping the BFF unready.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WEB_OPERATIONS_DIR } from '../../bffs/web/manifest';
import { SUPERGRAPH_FILE } from '../../supergraph/composition';
import { startWebBff, waitForReady, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { startSubgraphs, supergraphWithoutDescription, type RunningSubgraphs } from '../helpers/subgraphs';

let dir: string;
let subgraphs: RunningSubgraphs;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-warm-up-'));
  subgraphs = await startSubgraphs();
});

afterAll(async () => {
  await subgraphs?.close();
  await rm(dir, { recursive: true, force: true });
});

async function metrics(bff: RunningBff): Promise<string> {
  return (await http(`${bff.url}/metrics`)).text;
}

const planLookups = (text: string, result: 'hit' | 'miss') => metricValue(text, 'portico_graphql_query_plan_cache_total', { bff: 'web', result }) ?? 0;
const warmed = (text: string, outcome: 'planned' | 'refused' | 'skipped') => metricValue(text, 'portico_graphql_warmup_operations', { bff: 'web', outcome });

/** Sends a registered operation exactly as the web app does: the file's text. */
async function sendRegistered(bff: RunningBff, file: string, operationName: string, variables: Record<string, unknown> = {}) {
  const query = await readFile(path.join(WEB_OPERATIONS_DIR, file), 'utf8');
  return http(`${bff.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName, variables }) });
}


describe('GraphQL warm-up of the registered operations', () => {
  let web: RunningBff;
  let supergraphPath: string;

  beforeAll(async () => {
    supergraphPath = path.join(dir, 'supergraph.graphql');
    await cp(SUPERGRAPH_FILE, supergraphPath);
    web = await startWebBff({ graphql: { supergraphPath, subgraphUrls: subgraphs.urls, watchSupergraphMs: 100 }, ready: false });
  });

  afterAll(async () => {
    await web?.close();
  });

  it('reports ready only once every registered operation is planned, and the first client requests find their plans cached', async () => {
    // The first ready answer, not a later one: warming must come before it.
    let ready = await http(`${web.url}/readyz`);
    for (let i = 0; i < 400 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      ready = await http(`${web.url}/readyz`);
    }
    const atReady = await metrics(web);
    expect(ready.status).toBe(200);
    expect(warmed(atReady, 'planned')).toBe(3);
    expect(warmed(atReady, 'refused')).toBe(0);
    expect(planLookups(atReady, 'miss')).toBe(3);
    expect(ready.json.checks['graphql-warmup']).toEqual({ ok: true, detail: expect.stringMatching(/^3 registered operation\(s\) planned in \d+ ms$/) });

    const storeFront = await sendRegistered(web, 'StoreFront.graphql', 'StoreFront');
    const productPage = await sendRegistered(web, 'ProductPage.graphql', 'ProductPage', { upc: '1' });
    expect(storeFront.json.errors).toBeUndefined();
    expect(productPage.json.data.product.upc).toBe('1');
    const after = await metrics(web);
    expect(planLookups(after, 'miss')).toBe(3);
    expect(planLookups(after, 'hit')).toBeGreaterThanOrEqual(planLookups(atReady, 'hit') + 2);
  });

  it('warms a reloaded supergraph before it serves, and reports an operation it refuses without becoming unready', async () => {
    const missesBefore = planLookups(await metrics(web), 'miss');
    await writeFile(supergraphPath, await supergraphWithoutDescription(dir));
    let text = await metrics(web);
    for (let i = 0; i < 200 && metricValue(text, 'portico_supergraph_reloads_total', { bff: 'web', outcome: 'success' }) !== 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await metrics(web);
    }
    expect(metricValue(text, 'portico_supergraph_reloads_total', { bff: 'web', outcome: 'success' })).toBe(1);
    // Swapped in warm: the two operations still valid were planned on the new supergraph before it served.
    expect(warmed(text, 'planned')).toBe(2);
    expect(warmed(text, 'refused')).toBe(1);
    expect(planLookups(text, 'miss')).toBe(missesBefore + 2);
    const ready = await http(`${web.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json.checks['graphql-warmup'].detail).toMatch(/^2 registered operation\(s\) planned in \d+ ms; 1 refused \(ProductPage\)$/);

    expect((await sendRegistered(web, 'StoreFront.graphql', 'StoreFront')).json.errors).toBeUndefined();
    expect(planLookups(await metrics(web), 'miss')).toBe(missesBefore + 2);
  });
});

describe('a registered operation that does not validate, and warm-up off', () => {
  it('is logged by name and counted, and the BFF still becomes ready', async () => {
    const operationsDir = path.join(dir, 'operations');
    await cp(WEB_OPERATIONS_DIR, operationsDir, { recursive: true });
    await writeFile(path.join(operationsDir, 'Retired.graphql'), 'query Retired {\n  product(upc: "1") {\n    retiredField\n  }\n}\n');
    const web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls, operationsDir }, ready: false });
    const warn = jest.spyOn(web.app.log, 'warn');
    try {
      await waitForReady(web.app);
      const text = await metrics(web);
      expect(warmed(text, 'planned')).toBe(3);
      expect(warmed(text, 'refused')).toBe(1);
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ operation: 'Retired', errors: [expect.stringContaining('Cannot query field "retiredField" on type "Product".')] }),
        expect.stringContaining("registered operation 'Retired' was refused by the supergraph"),
      );
    } finally {
      warn.mockRestore();
      await web.close();
    }
  });

  it('is not warmed at all with warm-up off (GRAPHQL_WARMUP=off): no plan before the first request', async () => {
    const web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls, warmUp: { enabled: false } } });
    try {
      const text = await metrics(web);
      expect(planLookups(text, 'miss')).toBe(0);
      expect(warmed(text, 'planned')).toBe(0);
      expect((await http(`${web.url}/readyz`)).json.checks['graphql-warmup']).toBeUndefined();
    } finally {
      await web.close();
    }
  });
});
