/**
 * Streaming uploads through node:http for tests about request bodies: chunked or of a
 * declared length, cut off by the client mid-way, or announced with `Expect: 100-continue`.
 * The client stops writing as soon as the server answers, as curl does.
 */
import { collectBody } from './http';
import { request as nodeRequest } from 'node:http';

export interface UploadOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Bytes written in total, unless the server answers first. */
  totalBytes: number;
  /** Size of each write. Default 16 KiB. */
  chunkBytes?: number;
  /** Declare this Content-Length instead of sending chunked. */
  contentLength?: number;
  /** Destroy the request after this many bytes (an upload cut off by the client). */
  abortAfterBytes?: number;
  /** Send `Expect: 100-continue` and write the body only once the server says continue. */
  expectContinue?: boolean;
}

export interface UploadResult {
  /** Absent when the client cut the upload off or the connection failed before an answer. */
  status?: number;
  json?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers?: Record<string, string | string[] | undefined>;
  /** Body bytes the client wrote. */
  bytesWritten: number;
  /** Whether the server said 100 Continue. */
  continued: boolean;
}

export function streamUpload(url: string, options: UploadOptions): Promise<UploadResult> {
  const chunk = Buffer.alloc(options.chunkBytes ?? 16_384, 0x61);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...options.headers };
  if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
  if (options.expectContinue) headers.expect = '100-continue';
  return new Promise((resolve) => {
    let written = 0;
    let answered = false;
    let continued = false;
    let settled = false;
    const finish = (result: Omit<UploadResult, 'bytesWritten' | 'continued'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, bytesWritten: written, continued });
    };
    const req = nodeRequest(url, { method: options.method ?? 'POST', headers, agent: false }, (res) => {
      answered = true;
      collectBody(res).then(({ json }) => finish({ status: res.statusCode ?? 0, json, headers: res.headers }), () => finish({}));
    });
    // Writes after an early answer fail with EPIPE or a reset: expected, the answer is what counts.
    req.on('error', () => {
      if (!answered) finish({});
    });
    const pump = () => {
      while (!answered && !req.destroyed && written < options.totalBytes) {
        if (options.abortAfterBytes !== undefined && written >= options.abortAfterBytes) {
          req.destroy();
          setTimeout(() => finish({}), 50);
          return;
        }
        const piece = chunk.subarray(0, Math.min(chunk.length, options.totalBytes - written));
        written += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && !req.destroyed && written >= options.totalBytes) req.end();
    };
    if (options.expectContinue) {
      req.on('continue', () => {
        continued = true;
        pump();
      });
      req.flushHeaders();
    } else {
      pump();
    }
  });
}
