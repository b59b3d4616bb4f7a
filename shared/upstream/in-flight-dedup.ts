/**
 * Deduplication of identical in-flight upstream requests: while one call is pending, an
 * identical one (same key) waits for the same answer instead of sending a second request.
 * Callers build the key from everything that can change the answer, including the identity
 * sent upstream, so no answer is ever shared across identities; only safe (read) calls
 * may be deduplicated.
 */
export interface InFlightDeduplicator<T> {
  run(key: string, call: () => Promise<T>): Promise<T>;
  /** Calls currently pending (for tests and metrics). */
  size(): number;
}

export function createInFlightDeduplicator<T>(): InFlightDeduplicator<T> {
  const pending = new Map<string, Promise<T>>();
  return {
    run(key, call) {
      const existing = pending.get(key);
      if (existing) return existing;
      const promise = call().finally(() => pending.delete(key));
      pending.set(key, promise);
      return promise;
    },
    size: () => pending.size,
  };
}

/** The dedup key of a subgraph call: document, variables, operation name and the identity headers sent. */
export function subgraphCallKey(body: string, identityHeaders: Readonly<Record<string, string>>): string {
  const identity = Object.keys(identityHeaders)
    .sort()
    .map((name) => `${name}=${identityHeaders[name]}`)
    .join('\n');
  return `${identity}\n\n${body}`;
}
