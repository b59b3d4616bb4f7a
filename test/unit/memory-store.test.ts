import { createMemoryStore } from '../../shared/policies/rate-limit/memory-store';

const T0 = 1_700_000_000_000;

function clock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('memory store', () => {
  it('allows a burst, refuses the next request and allows again after the interval', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    const rule = { limit: 3, windowMs: 3_000 };
    const burst = [await store.consume('k', rule, 1), await store.consume('k', rule, 1), await store.consume('k', rule, 1)];
    expect(burst.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    expect(await store.consume('k', rule, 1)).toEqual({ allowed: false, limit: 3, remaining: 0, resetMs: 3_000, retryAfterMs: 1_000 });
    c.advance(1_000);
    expect(await store.consume('k', rule, 1)).toEqual({ allowed: true, limit: 3, remaining: 0, resetMs: 3_000, retryAfterMs: 0 });
    expect(store.kind).toBe('memory');
  });

  it('decides at once with consumeNow, sharing the buckets of consume', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    const rule = { limit: 2, windowMs: 1_000 };
    const first = store.consumeNow('k', rule, 1);
    expect(first).not.toBeInstanceOf(Promise);
    expect(first).toMatchObject({ allowed: true, remaining: 1 });
    expect(await store.consume('k', rule, 1)).toMatchObject({ allowed: true, remaining: 0 });
    expect(store.consumeNow('k', rule, 1)).toMatchObject({ allowed: false });
    expect(() => store.consumeNow('k', rule, -1)).toThrow(RangeError);
  });

  it('keeps keys independent', async () => {
    const store = createMemoryStore({ now: clock().now });
    const rule = { limit: 1, windowMs: 60_000 };
    expect((await store.consume('alice', rule, 1)).allowed).toBe(true);
    expect((await store.consume('alice', rule, 1)).allowed).toBe(false);
    expect((await store.consume('bob', rule, 1)).allowed).toBe(true);
  });

  it('never holds more than maxKeys buckets', async () => {
    const store = createMemoryStore({ maxKeys: 5, now: clock().now });
    for (let i = 0; i < 100; i++) {
      await store.consume(`key-${i}`, { limit: 10, windowMs: 60_000 }, 1);
      expect(store.size()).toBeLessThanOrEqual(5);
    }
    expect(store.size()).toBe(5);
  });

  it('evicts the least recently used bucket first', async () => {
    const store = createMemoryStore({ maxKeys: 3, now: clock().now });
    const rule = { limit: 1, windowMs: 60_000 };
    await store.consume('a', rule, 1);
    await store.consume('b', rule, 1);
    await store.consume('c', rule, 1);
    expect((await store.consume('a', rule, 1)).allowed).toBe(false); // touches a: b is now the oldest
    await store.consume('d', rule, 1); // evicts b
    expect(store.size()).toBe(3);
    expect((await store.consume('a', rule, 1)).allowed).toBe(false);
    expect((await store.consume('b', rule, 1)).allowed).toBe(true); // forgotten, so full again
  });

  it('drops buckets that have refilled instead of keeping them', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    const rule = { limit: 2, windowMs: 1_000 };
    await store.consume('x', rule, 1);
    expect(store.size()).toBe(1);
    c.advance(500);
    await store.consume('y', rule, 1); // x's bucket is full again: dropped on the way
    expect(store.size()).toBe(1);
    await store.consume('z', rule, 0); // a peek on a full bucket stores nothing
    expect(store.size()).toBe(1);
    c.advance(500);
    expect(await store.consume('y', rule, 0)).toEqual({ allowed: true, limit: 2, remaining: 2, resetMs: 0, retryAfterMs: 0 });
    expect(store.size()).toBe(0);
  });

  it('answers like a fresh bucket once a stored one has expired', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    const rule = { limit: 2, windowMs: 1_000 };
    await store.consume('k', rule, 2);
    expect((await store.consume('k', rule, 1)).allowed).toBe(false);
    c.advance(5_000);
    expect(await store.consume('k', rule, 1)).toEqual({ allowed: true, limit: 2, remaining: 1, resetMs: 500, retryAfterMs: 0 });
  });

  it('rejects an invalid cost or rule without storing anything', async () => {
    const store = createMemoryStore({ now: clock().now });
    await expect(store.consume('k', { limit: 1, windowMs: 1_000 }, -1)).rejects.toThrow(RangeError);
    await expect(store.consume('k', { limit: 0, windowMs: 1_000 }, 1)).rejects.toThrow(RangeError);
    expect(store.size()).toBe(0);
  });

  it('rejects a maxKeys that is not a positive integer', () => {
    expect(() => createMemoryStore({ maxKeys: 0 })).toThrow(RangeError);
    expect(() => createMemoryStore({ maxKeys: 1.5 })).toThrow(RangeError);
  });

  it('forgets every bucket on close', async () => {
    const store = createMemoryStore({ now: clock().now });
    await store.consume('k', { limit: 1, windowMs: 1_000 }, 1);
    await store.close();
    expect(store.size()).toBe(0);
  });

  it('mirrors a shared decision and starts local decisions from it', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    const rule = { limit: 3, windowMs: 3_000 };
    store.mirror('k', 3_000, 0); // the shared store says: spent, full again in 3 s
    expect(await store.consume('k', rule, 1)).toMatchObject({ allowed: false, retryAfterMs: 1_000 });
    store.mirror('gone', 0, 0); // a full bucket is not kept
    expect(store.size()).toBe(1);
  });

  it('reports state the shared store may lack: decided locally, or mirrored before the current epoch', async () => {
    const c = clock();
    const store = createMemoryStore({ now: c.now });
    const rule = { limit: 3, windowMs: 3_000 };
    store.mirror('synced', 2_000, 1);
    expect(store.unsharedResetMs('synced', 1)).toBe(0);
    expect(store.unsharedResetMs('synced', 2)).toBe(2_000);
    await store.consume('local', rule, 2);
    expect(store.unsharedResetMs('local', 1)).toBe(2_000);
    await store.consume('synced', rule, 0);
    expect(store.unsharedResetMs('synced', 1)).toBe(2_000);
    c.advance(500);
    expect(store.unsharedResetMs('local', 1)).toBe(1_500);
    expect(store.unsharedResetMs('unknown', 1)).toBe(0);
  });
});

describe('memory stores share their methods', () => {
  it('is one function per method for every store, so a call site compiled on one store serves another', () => {
    const a = createMemoryStore();
    const b = createMemoryStore({ maxKeys: 64 });
    expect(a.consumeNow).toBe(b.consumeNow);
    expect(a.consume).toBe(b.consume);
    expect(a.mirror).toBe(b.mirror);
    // Each still keeps its own buckets.
    a.consumeNow('k', { limit: 1, windowMs: 60_000 }, 1);
    expect(a.size()).toBe(1);
    expect(b.size()).toBe(0);
  });
});
