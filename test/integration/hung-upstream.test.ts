/**
 * A hung upstream (a server that accepts connections and never answers, like a stopped
 * process) against real BFFs and a real upstream client: every call ends within its
 * deadline, queue wait included; the circuit opens within a bounded time whether one
 * caller or a hundred are waiting; and a GraphQL request past its overall deadline answers
 * with the data it has and errors for the rest.
 */
import { request as nodeRequest } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { isPorticoError } from '../../shared/errors';
import { createUpstreamBreaker, DEFAULT_BREAKER_OPTIONS } from '../../shared/upstream/breaker';
import { createUpstream, singleOriginEndpoints } from '../../shared/upstream/upstream';
import { createUpstreamPool } from '../../shared/upstream/upstream-pool';
import type { RestUpstream } from '../../shared/rest/route-table';
import { startPartnerBff, startWebBff, waitForSupergraph, type RunningBff } from '../helpers/bffs';
import { collectBody, http, postGraphql, type HttpResult } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

interface HungServer {
  origin: string;
  /** Connections that sent a request so far. */
  requested(): number;
  /** The request target of each request that arrived, and when (performance.now()). */
  arrivals(): ReadonlyArray<{ target: string; at: number }>;
  close(): Promise<void>;
}

/** Accepts every connection, reads whatever arrives, and never answers. */
async function startHungServer(): Promise<HungServer> {
  const sockets = new Set<Socket>();
  let requested = 0;
  const arrivals: Array<{ target: string; at: number }> = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', (chunk: Buffer) => {
      requested += 1;
      arrivals.push({ target: chunk.toString('latin1').split(' ', 2)[1] ?? '', at: performance.now() });
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested: () => requested,
    arrivals: () => arrivals,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Nearest-rank percentile of latencies in ms. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Scaled-down production settings: the same rules in seconds instead of tens of seconds. */
const SUBGRAPH_DEADLINE_MS = 1_000;
const SUSTAINED_FAILURE_MS = 1_500;
/** The overall deadline of a request in the load tests: the products fetch, then inventory's. */
const GRAPHQL_DEADLINE_MS = 1_500;
const BREAKERS = { all: { ...DEFAULT_BREAKER_OPTIONS, volumeThreshold: 10, resetTimeoutMs: 60_000, slowCallMs: 500, sustainedFailureMs: SUSTAINED_FAILURE_MS } };
/** Scheduling slack on a shared 2-core machine, on top of a deadline. */
const SLACK_MS = 400;
/** With a hundred callers, a hundred answers are built at the same instant on the one event loop the subgraphs, the BFF and the callers share here. */
const LOAD_SLACK_MS = 800;

/** A product from `products` (healthy) and its stock from `inventory` (hung). */
const QUERY = '{ product(upc: "2") { name price } topProducts(first: 1) { upc inStock } }';

interface LoadReport {
  latencies: number[];
  answers: HttpResult[];
  /** ms from the start until the circuit was first seen open; undefined if it never opened. */
  openedAfterMs: number | undefined;
}

/**
 * `callers` loops, each sending `query(caller, i)` one after the other, until the circuit
 * has been open for `afterOpenMs` or `maxMs` have passed (and at most `maxPerCaller` each).
 */
async function load(web: RunningBff, callers: number, query: (caller: number, i: number) => string, { maxMs, maxPerCaller, afterOpenMs }: { maxMs: number; maxPerCaller: number; afterOpenMs: number }): Promise<LoadReport> {
  const report: LoadReport = { latencies: [], answers: [], openedAfterMs: undefined };
  const started = performance.now();
  const watch = setInterval(() => {
    if (report.openedAfterMs === undefined && web.app.breakers.states().inventory === 'open') report.openedAfterMs = performance.now() - started;
  }, 10);
  const done = () => {
    const elapsed = performance.now() - started;
    return elapsed > maxMs || (report.openedAfterMs !== undefined && elapsed > report.openedAfterMs + afterOpenMs);
  };
  try {
    await Promise.all(
      Array.from({ length: callers }, async (_, caller) => {
        for (let i = 0; i < maxPerCaller && !done(); i++) {
          const sent = performance.now();
          const res = await postGraphql(web.url, query(caller, i));
          report.latencies.push(performance.now() - sent);
          report.answers.push(res);
        }
      }),
    );
  } finally {
    clearInterval(watch);
  }
  return report;
}

describe('a hung subgraph behind the web BFF', () => {
  let subgraphs: RunningSubgraphs;
  let hung: HungServer;
  let web: RunningBff | undefined;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    hung = await startHungServer();
  });

  afterEach(async () => {
    await web?.close();
    web = undefined;
  });

  afterAll(async () => {
    await hung?.close();
    await subgraphs?.close();
  });

  async function startWeb(graphql: { deadlineMs?: number; inventoryConnections?: number; subgraphDeadlineMs?: number; dedupe?: boolean } = {}): Promise<RunningBff> {
    const started = await startWebBff({
      ready: false,
      graphql: {
        subgraphUrls: { ...subgraphs.urls, inventory: `${hung.origin}/graphql` },
        // The web BFF's pool timeouts; only the deadline is scaled down.
        subgraphPools: {
          all: { connections: 64, headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000, deadlineMs: graphql.subgraphDeadlineMs ?? SUBGRAPH_DEADLINE_MS },
          subgraphs: { inventory: { connections: graphql.inventoryConnections ?? 64 } },
        },
        deadlineMs: graphql.deadlineMs ?? GRAPHQL_DEADLINE_MS,
        dedupeSubgraphQueries: graphql.dedupe ?? true,
      },
      policies: { breakers: BREAKERS },
    });
    web = started;
    await waitForSupergraph(started);
    return started;
  }

  /** Every answer is a 200 with the data there was and coded errors; under load a healthy fetch may itself be cut by the overall deadline, so most, not all, carry the product. */
  function expectPartialAnswers(answers: readonly HttpResult[]): void {
    for (const res of answers) {
      expect(res.status).toBe(200);
      // Only inventory's field is lost (it is nullable); the products list is null only when its own fetch was cut by the overall deadline.
      if (res.json.data.topProducts !== null) expect(res.json.data.topProducts).toEqual([{ upc: '1', inStock: null }]);
      for (const error of res.json.errors) expect(['UPSTREAM_TIMEOUT', 'UPSTREAM_CIRCUIT_OPEN']).toContain(error.extensions.code);
    }
    const withProduct = answers.filter((res) => res.json.data.product?.name !== undefined).length;
    expect(withProduct).toBeGreaterThanOrEqual(answers.length * 0.9);
  }

  it('one caller, one request after another: the circuit opens within the sustained-failure time plus two deadlines, and no request outlasts the deadline', async () => {
    const running = await startWeb();
    const report = await load(running, 1, () => QUERY, { maxMs: 8_000, maxPerCaller: 20, afterOpenMs: 300 });
    // Two timed-out calls a deadline each: the failing stretch is then two deadlines long.
    expect(report.openedAfterMs).toBeDefined();
    expect(report.openedAfterMs).toBeLessThanOrEqual(Math.max(2 * SUBGRAPH_DEADLINE_MS, SUSTAINED_FAILURE_MS + SUBGRAPH_DEADLINE_MS) + SLACK_MS);
    expect(percentile(report.latencies, 99)).toBeLessThan(GRAPHQL_DEADLINE_MS + SLACK_MS);
    expectPartialAnswers(report.answers);
    // Once open, the subgraph's fields fail fast.
    const open = await postGraphql(running.url, QUERY);
    expect(open.json.errors[0].extensions).toMatchObject({ code: 'UPSTREAM_CIRCUIT_OPEN', subgraph: 'inventory' });
    console.info(`hung subgraph, 1 caller: open after ${Math.round(report.openedAfterMs ?? -1)} ms, p99 ${Math.round(percentile(report.latencies, 99))} ms over ${report.latencies.length} requests`);
  }, 20_000);

  it('a hundred callers sharing one deduplicated call: each waiter counts, the circuit opens at the first deadline, and p99 stays under it', async () => {
    const running = await startWeb();
    const report = await load(running, 100, () => QUERY, { maxMs: 8_000, maxPerCaller: 20, afterOpenMs: 300 });
    expect(report.openedAfterMs).toBeDefined();
    // A hundred waiters fail together when the first call ends (the subgraph's deadline, or the first requests' overall one): over the volume minimum at once.
    expect(report.openedAfterMs).toBeLessThanOrEqual(GRAPHQL_DEADLINE_MS + LOAD_SLACK_MS);
    expect(percentile(report.latencies, 99)).toBeLessThan(GRAPHQL_DEADLINE_MS + LOAD_SLACK_MS);
    expectPartialAnswers(report.answers);
    console.info(`hung subgraph, 100 callers (deduplicated): open after ${Math.round(report.openedAfterMs ?? -1)} ms, p99 ${Math.round(percentile(report.latencies, 99))} ms over ${report.latencies.length} requests`);
  }, 20_000);

  it('a hundred callers, each call its own, queued behind a small pool: queued calls time out at the deadline, not after a free connection', async () => {
    // Eight connections for a hundred calls (deduplication off): most wait in the pool's queue.
    const running = await startWeb({ inventoryConnections: 8, dedupe: false });
    const report = await load(running, 100, () => QUERY, { maxMs: 8_000, maxPerCaller: 20, afterOpenMs: 300 });
    expect(report.openedAfterMs).toBeDefined();
    expect(report.openedAfterMs).toBeLessThanOrEqual(GRAPHQL_DEADLINE_MS + LOAD_SLACK_MS);
    expect(percentile(report.latencies, 99)).toBeLessThan(GRAPHQL_DEADLINE_MS + LOAD_SLACK_MS);
    expectPartialAnswers(report.answers);
    console.info(`hung subgraph, 100 callers (not deduplicated, 8 connections): open after ${Math.round(report.openedAfterMs ?? -1)} ms, p99 ${Math.round(percentile(report.latencies, 99))} ms over ${report.latencies.length} requests`);
  }, 20_000);

  it('answers at the overall GraphQL deadline with the data fetched and UPSTREAM_TIMEOUT on the abandoned fetch', async () => {
    // The subgraph call alone could wait 5 s; the request may take 600 ms in all.
    const running = await startWeb({ deadlineMs: 600, subgraphDeadlineMs: 5_000 });
    const sent = performance.now();
    const res = await postGraphql(running.url, QUERY);
    const elapsed = performance.now() - sent;
    expect(elapsed).toBeLessThan(600 + SLACK_MS);
    expect(res.status).toBe(200);
    expect(res.json.data.product).toEqual({ name: expect.any(String), price: expect.any(Number) });
    expect(res.json.data.topProducts).toEqual([{ upc: '1', inStock: null }]);
    expect(res.json.errors).toEqual([expect.objectContaining({ path: ['topProducts', 0, 'inStock'], extensions: expect.objectContaining({ code: 'UPSTREAM_TIMEOUT', subgraph: 'inventory' }) })]);
  }, 10_000);
});

