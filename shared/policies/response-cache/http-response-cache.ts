/**
 * Caching of REST GET responses by the upstream's own HTTP caching headers (RFC 9111
 * semantics from http-cache-semantics): `public`/`max-age`/`s-maxage`/`Expires` allow a
 * shared entry, `private` an entry for the calling principal only, `no-store` nothing.
 * Only explicit freshness counts (no heuristic caching), and a response that sets a cookie
 * is never stored. Pure: the Fastify wiring lives with the REST facade.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import CachePolicy from 'http-cache-semantics';

export interface CacheRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface CacheResponse {
  status: number;
  headers: IncomingHttpHeaders | OutgoingHttpHeaders;
}

/** Who may be served an entry: everyone (`shared`) or one principal. */
export type EntryScope = { kind: 'shared' } | { kind: 'private'; principal: string };

export interface StoredResponse {
  policy: CachePolicy.CachePolicyObject;
  status: number;
  /** The body, base64. */
  body: string;
}

const POLICY_OPTIONS = { cacheHeuristic: 0, immutableMinTimeToLive: 0 } as const;

/** The store key of a GET for one scope: method, URL with its query, and the scope. */
export function httpCacheKey(request: Pick<CacheRequest, 'method' | 'url'>, scope: EntryScope): string {
  const parts = [request.method, request.url, scope.kind === 'private' ? scope.principal : ''];
  return `rest:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`;
}

function asPolicyHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders): CachePolicy.Headers {
  const out: CachePolicy.Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/**
 * Where a response may be stored, and for how long (ms); undefined when it may not be.
 * Anonymous callers only get shared entries; a `private` response is stored for the
 * principal that received it.
 */
export function storageDecision(request: CacheRequest, response: CacheResponse, principal: string | undefined): { scope: EntryScope; policy: CachePolicy; ttlMs: number } | undefined {
  if (request.method !== 'GET' || response.status !== 200) return undefined;
  if (response.headers['set-cookie'] !== undefined) return undefined;
  const req = { method: request.method, url: request.url, headers: asPolicyHeaders(request.headers) };
  const res = { status: response.status, headers: asPolicyHeaders(response.headers) };
  const shared = new CachePolicy(req, res, { ...POLICY_OPTIONS, shared: true });
  if (shared.storable() && shared.timeToLive() > 0) return { scope: { kind: 'shared' }, policy: shared, ttlMs: shared.timeToLive() };
  if (principal === undefined) return undefined;
  const own = new CachePolicy(req, res, { ...POLICY_OPTIONS, shared: false });
  if (own.storable() && own.timeToLive() > 0) return { scope: { kind: 'private', principal }, policy: own, ttlMs: own.timeToLive() };
  return undefined;
}

export function serializeEntry(policy: CachePolicy, status: number, body: Buffer): string {
  const entry: StoredResponse = { policy: policy.toObject(), status, body: body.toString('base64') };
  return JSON.stringify(entry);
}

/**
 * The response to serve from a stored entry for this request, or undefined when it cannot
 * be served as is (stale, a different `Vary` value, the client asked for a fresh answer, or
 * an unreadable entry). Headers come back with `Age` brought up to date.
 */
export function servableEntry(text: string, request: CacheRequest): { status: number; headers: OutgoingHttpHeaders; body: Buffer } | undefined {
  let entry: StoredResponse;
  try {
    entry = JSON.parse(text) as StoredResponse;
  } catch {
    return undefined;
  }
  if (!entry || typeof entry !== 'object' || typeof entry.body !== 'string' || typeof entry.status !== 'number') return undefined;
  let policy: CachePolicy;
  try {
    policy = CachePolicy.fromObject(entry.policy);
  } catch {
    return undefined;
  }
  if (!policy.satisfiesWithoutRevalidation({ method: request.method, url: request.url, headers: asPolicyHeaders(request.headers) })) return undefined;
  return { status: entry.status, headers: policy.responseHeaders() as OutgoingHttpHeaders, body: Buffer.from(entry.body, 'base64') };
}
