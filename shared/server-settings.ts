/**
 * The server slice of a BFF manifest: where it listens, how much it accepts, how it logs
 * and where `/metrics` is served. The schema is the single list of keys and bounds.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { LOG_LEVELS, type LogLevel } from './observability/logger';
import type { MetricsAccess } from './observability/metrics-access';
import { TracingSettingsSchema, type TracingSettings } from './observability/tracing-settings';

export interface ServerSettings {
  /** Listen address. Default `127.0.0.1`. */
  host: string;
  /** Listen port (0 picks a free one). */
  port: number;
  /** Largest accepted request body, in bytes. Default 1 MiB. */
  bodyLimitBytes: number;
  /**
   * Longest time to receive a whole request (headers and body) from a client, in ms; a
   * request still arriving then is answered 408 within one second more. Default 30,000.
   */
  requestTimeoutMs: number;
  /** Longest time to receive a request's headers, in ms; below `requestTimeoutMs`. Default 10,000. */
  headersTimeoutMs: number;
  /**
   * After SIGTERM, how long the listener keeps accepting, in ms, while `/readyz` answers 503
   * and every response says `Connection: close`, so a load balancer stops routing here before
   * connections are refused. 0 stops accepting at once. Default 5,000.
   */
  shutdownDrainDelayMs: number;
  /** Longest graceful shutdown after the drain delay (in-flight requests finishing) before the process exits anyway, in ms. Default 10,000. */
  shutdownTimeoutMs: number;
  /** Log level. Default `info`. */
  logLevel: LogLevel;
  /** Compress responses (brotli or gzip, negotiated; bodies of 1 KiB and more). Default false. */
  compress: boolean;
  /** ETag on responses and 304 for a matching `If-None-Match` on GET. Default false. */
  etag: boolean;
  /**
   * Serve GET passthroughs that need nothing more than an API key remembered from its last
   * check, the limits and the breaker on the passthrough fast path (`rest/passthrough-fast-path.ts`),
   * without the framework's request lifecycle: same decisions, answers and metrics. Default true.
   */
  passthroughFastPath?: boolean;
  /** Where `/metrics` is served: its own port and/or a bearer token. Default: public on the client port (refused in production). */
  metrics?: MetricsAccess;
  /** OpenTelemetry tracing: where spans go and which traces are sampled. Default: off (nothing loaded, no hook). */
  tracing?: TracingSettings;
}

export const DEFAULT_SERVER_SETTINGS: ServerSettings = {
  host: '127.0.0.1',
  port: 0,
  bodyLimitBytes: 1_048_576,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  shutdownDrainDelayMs: 5_000,
  shutdownTimeoutMs: 10_000,
  logLevel: 'info',
  compress: false,
  etag: false,
};

const PortSchema = Type.Integer({ minimum: 0, maximum: 65535 });

/** `MetricsAccess`: its own port and/or a bearer token. */
export const MetricsAccessSchema = Type.Object(
  {
    port: Type.Optional({ ...PortSchema, description: 'Serve /metrics on this port instead of the client port (0 picks a free one)' }),
    token: Type.Optional(Type.String({ minLength: 1, description: 'Bearer token /metrics requires wherever it is served' })),
  },
  { additionalProperties: false },
);

export const ServerSettingsSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: DEFAULT_SERVER_SETTINGS.host, description: 'Listen address' }),
    port: { ...PortSchema, default: DEFAULT_SERVER_SETTINGS.port, description: 'Listen port (0 picks a free one)' },
    bodyLimitBytes: Type.Integer({ minimum: 1, default: DEFAULT_SERVER_SETTINGS.bodyLimitBytes, description: 'Largest accepted request body, in bytes' }),
    requestTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_SERVER_SETTINGS.requestTimeoutMs, description: 'Longest time to receive a whole request (headers and body), in ms' }),
    headersTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_SERVER_SETTINGS.headersTimeoutMs, description: 'Longest time to receive the headers of a request, in ms (below requestTimeoutMs)' }),
    shutdownDrainDelayMs: Type.Integer({ minimum: 0, default: DEFAULT_SERVER_SETTINGS.shutdownDrainDelayMs, description: 'After SIGTERM, how long the listener keeps accepting while /readyz answers 503, in ms' }),
    shutdownTimeoutMs: Type.Integer({ minimum: 1, default: DEFAULT_SERVER_SETTINGS.shutdownTimeoutMs, description: 'Longest graceful shutdown after the drain delay, in ms' }),
    logLevel: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { default: DEFAULT_SERVER_SETTINGS.logLevel }),
    compress: Type.Boolean({ default: DEFAULT_SERVER_SETTINGS.compress }),
    etag: Type.Boolean({ default: DEFAULT_SERVER_SETTINGS.etag }),
    passthroughFastPath: Type.Optional(Type.Boolean({ description: 'Serve plain GET passthroughs on the fast path (default true)' })),
    metrics: Type.Optional(MetricsAccessSchema),
    tracing: Type.Optional(TracingSettingsSchema),
  },
  { additionalProperties: false },
);

/** Pure: what the schema cannot say about the server settings; meaningful once the shape is right. */
export function serverSemantics(server: ServerSettings, at = 'server'): string[] {
  if (!Value.Check(ServerSettingsSchema, server)) return [];
  // Node refuses a headers timeout above the request timeout; equal would make it meaningless.
  return server.headersTimeoutMs < server.requestTimeoutMs
    ? []
    : [`${at}.headersTimeoutMs (${server.headersTimeoutMs}) must be below ${at}.requestTimeoutMs (${server.requestTimeoutMs}): set HEADERS_TIMEOUT_MS lower or REQUEST_TIMEOUT_MS higher`];
}

/**
 * How often Node looks for requests past their timeouts, in ms: a late request is answered
 * 408 at most this long after its deadline (Node's own default is 30 s).
 */
export const TIMEOUT_CHECK_INTERVAL_MS = 250;

/** Pure: the options Node's HTTP server needs at creation for these settings (Fastify's `http` option). */
export function nodeServerTimeouts(server: Pick<ServerSettings, 'requestTimeoutMs' | 'headersTimeoutMs'>) {
  return {
    requestTimeout: server.requestTimeoutMs,
    headersTimeout: server.headersTimeoutMs,
    connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, server.headersTimeoutMs),
  };
}
