/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message, so a
 * proxy must not forward them in either direction, including any header the
 * `Connection` header itself names.
 */
type Headers = Record<string, string | string[] | number | undefined>;

export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The header names a `Connection` header lists (lowercase), or undefined when it lists none. */
export function namedByConnection(connection: Headers[string]): Set<string> | undefined {
  if (connection === undefined) return undefined;
  let named: Set<string> | undefined;
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    if (typeof value !== 'string') continue;
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) (named ??= new Set()).add(name);
    }
  }
  return named;
}

/** Returns a copy of `headers` without hop-by-hop headers (runs on every proxied request and response). */
export function stripHopByHopHeaders<H extends Headers>(headers: H): H {
  const named = namedByConnection(headers.connection);
  const out: Headers = {};
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || named?.has(lower)) continue;
    out[name] = headers[name];
  }
  return out as H;
}
