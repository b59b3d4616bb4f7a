/**
 * Stage 2 of the pipeline, authentication: turns a bearer token (a JWT, or an opaque token
 * checked by introspection) or an API key into `request.principal`, or answers 401/403.
 * Public routes (health, readiness, metrics) are declared explicitly; a route can require
 * scopes through its `config.auth`.
 */
import { warmUpJwtVerifier, warmUpPrincipal } from '../../warm-up-request';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { PorticoError } from '../../errors';
import { API_KEY_HEADER, createApiKeyVerifier, type ApiKeyCacheOptions, type ApiKeyStore } from './api-key';
import { looksLikeJws, parseBearerJwt, parseBearerToken } from './bearer';
import type { IntrospectionVerifier } from './introspection';
import type { JwtVerifier } from './jwt';
import type { Principal, PrincipalKind } from './principal';

/** What a route demands of its caller; set as `config: { auth: {...} }` on the route. */
export interface AuthRequirement {
  /** Anyone may call it; credentials are not even read. */
  public?: boolean;
  /**
   * Requests this predicate accepts are public (credentials are not read); the route must
   * answer them with public content only. Used for the GraphQL IDE page in development.
   */
  publicWhen?: (request: FastifyRequest) => boolean;
  /** Every one of these scopes must be granted. */
  scopes?: readonly string[];
}

export const DEFAULT_PUBLIC_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];
export const DEFAULT_REALM = 'portico';

export interface AuthnPluginOptions {
  /** Verifies bearer JWTs; absent (with `introspection` absent too) means bearer tokens are not accepted. */
  jwt?: JwtVerifier;
  /** Checks opaque bearer tokens with the authorization server (with `jwt` too: every token that is not JWS-shaped). */
  introspection?: Pick<IntrospectionVerifier, 'verify'>;
  /** Looks up API keys sent in `x-api-key`; absent means API keys are not accepted. */
  apiKeys?: ApiKeyStore;
  /** How verified API keys are remembered (count, TTL: how long a key revoked in Redis keeps working). Default 10,000 keys for 1 s. */
  apiKeyCache?: ApiKeyCacheOptions;
  /** Route patterns that need no credentials. Default `/healthz`, `/readyz`, `/metrics`. */
  publicPaths?: readonly string[];
  /**
   * Kinds of verified principals this BFF serves (`user`: end users of first-party apps;
   * `client`: partner integrations). Others are refused with 401 AUTH_PRINCIPAL_KIND_NOT_ACCEPTED,
   * so a token minted for one BFF is not a pass to another. Default: every kind.
   */
  principalKinds?: readonly PrincipalKind[];
  /** Realm in `WWW-Authenticate`. Default `portico`. */
  realm?: string;
  /** Called with the error code of every rejected request (metrics). */
  onFailure?: (code: string) => void;
}

/**
 * Pure: which verifier a bearer token goes to. With both configured, a token shaped like a
 * compact JWS (three base64url segments) is a JWT and anything else is opaque; with one
 * configured, every token goes to it.
 */
export function bearerMethodFor(token: string, configured: { jwt: boolean; introspection: boolean }): 'jwt' | 'introspection' | undefined {
  if (configured.jwt && (!configured.introspection || looksLikeJws(token))) return 'jwt';
  return configured.introspection ? 'introspection' : undefined;
}

function challenge(opts: AuthnPluginOptions, realm: string, error?: { code: string; description: string; scope?: string }): string {
  const schemes: string[] = [];
  if (opts.jwt || opts.introspection) {
    let bearer = `Bearer realm="${realm}"`;
    if (error) bearer += `, error="${error.code}", error_description="${error.description}"`;
    if (error?.scope) bearer += `, scope="${error.scope}"`;
    schemes.push(bearer);
  }
  if (opts.apiKeys) {
    let apiKey = `ApiKey realm="${realm}", header="${API_KEY_HEADER}"`;
    if (error) apiKey += `, error="${error.code}"`;
    if (error?.scope) apiKey += `, scope="${error.scope}"`;
    schemes.push(apiKey);
  }
  return schemes.join(', ');
}

/** What `credentials` found: nothing to check (a public route, or no route), or the principal (maybe still being verified). */
const NOT_GUARDED = Symbol('not guarded');
type Credentials = typeof NOT_GUARDED | Principal | Promise<Principal> | undefined;

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

