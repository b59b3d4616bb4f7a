import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { DeadlineDispatcher, DeadlineQueue, DispatchDeadlineError, findDispatchDeadlineError, type DeadlineEntry } from '../../shared/upstream/dispatch-deadline';

function entry(deadlineAt: number): DeadlineEntry & { id: number } {
  return { id: deadlineAt, deadlineAt, prev: undefined, next: undefined, queued: false };
}

describe('DeadlineQueue', () => {
  it('takes out the entries due at a time, earliest first, and leaves the rest', () => {
    const queue = new DeadlineQueue<ReturnType<typeof entry>>();
    const entries = [entry(100), entry(100), entry(150), entry(200)];
    for (const e of entries) queue.add(e);
    expect(queue.takeDue(99)).toEqual([]);
    expect(queue.takeDue(150).map((e) => e.id)).toEqual([100, 100, 150]);
    expect(queue.size).toBe(1);
    expect(queue.nextDeadlineAt()).toBe(200);
  });

  it('forgets answered entries wherever they are in the queue, once', () => {
    const queue = new DeadlineQueue<ReturnType<typeof entry>>();
    const [first, middle, last] = [entry(10), entry(20), entry(30)];
    for (const e of [first!, middle!, last!]) queue.add(e);
    queue.remove(middle!);
    queue.remove(middle!);
    expect(queue.size).toBe(2);
    queue.remove(first!);
    expect(queue.nextDeadlineAt()).toBe(30);
    queue.remove(last!);
    expect([queue.size, queue.nextDeadlineAt()]).toEqual([0, undefined]);
    // An emptied queue takes entries again.
    queue.add(entry(40));
    expect(queue.takeDue(40).map((e) => e.id)).toEqual([40]);
  });
});

describe('findDispatchDeadlineError', () => {
  it('finds the deadline error under wrapping errors, and nothing in others', () => {
    const deadline = new DispatchDeadlineError(800, false);
    expect(findDispatchDeadlineError(new Error('gateway timeout', { cause: deadline }))).toBe(deadline);
    expect(findDispatchDeadlineError(Object.assign(new Error('headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBeUndefined();
  });
});

describe('DeadlineDispatcher over a real pool', () => {
  let server: Server;
  let origin: string;
  let reached: string[];
  beforeAll(async () => {
    reached = [];
    // /fast answers at once; /hang never answers.
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      reached.push(req.url ?? '');
      if (req.url === '/fast') res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // undici's request() hands the dispatcher its legacy handler callbacks; an interceptor composed on top hands it the newer handler interface.
  it.each([
    ['request() handlers', (d: Dispatcher) => d],
    ['an interceptor above it', (d: Dispatcher) => d.compose((dispatch) => (options, handler) => dispatch(options, handler))],
  ])('through %s: answers within the deadline pass untouched; an unanswered request and one queued behind it fail at the deadline, the queued one never sent', async (_style, wrap) => {
    reached = [];
    const pool = new Pool(origin, { connections: 1, headersTimeout: 10_000 });
    // The clock stands still while /hang and /queued are dispatched: both get one deadline and
    // fail in one sweep. On a busy machine a real gap between the two calls could otherwise
    // pass the coalescing window, so /queued would legitimately be sent on the connection that
    // /hang's expiry freed.
    let frozenAt: number | undefined;
    const client = wrap(new DeadlineDispatcher(pool, { deadlineMs: 300, now: () => frozenAt ?? performance.now() }));
    try {
      const fast = await client.request({ path: '/fast', method: 'GET' });
      expect([fast.statusCode, await fast.body.text()]).toEqual([200, 'ok']);

      const started = performance.now();
      const settle = (path: string) =>
        client.request({ path, method: 'GET' }).then(
          () => ({ path, error: undefined as unknown, ms: performance.now() - started }),
          (error: unknown) => ({ path, error, ms: performance.now() - started }),
        );
      frozenAt = performance.now();
      const settling = [settle('/hang'), settle('/queued')] as const;
      frozenAt = undefined;
      const [onConnection, queued] = await Promise.all(settling);
      expect(onConnection.error).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT', sent: true });
      expect(queued.error).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT', sent: false });
      // At the deadline, not at the pool's 10 s headers timeout (a bound, not a speed claim).
      expect(Math.max(onConnection.ms, queued.ms)).toBeLessThan(2_000);
      // Once the hung request's connection is aborted, the queued one is taken and dropped before anything is written.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(reached).toEqual(['/fast', '/hang']);

      // The pool still serves.
      const after = await client.request({ path: '/fast', method: 'GET' });
      expect(after.statusCode).toBe(200);
      await after.body.dump();
    } finally {
      await pool.destroy();
    }
  });
});