describe('an upstream client in front of a hung upstream', () => {
  let hung: HungServer;
  beforeAll(async () => {
    hung = await startHungServer();
  });
  afterAll(async () => {
    await hung?.close();
  });

  it('fails calls queued behind a saturated pool with UPSTREAM_TIMEOUT at their deadline, retries included, and opens the circuit', async () => {
    const pool = createUpstreamPool(hung.origin, { connections: 2, headersTimeoutMs: 10_000 });
    const breaker = createUpstreamBreaker('inventory', BREAKERS.all);
    const inventory = createUpstream({ name: 'inventory', endpoints: singleOriginEndpoints(hung.origin, pool), breaker, deadlineMs: 800 });
    try {
      const sent = performance.now();
      let requestedBeforeDeadline = 0;
      const snapshot = setTimeout(() => (requestedBeforeDeadline = hung.requested()), 700);
      // Bounded: a call still pending a second after its deadline counts as a miss.
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          Promise.race([
            inventory.call({ method: 'GET', path: `/inventory/${i}`, headers: {}, idempotent: true }).then(
              () => ({ code: 'ANSWERED', ms: performance.now() - sent }),
              (err: unknown) => ({ code: isPorticoError(err) ? err.code : String(err), ms: performance.now() - sent }),
            ),
            new Promise<{ code: string; ms: number }>((resolve) => setTimeout(() => resolve({ code: 'STILL_WAITING', ms: Infinity }), 1_800).unref()),
          ]),
        ),
      );
      expect(outcomes.map((o) => o.code)).toEqual(Array(20).fill('UPSTREAM_TIMEOUT'));
      expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(800 + SLACK_MS);
      clearTimeout(snapshot);
      // Until the deadline only the two calls on the pool's connections reached the upstream; the others waited in its queue.
      expect(requestedBeforeDeadline).toBe(2);
      expect(breaker.state()).toBe('open');
    } finally {
      breaker.shutdown();
      await pool.destroy();
    }
  }, 10_000);
});

