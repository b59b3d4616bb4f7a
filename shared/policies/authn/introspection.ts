/**
 * Opaque bearer tokens checked by OAuth2 token introspection (RFC 7662). The gateway asks
 * the authorization server about a token (`POST token=<t>&token_type_hint=access_token`,
 * authenticated with its own client credentials over HTTP Basic) and maps the answer onto
 * the same Principal the JWT path produces, so identity headers, scopes and rate limits
 * behave identically whichever way a token was verified.
 *
 * Answers are cached under the SHA-256 of the token (the raw token is never stored):
 * an active token until its `exp`, capped by `maxCacheTtlMs` (so a revocation takes effect
 * within that time); a rejected token for `negativeCacheTtlMs` (so a flood of bad tokens
 * costs one call each, not one per request). Concurrent lookups of one token share a single
 * call. An endpoint that cannot answer is a 503, never a 401: the client's token may be fine.
 *
 * The endpoint is called through an upstream client (shared/upstream/upstream.ts) with
 * its own keep-alive pool and one deadline per call; it has no breaker and no retries:
 * an introspection is a POST, and a failing endpoint already answers every caller 503.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { isPorticoError, PorticoError, type ErrorCode } from '../../errors';
import type { TraceScope } from '../../observability/tracing';
import { createUpstream, singleOriginEndpoints } from '../../upstream/upstream';
import { createUpstreamPool } from '../../upstream/upstream-pool';
import type { Principal } from './principal';

export const DEFAULT_INTROSPECTION_TIMEOUT_MS = 2_000;
export const DEFAULT_INTROSPECTION_CONNECTIONS = 16;
export const DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES = 10_000;
export const DEFAULT_INTROSPECTION_MAX_CACHE_TTL_MS = 60_000;
export const DEFAULT_INTROSPECTION_NEGATIVE_CACHE_TTL_MS = 5_000;
export const DEFAULT_INTROSPECTION_CLOCK_TOLERANCE_SEC = 5;
export const DEFAULT_TENANT_CLAIM = 'tenant';
export const DEFAULT_ROLES_CLAIM = 'roles';
/** Longer bearer tokens are refused without asking the endpoint. */
export const MAX_OPAQUE_TOKEN_LENGTH = 4_096;
/** Largest introspection answer read, in bytes; anything bigger is treated as an endpoint failure. */
const MAX_RESPONSE_BYTES = 65_536;
/** How long an idle keep-alive connection to the endpoint is kept, in ms. */
const KEEP_ALIVE_MS = 30_000;

