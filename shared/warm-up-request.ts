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
 * The stages treat a warm-up request as follows: its bearer token is verified as a client's is,
 * through the same call, but by a verifier of its own ({@link warmUpJwtVerifier}) that trusts
 * one key only, made once per process and kept in its memory (no other verifier trusts it, so
 * the token is worth nothing to anyone else), or, without a bearer token, it is the warm-up
 * principal; it is charged to a limiter of its own, never to a client's budget; its
 * operation's authorization rules are evaluated and their outcome ignored; it is never counted,
 * logged or traced; and its subgraph fetches are answered with made-up data, so no upstream is
 * called. Each stage runs as much of a client's
 * code as it safely can, on objects shaped as a client's: what a warm-up skips, a fresh
 * instance's first clients pay for (measured in the cold-start bench).
 */
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { SignJWT, type JWK } from 'jose';
import { createJwtVerifier, principalFromClaims, type JwtVerifier } from './policies/authn/jwt';
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

/** The claims of the warm-up's tokens: an issuer and audience no client's token has. */
const WARM_UP_TOKEN_CLAIMS = { iss: 'urn:portico:warm-up', aud: 'urn:portico:warm-up' } as const;
const WARM_UP_KEY_ID = 'portico-warm-up';

/** The warm-up's signing key: made on first use (a BFF that sends no warm-up requests never makes one), in memory only, never exported but as its public half. */
let warmUpKeyPair: ReturnType<typeof generateKeyPairSync> | undefined;
const warmUpKeys = () => (warmUpKeyPair ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }));

let warmUpVerifier: JwtVerifier | undefined;

/**
 * The verifier of warm-up requests' bearer tokens: the same verifier as a client's (so the
 * authentication stage's call, the verified-token cache and the principal are compiled for a
 * client's), trusting only the warm-up's key. The authentication stage hands it warm-up
 * requests only; no client's token can be signed by its key.
 */
export function warmUpJwtVerifier(): JwtVerifier {
  if (warmUpVerifier) return warmUpVerifier;
  const publicJwk = { ...(warmUpKeys().publicKey.export({ format: 'jwk' }) as JWK), alg: 'ES256', kid: WARM_UP_KEY_ID, use: 'sig' };
  return (warmUpVerifier = createJwtVerifier({ jwks: { keys: [publicJwk] }, issuer: WARM_UP_TOKEN_CLAIMS.iss, audience: WARM_UP_TOKEN_CLAIMS.aud, algorithms: ['ES256'] }));
}

/** The marker header alone: this process's secret ({@link isWarmUpRequest}). */
export function warmUpMarkerHeader(): Record<string, string> {
  return { [WARM_UP_REQUEST_HEADER]: secret };
}

/**
 * The headers that make a request a warm-up request of this process, while a warm-up is under
 * way, and its bearer token: signed by the warm-up's key for {@link WARM_UP_SUBJECT}, valid for
 * ten minutes (a warm-up takes a second or two).
 */
export async function warmUpRequestHeaders(): Promise<Record<string, string>> {
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: WARM_UP_KEY_ID, typ: 'JWT' })
    .setSubject(WARM_UP_SUBJECT)
    .setIssuer(WARM_UP_TOKEN_CLAIMS.iss)
    .setAudience(WARM_UP_TOKEN_CLAIMS.aud)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(warmUpKeys().privateKey);
  return { authorization: `Bearer ${token}`, ...warmUpMarkerHeader() };
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
