/**
 * Bearer JWT verification with jose. Keys come from a remote JWKS (cached, with a
 * cooldown between refetches and a fetch timeout, so a rotated key is picked up without a
 * restart) or from a local JWKS. The allowed algorithms are an explicit list, checked on
 * the token header before any key is looked up, so `alg: none` and HMAC-with-a-public-key
 * confusion never reach signature verification.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { PorticoError, type ErrorCode } from '../../errors';
import { SpanKind, type TraceScope } from '../../observability/tracing';
import type { Principal } from './principal';

/** Asymmetric algorithms only: a verifier holding public keys can never accept an HMAC token. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
export const DEFAULT_CLOCK_TOLERANCE_SEC = 5;
export const DEFAULT_JWKS_TIMEOUT_MS = 2_000;
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;
export const DEFAULT_JWKS_CACHE_MAX_AGE_MS = 600_000;
export const DEFAULT_VERIFIED_CACHE_ENTRIES = 10_000;
export const DEFAULT_VERIFIED_CACHE_TTL_MS = 60_000;

export interface JwtOptions {
  /** Remote JWKS URL (one of `jwksUrl`, `jwksFile`, `jwks` is required). */
  jwksUrl?: string;
  /** Path of a local JWKS JSON file, read once at start. */
  jwksFile?: string;
  /** An in-memory JWKS. */
  jwks?: JSONWebKeySet;
  /** Accepted `iss` value(s). Required. */
  issuer: string | string[];
  /** Accepted `aud` value(s). Required. */
  audience: string | string[];
  /** Accepted `alg` header values. Default {@link DEFAULT_JWT_ALGORITHMS}. */
  algorithms?: readonly string[];
  /** Allowed clock skew for `exp`/`nbf`/`iat`, in seconds. Default 5. */
  clockToleranceSec?: number;
  /** Remote JWKS fetch timeout, in ms. Default 2,000. */
  jwksTimeoutMs?: number;
  /** Shortest time between two remote JWKS fetches (an unknown `kid` triggers one), in ms. Default 30,000. */
  jwksCooldownMs?: number;
  /** Longest time a fetched JWKS is used before refetching, in ms. Default 600,000. */
  jwksCacheMaxAgeMs?: number;
  /**
   * Verified tokens remembered (by their exact text) so a client's repeated requests skip
   * signature verification; 0 turns it off. Default 10,000.
   */
  verifiedCacheEntries?: number;
  /** Longest time a verified token is remembered, in ms (never past its `exp`). Bounds how long a key removed from the JWKS keeps working. Default 60,000. */
  verifiedCacheTtlMs?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

