/**
 * The demo authorization server's HTTP side (a Fastify app, not listening): issues opaque
 * access tokens, introspects them for resource servers such as the Portico BFFs, and
 * revokes them. Every endpoint takes `application/x-www-form-urlencoded` bodies and
 * answers OAuth errors as `{ error, error_description }`.
 *
 *   POST /oauth/token       client_credentials, or password for the demo users
 *   POST /oauth/introspect  RFC 7662; clients registered as resource servers only
 *   POST /oauth/revoke      RFC 7009; a client revokes its own tokens
 *   GET  /.well-known/oauth-authorization-server, GET /healthz
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  authenticateClient,
  createTokenStore,
  grantedScopes,
  sameSecret,
  type DemoUser,
  type RegisteredClient,
  type TokenStore,
} from './token-store';

export interface AuthorizationServerOptions {
  clients: readonly RegisteredClient[];
  users?: readonly DemoUser[];
  /** `iss` of issued tokens. */
  issuer: string;
  /** `aud` of issued tokens. */
  audience: string;
  /** Lifetime of issued tokens, in seconds. Default 3,600. */
  tokenTtlSec?: number;
  /** pino log level. Default 'silent'. */
  logLevel?: string;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

/** An OAuth error response (RFC 6749 §5.2). */
export class OAuthError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

const FORM = 'application/x-www-form-urlencoded';
const BASIC_CHALLENGE = 'Basic realm="portico-demo-authorization-server", charset="UTF-8"';

type FormBody = Record<string, string>;

/** Pure: a form body as single-valued parameters; RFC 6749 §3.2 forbids repeating one. */
export function parseForm(text: string): FormBody {
  const params = new URLSearchParams(text);
  const out: FormBody = {};
  for (const [name, value] of params) {
    if (Object.prototype.hasOwnProperty.call(out, name)) throw new OAuthError(400, 'invalid_request', `Parameter '${name}' is repeated.`);
    out[name] = value;
  }
  return out;
}

export function createAuthorizationServer(options: AuthorizationServerOptions): { app: FastifyInstance; tokens: TokenStore } {
  const { clients, users = [], issuer, audience } = options;
  const tokens = createTokenStore({ issuer, audience, ...(options.tokenTtlSec ? { tokenTtlSec: options.tokenTtlSec } : {}), ...(options.now ? { now: options.now } : {}) });
  const app = Fastify({ logger: { level: options.logLevel ?? 'silent' }, bodyLimit: 16_384 });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (err instanceof OAuthError) {
      if (err.error === 'invalid_client') reply.header('www-authenticate', BASIC_CHALLENGE);
      return reply.code(err.statusCode).header('cache-control', 'no-store').send({ error: err.error, error_description: err.message });
    }
    const status = err.statusCode;
    if (status && status >= 400 && status < 500) {
      const description = status === 415 ? `Send the parameters as ${FORM}.` : status === 413 ? 'The request body is too large.' : 'The request is malformed.';
      return reply.code(status === 415 || status === 413 ? status : 400).send({ error: 'invalid_request', error_description: description });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'server_error', error_description: 'The authorization server failed to handle the request.' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', error_description: `Route ${request.method} ${request.url.split('?')[0]} does not exist.` }));

  const formOf = (request: FastifyRequest): FormBody => {
    if (!request.body || typeof request.body !== 'object') throw new OAuthError(400, 'invalid_request', `Send the parameters as ${FORM}.`);
    return request.body as FormBody;
  };
  const clientOf = (request: FastifyRequest, form: FormBody): RegisteredClient => {
    const client = authenticateClient(request.headers.authorization, form, clients);
    if (!client) throw new OAuthError(401, 'invalid_client', 'Client authentication failed.');
    return client;
  };
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

  app.post('/oauth/token', async (request, reply) => {
    const form = formOf(request);
    const client = clientOf(request, form);
    const grant = form.grant_type;
    if (!grant) throw new OAuthError(400, 'invalid_request', "Parameter 'grant_type' is required.");
    if (grant !== 'client_credentials' && grant !== 'password') throw new OAuthError(400, 'unsupported_grant_type', `Grant '${grant}' is not supported.`);
    if (!client.grants.includes(grant)) throw new OAuthError(400, 'unauthorized_client', `This client may not use the '${grant}' grant.`);
    const scope = grantedScopes(form.scope, client.scopes);
    if (!scope) throw new OAuthError(400, 'invalid_scope', 'A requested scope is not allowed for this client.');
    let user: DemoUser | undefined;
    if (grant === 'password') {
      if (!form.username || form.password === undefined) throw new OAuthError(400, 'invalid_request', "Parameters 'username' and 'password' are required.");
      const candidate = users.find((u) => u.username === form.username);
      const ok = sameSecret(form.password, candidate?.password ?? '\u0000unknown user');
      if (!candidate || !ok) throw new OAuthError(400, 'invalid_grant', 'The username or password is wrong.');
      user = candidate;
    }
    const { token, record } = tokens.issue({
      clientId: client.clientId,
      scope,
      ...(user ? { sub: user.sub, username: user.username, roles: user.roles, ...(user.tenant ? { tenant: user.tenant } : {}) } : {}),
      ...(client.plan ? { plan: client.plan } : {}),
      ...(client.audience ? { audience: client.audience } : {}),
    });
    noStore(reply);
    return { access_token: token, token_type: 'Bearer', expires_in: record.expiresAt - record.issuedAt, scope: scope.join(' ') };
  });

  app.post('/oauth/introspect', async (request, reply) => {
    const form = formOf(request);
    const client = clientOf(request, form);
    if (!client.introspect) throw new OAuthError(403, 'unauthorized_client', 'This client may not introspect tokens.');
    if (!form.token) throw new OAuthError(400, 'invalid_request', "Parameter 'token' is required.");
    noStore(reply);
    return tokens.introspect(form.token);
  });

  app.post('/oauth/revoke', async (request, reply) => {
    const form = formOf(request);
    const client = clientOf(request, form);
    if (!form.token) throw new OAuthError(400, 'invalid_request', "Parameter 'token' is required.");
    // Unknown tokens are answered like revoked ones (RFC 7009 §2.2): nothing to learn from the answer.
    if (tokens.revoke(form.token, client.clientId) === 'not-owner') throw new OAuthError(400, 'unauthorized_client', 'The token was issued to another client.');
    noStore(reply);
    return reply.code(200).send();
  });

  app.get('/.well-known/oauth-authorization-server', async (request) => {
    const base = `${request.protocol}://${request.host}`;
    return {
      issuer,
      token_endpoint: `${base}/oauth/token`,
      introspection_endpoint: `${base}/oauth/introspect`,
      revocation_endpoint: `${base}/oauth/revoke`,
      grant_types_supported: ['client_credentials', 'password'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    };
  });
  app.get('/healthz', async () => ({ status: 'ok', service: 'authorization-server' }));

  return { app, tokens };
}
