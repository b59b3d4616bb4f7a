/**
 * Deduplication of identical in-flight upstream requests: while one call is pending, an
 * identical one (same key) waits for the same answer instead of sending a second request.
 * Callers build the key from everything that can change the answer, including the identity
 * sent upstream, so no answer is ever shared across identities; only safe (read) calls
 * may be deduplicated.
 */
/** A call in flight that identical calls may share. */
export interface InFlightCall<T> {
  readonly promise: Promise<T>;
  /** When the call gives up (its deadline), `performance.now()` clock; Infinity when unbounded. */
  readonly endsAt: number;
}

export interface InFlightDeduplicator<T> {
  /** The pending call under `key`, or a new one made by `call` (ending by `endsAt`, default unbounded). */
  run(key: string, call: () => Promise<T>, endsAt?: number): Promise<T>;
  /** The pending call under `key`, if any. */
  get(key: string): InFlightCall<T> | undefined;
  /** Calls currently pending (for tests and metrics). */
  size(): number;
}

export function createInFlightDeduplicator<T>(): InFlightDeduplicator<T> {
  const pending = new Map<string, InFlightCall<T>>();
  return {
    run(key, call, endsAt = Infinity) {
      const existing = pending.get(key);
      if (existing) return existing.promise;
      const promise = call().finally(() => pending.delete(key));
      pending.set(key, { promise, endsAt });
      return promise;
    },
    get: (key) => pending.get(key),
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
