/** Editing an API key file (`{ "keys": [...] }`): used by `npm run apikey` and the demo launcher. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { generateApiKey, readApiKeyFile, type ApiKeyRecord } from '../policies/authn/api-key';

function write(file: string, keys: ApiKeyRecord[]): void {
  // Write-then-rename so a BFF reloading the file never reads half of it.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ keys }, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}

function read(file: string): ApiKeyRecord[] {
  try {
    return readApiKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Creates a key, stores its hash, returns the key (shown once). `replaceClient` revokes-by-removal that client's older keys. */
export function createApiKeyInFile(file: string, fields: { clientId: string; plan: string; scopes: string[] }, { replaceClient = false } = {}): { key: string; record: ApiKeyRecord } {
  const created = generateApiKey(fields);
  const kept = read(file).filter((r) => !(replaceClient && r.clientId === fields.clientId));
  write(file, [...kept, created.record]);
  return created;
}

export function revokeApiKeyInFile(file: string, keyId: string): boolean {
  const keys = read(file);
  const found = keys.find((r) => r.keyId === keyId);
  if (!found) return false;
  found.revoked = true;
  write(file, keys);
  return true;
}

export function listApiKeysInFile(file: string): ApiKeyRecord[] {
  return read(file);
}

/** Reads the raw file text, for callers that want to show it. */
export function apiKeyFileText(file: string): string {
  return readFileSync(file, 'utf8');
}