export interface JwtVerifier {
  /**
   * Verifies a compact JWT and returns its principal; throws PorticoError with an AUTH_* code.
   * `trace`: the span a JWKS fetch this verification causes opens under (tracing on).
   */
  verify(token: string, trace?: TraceScope): Promise<Principal>;
  /**
   * Fetches a remote key set now rather than on the first token (nothing for a local one), so
   * a fresh BFF's first clients do not wait for it. A failure is left to the first token's
   * verification, which fetches again.
   */
  prefetchKeys(): Promise<void>;
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** Pure: the principal a verified claim set describes (`method`: `warm-up` for a BFF's own warm-up requests only). */
export function principalFromClaims(payload: JWTPayload, method: 'jwt' | 'warm-up' = 'jwt'): Principal {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw new PorticoError('AUTH_TOKEN_INVALID', 'The bearer token has no subject.');
  const clientId = typeof payload.azp === 'string' ? payload.azp : typeof payload.client_id === 'string' ? payload.client_id : undefined;
  return {
    kind: 'user',
    id: payload.sub,
    scopes: stringList(payload.scope ?? payload.scp),
    roles: stringList(payload.roles),
    ...(typeof payload.tenant === 'string' ? { tenant: payload.tenant } : {}),
    ...(clientId ? { clientId } : {}),
    plan: typeof payload.plan === 'string' ? payload.plan : 'default',
    method,
  };
}

/** Pure: maps a jose failure to the catalogue code a client sees (the original stays as cause). */
export function mapJwtError(err: unknown): PorticoError {
  if (err instanceof PorticoError) return err;
  let code: ErrorCode = 'AUTH_TOKEN_INVALID';
  if (err instanceof joseErrors.JWTExpired) code = 'AUTH_TOKEN_EXPIRED';
  else if (err instanceof joseErrors.JWTClaimValidationFailed) {
    code = err.claim === 'aud' ? 'AUTH_TOKEN_WRONG_AUDIENCE' : err.claim === 'iss' ? 'AUTH_TOKEN_WRONG_ISSUER' : err.claim === 'nbf' ? 'AUTH_TOKEN_NOT_YET_VALID' : 'AUTH_TOKEN_INVALID';
  } else if (err instanceof joseErrors.JOSEAlgNotAllowed) code = 'AUTH_ALGORITHM_NOT_ALLOWED';
  else if (err instanceof joseErrors.JWKSTimeout || isJwksFetchFailure(err)) code = 'AUTH_KEYS_UNAVAILABLE';
  return new PorticoError(code, undefined, { cause: err });
}

function isJwksFetchFailure(err: unknown): boolean {
  // jose reports an unreachable or non-200 JWKS endpoint as a plain error from its fetch.
  // (Errors from node's network stack are checked by shape: they may come from another realm.)
  if (!err || typeof err !== 'object' || err instanceof joseErrors.JOSEError) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return typeof code === 'string' || (typeof message === 'string' && /fetch|response|status|timeout/i.test(message));
}

/**
 * The span of the verification whose JWKS fetch is under way. jose fetches the keys itself,
 * deep inside `jwtVerify`; the verification's span reaches the fetch through this storage,
 * entered only by a traced verification.
 */
const jwksFetchParent = new AsyncLocalStorage<TraceScope>();

/**
 * The agent jose's JWKS fetches go through: a fetch made for a traced verification is a
 * client span under it and carries its `traceparent`. Keep-alive like Node's global agent.
 */
function jwksAgent(url: URL): HttpAgent {
  const agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const internals = agent as unknown as { addRequest(req: ClientRequest, options: unknown): void };
  const addRequest = internals.addRequest.bind(agent);
  internals.addRequest = (req, options) => {
    const parent = jwksFetchParent.getStore();
    if (parent) {
      const span = parent.child('GET jwks', { 'http.request.method': 'GET', 'server.address': url.hostname, 'url.path': url.pathname, 'portico.upstream.name': 'jwks' }, SpanKind.CLIENT);
      const headers: Record<string, string> = {};
      span.inject(headers);
      for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
      req.once('response', (res) => {
        span.span.setAttribute('http.response.status_code', res.statusCode ?? 0);
        span.end(res.statusCode === 200 ? undefined : { code: String(res.statusCode) });
      });
      req.once('error', (err) => span.end(err));
      req.once('close', () => span.end());
    }
    addRequest(req, options);
  };
  return agent;
}

function keySource(opts: JwtOptions) {
  if (opts.jwksUrl) {
    const url = new URL(opts.jwksUrl);
    return createRemoteJWKSet(url, {
      timeoutDuration: opts.jwksTimeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS,
      cooldownDuration: opts.jwksCooldownMs ?? DEFAULT_JWKS_COOLDOWN_MS,
      cacheMaxAge: opts.jwksCacheMaxAgeMs ?? DEFAULT_JWKS_CACHE_MAX_AGE_MS,
      agent: jwksAgent(url),
    });
  }
  const jwks = opts.jwks ?? (opts.jwksFile ? (JSON.parse(readFileSync(opts.jwksFile, 'utf8')) as JSONWebKeySet) : undefined);
  if (!jwks) throw new Error('JWT verification needs jwksUrl, jwksFile or jwks');
  return createLocalJWKSet(jwks);
}

export function createJwtVerifier(opts: JwtOptions): JwtVerifier {
  const algorithms = [...(opts.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
  if (algorithms.length === 0 || algorithms.some((a) => a === 'none' || !/^(RS|PS|ES)(256|384|512)$|^EdDSA$|^ES256K$/.test(a))) {
    throw new Error(`JWT algorithms must be asymmetric signature algorithms, got ${algorithms.join(', ') || 'none'}`);
  }
  const keys = keySource(opts);
  const remoteKeys = opts.jwksUrl ? (keys as ReturnType<typeof createRemoteJWKSet>) : undefined;
  const verifyOptions = {
    algorithms,
    issuer: opts.issuer,
    audience: opts.audience,
    clockTolerance: opts.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC,
    requiredClaims: ['exp', 'sub'],
  };
  const now = opts.now ?? Date.now;
  const maxEntries = opts.verifiedCacheEntries ?? DEFAULT_VERIFIED_CACHE_ENTRIES;
  const ttlMs = opts.verifiedCacheTtlMs ?? DEFAULT_VERIFIED_CACHE_TTL_MS;
  const verified = new Map<string, { principal: Principal; until: number }>();
  // A token being verified: the requests that bring it meanwhile (a client's parallel first
  // requests with a new token) wait for that one verification rather than repeat it.
  const verifying = new Map<string, Promise<Principal>>();

  const remember = (token: string, principal: Principal, expSec: number | undefined) => {
    if (maxEntries <= 0) return;
    // Expired without tolerance: a cached answer must never outlive the token itself.
    const until = Math.min(now() + ttlMs, (expSec ?? 0) * 1000);
    if (until <= now()) return;
    if (verified.size >= maxEntries) verified.delete(verified.keys().next().value as string);
    verified.set(token, { principal, until });
  };

  async function verifyUncached(token: string, trace: TraceScope | undefined): Promise<Principal> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch (err) {
      throw new PorticoError('AUTH_TOKEN_INVALID', undefined, { cause: err });
    }
    if (typeof alg !== 'string' || !algorithms.includes(alg)) {
      throw new PorticoError('AUTH_ALGORITHM_NOT_ALLOWED', `Tokens signed with '${String(alg)}' are not accepted.`);
    }
    try {
      const options = { ...verifyOptions, currentDate: new Date(now()) };
      const { payload } = await (trace ? jwksFetchParent.run(trace, () => jwtVerify(token, keys, options)) : jwtVerify(token, keys, options));
      const principal = principalFromClaims(payload);
      remember(token, principal, payload.exp);
      return principal;
    } catch (err) {
      throw mapJwtError(err);
    }
  }

  return {
    verify(token, trace) {
      const cached = verified.get(token);
      if (cached) {
        if (cached.until > now()) return Promise.resolve(cached.principal);
        verified.delete(token);
      }
      const pending = verifying.get(token);
      if (pending) return pending;
      const verification = verifyUncached(token, trace).finally(() => verifying.delete(token));
      verifying.set(token, verification);
      return verification;
    },
    async prefetchKeys() {
      await remoteKeys?.reload();
    },
  };
}

