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
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { migrationNotesPath, type RouteTable } from './route-table';

export const DOCS_PREFIX = '/docs';

/**
 * Pure: the hashes (CSP `'sha256-…'`) of the `<style>` elements a script creates with a
 * literal text (`createElement("style",null,"…")`), so exactly those may apply.
 */
export function inlineStyleHashes(script: string): string[] {
  const literals = [...script.matchAll(/createElement\("style",null,"([^"\\]*)"\)/g)].map((m) => m[1] as string);
  return [...new Set(literals)].map((text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`);
}

/**
 * Swagger UI's top bar draws its logo as an SVG holding a `<style>` element, the page's one
 * inline style. Hashed from the installed package, so an upgrade cannot leave the policy
 * stale (and the browser test fails on any violation).
 */
function swaggerUiStyleHashes(): string[] {
  return inlineStyleHashes(readFileSync(require.resolve('@fastify/swagger-ui/static/swagger-ui-standalone-preset.js'), 'utf8'));
}

/**
 * The portal's content security policy, on `/docs` routes only (API answers render nothing
 * and keep none). Swagger UI's page has no inline script and its bundle needs no eval, so
 * scripts are `'self'` only; styles are `'self'` plus the hash of the logo's one inline
 * stylesheet (no `'unsafe-inline'`); `data:` images are the icons inside its stylesheet and
 * the top bar's logo; `connect-src 'self'` lets try-it call this origin and nothing else.
 */
export function docsContentSecurityPolicy(styleHashes: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    ["style-src 'self'", ...styleHashes].join(' '),
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

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
  const csp = docsContentSecurityPolicy(swaggerUiStyleHashes());
  // Swagger UI's routes and its static assets are registered by the plugins: mark them all public here.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object | undefined), auth: { public: true } } as typeof route.config;
  });
  await app.register(fastifySwagger, { mode: 'static', specification: { document: current.document as never } });
  const definitions = versionSwitch(opts.versions.map((v) => v.table));
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: csp,
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
    app.get(migrationNotesPath(table.version), async (_request, reply) => {
      reply.header('content-security-policy', csp);
      return reply.type('text/plain; charset=utf-8').send(notes);
    });
  }
}
