/**
 * A BFF's own warm-up requests: before it reports ready, a GraphQL BFF sends its registered
 * operations to its own listener, through its whole request pipeline
 * (graphql/warm-up-traffic.ts), so V8 has compiled the path its first clients take, on the
 * same objects (sockets, Node's request and response) they bring.
 *
 * A request is a warm-up request only if all of these hold:
 * - it carries, in {@link WARM_UP_REQUEST_HEADER}, this process's secret: 32 random bytes made
 *   at start, kept in memory, never logged, and stripped from the request as an identity
 *   header before any stage reads headers (so never sent upstream);
 * - a warm-up is under way ({@link openWarmUpWindow}): before the BFF first reports ready, for
 *   a second or two; at any other time the header means nothing, whatever its value;
 * - it came from a loopback address (an injected request's stand-in socket says 127.0.0.1).
 * A client sending the header is an ordinary client.
 *
 * The stages treat a warm-up request as follows: its bearer header is read as a client's is, but
 * never verified, and it is authenticated as the warm-up principal; it is charged to a limiter
 * of its own, never to a client's budget; its operation's authorization rules are evaluated and
 * their outcome ignored; it is never counted, logged or traced; and its subgraph fetches are
 * answered with made-up data, so no upstream is called. Each stage runs as much of a client's
 * code as it safely can, on objects shaped as a client's: what a warm-up skips, a fresh
 * instance's first clients pay for (measured in the cold-start bench).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { principalFromClaims } from './policies/authn/jwt';
import type { Principal } from './policies/authn/principal';

/** The header a warm-up request carries its secret in. */
export const WARM_UP_REQUEST_HEADER = 'x-portico-warm-up';

const secret = randomBytes(32).toString('base64url');
const secretBytes = Buffer.from(secret);

/** Warm-ups under way in this process (one per BFF app starting). */
let openWindows = 0;

/**
 * The caller of a warm-up request: not a client, and never sent upstream (no upstream is
 * called). A new object per request, built as a verified token's principal is
 * (principalFromClaims), so the code after authentication is compiled for the objects clients
 * bring; a frozen or differently built object would leave it compiled for another shape.
 */
export function warmUpPrincipal(): Principal {
  return principalFromClaims({ sub: WARM_UP_SUBJECT }, 'warm-up');
}

const WARM_UP_SUBJECT = 'portico-warm-up';

/**
 * The bearer credential a warm-up request carries: shaped as a compact JWT, so the
 * authentication stage reads it as it reads a client's, and signed by nothing (its signature is
 * random bytes), so no verifier would accept it. Only the warm-up marker makes the request a
 * warm-up request; this header only gives it a client's shape.
 */
const warmUpBearer = `Bearer ${[{ alg: 'none', typ: 'JWT' }, { sub: WARM_UP_SUBJECT }].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.')}.${randomBytes(32).toString('base64url')}`;

/** The headers that make a request a warm-up request of this process, while a warm-up is under way, and its client-shaped credential. */
export function warmUpRequestHeaders(): Record<string, string> {
  return { authorization: warmUpBearer, [WARM_UP_REQUEST_HEADER]: secret };
}

/** Opens a warm-up window; the returned function closes it (once). */
export function openWarmUpWindow(): () => void {
  openWindows++;
  let open = true;
  return () => {
    if (open) openWindows--;
    open = false;
  };
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1' || address.startsWith('::ffff:127.');
}

/** Whether `raw` is one of this process's warm-up requests (one property read when the header is absent, as for every client). */
export function isWarmUpRequest(raw: IncomingMessage): boolean {
  const presented = raw.headers[WARM_UP_REQUEST_HEADER];
  if (presented === undefined || openWindows === 0) return false;
  if (typeof presented !== 'string' || presented.length !== secret.length) return false;
  // An injected request has a stand-in socket with a made-up address; a real one must be local.
  const address = raw.socket?.remoteAddress;
  if (!isLoopback(address)) return false;
  return timingSafeEqual(Buffer.from(presented), secretBytes);
}

/** Warm-up requests whose marker has been taken out of their headers ({@link takeWarmUpMarker}). */
const unmarkedWarmUps = new WeakSet<IncomingMessage>();

/**
 * Takes the marker header out of a warm-up request, before any stage reads its headers. The
 * headers object is rebuilt without it, one property at a time as Node builds a client's,
 * rather than the marker deleted: a deleted property leaves an object in V8's slow dictionary
 * form, and every stage reading headers would be compiled for that form, not for a client's.
 */
export function takeWarmUpMarker(raw: IncomingMessage): void {
  const headers: IncomingHttpHeaders = {};
  for (const name of Object.keys(raw.headers)) if (name !== WARM_UP_REQUEST_HEADER) headers[name] = raw.headers[name];
  raw.headers = headers;
  // `rawHeaders` keeps it: nothing a warm-up request reaches reads them, and Node's own view of
  // them (`headersDistinct`) counts on their length.
  unmarkedWarmUps.add(raw);
}

/** Whether `raw` is one of this process's warm-up requests, before or after its marker was taken out. */
export function isOwnWarmUpRequest(raw: IncomingMessage): boolean {
  return unmarkedWarmUps.has(raw) || isWarmUpRequest(raw);
}
