import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiKeyVerifier, createFileApiKeyStore, createMemoryApiKeyStore, generateApiKey, hashApiKey, verifyApiKey, type ApiKeyRecord } from '../../shared/policies/authn/api-key';

describe('API keys', () => {
  const { key, record } = generateApiKey({ clientId: 'acme', plan: 'pro', scopes: ['orders:read'] });
  const revoked = generateApiKey({ clientId: 'gone', plan: 'free', scopes: [] });
  const store = createMemoryApiKeyStore([record, { ...revoked.record, revoked: true }]);

  it('stores only a hash of the key', () => {
    expect(record.hash).toBe(hashApiKey(key));
    expect(JSON.stringify(record)).not.toContain(key.slice('ptk_'.length + 16 + 1));
    expect(key).toMatch(/^ptk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  });

  it('maps a valid key to its client principal', async () => {
    expect(await verifyApiKey(key, store)).toEqual({ kind: 'client', id: 'acme', clientId: 'acme', scopes: ['orders:read'], roles: [], plan: 'pro', method: 'api-key' });
  });

  it('rejects unknown, altered, malformed and revoked keys alike', async () => {
    const altered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    for (const presented of [generateApiKey({ clientId: 'x', plan: 'free', scopes: [] }).key, altered, 'nonsense', '', revoked.key]) {
      await expect(verifyApiKey(presented, store)).rejects.toMatchObject({ code: 'AUTH_API_KEY_INVALID', statusCode: 401 });
    }
  });

  it('reloads a key file when it changes, so revocation needs no restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'portico-keys-'));
    const file = path.join(dir, 'keys.json');
    try {
      await writeFile(file, JSON.stringify({ keys: [record] }));
      let now = 0;
      const fileStore = createFileApiKeyStore(file, { reloadCheckMs: 1000, now: () => now });
      await expect(verifyApiKey(key, fileStore)).resolves.toMatchObject({ id: 'acme' });
      await new Promise((r) => setTimeout(r, 20));
      await writeFile(file, JSON.stringify({ keys: [{ ...record, revoked: true }] }));
      now = 1000;
      await expect(verifyApiKey(key, fileStore)).rejects.toMatchObject({ code: 'AUTH_API_KEY_INVALID' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('API key verifier (verified keys cached)', () => {
  const { key, record } = generateApiKey({ clientId: 'acme', plan: 'pro', scopes: ['orders:read'] });

  /** A memory store that counts lookups and whose records can change. */
  function countingStore(initial: ApiKeyRecord[]) {
    let records = createMemoryApiKeyStore(initial);
    let generation = 0;
    const store = {
      finds: 0,
      async find(keyId: string) {
        store.finds += 1;
        return records.find(keyId);
      },
      generation: () => generation,
      replace(next: ApiKeyRecord[], { bump }: { bump: boolean }) {
        records = createMemoryApiKeyStore(next);
        if (bump) generation += 1;
      },
    };
    return store;
  }

  it('answers a key verified within the TTL from memory, without a promise or a lookup', async () => {
    const store = countingStore([record]);
    let now = 0;
    const verifier = createApiKeyVerifier(store, { ttlMs: 1_000, now: () => now });
    expect(await verifier.verify(key)).toMatchObject({ id: 'acme', plan: 'pro' });
    now = 999;
    const cached = verifier.verify(key);
    expect(cached).not.toBeInstanceOf(Promise);
    expect(cached).toMatchObject({ id: 'acme', scopes: ['orders:read'] });
    expect(Object.isFrozen(cached)).toBe(true);
    expect(store.finds).toBe(1);
  });

  it('asks the store again once the TTL has passed: a revoked key is refused then', async () => {
    const store = countingStore([record]);
    let now = 0;
    const verifier = createApiKeyVerifier(store, { ttlMs: 1_000, now: () => now });
    await verifier.verify(key);
    store.replace([{ ...record, revoked: true }], { bump: false });
    now = 1_000;
    await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'AUTH_API_KEY_INVALID' });
    // The refusal dropped the entry: still refused, and asked again.
    await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'AUTH_API_KEY_INVALID' });
    expect(store.finds).toBe(3);
  });

  it('trusts nothing cached once the store reports a new generation (a reloaded key file)', async () => {
    const store = countingStore([record]);
    const verifier = createApiKeyVerifier(store, { ttlMs: 60_000, now: () => 0 });
    await verifier.verify(key);
    store.replace([{ ...record, revoked: true }], { bump: true });
    await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'AUTH_API_KEY_INVALID' });
  });

  it('never remembers a refusal: a key stored a moment later works at once', async () => {
    const store = countingStore([]);
    const verifier = createApiKeyVerifier(store, { now: () => 0 });
    await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'AUTH_API_KEY_INVALID' });
    store.replace([record], { bump: false });
    await expect(verifier.verify(key)).resolves.toMatchObject({ id: 'acme' });
  });

  it('keeps accepting a key verified within staleIfErrorMs while the store cannot answer, and only then', async () => {
    let down = false;
    let finds = 0;
    const records = createMemoryApiKeyStore([record]);
    const flaky = {
      find: async (keyId: string) => {
        finds += 1;
        return down ? Promise.reject(new Error('connection refused')) : records.find(keyId);
      },
    };
    let now = 0;
    const verifier = createApiKeyVerifier(flaky, { ttlMs: 1_000, staleIfErrorMs: 10_000, now: () => now });
    await verifier.verify(key);
    down = true;
    now = 8_000;
    await expect(verifier.verify(key)).resolves.toMatchObject({ id: 'acme' });
    // Served from memory for another TTL without asking the failing store again.
    now = 8_999;
    expect(verifier.verify(key)).toMatchObject({ id: 'acme' });
    expect(finds).toBe(2);
    now = 9_999;
    await expect(verifier.verify(key)).resolves.toMatchObject({ id: 'acme' });
    expect(finds).toBe(3);
    now = 10_000;
    await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'AUTH_KEYS_UNAVAILABLE', statusCode: 503 });
    // A key this verifier never saw is not guessed at.
    const other = generateApiKey({ clientId: 'initech', plan: 'free', scopes: [] });
    now = 0;
    await expect(verifier.verify(other.key)).rejects.toMatchObject({ code: 'AUTH_KEYS_UNAVAILABLE' });
  });

  it('does not keep a refused key on the strength of an older verification', async () => {
    const store = countingStore([record]);
    let now = 0;
    const verifier = createApiKeyVerifier(store, { ttlMs: 1_000, staleIfErrorMs: 60_000, now: () => now });
    await verifier.verify(key);
    store.replace([{ ...record, revoked: true }], { bump: false });
    now = 1_000;
    await expect(verifier.verify(key)).rejects.toMatchObject({ code: 'AUTH_API_KEY_INVALID' });
  });

  it('keeps at most maxKeys verified keys', async () => {
    const issued = [0, 1, 2].map(() => generateApiKey({ clientId: 'c', plan: 'free', scopes: [] }));
    const store = countingStore(issued.map((i) => i.record));
    const verifier = createApiKeyVerifier(store, { maxKeys: 2, now: () => 0 });
    for (const { key: k } of issued) await verifier.verify(k);
    expect(store.finds).toBe(3);
    // The first was evicted by the third: looked up again; the third is still cached.
    await verifier.verify(issued[0]!.key);
    verifier.verify(issued[2]!.key);
    expect(store.finds).toBe(4);
  });

  it('bumps a key file store generation only when the file changed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'portico-keys-'));
    const file = path.join(dir, 'keys.json');
    try {
      await writeFile(file, JSON.stringify({ keys: [record] }));
      let now = 0;
      const fileStore = createFileApiKeyStore(file, { reloadCheckMs: 1000, now: () => now });
      const first = fileStore.generation?.();
      now = 1000;
      expect(fileStore.generation?.()).toBe(first);
      await new Promise((r) => setTimeout(r, 20));
      await writeFile(file, JSON.stringify({ keys: [{ ...record, revoked: true }] }));
      now = 2000;
      expect(fileStore.generation?.()).not.toBe(first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
