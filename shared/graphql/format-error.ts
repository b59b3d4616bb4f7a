/**
 * What of a GraphQL error reaches the client: message, locations, path and a catalogue
 * or GraphQL code. Stack traces, exception objects and raw upstream responses are dropped.
 */
import type { GraphQLFormattedError } from 'graphql';

/** Extension keys a client may see (`omittedPaths`: the fields a failed fetch left null past the error cap). */
const PUBLIC_EXTENSIONS = new Set(['code', 'subgraph', 'statusCode', 'requestId', 'cost', 'omittedPaths']);

export function formatClientError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(formatted.extensions ?? {})) {
    if (PUBLIC_EXTENSIONS.has(key)) extensions[key] = value;
  }
  if (formatted.extensions?.serviceName && !extensions.subgraph) extensions.subgraph = formatted.extensions.serviceName;
  if (!extensions.code) extensions.code = 'INTERNAL_SERVER_ERROR';
  return {
    message: formatted.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions,
  };
}

/**
 * Adds the request id to the errors of a GraphQL error body Apollo Server wrote before any
 * plugin ran (batching refused, CSRF prevention, a GET without a query, bad variables JSON).
 * Only error statuses pass through here, so answers that succeed are never re-parsed.
 */
export function addRequestIdToErrorBody(body: string, requestId: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  const errors = (parsed as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return body;
  for (const error of errors) {
    if (!error || typeof error !== 'object') continue;
    const e = error as { extensions?: Record<string, unknown> };
    e.extensions = { ...e.extensions, requestId };
  }
  return JSON.stringify(parsed);
}
