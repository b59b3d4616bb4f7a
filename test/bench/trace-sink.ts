/**
 * Where the tracing contestant's spans go during the benchmark: an OTLP/HTTP endpoint on
 * 127.0.0.1 that reads each export and discards it, so the contestant pays for recording,
 * batching, encoding and sending its spans, and nothing for a collector's work.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TraceSink {
  /** As `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint: string;
  /** Export requests and body bytes received so far. */
  readonly received: { posts: number; bytes: number };
  close(): Promise<void>;
}

export async function startTraceSink(): Promise<TraceSink> {
  const received = { posts: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (received.bytes += chunk.length));
    req.on('end', () => {
      received.posts += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
