/**
 * The demo authorization server's core, without HTTP: registered clients, issued opaque
 * access tokens, their introspection (RFC 7662) and revocation (RFC 7009). Tokens are
 * random 256-bit strings kept only as SHA-256 hashes; the clock is injected.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type GrantType = 'client_credentials' | 'password';

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  /** Grants it may use at the token endpoint; empty for a pure resource server. */
  grants: readonly GrantType[];
  /** Scopes its tokens may carry; a token request without `scope` gets all of them. */
  scopes: readonly string[];
  /** May call the introspection endpoint (resource servers such as the gateway). */
  introspect?: boolean;
  /** `plan` claim of its tokens (Portico sizes rate limits by it). */
  plan?: string;
  /** `aud` of its tokens: the APIs they are for. Default: the server's audience. */
  audience?: string | readonly string[];
}

export interface DemoUser {
  username: string;
  password: string;
  /** Stable user id, the `sub` of the user's tokens. */
  sub: string;
  roles: readonly string[];
  tenant?: string;
}

/** What is remembered about an issued token. */
export interface TokenRecord {
  clientId: string;
  scope: readonly string[];
  sub?: string;
  username?: string;
  roles?: readonly string[];
  tenant?: string;
  plan?: string;
  /** `aud` of the token, when its client names one. */
  audience?: string | readonly string[];
  /** Seconds since the epoch. */
  issuedAt: number;
  /** Seconds since the epoch. */
  expiresAt: number;
  revoked: boolean;
}

/** The RFC 7662 answer for a token. */
export type IntrospectionAnswer = { active: false } | ({ active: true } & Record<string, unknown>);

export interface TokenStoreOptions {
  /** `iss` of issued tokens. */
  issuer: string;
  /** `aud` of issued tokens. */
  audience: string;
  /** Lifetime of issued tokens, in seconds. Default 3,600. */
  tokenTtlSec?: number;
  /** Most tokens kept; expired ones are dropped first, then the oldest. Default 100,000. */
  maxTokens?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

export const DEFAULT_TOKEN_TTL_SEC = 3_600;
export const DEFAULT_MAX_TOKENS = 100_000;

export interface TokenStore {
  /** Issues a token; returns it (shown once) with its record. */
  issue(fields: Omit<TokenRecord, 'issuedAt' | 'expiresAt' | 'revoked'>): { token: string; record: TokenRecord };
  /** `{ active: false }` for unknown, expired and revoked tokens. */
  introspect(token: string): IntrospectionAnswer;
  /** Revokes a token issued to `clientId`; unknown tokens are `unknown`, another client's `not-owner`. */
  revoke(token: string, clientId: string): 'revoked' | 'unknown' | 'not-owner';
  readonly size: number;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createTokenStore(options: TokenStoreOptions): TokenStore {
  const { issuer, audience, tokenTtlSec = DEFAULT_TOKEN_TTL_SEC, maxTokens = DEFAULT_MAX_TOKENS, now = Date.now } = options;
  const tokens = new Map<string, TokenRecord>();
  const nowSec = () => Math.floor(now() / 1000);

  const makeRoom = () => {
    if (tokens.size < maxTokens) return;
    const at = nowSec();
    for (const [hash, record] of tokens) if (record.expiresAt <= at) tokens.delete(hash);
    while (tokens.size >= maxTokens) tokens.delete(tokens.keys().next().value as string);
  };

  return {
    issue(fields) {
      makeRoom();
      const token = randomBytes(32).toString('base64url');
      const issuedAt = nowSec();
      const record: TokenRecord = { ...fields, issuedAt, expiresAt: issuedAt + tokenTtlSec, revoked: false };
      tokens.set(hashToken(token), record);
      return { token, record };
    },
    introspect(token) {
      const record = tokens.get(hashToken(token));
      if (!record || record.revoked || record.expiresAt <= nowSec()) return { active: false };
      return {
        active: true,
        scope: record.scope.join(' '),
        client_id: record.clientId,
        token_type: 'Bearer',
        exp: record.expiresAt,
        iat: record.issuedAt,
        nbf: record.issuedAt,
        iss: issuer,
        aud: record.audience ?? audience,
        ...(record.sub ? { sub: record.sub } : {}),
        ...(record.username ? { username: record.username } : {}),
        ...(record.roles ? { roles: [...record.roles] } : {}),
        ...(record.tenant ? { tenant: record.tenant } : {}),
        ...(record.plan ? { plan: record.plan } : {}),
      };
    },
    revoke(token, clientId) {
      const record = tokens.get(hashToken(token));
      if (!record) return 'unknown';
      if (record.clientId !== clientId) return 'not-owner';
      record.revoked = true;
      return 'revoked';
    },
    get size() {
      return tokens.size;
    },
  };
}

/** Constant-time comparison of a presented secret with the expected one. */
export function sameSecret(presented: string, expected: string): boolean {
  // Hashes have equal length, so the comparison time says nothing about the secret.
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(expected).digest());
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * The client a request authenticates as, from HTTP Basic (form-encoded id and secret,
 * RFC 6749 §2.3.1) or `client_id`/`client_secret` in the body; undefined when the
 * credentials are missing, malformed or wrong.
 */
export function authenticateClient(authorization: string | undefined, body: Record<string, string>, clients: readonly RegisteredClient[]): RegisteredClient | undefined {
  let id: string | undefined;
  let secret: string | undefined;
  if (authorization !== undefined) {
    const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(authorization.trim());
    if (!match) return undefined;
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    try {
      id = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      return undefined;
    }
  } else {
    id = body.client_id;
    secret = body.client_secret;
  }
  if (!id || secret === undefined) return undefined;
  const client = clients.find((c) => c.clientId === id);
  // Compared even for unknown ids, so timing does not reveal which clients exist.
  const ok = sameSecret(secret, client?.clientSecret ?? '\u0000unknown client');
  return client && ok ? client : undefined;
}

/** Pure: the scopes a token request gets: all the client's when none are asked for; undefined when one is not allowed. */
export function grantedScopes(requested: string | undefined, allowed: readonly string[]): string[] | undefined {
  if (requested === undefined) return [...allowed];
  const asked = requested.split(' ').filter(Boolean);
  return asked.every((s) => allowed.includes(s)) ? asked : undefined;
}
