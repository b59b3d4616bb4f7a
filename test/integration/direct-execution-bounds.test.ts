/**
 * The documents kept for direct execution are bounded in number and in source size, so a
 * client sending many distinct (or very large) documents cannot grow the web BFF's memory
 * without limit: past either bound the least recently used document is let go, and its next
 * request goes through Apollo Server again, which admits it anew.
 */
import { MAX_ADMITTED_OPERATIONS, MAX_ADMITTED_SOURCE_CHARS } from '../../shared/graphql/direct-execution';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

let subgraphs: RunningSubgraphs;
let web: RunningBff;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  // Limits generous enough for thousands of requests from one address in a few seconds.
  web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: { rateLimit: { perIp: false, plans: { default: { limit: 1_000_000, windowMs: 86_400_000 } } } } });
});

afterAll(async () => {
  await web?.close();
  await subgraphs?.close();
});

async function send(query: string): Promise<void> {
  const res = await http(`${web.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  expect(res.status).toBe(200);
}

async function pipelines(): Promise<{ direct: number; apollo: number }> {
  const text = (await http(`${web.url}/metrics`)).text;
  return {
    direct: metricValue(text, 'portico_graphql_requests_total', { bff: 'web', pipeline: 'direct' }) ?? 0,
    apollo: metricValue(text, 'portico_graphql_requests_total', { bff: 'web', pipeline: 'apollo-server' }) ?? 0,
  };
}

/** Sends `query` and says which pipeline answered it. */
async function pipelineOf(query: string): Promise<'direct' | 'apollo-server'> {
  const before = await pipelines();
  await send(query);
  const after = await pipelines();
  return after.direct > before.direct ? 'direct' : 'apollo-server';
}

const watched = '{ topProducts(first: 1) { upc } }';

it('lets the least recently used document go once the kept source passes its size bound', async () => {
  expect(await pipelineOf(watched)).toBe('apollo-server');
  expect(await pipelineOf(watched)).toBe('direct');
  // Distinct large documents (one long string token each), together past the bound.
  const size = 100_000;
  const count = Math.ceil(MAX_ADMITTED_SOURCE_CHARS / size) + 1;
  for (let i = 0; i < count; i++) {
    const big = `{ product(upc: "${String(i).padStart(size, 'x')}") { upc } }`;
    await send(big);
    await send(big);
  }
  expect(await pipelineOf(watched)).toBe('apollo-server');
  // Admitted again by that request.
  expect(await pipelineOf(watched)).toBe('direct');
});

// Portico's executor keeps as many compiled operations as direct execution keeps documents:
// past that number either one letting go sends the request through Apollo Server again.
it('lets the least recently used document go once the number kept passes its bound', async () => {
  expect(await pipelineOf(watched)).toBe('direct');
  // Distinct small documents: their text differs by an alias.
  for (let i = 0; i <= MAX_ADMITTED_OPERATIONS; i++) await send(`{ d${i}: topProducts(first: 1) { upc } }`);
  expect(await pipelineOf(watched)).toBe('apollo-server');
  expect(await pipelineOf(watched)).toBe('direct');
}, 120_000);
