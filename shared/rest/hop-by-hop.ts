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

/** Returns a copy of `headers` without hop-by-hop headers. */
export function stripHopByHopHeaders<H extends Headers>(headers: H): H {
  const named = new Set<string>();
  const connection = headers.connection;
  for (const value of Array.isArray(connection) ? connection : [connection]) {
    if (typeof value !== 'string') continue;
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) named.add(name);
    }
  }
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || named.has(lower)) continue;
    out[name] = value;
  }
  return out as H;
}