export const authnPlugin = fp<AuthnPluginOptions>(
  async function authn(app: FastifyInstance, opts) {
    const publicPaths = new Set(opts.publicPaths ?? DEFAULT_PUBLIC_PATHS);
    const realm = opts.realm ?? DEFAULT_REALM;
    const kinds = opts.principalKinds ? new Set(opts.principalKinds) : undefined;
    const apiKeys = opts.apiKeys ? createApiKeyVerifier(opts.apiKeys, opts.apiKeyCache) : undefined;

    const rejection = (error: PorticoError, header: string): PorticoError => {
      opts.onFailure?.(error.code);
      return new PorticoError(error.code, error.message, { cause: error.cause, headers: { 'www-authenticate': header } });
    };

    /** The request's credentials, verified or on their way; throws for malformed ones. */
    function credentials(request: FastifyRequest): Credentials {
      const requirement = request.routeOptions.config?.auth;
      const route = request.routeOptions.url;
      if (requirement?.public || (route !== undefined && publicPaths.has(route)) || requirement?.publicWhen?.(request)) return NOT_GUARDED;
      // No route matched: the answer is 404 whoever asks, and nothing is called.
      if (request.is404) return NOT_GUARDED;

      const authorization = request.headers.authorization;
      const apiKey = request.headers[API_KEY_HEADER];
      if (authorization !== undefined && (opts.jwt || opts.introspection)) {
        const token = opts.introspection ? parseBearerToken(authorization) : parseBearerJwt(authorization);
        if (!token) throw new PorticoError('AUTH_TOKEN_INVALID', `The Authorization header must be \`Bearer <${opts.introspection ? 'token' : 'JWT'}>\`.`);
        const method = bearerMethodFor(token, { jwt: Boolean(opts.jwt), introspection: Boolean(opts.introspection) });
        // The BFF's own warm-up requests (never a client's: warm-up-request.ts) are verified
        // through this same call, by a verifier trusting only the warm-up's own key. The
        // client's choice is made for them too, so that it is compiled before clients come.
        const clientVerifier = method === 'jwt' ? opts.jwt : opts.introspection;
        const verifier = request.warmUp ? warmUpJwtVerifier() : clientVerifier;
        if (!verifier) throw new PorticoError('AUTH_TOKEN_INVALID');
        // Tracing on: the authentication stage's span parents a key fetch or an introspection call.
        const trace = request.traceStages?.at(-1) ?? request.trace;
        return trace ? verifier.verify(token, trace) : verifier.verify(token);
      }
      if (apiKey !== undefined && apiKeys) {
        if (typeof apiKey !== 'string') throw new PorticoError('AUTH_API_KEY_INVALID', 'Send exactly one x-api-key header.');
        return apiKeys.verify(apiKey);
      }
      if (request.warmUp) return warmUpPrincipal();
      return undefined;
    }

    /** The error answered for credentials that failed verification. */
    function verificationFailed(err: unknown): PorticoError {
      const error = err instanceof PorticoError ? err : new PorticoError('AUTH_TOKEN_INVALID', undefined, { cause: err });
      // Unavailable keys or introspection are our problem, not the client's token: 503 without a challenge.
      if (error.statusCode >= 500) {
        opts.onFailure?.(error.code);
        return error;
      }
      return rejection(error, challenge(opts, realm, { code: 'invalid_token', description: error.message.replace(/"/g, "'") }));
    }

    /** Pure: whether a verified principal may call a route needing `scopes` (its kind served, every scope granted). */
    function admits(principal: Principal, scopes: readonly string[] | undefined): boolean {
      if (kinds && !kinds.has(principal.kind)) return false;
      return scopes === undefined || scopes.every((s) => principal.scopes.includes(s));
    }

    /** Sets the verified principal, or returns why the request is refused (none, another kind, missing scopes). */
    function admit(request: FastifyRequest, principal: Principal | undefined): PorticoError | undefined {
      if (!principal) return rejection(new PorticoError('AUTH_REQUIRED'), challenge(opts, realm));
      request.principal = principal;
      // The BFF's own warm-up requests (warm-up-request.ts) are of no kind a BFF may refuse.
      if (kinds && !request.warmUp && !kinds.has(principal.kind)) {
        const served = [...kinds].map((k) => (k === 'user' ? 'end users' : 'partner integrations')).join(' and ');
        return rejection(
          new PorticoError('AUTH_PRINCIPAL_KIND_NOT_ACCEPTED', `These credentials identify a ${principal.kind === 'user' ? 'user' : 'client'}; this API serves ${served} only.`),
          challenge(opts, realm, { code: 'invalid_token', description: 'The credentials are for another kind of client.' }),
        );
      }
      const scopes = request.routeOptions.config?.auth?.scopes;
      if (scopes === undefined || scopes.length === 0) return undefined;
      const missing = scopes.filter((s) => !principal.scopes.includes(s));
      if (missing.length === 0) return undefined;
      return rejection(
        new PorticoError('FORBIDDEN', `Missing scope(s): ${missing.join(', ')}.`),
        challenge(opts, realm, { code: 'insufficient_scope', description: 'The token lacks a required scope.', scope: missing.join(' ') }),
      );
    }

    // Callback-style: a key answered from memory costs no promise; token verification still awaits.
    function authenticate(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
      let found: Credentials;
      try {
        found = credentials(request);
      } catch (err) {
        done(verificationFailed(err));
        return;
      }
      if (found === NOT_GUARDED) {
        done();
        return;
      }
      if (!isPromise(found)) {
        done(admit(request, found));
        return;
      }
      found.then(
        (principal) => done(admit(request, principal)),
        (err: unknown) => done(verificationFailed(err)),
      );
    }

    app.decorateRequest('principal', undefined);
    app.addHook('onRequest', authenticate);
    // The passthrough fast path admits only keys verified within the cache TTL; everything else comes here.
    if (app.fastPathParts) {
      app.fastPathParts.authn = { ...(apiKeys ? { apiKeyCached: (key: string) => apiKeys.cached(key) } : {}), admits, publicRoutes: publicPaths };
    }
  },
  { name: 'portico-authn' },
);
