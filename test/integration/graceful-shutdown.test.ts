/**
 * SIGTERM with requests in flight: every BFF process stops accepting, lets each
 * in-flight request finish with its real answer, and exits 0. With a drain delay it first
 * leaves the load balancer's rotation: `/readyz` answers 503 while the listener still
 * accepts and serves, and a client that keeps sending through the signal gets only complete
 * answers (or, once the listener is closed, a refused connection), never a reset.
 */
import net from 'node:net';
import { Client, request } from 'undici';
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
      // No drain delay: the listener stops at once, the requests in flight still finish.
      drainDelayMs: '0',
      env: (): Record<string, string> => Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`UPSTREAM_URL_${n.toUpperCase()}`, slow.origin])),
      send: (url: string, _i: number) => request(`${url}/v1/orders?limit=1`),
      expectBody: { items: [], slow: true },
    },
    {
      name: 'web',
      entry: 'bffs/web/main.ts',
      drainDelayMs: '300',
      env: (): Record<string, string> => ({ SUBGRAPH_URL_PRODUCTS: `${slow.origin}/graphql` }),
      // Distinct variables per request: identical concurrent queries would share one subgraph call.
      send: (url: string, i: number) =>
        request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query($n: Int) { topProducts(first: $n) { name } }', variables: { n: i + 1 } }) }),
      expectBody: { data: { topProducts: [{ name: 'Slow' }] } },
    },
  ];

  it.each(cases)('$name finishes every in-flight request after SIGTERM (drain delay $drainDelayMs ms), refuses new ones, and exits 0', async ({ entry, drainDelayMs, env, send, expectBody }) => {
    slow.requests.length = 0;
    const port = await unusedPort();
    const url = `http://127.0.0.1:${port}`;
    child = runEntry(entry, { PORT: String(port), HOST: '127.0.0.1', SHUTDOWN_DRAIN_DELAY_MS: drainDelayMs, ...env() });
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

const DRAIN_DELAY_MS = 1_500;
const SHUTDOWN_TIMEOUT_MS = 5_000;
/** The request kept in flight past the drain, so the process is still up once the listener has closed. */
const HELD_REQUEST_MS = DRAIN_DELAY_MS + 1_500;
/**
 * The client that keeps sending stands for a load balancer: it takes the BFF out of its
 * rotation once `/readyz` has failed for this long, well within the drain delay. (A
 * connection opened in the very instant the listener closes can be reset by the kernel;
 * the drain delay is there so that none is opened then.)
 */
const BALANCER_DETECTION_MS = 1_000;
/** Bound of the client that keeps sending through the signal. */
const MAX_REQUESTS = 20_000;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One keep-alive connection driven by hand: sends a request, reads one answer (the BFF's
 * answers carry a content-length), and reports how the connection ended.
 */
function rawKeepAlive(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setEncoding('latin1');
  let buffer = '';
  let waiting: ((answer: RawAnswer) => void) | undefined;
  const ended = new Promise<string>((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.once('end', () => resolve('end'));
  });
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const headEnd = buffer.indexOf('\r\n\r\n');
    if (headEnd < 0 || !waiting) return;
    const [statusLine = '', ...lines] = buffer.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    if (buffer.length < headEnd + 4 + length) return;
    const answer = { status: Number(statusLine.split(' ')[1]), headers, body: buffer.slice(headEnd + 4, headEnd + 4 + length) };
    buffer = buffer.slice(headEnd + 4 + length);
    const resolve = waiting;
    waiting = undefined;
    resolve(answer);
  });
  return {
    connected: new Promise<void>((resolve) => socket.once('connect', () => resolve())),
    send(path: string): Promise<RawAnswer> {
      return new Promise<RawAnswer>((resolve, reject) => {
        waiting = resolve;
        void ended.then((how) => reject(new Error(`connection ended (${how}) without an answer`)));
        socket.write(`GET ${path} HTTP/1.1\r\nHost: portico.test\r\n\r\n`);
      });
    },
    ended,
    destroy: () => socket.destroy(),
  };
}

type Outcome = { at: number; kind: 'answered'; status: number; connection: string | undefined } | { at: number; kind: 'refused' } | { at: number; kind: 'broken'; code: string };

/** Sends one request after another on one keep-alive connection (a new one after `Connection: close`) until told to stop, refused, or bounded. */
async function keepSending(origin: string, path: string, until: () => boolean): Promise<Outcome[]> {
  const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const outcomes: Outcome[] = [];
  try {
    while (outcomes.length < MAX_REQUESTS && !until()) {
      try {
        const res = await client.request({ method: 'GET', path });
        await res.body.text();
        const connection = res.headers.connection;
        outcomes.push({ at: Date.now(), kind: 'answered', status: res.statusCode, connection: typeof connection === 'string' ? connection : undefined });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        // Nothing listens any more: no request was lost, and nothing will answer again.
        if (code === 'ECONNREFUSED') {
          outcomes.push({ at: Date.now(), kind: 'refused' });
          break;
        }
        outcomes.push({ at: Date.now(), kind: 'broken', code: `${code}: ${(err as Error).message}` });
      }
    }
  } finally {
    await client.destroy();
  }
  return outcomes;
}

