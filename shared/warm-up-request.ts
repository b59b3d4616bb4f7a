/**
 * A BFF's own warm-up requests: before it reports ready, a GraphQL BFF sends its registered
 * operations through its whole request pipeline with `inject` (graphql/warm-up-traffic.ts),
 * so V8 has compiled the path its first clients take. Such a request is recognised by two
 * things a client cannot produce together: it never came through a socket (an injected
 * request has none), and it carries this process's secret, made at start and never written
 * anywhere. A client sending the header is an ordinary client.
 *
 * The stages treat a warm-up request as follows: authenticated as {@link WARM_UP_PRINCIPAL},
 * never rate limited, counted or logged, and its subgraph fetches answered with made-up data,
 * so no upstream is called.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Principal } from './policies/authn/principal';

/** The header a warm-up request carries its secret in. */
export const WARM_UP_REQUEST_HEADER = 'x-portico-warm-up';

const secret = randomBytes(32).toString('base64url');
const secretBytes = Buffer.from(secret);

/** The caller of every warm-up request: not a client, and never sent upstream (no upstream is called). */
export const WARM_UP_PRINCIPAL: Principal = Object.freeze({ kind: 'user', id: 'portico-warm-up', scopes: Object.freeze([]), roles: Object.freeze([]), plan: 'default', method: 'warm-up' });

/** The headers that make an injected request a warm-up request of this process. */
export function warmUpRequestHeaders(): Record<string, string> {
  return { [WARM_UP_REQUEST_HEADER]: secret };
}

/** Whether `raw` is one of this process's warm-up requests (cheap when the header is absent, as for every client). */
export function isWarmUpRequest(raw: IncomingMessage): boolean {
  const presented = raw.headers[WARM_UP_REQUEST_HEADER];
  if (presented === undefined) return false;
  if (raw.socket instanceof Socket || typeof presented !== 'string' || presented.length !== secret.length) return false;
  return timingSafeEqual(Buffer.from(presented), secretBytes);
}