describe('a hung REST service behind the partner BFF', () => {
  let subgraphs: RunningSubgraphs;
  let hung: HungServer;
  let partner: RunningBff;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    hung = await startHungServer();
    const upstreams: Record<string, RestUpstream> = Object.fromEntries(Object.entries(subgraphs.origins).map(([name, origin]) => [name, { origin }]));
    // The aggregate joins orders, accounts, products and inventory; inventory hangs.
    upstreams.inventory = { origin: hung.origin, pool: { deadlineMs: SUBGRAPH_DEADLINE_MS } };
    partner = await startPartnerBff(upstreams, { ready: false, policies: { breakers: BREAKERS } });
  });

  afterAll(async () => {
    await partner?.close();
    await hung?.close();
    await subgraphs?.close();
  });

  it('the order aggregate fails with 504 UPSTREAM_TIMEOUT within the deadline, then fast with the circuit open', async () => {
    const latencies: number[] = [];
    const started = performance.now();
    let openedAfterMs: number | undefined;
    for (let i = 0; i < 10 && openedAfterMs === undefined; i++) {
      const sent = performance.now();
      const res = await http(`${partner.url}/v1/orders/1`);
      latencies.push(performance.now() - sent);
      expect([504, 503]).toContain(res.status);
      expect(res.json).toMatchObject({ code: res.status === 504 ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_CIRCUIT_OPEN' });
      if (partner.app.breakers.states().inventory === 'open') openedAfterMs = performance.now() - started;
    }
    expect(Math.max(...latencies)).toBeLessThan(SUBGRAPH_DEADLINE_MS + SLACK_MS);
    expect(openedAfterMs).toBeLessThanOrEqual(Math.max(2 * SUBGRAPH_DEADLINE_MS, SUSTAINED_FAILURE_MS + SUBGRAPH_DEADLINE_MS) + SLACK_MS);
  }, 20_000);
});

