/**
 * SIGTERM with requests in flight: every BFF process stops accepting, lets each
 * in-flight request finish with its real answer, and exits 0.
 */
import { request } from 'undici';
import { SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';
import { startRecordingUpstream, unusedPort, type RecordingUpstream } from '../helpers/recording-upstream';
import { runEntry, waitForHttp200, waitUntil, type ChildHandle } from '../helpers/processes';

const IN_FLIGHT = 10;
const UPSTREAM_DELAY_MS = 800;


describe('graceful shutdown', () => {
  let slow: RecordingUpstream;
  let child: ChildHandle | undefined;

  beforeAll(async () => {
    slow = await startRecordingUpstream((req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.url?.startsWith('/graphql') ? JSON.stringify({ data: { topProducts: [{ name: 'Slow' }] } }) : JSON.stringify({ items: [], slow: true }));
      }, UPSTREAM_DELAY_MS);
    });
  });

  afterEach(() => child?.kill());
  afterAll(async () => slow?.close());

  const cases = [
    {
      name: 'partner',
      entry: 'bffs/partner/main.ts',
      env: (): Record<string, string> => Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`UPSTREAM_URL_${n.toUpperCase()}`, slow.origin])),
      send: (url: string, _i: number) => request(`${url}/v1/orders?limit=1`),
      expectBody: { items: [], slow: true },
    },
    {
      name: 'web',
      entry: 'bffs/web/main.ts',
      env: (): Record<string, string> => ({ SUBGRAPH_URL_PRODUCTS: `${slow.origin}/graphql` }),
      // Distinct variables per request: identical concurrent queries would share one subgraph call.
      send: (url: string, i: number) =>
        request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query($n: Int) { topProducts(first: $n) { name } }', variables: { n: i + 1 } }) }),
      expectBody: { data: { topProducts: [{ name: 'Slow' }] } },
    },
  ];

  it.each(cases)('$name finishes every in-flight request after SIGTERM, refuses new ones, and exits 0', async ({ entry, env, send, expectBody }) => {
    slow.requests.length = 0;
    const port = await unusedPort();
    const url = `http://127.0.0.1:${port}`;
    child = runEntry(entry, { PORT: String(port), HOST: '127.0.0.1', ...env() });
    await waitForHttp200(`${url}/healthz`, child);
    if (entry.includes('web')) {
      // The supergraph loads in the background; wait until queries are served.
      for (let i = 0; i < 100; i++) {
        const res = await request(`${url}/readyz`);
        const body = (await res.body.json()) as { checks: { supergraph?: { ok: boolean } } };
        if (body.checks.supergraph?.ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const inFlight = Array.from({ length: IN_FLIGHT }, (_, i) =>
      send(url, i).then(async (res) => ({ status: res.statusCode, body: await res.body.json() })),
    );
    // Readiness probes also reach this upstream; count only the requests under test.
    await waitUntil(() => slow.requests.filter((r) => !r.body.includes('PorticoReadiness') && r.url !== '/healthz').length >= IN_FLIGHT);
    child.proc.kill('SIGTERM');

    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual(Array(IN_FLIGHT).fill(200));
    for (const r of results) expect(r.body).toEqual(expectBody);

    const exit = await child.exited;
    expect({ ...exit, output: exit.code === 0 ? '' : child.output() }).toEqual({ code: 0, signal: null, output: '' });
    await expect(request(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('configuration errors', () => {
  it.each([
    ['bffs/web/main.ts', { PORT: 'eighty' }, /PORT="eighty": must be an integer/],
    ['bffs/mobile/main.ts', { SUBGRAPH_URL_ACCOUNTS: 'accounts:4101' }, /SUBGRAPH_URL_ACCOUNTS="accounts:4101": must be an http\(s\) URL/],
    ['bffs/partner/main.ts', { UPSTREAM_URL_BILLING: 'http://127.0.0.1:1' }, /UPSTREAM_URL_BILLING: no upstream named 'billing'/],
    ['bffs/partner/main.ts', { AUTH: 'off' }, /UPSTREAM_URL_ACCOUNTS: is required \(upstream 'accounts' has no origin/],
    ['bffs/partner/main.ts', { LOG_LEVEL: 'chatty' }, /LOG_LEVEL="chatty": must be one of/],
  ])('%s exits 1 naming the bad variable', async (entry, env, message) => {
    const child = runEntry(entry, env);
    const exit = await child.exited;
    expect(exit.code).toBe(1);
    expect(child.output()).toMatch(message);
    expect(child.output()).not.toMatch(/\n\s+at /);
  });
});