export interface IntrospectionOptions {
  /** The authorization server's introspection endpoint (http or https URL). Required. */
  endpoint: string;
  /** The gateway's client id at the authorization server (HTTP Basic user). Required. */
  clientId: string;
  /** The gateway's client secret (HTTP Basic password). Required. */
  clientSecret: string;
  /** Longest wait for one introspection call, connect to last byte, in ms. Default 2,000. */
  timeoutMs?: number;
  /** Keep-alive connections to the endpoint. Default 16. */
  connections?: number;
  /** Most tokens remembered (least recently used forgotten first); 0 turns caching off. Default 10,000. */
  cacheMaxEntries?: number;
  /** Longest time an active answer is reused, in ms (never past the token's `exp`). Bounds how long a revoked token keeps working. Default 60,000. */
  maxCacheTtlMs?: number;
  /** How long a rejected token is answered from memory, in ms; 0 asks the endpoint every time. Default 5,000. */
  negativeCacheTtlMs?: number;
  /** Accepted `aud` value(s); unchecked when absent. */
  audience?: string | string[];
  /** Accepted `iss` value(s); unchecked when absent. */
  issuer?: string | string[];
  /** Allowed clock skew for `exp` and `nbf`, in seconds. Default 5. */
  clockToleranceSec?: number;
  /** Claim holding the tenant. Default `tenant`. */
  tenantClaim?: string;
  /** Claim holding the roles (a space-separated string or a list). Default `roles`. */
  rolesClaim?: string;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

/** How an introspection call ended (the `outcome` label of `portico_introspection_requests_total`). */
export type IntrospectionOutcome = 'active' | 'inactive' | 'unauthorized' | 'error' | 'timeout';

/** Where a lookup was answered from (the `result` label of `portico_introspection_cache_total`). */
export type IntrospectionCacheResult = 'hit' | 'negative_hit' | 'miss' | 'shared';

/** Callbacks for metrics and logs; all optional. */
export interface IntrospectionObserver {
  /** Every call made to the endpoint, by outcome. */
  onCall?(outcome: IntrospectionOutcome): void;
  /** Every lookup, by where it was answered. */
  onCache?(result: IntrospectionCacheResult): void;
  /** A call that failed on the endpoint's side (unreachable, timeout, bad answer, refused credentials). */
  onEndpointFailure?(outcome: Exclude<IntrospectionOutcome, 'active' | 'inactive'>, err: Error): void;
}

export interface IntrospectionVerifier {
  /** Verifies an opaque bearer token and returns its principal; throws PorticoError (401 codes, or 503 AUTH_INTROSPECTION_UNAVAILABLE). */
  /** `trace`: the span the call to the introspection endpoint opens under (tracing on). */
  verify(token: string, trace?: TraceScope): Promise<Principal>;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

/** The fields of an RFC 7662 answer Portico reads; anything else is ignored unless named as a claim. */
export interface IntrospectionResponse {
  active: boolean;
  [claim: string]: unknown;
}

/** What an answer is checked against. */
export interface IntrospectionExpectations {
  audience?: string | readonly string[];
  issuer?: string | readonly string[];
  clockToleranceSec?: number;
  tenantClaim?: string;
  rolesClaim?: string;
}


/** Pure: the cache key of a token, so the raw token is never kept in memory longer than its request. */
export function tokenCacheKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Pure: an endpoint answer as an IntrospectionResponse; throws when it is not one (the endpoint misbehaves). */
export function readIntrospectionResponse(body: unknown): IntrospectionResponse {
  if (!body || typeof body !== 'object' || Array.isArray(body) || typeof (body as { active?: unknown }).active !== 'boolean') {
    throw new Error('the introspection answer is not a JSON object with a boolean `active`');
  }
  return body as IntrospectionResponse;
}

/**
 * Pure: the principal an introspection answer describes, or the 401 it earns. `sub` makes a
 * user; a token with only `username` is the user of that name; a token with only
 * `client_id` (client credentials) is that client.
 */
export function principalFromIntrospection(response: IntrospectionResponse, expect: IntrospectionExpectations, nowMs: number): Principal {
  if (response.active !== true) throw new PorticoError('AUTH_TOKEN_INACTIVE');
  const toleranceMs = (expect.clockToleranceSec ?? DEFAULT_INTROSPECTION_CLOCK_TOLERANCE_SEC) * 1000;
  if (typeof response.exp === 'number' && response.exp * 1000 + toleranceMs <= nowMs) throw new PorticoError('AUTH_TOKEN_EXPIRED');
  if (typeof response.nbf === 'number' && response.nbf * 1000 - toleranceMs > nowMs) throw new PorticoError('AUTH_TOKEN_NOT_YET_VALID');
  if (expect.issuer !== undefined) {
    const accepted = typeof expect.issuer === 'string' ? [expect.issuer] : expect.issuer;
    if (typeof response.iss !== 'string' || !accepted.includes(response.iss)) throw new PorticoError('AUTH_TOKEN_WRONG_ISSUER');
  }
  if (expect.audience !== undefined) {
    const accepted = typeof expect.audience === 'string' ? [expect.audience] : expect.audience;
    if (!stringList(response.aud).some((a) => accepted.includes(a))) throw new PorticoError('AUTH_TOKEN_WRONG_AUDIENCE');
  }
  const sub = nonEmptyString(response.sub) ?? nonEmptyString(response.username);
  const clientId = nonEmptyString(response.client_id);
  const id = sub ?? clientId;
  if (!id) throw new PorticoError('AUTH_TOKEN_INVALID', 'The introspected token names neither a subject nor a client.');
  const tenant = nonEmptyString(response[expect.tenantClaim ?? DEFAULT_TENANT_CLAIM]);
  return {
    kind: sub ? 'user' : 'client',
    id,
    scopes: stringList(response.scope),
    roles: stringList(response[expect.rolesClaim ?? DEFAULT_ROLES_CLAIM]),
    ...(tenant ? { tenant } : {}),
    ...(clientId ? { clientId } : {}),
    plan: nonEmptyString(response.plan) ?? 'default',
    method: 'introspection',
  };
}

/** Pure: how long an active answer may be reused, in ms: until `exp` (no tolerance), at most `maxTtlMs`; 0 means not at all. */
export function positiveCacheTtlMs(expSec: unknown, nowMs: number, maxTtlMs: number): number {
  const untilExp = typeof expSec === 'number' ? expSec * 1000 - nowMs : Number.POSITIVE_INFINITY;
  return Math.max(0, Math.min(maxTtlMs, untilExp));
}

/** A remembered answer: the principal, or the 401 the token earned. */
type Verdict = { principal: Principal } | { rejection: { code: ErrorCode; message: string } };

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** Pure: the `Authorization` header for the gateway's client credentials (RFC 6749 §2.3.1: form-encoded, then Basic). */
export function basicCredentials(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
}

class EndpointFailure extends Error {
  constructor(
    readonly outcome: Exclude<IntrospectionOutcome, 'active' | 'inactive'>,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IntrospectionEndpointFailure';
  }
}

export function createIntrospectionVerifier(opts: IntrospectionOptions, observer: IntrospectionObserver = {}): IntrospectionVerifier {
  const endpoint = new URL(opts.endpoint);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_INTROSPECTION_TIMEOUT_MS;
  const maxCacheTtlMs = opts.maxCacheTtlMs ?? DEFAULT_INTROSPECTION_MAX_CACHE_TTL_MS;
  const negativeCacheTtlMs = opts.negativeCacheTtlMs ?? DEFAULT_INTROSPECTION_NEGATIVE_CACHE_TTL_MS;
  const now = opts.now ?? Date.now;
  const expectations: IntrospectionExpectations = {
    ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
    ...(opts.issuer !== undefined ? { issuer: opts.issuer } : {}),
    ...(opts.clockToleranceSec !== undefined ? { clockToleranceSec: opts.clockToleranceSec } : {}),
    ...(opts.tenantClaim ? { tenantClaim: opts.tenantClaim } : {}),
    ...(opts.rolesClaim ? { rolesClaim: opts.rolesClaim } : {}),
  };
  const authorization = basicCredentials(opts.clientId, opts.clientSecret);
  const pool = createUpstreamPool(endpoint.origin, {
    connections: opts.connections ?? DEFAULT_INTROSPECTION_CONNECTIONS,
    connectTimeoutMs: timeoutMs,
    headersTimeoutMs: timeoutMs,
    bodyTimeoutMs: timeoutMs,
    keepAliveTimeoutMs: KEEP_ALIVE_MS,
  });
  const client = createUpstream({ name: 'introspection', endpoints: singleOriginEndpoints(endpoint.origin, pool), maxRetries: 0 });
  const maxEntries = opts.cacheMaxEntries ?? DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES;
  // Entries expire on the verifier's clock (`now`), checked on every read; 0 entries turns caching off.
  const cache = maxEntries > 0 ? new LRUCache<string, Verdict>({ max: maxEntries, perf: { now }, ttlResolution: 0 }) : undefined;
  const inFlight = new Map<string, Promise<Verdict>>();

  async function callEndpoint(token: string, trace: TraceScope | undefined): Promise<IntrospectionResponse> {
    let statusCode: number;
    let text: string;
    try {
      ({ statusCode, body: text } = await client.call({
        method: 'POST',
        path: `${endpoint.pathname}${endpoint.search}`,
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        idempotent: false,
        // One deadline for the whole call; the pool's own timeouts cover each phase.
        deadlineMs: timeoutMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        ...(trace ? { trace: { parent: trace } } : {}),
      }));
    } catch (err) {
      if (isPorticoError(err) && err.code === 'UPSTREAM_TIMEOUT') throw new EndpointFailure('timeout', `the introspection endpoint did not answer within ${timeoutMs} ms`, { cause: err });
      throw new EndpointFailure('error', 'the introspection endpoint could not be reached', { cause: err });
    }
    if (statusCode === 401 || statusCode === 403) {
      throw new EndpointFailure('unauthorized', `the introspection endpoint refused the gateway's client credentials (HTTP ${statusCode}); check the configured client id and secret`);
    }
    if (statusCode !== 200) throw new EndpointFailure('error', `the introspection endpoint answered HTTP ${statusCode}`);
    try {
      return readIntrospectionResponse(JSON.parse(text));
    } catch (err) {
      throw new EndpointFailure('error', 'the introspection endpoint answered with something that is not an introspection response', { cause: err });
    }
  }

  async function introspect(key: string, token: string, trace: TraceScope | undefined): Promise<Verdict> {
    let response: IntrospectionResponse;
    try {
      response = await callEndpoint(token, trace);
    } catch (err) {
      const failure = err as EndpointFailure;
      observer.onCall?.(failure.outcome);
      observer.onEndpointFailure?.(failure.outcome, failure);
      throw new PorticoError('AUTH_INTROSPECTION_UNAVAILABLE', undefined, { cause: failure });
    }
    observer.onCall?.(response.active ? 'active' : 'inactive');
    const at = now();
    try {
      const principal = principalFromIntrospection(response, expectations, at);
      const ttl = positiveCacheTtlMs(response.exp, at, maxCacheTtlMs);
      if (ttl > 0) cache?.set(key, { principal }, { ttl });
      return { principal };
    } catch (err) {
      const rejection = err as PorticoError;
      const verdict: Verdict = { rejection: { code: rejection.code, message: rejection.message } };
      if (negativeCacheTtlMs > 0) cache?.set(key, verdict, { ttl: negativeCacheTtlMs });
      return verdict;
    }
  }

  const settle = (verdict: Verdict): Principal => {
    if ('principal' in verdict) return verdict.principal;
    throw new PorticoError(verdict.rejection.code, verdict.rejection.message);
  };

  return {
    async verify(token, trace) {
      if (token.length > MAX_OPAQUE_TOKEN_LENGTH) throw new PorticoError('AUTH_TOKEN_INVALID', 'The bearer token is too long.');
      const key = tokenCacheKey(token);
      const cached = cache?.get(key);
      if (cached) {
        observer.onCache?.('principal' in cached ? 'hit' : 'negative_hit');
        return settle(cached);
      }
      const pending = inFlight.get(key);
      if (pending) {
        observer.onCache?.('shared');
        return settle(await pending);
      }
      observer.onCache?.('miss');
      const call = introspect(key, token, trace).finally(() => inFlight.delete(key));
      inFlight.set(key, call);
      return settle(await call);
    },
    close: () => pool.close(),
  };
}
