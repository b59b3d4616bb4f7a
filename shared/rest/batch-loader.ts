/**
 * Per-request batching of REST lookups for aggregate endpoints: every `load(key)` issued in
 * the same tick becomes one upstream call (`?upcs=1,2,3`), so an aggregate over fifty
 * items costs one call per service, not fifty.
 */
import DataLoader from 'dataloader';

/** Most keys per upstream call (the demo services accept up to 100 ids per list request). */
export const DEFAULT_MAX_BATCH_SIZE = 100;

/**
 * `fetchMany` returns the records it found; keys with no record resolve to undefined
 * (a missing product is data, not an error).
 */
export function createBatchLoader<K extends string, V>(fetchMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>, maxBatchSize = DEFAULT_MAX_BATCH_SIZE): DataLoader<K, V | undefined> {
  return new DataLoader<K, V | undefined>(
    async (keys) => {
      const found = await fetchMany(keys);
      return keys.map((k) => found.get(k));
    },
    { maxBatchSize },
  );
}