describe('draining for a load balancer', () => {
  let upstream: RecordingUpstream;
  let child: ChildHandle | undefined;

  beforeAll(async () => {
    // Answers at once, except a request asking to be held (`hold=1`).
    upstream = await startRecordingUpstream((req, res) => {
      setTimeout(
        () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ items: [], held: req.url.includes('hold=1') }));
        },
        req.url.includes('hold=1') ? HELD_REQUEST_MS : 0,
      );
    });
  });

  afterEach(() => child?.kill());
  afterAll(async () => upstream?.close());

  it('partner leaves the rotation, keeps answering through SIGTERM without a single reset, and exits within its timeout', async () => {
    const port = await unusedPort();
    const url = `http://127.0.0.1:${port}`;
    child = runEntry('bffs/partner/main.ts', {
      PORT: String(port),
      HOST: '127.0.0.1',
      SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      ...Object.fromEntries(SUBGRAPH_NAMES.map((n) => [`UPSTREAM_URL_${n.toUpperCase()}`, upstream.origin])),
    });
    await waitForHttp200(`${url}/readyz`, child);

    // A keep-alive connection that sends once now and next only after the listener has closed.
    const idle = rawKeepAlive(port);
    await idle.connected;
    expect((await idle.send('/healthz')).status).toBe(200);

    let stopSending = false;
    let readyzFailingSince = 0;
    const outOfRotation = () => stopSending || (readyzFailingSince > 0 && Date.now() - readyzFailingSince >= BALANCER_DETECTION_MS);
    const sender = keepSending(url, '/v1/products?limit=1', outOfRotation);
    await waitUntil(() => upstream.requests.filter((r) => r.url.startsWith('/products')).length >= 20);

    const held = request(`${url}/v1/orders?limit=1&hold=1`).then(async (res) => ({ status: res.statusCode, body: await res.body.json() }));
    await waitUntil(() => upstream.requests.some((r) => r.url.includes('hold=1')));
    const signalledAt = Date.now();
    child.proc.kill('SIGTERM');

    // Readiness, polled on new connections until the listener refuses them.
    const readiness: Array<{ at: number; status: number }> = [];
    let listenerClosedAt = 0;
    for (let i = 0; i < 400 && Date.now() - signalledAt < DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS; i++) {
      try {
        const res = await request(`${url}/readyz`, { reset: true });
        await res.body.dump();
        readiness.push({ at: Date.now() - signalledAt, status: res.statusCode });
        if (res.statusCode === 503 && !readyzFailingSince) readyzFailingSince = Date.now();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw err;
        listenerClosedAt = Date.now() - signalledAt;
        break;
      }
      // A new connection in the middle of the drain is accepted and served.
      if (readiness.length === 3) {
        const fresh = await request(`${url}/v1/products?limit=1`, { reset: true });
        await fresh.body.dump();
        expect({ status: fresh.statusCode, connection: fresh.headers.connection }).toEqual({ status: 200, connection: 'close' });
      }
      await new Promise((r) => setTimeout(r, 50));
    }

    // The listener is closed, the held request still in flight: the idle connection is answered, not reset.
    const late = await idle.send('/v1/products?limit=1');
    expect({ status: late.status, code: (JSON.parse(late.body) as { code: string }).code, connection: late.headers.connection }).toEqual({ status: 503, code: 'SHUTTING_DOWN', connection: 'close' });
    expect(await idle.ended).toBe('end');

    stopSending = true;
    const outcomes = await sender;
    expect(await held).toEqual({ status: 200, body: { items: [], held: true } });
    const exit = await child.exited;
    const exitedAfterMs = Date.now() - signalledAt;

    const broken = outcomes.filter((o) => o.kind === 'broken');
    const drainAnswers = outcomes.filter((o) => o.kind === 'answered' && o.at > signalledAt + 100);
    process.stdout.write(
      `drain: ${outcomes.length} requests, ${broken.length} resets, ${drainAnswers.length} answered after SIGTERM; /readyz 503 after ${readiness.find((r) => r.status === 503)?.at} ms; listener closed after ${listenerClosedAt} ms; exit after ${exitedAfterMs} ms${broken.map((b) => `; reset ${b.at - signalledAt} ms after SIGTERM`).join('')}\n`,
    );
    expect(broken).toEqual([]);
    // Sent through the signal and well into the drain, each answer on a connection accepted after the last one closed.
    expect(drainAnswers.length).toBeGreaterThan(1);
    expect((drainAnswers.at(-1)?.at ?? 0) - signalledAt).toBeGreaterThanOrEqual(BALANCER_DETECTION_MS - 50);
    expect(drainAnswers.every((o) => o.kind === 'answered' && o.status === 200 && o.connection === 'close')).toBe(true);
    // Out of the rotation at once (a probe sent with the signal may still be answered 200), and never back in.
    const firstFailure = readiness.findIndex((r) => r.status === 503);
    expect(firstFailure).toBeGreaterThanOrEqual(0);
    expect(readiness[firstFailure]?.at).toBeLessThan(500);
    expect(readiness.slice(firstFailure).every((r) => r.status === 503)).toBe(true);
    // Accepting through the drain delay, closed soon after it.
    expect(listenerClosedAt).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(listenerClosedAt).toBeLessThan(DRAIN_DELAY_MS + 1_000);
    expect({ ...exit, output: exit.code === 0 ? '' : child.output() }).toEqual({ code: 0, signal: null, output: '' });
    expect(exitedAfterMs).toBeLessThan(DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS);
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
