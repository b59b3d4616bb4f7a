/**
 * Header hygiene around authentication, in two hooks:
 * - before anything else, every client-sent identity header is removed (any case,
 *   underscores, repeated), and counted;
 * - in the transform stage, after rate limiting, the verified identity becomes
 *   `request.upstreamHeaders`, which every upstream call (subgraphs, REST passthrough,
 *   aggregates) sends. The client's Authorization header is not part of it: routes that
 *   need it upstream opt in with `config.forwardAuthorization`.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { cachedIdentityHeadersFor, createIdentityHeaderMatcher, NO_IDENTITY_HEADERS, stripIdentityHeaders, stripRawIdentityHeaders } from './identity-headers';

export interface HeaderHygieneOptions {
  /** Extra header names treated as identity headers (stripped from clients). */
  extraIdentityHeaders?: readonly string[];
  /** Called with how many headers were stripped from one request (metrics, logs). */
  onStripped?: (count: number) => void;
}

/** Registered first: nothing later in the pipeline may see a client-sent identity header. */
export const stripIdentityHeadersPlugin = fp<HeaderHygieneOptions>(
  async function stripIdentity(app: FastifyInstance, opts) {
    const isIdentityHeader = createIdentityHeaderMatcher(opts.extraIdentityHeaders);
    app.decorateRequest('upstreamHeaders', null as unknown as Record<string, string>);
    // A request carrying any of them goes through this hook, so the stripping is logged and counted.
    if (app.fastPathParts) app.fastPathParts.isIdentityHeader = isIdentityHeader;
    app.addHook('onRequest', (request, _reply, done) => {
      request.upstreamHeaders = NO_IDENTITY_HEADERS;
      const removed = stripIdentityHeaders(request.headers, isIdentityHeader);
      if (removed.length > 0) {
        stripRawIdentityHeaders(request.raw.rawHeaders, isIdentityHeader);
        // The BFF's own warm-up requests have had their marker taken out already (warm-up-request.ts);
        // anything else they carried is removed, neither logged nor counted.
        if (!request.warmUp) {
          request.log.info({ headers: removed }, 'client-sent identity headers removed');
          opts.onStripped?.(removed.length);
        }
      }
      done();
    });
  },
  { name: 'portico-strip-identity-headers' },
);

/** Registered after rate limiting: the verified identity, as headers for upstreams. */
export const injectIdentityHeadersPlugin = fp(
  async function injectIdentity(app: FastifyInstance) {
    app.addHook('onRequest', (request, _reply, done) => {
      if (request.principal) request.upstreamHeaders = cachedIdentityHeadersFor(request.principal);
      done();
    });
  },
  { name: 'portico-inject-identity-headers', dependencies: ['portico-strip-identity-headers'] },
);
