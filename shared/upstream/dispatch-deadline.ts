/**
 * A total deadline for requests sent through an undici dispatcher by a caller that passes
 * no AbortSignal (the passthrough's proxy, @fastify/reply-from): a request still unanswered
 * (no response headers) at its deadline fails with a timeout. It is aborted at once when a
 * connection carries it, and, when it is still queued behind a busy pool, by undici as soon
 * as a connection takes it, before anything is sent. The pool's own timeouts start only
 * once a connection takes the request; this one also bounds the wait for a connection.
 *
 * No timer per request: every request through one dispatcher has the same deadline, so the
 * requests waiting for their answer, in dispatch order, are in deadline order. They form a
 * linked list (joined at the tail, left in O(1) when the headers arrive) and one timer is
 * armed for the head's deadline. While the upstream answers, that timer fires about once
 * per deadline, finds the head answered long ago, and re-arms for the current head.
 *
 * A Dispatcher subclass rather than a `compose` interceptor: an interceptor turns undici's
 * own request handlers into the new handler interface and back, re-encoding every
 * response's headers twice (about 8 % of a loopback request); this wraps each handler in
 * its own interface.
 */
import { Dispatcher } from 'undici';

/** A request waiting for its answer, as the deadline queue holds it. */
export interface DeadlineEntry {
  /** When the request's time runs out (the queue's clock). */
  readonly deadlineAt: number;
  prev: DeadlineEntry | undefined;
  next: DeadlineEntry | undefined;
  /** Whether the entry is in a queue. */
  queued: boolean;
}

/**
 * Pure core: the requests waiting for an answer, in deadline order. Entries must be added in
 * non-decreasing `deadlineAt` order (one deadline per queue, a monotonic clock).
 */
export class DeadlineQueue<E extends DeadlineEntry = DeadlineEntry> {
  private head: E | undefined;
  private tail: E | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The earliest deadline waiting, if any. */
  nextDeadlineAt(): number | undefined {
    return this.head?.deadlineAt;
  }

  add(entry: E): void {
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    entry.queued = true;
    this.count += 1;
  }

  /** Takes an entry out (its answer arrived); nothing happens for one no longer queued. */
  remove(entry: E): void {
    if (!entry.queued) return;
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next as E | undefined;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev as E | undefined;
    entry.prev = entry.next = undefined;
    entry.queued = false;
    this.count -= 1;
  }

  /** Takes out and returns, earliest first, every entry whose deadline is at or before `now`. */
  takeDue(now: number): E[] {
    const due: E[] = [];
    while (this.head && this.head.deadlineAt <= now) {
      const entry = this.head;
      this.remove(entry);
      due.push(entry);
    }
    return due;
  }
}

/**
 * The failure of a request whose deadline ran out before its answer: a headers timeout for
 * everything that maps undici errors (UPSTREAM_TIMEOUT), the upstream's fault unless the
 * client's own body was still arriving while the request was on its way (`sent`).
 */
export class DispatchDeadlineError extends Error {
  readonly code = 'UND_ERR_HEADERS_TIMEOUT';

  constructor(
    readonly deadlineMs: number,
    /** Whether a connection had taken the request (false: it was still queued for one, nothing was sent). */
    readonly sent: boolean,
  ) {
    super(`the upstream did not answer within the ${deadlineMs} ms deadline`);
    this.name = 'DispatchDeadlineError';
  }
}

/** The deadline error in an error's cause chain (proxies wrap transport errors), if any. */
export function findDispatchDeadlineError(err: unknown): DispatchDeadlineError | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    if (current instanceof DispatchDeadlineError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The controller handed to a request's handler when it fails before any connection took it. */
const NOT_STARTED: Dispatcher.DispatchController = {
  aborted: true,
  paused: false,
  reason: null,
  abort: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
};

/**
 * Fails a request through `handler` before any connection took it: new-style handlers (an
 * interceptor's) by `onResponseError`, undici's own request handlers by `onError`.
 */
export function failBeforeStart(handler: Dispatcher.DispatchHandler, err: Error): void {
  if (handler.onResponseError) handler.onResponseError(NOT_STARTED, err);
  else handler.onError?.(err);
}

/** A request under the deadline, in the queue. */
interface DeadlineRequest extends DeadlineEntry {
  /** The deadline ran out with no answer: the caller gets the timeout now; undici aborts the request (at once if sent, else when a connection takes it). */
  expire(deadlineMs: number): void;
}

/** One request of a caller using undici's handler interface: callbacks passed on until the deadline fails it. */
class DeadlineHandler implements Dispatcher.DispatchHandler, DeadlineRequest {
  prev: DeadlineEntry | undefined = undefined;
  next: DeadlineEntry | undefined = undefined;
  queued = false;
  private controller: Dispatcher.DispatchController | undefined = undefined;
  /** The deadline's error, once it failed the request: undici's later callbacks are then swallowed. */
  private expired: DispatchDeadlineError | undefined = undefined;

  constructor(
    readonly deadlineAt: number,
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly waiting: DeadlineQueue<DeadlineRequest>,
  ) {}

  expire(deadlineMs: number): void {
    const controller = this.controller;
    this.expired = new DispatchDeadlineError(deadlineMs, controller !== undefined);
    this.inner.onResponseError?.(controller ?? NOT_STARTED, this.expired);
    controller?.abort(this.expired);
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    // Taken off the pool's queue after its deadline: aborted before anything is written.
    if (this.expired) return controller.abort(this.expired);
    this.controller = controller;
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, socket: import('node:stream').Duplex): void {
    this.waiting.remove(this);
    if (this.expired) return void socket.destroy();
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    this.waiting.remove(this);
    if (this.expired) return controller.abort(this.expired);
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.expired) this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    this.waiting.remove(this);
    if (!this.expired) this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.waiting.remove(this);
    if (!this.expired) this.inner.onResponseError?.(controller, err);
  }
}