describe('a hung REST service behind a passthrough route of the partner BFF', () => {
  let hung: HungServer;
  let partner: RunningBff;
  const DEADLINE_MS = 800;

  beforeAll(async () => {
    hung = await startHungServer();
    // Two connections for twenty requests: most wait in the pool's queue, where the pool's own timeouts never start.
    partner = await startPartnerBff({ inventory: { origin: hung.origin, pool: { connections: 2, headersTimeoutMs: 10_000, deadlineMs: DEADLINE_MS } } }, { ready: false, policies: { breakers: BREAKERS } });
  });

  afterAll(async () => {
    await partner?.close();
    await hung?.close();
  });

  it('fails requests queued behind a saturated pool with 504 UPSTREAM_TIMEOUT at the deadline, never sends one after its deadline, and opens the circuit', async () => {
    const sent = performance.now();
    let requestedBeforeDeadline = 0;
    const snapshot = setTimeout(() => (requestedBeforeDeadline = hung.requested()), DEADLINE_MS - 100);
    // Bounded: a request still pending a second after its deadline counts as a miss.
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Promise.race([
          http(`${partner.url}/v1/inventory/${i}`).then((res) => ({ target: `/inventory/${i}`, status: res.status, code: res.json?.code as string, at: performance.now() })),
          new Promise<{ target: string; status: number; code: string; at: number }>((resolve) =>
            setTimeout(() => resolve({ target: `/inventory/${i}`, status: 0, code: 'STILL_WAITING', at: Infinity }), DEADLINE_MS + 1_000).unref(),
          ),
        ]),
      ),
    );
    clearTimeout(snapshot);
    expect(outcomes.map((o) => `${o.status} ${o.code}`)).toEqual(Array(20).fill('504 UPSTREAM_TIMEOUT'));
    const slowest = Math.max(...outcomes.map((o) => o.at - sent));
    expect(slowest).toBeLessThan(DEADLINE_MS + SLACK_MS);
    // Until the deadline only the two requests on the pool's connections reached the upstream; the others waited in its queue.
    expect(requestedBeforeDeadline).toBe(2);
    // A queued request is sent only if a connection frees up before its own deadline (the first two failing free theirs
    // a few ms before later arrivals' deadlines); one whose deadline answered the client is never sent afterwards.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answeredAt = new Map(outcomes.map((o) => [o.target, o.at]));
    for (const arrival of hung.arrivals()) expect(arrival.at).toBeLessThan(answeredAt.get(arrival.target) ?? -Infinity);
    expect(partner.app.breakers.states().inventory).toBe('open');
    const open = await http(`${partner.url}/v1/inventory/1`);
    expect([open.status, open.json.code]).toEqual([503, 'UPSTREAM_CIRCUIT_OPEN']);
    console.info(`hung passthrough, 20 requests on 2 connections: slowest ${Math.round(slowest)} ms for a ${DEADLINE_MS} ms deadline, ${hung.requested()} sent`);
  }, 10_000);
});

