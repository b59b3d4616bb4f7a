/**
 * One configured upstream as a client: an undici dispatcher (the origin's pool, or for
 * several targets the pool of the endpoint chosen per call) and, around it, what every
 * call shares, in this order:
 *
 *   deadline (one timer per call) -> dedup (GraphQL queries; each waiter counted on the
 *   breaker) -> breaker -> retries within the budget -> endpoint choice -> dispatch (queued
 *   for a connection) -> body read, all within the deadline; the whole call observed once
 *   per caller and its failure mapped once
 *
 * Why a thin wrapper and not undici interceptors for retries, breaker, observation and
 * mapping: an interceptor sees one dispatch on one already chosen origin. A retry must
 * choose its endpoint again (the failed one may be on its way out), the breaker and the
 * observer judge the whole call (every attempt, the body read to its end) and must record
 * it once, and the passthrough's proxy owns its own dispatch and settles the outcome from
 * its callbacks, where only the Fastify request knows whether the client went away. So the
 * dispatcher stays a plain undici Dispatcher the proxy can take (wrapped once, for the
 * deadline, since the proxy passes no AbortSignal), and the call wrapper
 * composes the rest from the small pieces beside this file (`retry.ts`, `breaker.ts`,
 * `upstream-observer.ts`, `upstream-errors.ts`, `in-flight-dedup.ts`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Dispatcher, type Pool } from 'undici';
import { PorticoError } from '../errors';
import type { ReadinessCheck } from '../observability/health';
import { errorType, SpanKind, type TraceScope } from '../observability/tracing';
import type { UpstreamBreaker } from './breaker';
import { DeadlineDispatcher, failBeforeStart } from './dispatch-deadline';
import { createInFlightDeduplicator, type InFlightCall, type InFlightDeduplicator } from './in-flight-dedup';
import { createRetryBudget, DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BUDGET, withRetries, type RetryBudget, type RetryBudgetOptions } from './retry';
import type { Endpoint, RoutingInput } from './target-set';
import { upstreamError } from './upstream-errors';
import type { UpstreamObserver } from './upstream-observer';
import { createUpstreamProbe } from './upstream-probe';
import type { TargetLease, UpstreamTargets } from './upstream-targets';

/**
 * An upstream's answer: its status, its headers and its body, as the caller needs it: a
 * stream while a passthrough proxies it, text once read, parsed JSON for aggregates.
 */
export interface UpstreamResponse<Body = Readable> {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Body;
}

/** One call through an {@link Upstream}. */
export interface UpstreamCall {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with its query string. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Whether the call is safe to send twice (GET, HEAD, a GraphQL query): only then is a failed attempt retried. */
  idempotent: boolean;
  /** Who is calling, for an upstream with several targets. Default: an anonymous caller. */
  routing?: RoutingInput;
  /** Identical calls in flight with the same key share one answer. Only for safe calls, and the key must hold everything that can change the answer (identity included). Default: not shared. */
  dedupeKey?: string;
  /** Longest time for the whole call, queued for a connection to last body byte, retries included, in ms. Default: the upstream's `deadlineMs`. */
  deadlineMs?: number;
  /**
   * When the caller's own time runs out (`performance.now()` clock), e.g. a GraphQL request's
   * overall deadline: the call gets what is left of it when that is less than its deadline,
   * and fails at once with UPSTREAM_TIMEOUT when nothing is left. Default: no caller deadline.
   */
  deadlineAt?: number;
  /** Largest body read, in bytes; a bigger one fails the call. Default: unbounded (the pool's body timeout bounds it). */
  maxResponseBytes?: number;
  /** Tracing: the call is one client span under `parent`, and carries its `traceparent`. Default: not traced. */
  trace?: UpstreamCallTrace;
}

/** How one call is traced. */
export interface UpstreamCallTrace {
  parent: TraceScope;
  /** The span's name. Default `<METHOD> <upstream>`. */
  name?: string;
  /** What the caller knows of the call (a subgraph fetch's operation and entity count). */
  attributes?: Record<string, string | number | boolean>;
}

/** Where an upstream's calls go: one origin, or the endpoints of several targets. */
export interface UpstreamEndpoints {
  /** Chooses the endpoint of one attempt; throws UPSTREAM_CIRCUIT_OPEN when none is available. */
  acquire(input: RoutingInput): TargetLease;
  /** The pool of an endpoint origin, while it exists. */
  poolFor(origin: string): Pool | undefined;
  /** The targets runtime, when there are several targets. */
  readonly targets?: UpstreamTargets;
}

