import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFileApiKeyStore, createMemoryApiKeyStore, generateApiKey, hashApiKey, verifyApiKey } from '../../shared/policies/authn/api-key';

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