/**
 * One request of a caller using undici's legacy handler callbacks (`request()`, and so the
 * proxy): callbacks passed on until the deadline fails it.
 */
class LegacyDeadlineHandler implements Dispatcher.DispatchHandler, DeadlineRequest {
  prev: DeadlineEntry | undefined = undefined;
  next: DeadlineEntry | undefined = undefined;
  queued = false;
  private abort: ((err?: Error) => void) | undefined = undefined;
  private expired: DispatchDeadlineError | undefined = undefined;

  constructor(
    readonly deadlineAt: number,
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly waiting: DeadlineQueue<DeadlineRequest>,
  ) {}

  expire(deadlineMs: number): void {
    const abort = this.abort;
    this.expired = new DispatchDeadlineError(deadlineMs, abort !== undefined);
    this.inner.onError?.(this.expired);
    abort?.(this.expired);
  }

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    // Taken off the pool's queue after its deadline: aborted before anything is written.
    if (this.expired) return abort(this.expired);
    this.abort = abort;
    (this.inner.onConnect as ((abort: (err?: Error) => void, context?: unknown) => void) | undefined)?.(abort, context);
  }

  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    this.waiting.remove(this);
    if (this.expired) {
      this.abort?.(this.expired);
      return false;
    }
    return this.inner.onHeaders?.(statusCode, headers, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    if (this.expired) return false;
    return this.inner.onData?.(chunk) ?? true;
  }

  onComplete(trailers: string[] | null): void {
    this.waiting.remove(this);
    if (!this.expired) this.inner.onComplete?.(trailers);
  }

  onError(err: Error): void {
    this.waiting.remove(this);
    if (!this.expired) this.inner.onError?.(err);
  }

  onUpgrade(statusCode: number, headers: Buffer[] | string[] | null, socket: import('node:stream').Duplex): void {
    this.waiting.remove(this);
    if (this.expired) return void socket.destroy();
    this.inner.onUpgrade?.(statusCode, headers, socket);
  }

  onBodySent(chunk: unknown): void {
    (this.inner as { onBodySent?: (chunk: unknown) => void }).onBodySent?.(chunk);
  }

  onRequestSent(): void {
    (this.inner as { onRequestSent?: () => void }).onRequestSent?.();
  }
}

export interface DispatchDeadlineOptions {
  /** Longest time from dispatch until the response headers, queue wait included, in ms. */
  deadlineMs: number;
  /**
   * Requests whose deadlines fall this close together fail in one sweep, in ms: a deadline
   * may be this much late, and a hung upstream under load costs one timer per this much
   * time instead of one per request. Default {@link DEFAULT_DEADLINE_COALESCE_MS}.
   */
  coalesceMs?: number;
  /** The clock, in ms. Default `performance.now()`. */
  now?: () => number;
}

export const DEFAULT_DEADLINE_COALESCE_MS = 10;

/**
 * A dispatcher failing every request still unanswered at `deadlineMs` with
 * {@link DispatchDeadlineError}, dispatching through `inner`. One queue and at most one
 * timer, unref'd: it never keeps the process alive. Closing or destroying it closes or
 * destroys `inner`.
 */
export class DeadlineDispatcher extends Dispatcher {
  private readonly waiting = new DeadlineQueue<DeadlineRequest>();
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly deadlineMs: number;
  private readonly coalesceMs: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: Dispatcher,
    { deadlineMs, coalesceMs = DEFAULT_DEADLINE_COALESCE_MS, now = () => performance.now() }: DispatchDeadlineOptions,
  ) {
    super();
    this.deadlineMs = deadlineMs;
    this.coalesceMs = coalesceMs;
    this.now = now;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const deadlineAt = this.now() + this.deadlineMs;
    const entry: DeadlineRequest & Dispatcher.DispatchHandler = handler.onRequestStart
      ? new DeadlineHandler(deadlineAt, handler, this.waiting)
      : new LegacyDeadlineHandler(deadlineAt, handler, this.waiting);
    this.waiting.add(entry);
    // Armed only when idle: an armed timer reaches this entry after the ones before it.
    if (this.timer === undefined) this.arm(deadlineAt);
    try {
      return this.inner.dispatch(options, entry);
    } catch (err) {
      this.waiting.remove(entry);
      throw err;
    }
  }

  private arm(at: number): void {
    this.timer = setTimeout(() => this.sweep(), Math.max(0, Math.ceil(at - this.now())) + this.coalesceMs);
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = undefined;
    for (const entry of this.waiting.takeDue(this.now())) entry.expire(this.deadlineMs);
    const next = this.waiting.nextDeadlineAt();
    if (next !== undefined && this.timer === undefined) this.arm(next);
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    return callback ? this.inner.close(callback) : this.inner.close();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    if (typeof a === 'function') return this.inner.destroy(a as () => void);
    if (typeof b === 'function') return this.inner.destroy((a ?? null) as Error | null, b as () => void);
    return this.inner.destroy((a ?? null) as Error | null);
  }
}