/**
 * The one-target case: every call goes to one origin's pool. Its single endpoint is never
 * ejected and its lease judges nothing (outlier detection is a multi-target concern).
 */
export function singleOriginEndpoints(origin: string, pool: Pool): UpstreamEndpoints {
  const endpoint: Endpoint = { origin, target: origin, inFlight: 0, healthy: true, checkStreak: 0, consecutiveFailures: 0, ejectedUntil: 0, removed: false };
  // One lease for every call: nothing is allocated per call on the common path.
  const lease: TargetLease = { endpoint, pool, release: () => undefined };
  return { acquire: () => lease, poolFor: (o) => (o === origin ? pool : undefined) };
}

/** The endpoints of a multi-target upstream. */
export function targetEndpoints(targets: UpstreamTargets): UpstreamEndpoints {
  return { acquire: (input) => targets.acquire(input), poolFor: (origin) => targets.poolFor(origin), targets };
}

/**
 * A dispatcher over several endpoints' pools: each dispatch goes to the pool of the origin
 * chosen for it (the proxy sets `origin` from the call's endpoint lease).
 */
class EndpointDispatcher extends Dispatcher {
  constructor(private readonly poolFor: (origin: string) => Pool | undefined) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const pool = this.poolFor(String(options.origin));
    if (pool) return pool.dispatch(options, handler);
    // The endpoint left discovery between its choice and this dispatch: a retryable failure.
    const gone = Object.assign(new Error('endpoint no longer available'), { code: 'UND_ERR_CLOSED' });
    queueMicrotask(() => failBeforeStart(handler, gone));
    return true;
  }

  // The pools belong to the targets runtime, which closes them.
  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback) return void queueMicrotask(callback);
    return Promise.resolve();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const callback = typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
    if (callback) return void queueMicrotask(callback as () => void);
    return Promise.resolve();
  }
}

export interface UpstreamOptions {
  /** Upstream name: breaker, metrics, error messages. */
  name: string;
  endpoints: UpstreamEndpoints;
  /** The upstream's circuit breaker. Default: none (calls are never refused for past failures). */
  breaker?: UpstreamBreaker;
  /** Records every call's latency and outcome, once per call. Default: not observed. */
  observe?: UpstreamObserver;
  /** The retry budget shared by every call. Default {@link DEFAULT_RETRY_BUDGET}. */
  retryBudget?: RetryBudgetOptions;
  /** Retries per call at most; 0 turns retries off. Default {@link DEFAULT_MAX_RETRIES}. */
  maxRetries?: number;
  /** Longest time for a whole call, queued for a connection to last body byte, retries included, in ms. Default {@link DEFAULT_UPSTREAM_DEADLINE_MS}. */
  deadlineMs?: number;
}

/**
 * The default total deadline of one upstream call: the pools' default headers timeout, so a
 * call that waited for a connection gets no more time in all than one that did not.
 */
export const DEFAULT_UPSTREAM_DEADLINE_MS = 10_000;

export interface Upstream {
  readonly name: string;
  /**
   * The proxy's dispatcher: the origin's pool, or for several targets the pool of the origin
   * each dispatch names. A request still unanswered at the upstream's deadline (queue wait
   * included) fails with a headers timeout (`DispatchDeadlineError`), and is never sent if still queued.
   */
  readonly dispatcher: Dispatcher;
  /** The upstream's breaker, when it has one (the passthrough records its streamed outcomes on it). */
  readonly breaker: UpstreamBreaker | undefined;
  /** The targets runtime, when the upstream has several targets. */
  readonly targets: UpstreamTargets | undefined;
  /**
   * Sends one call and reads its body as text. Resolves for any HTTP status; rejects with
   * a PorticoError: UPSTREAM_CIRCUIT_OPEN, UPSTREAM_TIMEOUT, UPSTREAM_UNAVAILABLE, or the
   * client's 4xx when the client's request caused the failure (original as `cause`).
   */
  call(call: UpstreamCall): Promise<UpstreamResponse<string>>;
  /** Records the outcome of a call made outside `call` (a streamed passthrough), started at `startedAt` (performance.now()). */
  observe(startedAt: number, result: { status: number } | { error: unknown }): void;
  /** A readiness check: a small request to `path` through the upstream's own pool, or for several targets whether any endpoint is available. */
  probe(kind: 'http' | 'graphql', path: string): ReadinessCheck;
  /** The retry budget every call of this upstream shares (its balance, for metrics and tests). */
  retryBudget(): RetryBudget;
}

