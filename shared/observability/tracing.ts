/**
 * OpenTelemetry tracing, explicit: Portico's own code opens a span where it does the work
 * (the request, authentication, limits, GraphQL phases, each upstream call), with the
 * parent passed along in the request's state rather than found in an async-local context,
 * and writes the W3C `traceparent`/`tracestate` into every upstream request it builds.
 *
 * Off (the default) costs nothing: the SDK is never loaded, no hook is registered, and
 * every instrumented place holds `request.trace` (or a context's `trace`) undefined, so it
 * skips the work with one check. Only `@opentelemetry/api` (types, and `trace.setSpan`) is
 * imported statically; the SDK, the exporter and the propagator are loaded by
 * {@link startTracing} when tracing is configured.
 *
 * Attributes follow the OpenTelemetry semantic conventions for HTTP and GraphQL where they
 * name something; Portico's own are under `portico.`. No attribute ever holds a credential,
 * a header value other than the client's name and version, a user id or a query's values.
 */
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import type { TracingSettings } from './tracing-settings';

export { SpanKind } from '@opentelemetry/api';

/** A tracer and the means to propagate and export its spans. */
export interface Tracing {
  readonly tracer: Tracer;
  /** W3C trace context (`traceparent`, `tracestate`). */
  readonly propagator: TextMapPropagator;
  /** Sends the spans ended so far (tests, shutdown). */
  flush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

/** Loads the SDK and starts exporting (`tracing-sdk.ts`): called only when tracing is configured. */
export function startTracing(settings: TracingSettings, defaultServiceName: string): Tracing {
  // Required here, not imported at the top: a BFF with tracing off never loads the SDK.
  const { createSdkTracing } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  return createSdkTracing(settings, defaultServiceName);
}

/** The machine-readable kind of a failure: a catalogue code, a library's error code, or its name. */
export function errorType(failure: unknown): string {
  if (failure && typeof failure === 'object') {
    const { code, name } = failure as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && code.length > 0) return code;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return '_OTHER';
}

/**
 * One open span and the context it parents. Everything instrumented takes a scope (or
 * undefined when tracing is off) and opens its children from it.
 */
export class TraceScope {
  private ended = false;

  constructor(
    private readonly tracing: Tracing,
    readonly span: Span,
    readonly context: Context,
  ) {}

  /** Opens a span under `parent` (a context with no span: a new trace). */
  static start(tracing: Tracing, name: string, parent: Context, kind: SpanKind, attributes?: Attributes, links?: Link[]): TraceScope {
    const span = tracing.tracer.startSpan(name, { kind, ...(attributes ? { attributes } : {}), ...(links && links.length > 0 ? { links } : {}) }, parent);
    return new TraceScope(tracing, span, trace.setSpan(parent, span));
  }

  /** Opens a child span. */
  child(name: string, attributes?: Attributes, kind: SpanKind = SpanKind.INTERNAL): TraceScope {
    return TraceScope.start(this.tracing, name, this.context, kind, attributes);
  }

  /** Writes this span's `traceparent` (and `tracestate`) into outgoing request headers. */
  inject(headers: Record<string, unknown>): void {
    this.tracing.propagator.inject(this.context, headers, defaultTextMapSetter);
  }

  /** The ids log lines carry. */
  get ids(): { trace_id: string; span_id: string } {
    const { traceId, spanId } = this.span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }

  /** Marks the span failed: `error.type` is the failure's code, never its message or stack. */
  fail(failure: unknown): void {
    const type = errorType(failure);
    this.span.setAttribute('error.type', type);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  }

  /** Ends the span (once; later calls do nothing), failed when `failure` is given. */
  end(failure?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (failure !== undefined) this.fail(failure);
    this.span.end();
  }
}

/** The trace context a client sent, and whether it may parent Portico's span. */
export interface IncomingTraceContext {
  /** The parent of the request's span: the client's context when trusted, else a new trace. */
  parent: Context;
  /** The client's context as a link when it was not trusted as the parent. */
  links: Link[];
}

/**
 * What a request's span hangs from. A client's `traceparent` is the parent only when the
 * request came from a trusted proxy (`TRUSTED_PROXIES`): anyone else could otherwise choose
 * the trace id, join another tenant's trace or force sampling. An untrusted one starts a new
 * trace that links to the client's context, so the two can still be found together.
 */
export function incomingTraceContext(propagator: TextMapPropagator, headers: Record<string, string | string[] | undefined>, trusted: boolean): IncomingTraceContext {
  if (headers.traceparent === undefined) return { parent: ROOT_CONTEXT, links: [] };
  const extracted = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  if (trusted) return { parent: extracted, links: [] };
  const client = trace.getSpanContext(extracted);
  return { parent: ROOT_CONTEXT, links: client && trace.isSpanContextValid(client) ? [{ context: client, attributes: { 'portico.link': 'untrusted_client_parent' } }] : [] };
}
