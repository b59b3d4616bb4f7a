/**
 * A real HTTP upstream on 127.0.0.1 for tests: records every request it receives
 * (method, raw path, headers, body) and answers with whatever the test's responder says,
 * including slow or broken answers.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query exactly as received on the wire. */
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

export type Responder = (request: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface RecordingUpstream {
  origin: string;
  /** Requests received whole (a request cut off mid-body is not here, see `cutOff`). */
  requests: RecordedRequest[];
  /** Body bytes received over all requests, whole or cut off. */
  readonly bodyBytes: number;
  /** Requests whose body was cut off before it ended (the sender aborted). */
  readonly cutOff: number;
  /** Replaces the responder for subsequent requests. */
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

/** Default answer: 200 JSON echo of what was received. */
export const echoResponder: Responder = (request, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body: request.body }));
};

export async function startRecordingUpstream(initial: Responder = echoResponder): Promise<RecordingUpstream> {
  let responder = initial;
  const requests: RecordedRequest[] = [];
  let bodyBytes = 0;
  let cutOff = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      bodyBytes += c.length;
      chunks.push(c);
    });
    req.on('close', () => {
      if (!req.complete) cutOff += 1;
    });
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      Promise.resolve(responder(recorded, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get bodyBytes() {
      return bodyBytes;
    },
    get cutOff() {
      return cutOff;
    },
    respondWith: (next) => {
      responder = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening (bound then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