/** POSTs a chunked body one small chunk every `everyMs` for `forMs`; resolves with the answer (or the status 0 if the connection closed first). */
function trickleUpload(url: string, { everyMs, forMs }: { everyMs: number; forMs: number }): Promise<{ status: number; code: unknown }> {
  return new Promise((resolve) => {
    const req = nodeRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
      clearInterval(writer);
      collectBody(res).then(({ json }) => resolve({ status: res.statusCode ?? 0, code: (json as { code?: unknown } | undefined)?.code }), () => resolve({ status: res.statusCode ?? 0, code: undefined }));
    });
    req.on('error', () => resolve({ status: 0, code: undefined }));
    const started = performance.now();
    req.write('{"items":[');
    const writer = setInterval(() => {
      if (performance.now() - started < forMs) req.write('1,');
      else {
        clearInterval(writer);
        req.end('1]}');
      }
    }, everyMs);
  });
}

describe('a slow upload through a passthrough route to a hung REST service', () => {
  let hung: HungServer;
  let partner: RunningBff;
  const DEADLINE_MS = 600;

  beforeAll(async () => {
    hung = await startHungServer();
    partner = await startPartnerBff({ orders: { origin: hung.origin, pool: { deadlineMs: DEADLINE_MS } } }, { ready: false, policies: { breakers: BREAKERS } });
  });

  afterAll(async () => {
    await partner?.close();
    await hung?.close();
  });

  it("is the client's: bodies still arriving at the deadline get 408 REQUEST_TIMEOUT and leave the circuit closed", async () => {
    // More uploads than the breaker's volume minimum: counted as the upstream's timeouts, they would open the circuit.
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => trickleUpload(`${partner.url}/v1/orders`, { everyMs: 50, forMs: 2 * DEADLINE_MS })));
    expect(outcomes).toEqual(Array(12).fill({ status: 408, code: 'REQUEST_TIMEOUT' }));
    expect(partner.app.breakers.states().orders).toBe('closed');
  }, 10_000);
});
