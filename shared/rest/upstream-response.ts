/**
 * How a passthrough hands the upstream's answer to the client. A small body of declared
 * length is read whole and sent in one write with its headers (no chunked encoding, no
 * stream piping: most API answers are a few hundred bytes, where piping costs more than the
 * bytes); anything larger, or of unknown length, streams through without buffering.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PorticoError } from '../errors';
import { sendError } from './error-handler';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { UpstreamResponse } from '../upstream/upstream';

/** Bodies up to this size are sent whole; bigger ones stream. Default 64 KiB. */
export const DEFAULT_WHOLE_BODY_BYTES = 65_536;

/** The upstream's declared body length, or undefined when it did not declare one. */
export function declaredLength(headers: IncomingHttpHeaders): number | undefined {
  const value = headers['content-length'];
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/** undici bodies can be consumed whole without an async iterator; other streams are collected. */
async function readWhole(stream: Readable): Promise<Buffer> {
  const consumable = stream as Readable & { bytes?: () => Promise<Uint8Array> };
  if (typeof consumable.bytes === 'function') {
    const bytes = await consumable.bytes();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

export interface SendOptions {
  /** Bodies of a declared length up to this are read whole; bigger ones stream. Default DEFAULT_WHOLE_BODY_BYTES. */
  maxWholeBytes?: number;
  /** Called with a body that was read whole, once it is on its way to the client (e.g. to store it). */
  onWholeBody?: (body: Buffer) => void;
}

/** Sends the upstream's answer: whole when small and declared, streamed otherwise. */
export function sendUpstreamResponse(request: FastifyRequest, reply: FastifyReply, response: UpstreamResponse<Readable>, options: SendOptions = {}): void {
  const length = declaredLength(response.headers);
  // HEAD, 204 and 304 answers declare a length but carry no body.
  const bodiless = request.method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304;
  if (bodiless || length === undefined || length > (options.maxWholeBytes ?? DEFAULT_WHOLE_BODY_BYTES)) {
    reply.send(response.body);
    return;
  }
  void readWhole(response.body)
    .then((body) => {
      if (body.length !== length) throw new Error(`the upstream declared ${length} bytes and sent ${body.length}`);
      reply.send(body);
      options.onWholeBody?.(body);
    })
    .catch((err: unknown) => {
      request.log.warn({ err }, 'upstream response unreadable');
      if (!reply.sent) void sendError(request, reply, new PorticoError('UPSTREAM_BAD_RESPONSE', 'The upstream response did not match its declared length.'));
    });
}
