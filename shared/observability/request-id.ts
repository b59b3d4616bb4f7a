/**
 * Request ids: a client's `x-request-id` is kept when it is well-formed (so a trace can
 * start at the client), otherwise Portico generates one. The id is echoed on the
 * response and forwarded to every upstream call made for the request.
 */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Longest client-supplied id kept, in characters. */
export const MAX_REQUEST_ID_LENGTH = 128;

// Visible ASCII without separators or quotes: safe to log and to copy into upstream headers.
const WELL_FORMED_ID = /^[A-Za-z0-9._:~@+=/-]+$/;

/** Returns the client's id when well-formed, else a fresh UUID. */
export function resolveRequestId(header: string | string[] | undefined, generate: () => string = randomUUID): string {
  // A repeated header is ambiguous, so it is not trusted.
  if (typeof header === 'string' && header.length > 0 && header.length <= MAX_REQUEST_ID_LENGTH && WELL_FORMED_ID.test(header)) {
    return header;
  }
  return generate();
}
