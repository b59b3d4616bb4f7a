/**
 * An OTLP/HTTP traces receiver on 127.0.0.1 for tests: accepts `POST /v1/traces` in the
 * JSON encoding Portico's exporter sends and keeps every span, flattened, with its
 * attributes as plain values; prints a trace as an indented tree.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, string | number | boolean> }>;
  events: Array<{ name: string; attributes: Record<string, string | number | boolean> }>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: number;
  service: string;
  startNs: bigint;
  endNs: bigint;
}

export interface OtlpReceiver {
  /** Base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint: string;
  /** Traces URL (`<endpoint>/v1/traces`). */
  tracesUrl: string;
  spans: ReceivedSpan[];
  /** Export requests received. */
  readonly posts: number;
  close(): Promise<void>;
}

function valueOf(value: AnyValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  return JSON.stringify(value);
}

function attributesOf(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

interface ExportRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: KeyValue[];
        links?: Array<{ traceId: string; spanId: string; attributes?: KeyValue[] }>;
        events?: Array<{ name: string; attributes?: KeyValue[] }>;
        status?: { code?: number };
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
      }>;
    }>;
  }>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let posts = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      posts += 1;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: attributesOf(l.attributes) })),
              events: (span.events ?? []).map((e) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
              status: span.status?.code ?? 0,
              service,
              startNs: BigInt(span.startTimeUnixNano),
              endNs: BigInt(span.endTimeUnixNano),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    tracesUrl: `${endpoint}/v1/traces`,
    spans,
    get posts() {
      return posts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The spans of one trace. */
export function traceOf(spans: readonly ReceivedSpan[], traceId: string): ReceivedSpan[] {
  return spans.filter((s) => s.traceId === traceId);
}

/** The children of a span, in start order. */
export function childrenOf(spans: readonly ReceivedSpan[], parent: ReceivedSpan): ReceivedSpan[] {
  return spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId).sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
}

/** Attributes worth showing in a printed tree. */
const SHOWN = ['http.route', 'http.response.status_code', 'portico.subgraph.name', 'graphql.operation.type', 'graphql.operation.name', 'portico.subgraph.entity_count', 'portico.upstream.name', 'portico.breaker.state', 'http.request.resend_count', 'portico.graphql.pipeline', 'portico.client.name'];

/** A trace as an indented tree: name, duration, the attributes that say what each span is. */
export function printTree(spans: readonly ReceivedSpan[], root: ReceivedSpan, depth = 0): string {
  const ms = Number(root.endNs - root.startNs) / 1e6;
  const shown = SHOWN.filter((k) => root.attributes[k] !== undefined).map((k) => `${k}=${root.attributes[k]}`);
  const line = `${'  '.repeat(depth)}${root.name} (${ms.toFixed(1)} ms)${shown.length > 0 ? `  ${shown.join(' ')}` : ''}`;
  return [line, ...childrenOf(spans, root).map((child) => printTree(spans, child, depth + 1))].join('\n');
}
