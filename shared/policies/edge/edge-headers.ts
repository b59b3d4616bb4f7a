/**
 * Browser-facing edge headers: CORS (which origins may call the API from a browser, with
 * which methods and headers, whether cookies go along, how long a preflight is cached) and
 * security headers with defaults for an API rather than a website.
 */
import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CorsSettings {
  /** Allowed origins, exact (`https://app.example.com`); `*` allows any origin (never with credentials). */
  origins: readonly string[];
  /** Allowed methods. Default GET, HEAD, POST, OPTIONS. */
  methods?: readonly string[];
  /** Request headers a browser may send. Default content-type, authorization, x-api-key, x-request-id, apollo-require-preflight. */
  allowedHeaders?: readonly string[];
  /** Send cookies and credentials cross-origin. Default false. */
  credentials?: boolean;
  /** How long browsers may cache a preflight, in seconds. Default 600. */
  maxAgeSec?: number;
}

export const DEFAULT_CORS_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'];
export const DEFAULT_CORS_MAX_AGE_SEC = 600;
export const DEFAULT_CORS_ALLOWED_HEADERS = ['content-type', 'authorization', 'x-api-key', 'x-request-id', 'apollo-require-preflight'];
/** Response headers scripts may read: tracing and rate-limit state. */
export const CORS_EXPOSED_HEADERS = ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'etag'];

export function validateCorsSettings(cors: CorsSettings): string[] {
  const problems: string[] = [];
  if (!Array.isArray(cors.origins) || cors.origins.length === 0) problems.push('policies.cors.origins must list at least one origin');
  for (const origin of cors.origins ?? []) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`policies.cors.origins: '${origin}' must be a scheme://host[:port] origin or *`);
  }
  if (cors.credentials && cors.origins?.includes('*')) problems.push('policies.cors: credentials cannot be combined with the * origin');
  return problems;
}

/**
 * The headers an API answer needs (as OWASP's REST security guidance lists them): HTTPS only,
 * no content sniffing, never framed, no referrer, cross-origin reads governed by CORS. A JSON
 * answer is never rendered as a document, so the document-only headers (opener policy, origin
 * agent cluster, DNS prefetch, IE's download options and XSS filter, Adobe's cross-domain
 * policies) would be bytes on every answer that no client acts on.
 */
function helmetOptions(cors: boolean): HelmetOptions {
  return {
    // Pages Portico serves (the partner portal, the development IDE) set their own policy.
    contentSecurityPolicy: false,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: { policy: cors ? 'cross-origin' : 'same-origin' },
    originAgentCluster: false,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  };
}

/**
 * Pure: the security headers helmet sets for these options. None of them depends on the
 * request, so they are computed once at start instead of running helmet on every request.
 */
export function securityHeaders(cors: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let completed = false;
  helmet(helmetOptions(cors))({} as IncomingMessage, response as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
    completed = true;
  });
  if (!completed) throw new Error('security headers could not be computed');
  return headers;
}

/** Registers CORS (when configured) and the security headers; both run before authentication, so a preflight needs no credentials. */
export async function registerEdgeHeaders(app: FastifyInstance, cors: CorsSettings | undefined): Promise<void> {
  const headers = securityHeaders(cors !== undefined);
  if (app.fastPathParts) {
    app.fastPathParts.securityHeaders = headers;
    app.fastPathParts.cors = cors !== undefined;
  }
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  if (!cors) return;
  const anyOrigin = cors.origins.includes('*');
  const allowed = new Set(cors.origins);
  await app.register(fastifyCors, {
    origin: anyOrigin ? '*' : (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: [...(cors.methods ?? DEFAULT_CORS_METHODS)],
    allowedHeaders: [...(cors.allowedHeaders ?? DEFAULT_CORS_ALLOWED_HEADERS)],
    exposedHeaders: CORS_EXPOSED_HEADERS,
    credentials: cors.credentials ?? false,
    maxAge: cors.maxAgeSec ?? DEFAULT_CORS_MAX_AGE_SEC,
    strictPreflight: true,
  });
}
