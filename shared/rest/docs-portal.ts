/**
 * `GET /docs`: the developer portal of a REST facade, Swagger UI (`@fastify/swagger-ui`)
 * over each version's OpenAPI document, with a version switch, try-it against this origin,
 * and every asset served from the npm package (nothing from a CDN, so it works on a closed
 * network). `/docs/json` and `/docs/yaml` are the current version's document.
 *
 * The page is same-origin with the API: try-it sends the key or token the reader pastes
 * (`x-api-key` or `Authorization`) to this origin, so no CORS is involved, and since no
 * credential is a cookie a cross-site page cannot make a request that carries one (no CSRF).
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { RouteTable } from './route-table';

export const DOCS_PREFIX = '/docs';

/**
 * The portal's content security policy, on `/docs` routes only (API answers render nothing
 * and keep none). Swagger UI's page has no inline script or style and its bundle needs no
 * eval, so everything is `'self'`; `data:` images are the icons inside its stylesheet;
 * `connect-src 'self'` lets try-it call this origin and nothing else.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DocsPortalOptions {
  title: string;
  /** The versions, oldest first; the last is shown first and served at `/docs/json`. */
  versions: ReadonlyArray<{ table: RouteTable; document: Record<string, unknown> }>;
}

/** Pure: Swagger UI's definitions list, newest version first (the one shown on opening), the deprecated ones marked. */
export function versionSwitch(tables: readonly RouteTable[]): Array<{ url: string; name: string }> {
  return [...tables].reverse().map((t) => ({ url: `/${t.version}/openapi.json`, name: t.deprecation ? `${t.version} (deprecated, sunset ${t.deprecation.sunset})` : t.version }));
}

/** Registers the portal in its own context: every route of it is public and carries the portal's CSP. */
export async function docsPortalPlugin(app: FastifyInstance, opts: DocsPortalOptions): Promise<void> {
  const current = opts.versions[opts.versions.length - 1];
  if (!current) return;
  // Swagger UI's routes and its static assets are registered by the plugins: mark them all public here.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object | undefined), auth: { public: true } } as typeof route.config;
  });
  await app.register(fastifySwagger, { mode: 'static', specification: { document: current.document as never } });
  const definitions = versionSwitch(opts.versions.map((v) => v.table));
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: DOCS_CONTENT_SECURITY_POLICY,
    theme: { title: opts.title },
    uiConfig: {
      urls: definitions,
      deepLinking: true,
      displayRequestDuration: true,
      tryItOutEnabled: false,
      persistAuthorization: false,
      showExtensions: true,
      defaultModelsExpandDepth: 0,
    },
  });
  for (const { table } of opts.versions) {
    const notes = table.deprecation?.migrationNotes;
    if (!notes) continue;
    // Plain text renders in every browser and stays readable as the Markdown it is.
    app.get(`${DOCS_PREFIX}/${table.version}/migration`, async (_request, reply) => {
      reply.header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY);
      return reply.type('text/plain; charset=utf-8').send(notes);
    });
  }
}
