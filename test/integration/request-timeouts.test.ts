/**
 * `REQUEST_TIMEOUT_MS` bounds the whole request, slow body included, and
 * `HEADERS_TIMEOUT_MS` the headers alone: a client trickling bytes over a real socket gets
 * `408 REQUEST_TIMEOUT` (catalogue body) no earlier than the timeout and at most one second
 * after it.
 */
import net from 'node:net';
import { startPartnerBff, allUpstreamsAt, type RunningBff } from '../helpers/bffs';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';

const REQUEST_TIMEOUT_MS = 2_000;
const HEADERS_TIMEOUT_MS = 1_000;
/** How late a 408 may come after its timeout. */
const ALLOWED_LATENESS_MS = 1_000;
/** One byte every this many ms: a client that never stops sending, slowly. */
const TRICKLE_INTERVAL_MS = 100;

interface SlowExchange {
  /** From the first byte sent to the first byte of the answer, in ms. */
  answeredAfterMs: number;
  status: number;
  headers: Record<string, string>;
  json: unknown;
}

/**
 * Sends `head` at once, then `trickle` one byte at a time and never finishes; resolves with
 * the answer. Bounded: gives up `giveUpAfterMs` after the first byte.
 */
function sendSlowly(url: string, head: string, trickle: string, giveUpAfterMs: number): Promise<SlowExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let startedAt = 0;
    let answeredAt = 0;
    let received = '';
    let sent = 0;
    const socket = net.connect({ host: hostname, port: Number(port) }, () => {
      startedAt = Date.now();
      socket.write(head);
    });
    const ticker = setInterval(() => {
      if (socket.writable && sent < trickle.length) socket.write(trickle[sent++] as string);
    }, TRICKLE_INTERVAL_MS);
    const giveUp = setTimeout(() => socket.destroy(new Error(`no answer within ${giveUpAfterMs} ms`)), giveUpAfterMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (!answeredAt) answeredAt = Date.now();
      received += chunk;
    });
    socket.on('error', (err) => {
      // The server closes after its answer; a write racing that close is not a failure.
      if (!answeredAt) reject(err);
    });
    socket.on('close', () => {
      clearInterval(ticker);
      clearTimeout(giveUp);
      if (!answeredAt) return reject(new Error('closed without an answer'));
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = body;
      }
      resolve({ answeredAfterMs: answeredAt - startedAt, status: Number(statusLine.split(' ')[1]), headers, json });
    });
  });
}

describe('request timeouts', () => {
  let upstream: RecordingUpstream;
  let bff: RunningBff;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    bff = await startPartnerBff(allUpstreamsAt(upstream.origin), {
      policies: {},
      server: { requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: HEADERS_TIMEOUT_MS },
      ready: false,
    });
  });

  afterAll(async () => {
    await bff?.close();
    await upstream?.close();
  });

  it('answers a body that keeps arriving slowly with 408 REQUEST_TIMEOUT once the request timeout has passed', async () => {
    const head = 'POST /v1/orders HTTP/1.1\r\nHost: portico.test\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n';
    const exchange = await sendSlowly(bff.url, head, '{"x":"' + 'a'.repeat(200), REQUEST_TIMEOUT_MS + ALLOWED_LATENESS_MS + 3_000);
    expect({ status: exchange.status, json: exchange.json, connection: exchange.headers.connection }).toEqual({
      status: 408,
      json: { statusCode: 408, code: 'REQUEST_TIMEOUT', error: 'Request Timeout', message: expect.any(String), requestId: expect.any(String) },
      connection: 'close',
    });
    expect(exchange.answeredAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 20);
    expect(exchange.answeredAfterMs).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS + ALLOWED_LATENESS_MS);
    // The slow body never reached the upstream as a whole request.
    expect(upstream.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('answers headers that keep arriving slowly with 408 REQUEST_TIMEOUT once the headers timeout has passed', async () => {
    const head = 'GET /v1/products HTTP/1.1\r\nHost: portico.test\r\nX-Slow: ';
    const exchange = await sendSlowly(bff.url, head, 'a'.repeat(200), HEADERS_TIMEOUT_MS + ALLOWED_LATENESS_MS + 3_000);
    expect({ status: exchange.status, code: (exchange.json as { code?: string }).code }).toEqual({ status: 408, code: 'REQUEST_TIMEOUT' });
    expect(exchange.answeredAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 20);
    expect(exchange.answeredAfterMs).toBeLessThanOrEqual(HEADERS_TIMEOUT_MS + ALLOWED_LATENESS_MS);
  });

  it('lets a body take longer than the headers timeout when the whole request fits the request timeout', async () => {
    const body = '{"item":"slow but in time"}';
    const head = `POST /v1/orders HTTP/1.1\r\nHost: portico.test\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    // 27 bytes at one per 50 ms: about 1.4 s, past the headers timeout, within the request timeout.
    const exchange = await new Promise<SlowExchange>((resolve, reject) => {
      const { hostname, port } = new URL(bff.url);
      const startedAt = Date.now();
      let received = '';
      let sent = 0;
      const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(head));
      const ticker = setInterval(() => {
        if (sent < body.length) socket.write(body[sent++] as string);
        else clearInterval(ticker);
      }, 50);
      const giveUp = setTimeout(() => socket.destroy(new Error('no answer')), REQUEST_TIMEOUT_MS + 3_000);
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        clearInterval(ticker);
        clearTimeout(giveUp);
        resolve({ answeredAfterMs: Date.now() - startedAt, status: Number(received.split(' ')[1]), headers: {}, json: received.split('\r\n\r\n')[1] });
      });
    });
    expect(exchange.status).toBe(200);
    expect(exchange.answeredAfterMs).toBeGreaterThan(HEADERS_TIMEOUT_MS);
    expect(upstream.requests.at(-1)?.body).toBe(body);
  });
});
