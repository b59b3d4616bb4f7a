/**
 * What of a GraphQL error reaches the client: message, locations, path and a catalogue
 * or GraphQL code. Stack traces, exception objects and raw upstream responses are dropped.
 */
import type { GraphQLFormattedError } from 'graphql';

/** Extension keys a client may see. */
const PUBLIC_EXTENSIONS = new Set(['code', 'subgraph', 'statusCode', 'requestId', 'cost']);

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
