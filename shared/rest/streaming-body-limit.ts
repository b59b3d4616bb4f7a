/**
 * The body limit of streamed (proxied) requests. A declared Content-Length over the limit
 * is refused before a byte is read; a chunked body is counted as it passes, and the moment
 * it crosses the limit the stream fails, which aborts the upstream request mid-way (undici
 * destroys the upstream connection when its request body errors). A body of declared
 * length within the limit needs no counting: Node's parser never delivers more than declared.
 *
 * Nothing here buffers: the counting stream holds at most its high-water mark.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { PorticoError } from '../errors';

/** Pure: what a request's framing headers say about its body. */
export type DeclaredBody = { kind: 'none' } | { kind: 'length'; bytes: number } | { kind: 'chunked' } | { kind: 'invalid' };

export function declaredBody(contentLength: string | undefined, transferEncoding: string | undefined): DeclaredBody {
  // Node refuses requests with both, so transfer-encoding alone means a body of unknown length.
  if (transferEncoding !== undefined) return { kind: 'chunked' };
  if (contentLength === undefined) return { kind: 'none' };
  if (!/^\d{1,15}$/.test(contentLength)) return { kind: 'invalid' };
  const bytes = Number(contentLength);
  return bytes === 0 ? { kind: 'none' } : { kind: 'length', bytes };
}

export function payloadTooLarge(limitBytes: number): PorticoError {
  return new PorticoError('PAYLOAD_TOO_LARGE', `The request body exceeds the limit of ${limitBytes} bytes.`);
}

/** The client went away (or broke the framing) before its body arrived whole. */
export function bodyCutOff(cause?: unknown): PorticoError {
  return new PorticoError('BAD_REQUEST', 'The request body was cut off before it arrived whole.', { cause });
}

/** A pass-through that fails with PAYLOAD_TOO_LARGE once more than `limitBytes` went through. */
class CountingLimit extends Transform {
  private seen = 0;

  constructor(private readonly limitBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limitBytes) callback(payloadTooLarge(this.limitBytes));
    else callback(null, chunk);
  }
}

/**
 * Wraps a client's body stream in a counting limit. The client's stream is never
 * destroyed from here (that would close the socket before the 413 is written): on the
 * limit it is unpiped and paused, and the caller answers with `Connection: close`.
 * A client that goes away mid-body fails the returned stream with BAD_REQUEST.
 */
export function limitStreamedBody(body: Readable, limitBytes: number): Readable {
  const limited = new CountingLimit(limitBytes);
  const cutOff = () => {
    if (!limited.destroyed) limited.destroy(bodyCutOff());
  };
  body.on('aborted', cutOff);
  body.on('error', cutOff);
  limited.on('error', () => {
    body.unpipe(limited);
    body.pause();
  });
  body.pipe(limited);
  return limited;
}
