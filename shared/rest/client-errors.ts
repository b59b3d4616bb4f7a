/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a header value with a line
 * break, an oversized header block) and requests that never finished arriving (headers past
 * `HEADERS_TIMEOUT_MS`, headers and body past `REQUEST_TIMEOUT_MS`) still get Portico's JSON
 * error body with a code and a request id, not a bare "Client Error".
 */
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { PorticoError, errorBody } from '../errors';
import { REQUEST_ID_HEADER, resolveRequestId } from '../observability/request-id';

/** Node keeps the response in progress on its socket, if any. */
type SocketWithResponse = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/** Node attaches the refused bytes as `rawPacket` (a Buffer, whatever the typings say). */
type ParserError = Error & { code?: string; rawPacket?: unknown };

/**
 * An Authorization line followed by a line that is not a header: a value with a line break,
 * typically a token captured together with a command's banner (`TOKEN=$(npm run token)`).
 */
const BROKEN_AUTHORIZATION = /(?:^|\n)authorization:[^\n]*\r?\n(?!\r?\n)(?![!#$%&'*+.^_`|~0-9A-Za-z-]+:)/i;

/** How much of the refused packet is searched for the Authorization line, in bytes. */
const INSPECTED_BYTES = 16_384;

/** Pure: the catalogue error for a request the HTTP parser refused. */
export function parserErrorFor(err: ParserError): PorticoError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new PorticoError('REQUEST_TIMEOUT', undefined, { cause: err });
  if (err.code === 'HPE_HEADER_OVERFLOW') return new PorticoError('HEADERS_TOO_LARGE', undefined, { cause: err });
  const packet = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, INSPECTED_BYTES).toString('latin1') : '';
  if (BROKEN_AUTHORIZATION.test(packet)) {
    return new PorticoError('AUTH_TOKEN_INVALID', 'The Authorization header is malformed: its value spans several lines. Send `Bearer <token>` on one line (capture a token with `npm run -s token`, without npm\'s banner).', { cause: err });
  }
  return new PorticoError('BAD_REQUEST', 'The request is not valid HTTP: a malformed request line or header.', { cause: err });
}

/** Fastify's `clientErrorHandler`: answers with the catalogue body, then closes the connection. */
export function clientErrorHandler(this: { log: FastifyBaseLogger }, err: ParserError, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const error = parserErrorFor(err);
  const requestId = resolveRequestId(undefined);
  this.log.info({ requestId, code: error.code, reason: err.code ?? err.message }, 'request refused by the HTTP parser');
  // A request that timed out mid-body may already have an answer under way (a route can
  // answer before reading its body): our bytes would corrupt it, so the socket just closes.
  if (socket.writable && !(socket as SocketWithResponse)._httpMessage?.headersSent) {
    const body = JSON.stringify(errorBody(error, requestId));
    const extra = error.code === 'AUTH_TOKEN_INVALID' ? 'www-authenticate: Bearer realm="portico", error="invalid_request"\r\n' : '';
    socket.write(
      `HTTP/1.1 ${error.statusCode} ${errorBody(error).error}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${REQUEST_ID_HEADER}: ${requestId}\r\n${extra}connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