type TextResponse = UpstreamResponse<string>;

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new Error(`the upstream's answer exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A signal that aborts after `timeMs`, and the means to drop its timer once the work is done. */
function deadlineSignal(timeMs: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeMs);
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** The failure of a call whose deadline ran out: a timeout, whatever phase of the call it cut (the upstream's fault, never the client's). */
function deadlineError(cause?: unknown): Error {
  return Object.assign(new Error('the upstream did not answer within the deadline', { cause }), { code: 'UND_ERR_HEADERS_TIMEOUT' });
}

/**
 * Settles like `work`, or rejects with a timeout as soon as `signal` aborts. undici honours
 * the signal only once a connection takes the request: a request queued behind a busy pool
 * would otherwise wait for a free connection past its deadline. The queued request is
 * aborted by undici when a connection takes it, before anything is sent.
 */
function withinDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(deadlineError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? deadlineError(err) : err);
      },
    );
  });
}

async function attempt(endpoints: UpstreamEndpoints, call: UpstreamCall, signal: AbortSignal, span: TraceScope | undefined): Promise<TextResponse> {
  const lease = endpoints.acquire(call.routing ?? {});
  if (span) setServerAttributes(span, lease.endpoint.origin);
  try {
    const res = await lease.pool.request({ path: call.path, method: call.method, headers: call.headers, body: call.body, signal });
    const body = call.maxResponseBytes !== undefined ? await readLimited(res.body, call.maxResponseBytes) : await res.body.text();
    lease.release({ status: res.statusCode });
    return { statusCode: res.statusCode, headers: res.headers, body };
  } catch (err) {
    const failure = signal.aborted ? deadlineError(err) : err;
    lease.release({ error: failure });
    throw failure;
  }
}

/** The endpoint attributes of each origin, parsed once: endpoints are few and long-lived. */
const serverAttributes = new Map<string, { 'server.address': string; 'server.port': number }>();

/** The endpoint an attempt went to, as the HTTP conventions name it. */
function setServerAttributes(span: TraceScope, origin: string): void {
  let attributes = serverAttributes.get(origin);
  if (!attributes) {
    const url = new URL(origin);
    attributes = { 'server.address': url.hostname, 'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
    // Bounded: discovery can replace endpoints over a long life.
    if (serverAttributes.size >= 1_000) serverAttributes.clear();
    serverAttributes.set(origin, attributes);
  }
  span.span.setAttributes(attributes);
}

/** Opens a call's client span and writes its trace context into the call's headers. */
function openCallSpan(upstream: string, call: UpstreamCall, trace: UpstreamCallTrace, breaker: UpstreamBreaker | undefined): TraceScope {
  const span = trace.parent.child(
    trace.name ?? `${call.method} ${upstream}`,
    {
      'http.request.method': call.method,
      'url.path': call.path.split('?', 1)[0] as string,
      'portico.upstream.name': upstream,
      ...(breaker ? { 'portico.breaker.state': breaker.state() } : {}),
      ...trace.attributes,
    },
    SpanKind.CLIENT,
  );
  span.inject(call.headers);
  return span;
}

/** Whether a failed call says something about the upstream (recorded on its breaker for a caller that shared it). */
function upstreamsFault(err: unknown): boolean {
  return !(err instanceof PorticoError) || (err.statusCode >= 500 && err.code !== 'UPSTREAM_CIRCUIT_OPEN');
}

export function createUpstream({ name, endpoints, breaker, observe, retryBudget, maxRetries = DEFAULT_MAX_RETRIES, deadlineMs = DEFAULT_UPSTREAM_DEADLINE_MS }: UpstreamOptions): Upstream {
  const budget = createRetryBudget(retryBudget ?? DEFAULT_RETRY_BUDGET);
  const inFlight: InFlightDeduplicator<TextResponse> = createInFlightDeduplicator();
  const pools: Dispatcher = endpoints.targets ? new EndpointDispatcher(endpoints.poolFor) : (endpoints.acquire({}).pool as Dispatcher);
  // The proxy passes no AbortSignal: its requests get the same deadline from the dispatcher itself.
  const dispatcher: Dispatcher = new DeadlineDispatcher(pools, { deadlineMs });
  const isFailure = (r: TextResponse) => r.statusCode >= 500;

  /**
   * One call to the upstream, every attempt and the body read within `timeMs`: one timer per
   * call, shared by its retries, and cleared when the call ends (`AbortSignal.timeout` would
   * keep every signal and its timer alive for the whole deadline, thousands of them under load).
   */
  const send = async (call: UpstreamCall, timeMs: number, span: TraceScope | undefined): Promise<TextResponse> => {
    const { signal, clear } = deadlineSignal(timeMs);
    // Traced: each retry is an event and the span counts them (`http.request.resend_count`).
    let resends = 0;
    const onRetry = span
      ? (err: unknown) => {
          resends += 1;
          span.span.addEvent('retry', { 'error.type': errorType(err), 'http.request.resend_count': resends });
          span.span.setAttribute('http.request.resend_count', resends);
        }
      : undefined;
    const retried = () => withinDeadline(withRetries(() => attempt(endpoints, call, signal, span), { idempotent: call.idempotent, budget, maxRetries, onRetry }), signal);
    try {
      return await (breaker ? breaker.run(retried, isFailure) : retried());
    } finally {
      clear();
    }
  };

  /**
   * A caller joining an identical call in flight: it waits for the shared answer, no longer
   * than its own time, and its outcome counts on the breaker like a call of its own (a hung
   * upstream with one busy caller still adds up to the breaker's volume).
   */
  const join = async (shared: InFlightCall<TextResponse>, endsAt: number): Promise<TextResponse> => {
    breaker?.assertNotOpen();
    const joinedAt = performance.now();
    // A timer only when this caller's time ends before the shared call's.
    const own = endsAt < shared.endsAt ? deadlineSignal(Math.max(0, Math.ceil(endsAt - joinedAt))) : undefined;
    const waited = own ? withinDeadline(shared.promise, own.signal) : shared.promise;
    try {
      const res = await waited.finally(() => own?.clear());
      breaker?.record(isFailure(res), performance.now() - joinedAt);
      return res;
    } catch (err) {
      if (upstreamsFault(err)) breaker?.record(true, performance.now() - joinedAt);
      throw err;
    }
  };

  return {
    name,
    dispatcher,
    breaker,
    targets: endpoints.targets,
    async call(call) {
      const startedAt = performance.now();
      const span = call.trace ? openCallSpan(name, call, call.trace, breaker) : undefined;
      try {
        // Whole ms: AbortSignal.timeout takes nothing else.
        const timeMs = Math.ceil(Math.min(call.deadlineMs ?? deadlineMs, call.deadlineAt !== undefined ? call.deadlineAt - startedAt : Infinity));
        // The caller's time is already spent: nothing is sent, and the upstream is not blamed.
        if (timeMs <= 0) throw new PorticoError('UPSTREAM_TIMEOUT', `Upstream '${name}' did not answer in time.`, { cause: deadlineError() });
        let res: TextResponse;
        if (call.dedupeKey === undefined) res = await send(call, timeMs, span);
        else {
          // Identical concurrent calls share one upstream call; each caller still observes its own outcome.
          const endsAt = startedAt + timeMs;
          const shared = inFlight.get(call.dedupeKey);
          if (shared) span?.span.setAttribute('portico.upstream.shared_call', true);
          res = shared ? await join(shared, endsAt) : await inFlight.run(call.dedupeKey, () => send(call, timeMs, span), endsAt);
        }
        observe?.(name, startedAt, { status: res.statusCode });
        if (span) {
          span.span.setAttribute('http.response.status_code', res.statusCode);
          span.end(res.statusCode >= 500 ? { code: String(res.statusCode) } : undefined);
        }
        return res;
      } catch (err) {
        observe?.(name, startedAt, { error: err });
        const mapped = err instanceof PorticoError ? err : upstreamError(name, err);
        span?.end(mapped);
        throw mapped;
      }
    },
    observe(startedAt, result) {
      observe?.(name, startedAt, result);
    },
    probe(kind, path) {
      const targets = endpoints.targets;
      if (targets) return () => targets.readiness();
      return createUpstreamProbe({ pool: endpoints.acquire({}).pool, kind, path });
    },
    retryBudget: () => budget,
  };
}
