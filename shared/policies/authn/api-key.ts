/**
 * Partner API keys. A key looks like `ptk_<keyId>_<secret>`: the key id is not secret and
 * selects the record, the whole key is compared by SHA-256 hash in constant time, and only
 * hashes are ever stored (file or Redis), so a leaked store does not leak usable keys.
 */
import { hash as oneShotHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { PorticoError } from '../../errors';
import { REDIS_KEY_PREFIXES } from '../../redis';
import type { Principal } from './principal';

export const API_KEY_PREFIX = 'ptk';
export const API_KEY_HEADER = 'x-api-key';
const KEY_PATTERN = /^ptk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyRecord {
  keyId: string;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  clientId: string;
  /** Plan for rate limits, e.g. free, pro, enterprise. */
  plan: string;
  scopes: string[];
  revoked?: boolean;
  createdAt: string;
}

export interface ApiKeyStore {
  find(keyId: string): Promise<ApiKeyRecord | undefined>;
  /**
   * A number that changes whenever the store's records may have changed (a reloaded key
   * file). Cached verifications from another generation are not trusted. Absent: the
   * store cannot tell, and cached verifications live out their TTL.
   */
  generation?(): number;
}

/** Hex SHA-256 of a key; one-shot, without a Hash object per call. */
export function hashApiKey(key: string): string {
  return oneShotHash('sha256', key, 'hex');
}

/** A new random key and the record to store for it (the key itself is shown once, never stored). */
export function generateApiKey(fields: { clientId: string; plan: string; scopes: string[] }, now = new Date()): { key: string; record: ApiKeyRecord } {
  const keyId = randomBytes(8).toString('hex');
  const key = `${API_KEY_PREFIX}_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { key, record: { keyId, hash: hashApiKey(key), ...fields, createdAt: now.toISOString() } };
}

/** Pure apart from the store lookup: the principal for a presented key, or AUTH_API_KEY_INVALID. */
export function verifyApiKey(presented: string, store: ApiKeyStore): Promise<Principal> {
  return verifyHashedApiKey(presented, hashApiKey(presented), store);
}

async function verifyHashedApiKey(presented: string, presentedHash: string, store: ApiKeyStore): Promise<Principal> {
  const match = KEY_PATTERN.exec(presented);
  let record: ApiKeyRecord | undefined;
  try {
    record = match ? await store.find(match[1] as string) : undefined;
  } catch (err) {
    // The store being down is not the client's fault: 503, not 401.
    throw new PorticoError('AUTH_KEYS_UNAVAILABLE', undefined, { cause: err });
  }
  const expected = Buffer.from(record?.hash ?? '0'.repeat(64), 'hex');
  const actual = Buffer.from(presentedHash, 'hex');
  // Compared even when no record matched, so timing does not reveal which key ids exist.
  const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
  if (!record || !equal || record.revoked) throw new PorticoError('AUTH_API_KEY_INVALID');
  return { kind: 'client', id: record.clientId, clientId: record.clientId, scopes: record.scopes, roles: [], plan: record.plan, method: 'api-key' };
}

/** Verified keys kept in memory: how many, and for how long. */
export interface ApiKeyCacheOptions {
  /** Most verified keys remembered, the least recently used dropped first. Default 10,000. */
  maxKeys?: number;
  /**
   * How long a verification is trusted without asking the store again, in ms: the longest a
   * key revoked in Redis keeps working. A key file's reload (checked once per second)
   * drops every cached verification at once. Default 1,000.
   */
  ttlMs?: number;
  /**
   * How long after its last successful check a key is still accepted while the store cannot
   * answer (Redis down, or the cluster node holding the key), in ms; 0 refuses at once (503).
   * A revocation needs the same store to be written, so it only misses one written within
   * `ttlMs` of the outage. Keys not verified by this process meanwhile get 503. Default 300,000.
   */
  staleIfErrorMs?: number;
  /** Clock, in ms. Default `Date.now`. */
  now?: () => number;
}

export const DEFAULT_API_KEY_CACHE_MAX_KEYS = 10_000;
export const DEFAULT_API_KEY_CACHE_TTL_MS = 1_000;
export const DEFAULT_API_KEY_STALE_IF_ERROR_MS = 300_000;

/** Checks presented keys; a key verified within the TTL is answered from memory, without a promise. */
export interface ApiKeyVerifier {
  verify(presented: string): Principal | Promise<Principal>;
  /** The principal of a key verified within the TTL, from memory; undefined otherwise (nothing is asked of the store). */
  cached(presented: string): Principal | undefined;
}

interface CachedVerification {
  principal: Principal;
  generation: number;
  verifiedAt: number;
  expiresAt: number;
}

/**
 * Verifies keys against `store`, remembering successes by key hash (never the key) for
 * `ttlMs`. Refusals are not remembered: an unknown key always asks the store, so a key
 * issued a moment ago works at once. While the store cannot answer, a key verified within
 * `staleIfErrorMs` is still accepted, so a Redis outage is not a partner outage. The cached
 * principal is frozen: every request of the client shares it.
 */
export function createApiKeyVerifier(store: ApiKeyStore, options: ApiKeyCacheOptions = {}): ApiKeyVerifier {
  const ttlMs = options.ttlMs ?? DEFAULT_API_KEY_CACHE_TTL_MS;
  const staleIfErrorMs = options.staleIfErrorMs ?? DEFAULT_API_KEY_STALE_IF_ERROR_MS;
  const now = options.now ?? Date.now;
  const cache = new LRUCache<string, CachedVerification>({ max: options.maxKeys ?? DEFAULT_API_KEY_CACHE_MAX_KEYS });
  const generationOf = () => store.generation?.() ?? 0;

  async function verifyAndRemember(presented: string, presentedHash: string, generation: number): Promise<Principal> {
    try {
      const principal = frozenPrincipal(await verifyHashedApiKey(presented, presentedHash, store));
      const verifiedAt = now();
      cache.set(presentedHash, { principal, generation, verifiedAt, expiresAt: verifiedAt + ttlMs });
      return principal;
    } catch (err) {
      const cached = cache.get(presentedHash);
      // Only an unanswering store keeps the last good answer: a refusal (revoked, unknown) drops it.
      if (err instanceof PorticoError && err.code === 'AUTH_KEYS_UNAVAILABLE' && cached && cached.generation === generation && now() - cached.verifiedAt < staleIfErrorMs) {
        // Asked again after another TTL, not on every request: each failed lookup costs a command timeout.
        cached.expiresAt = Math.min(now() + ttlMs, cached.verifiedAt + staleIfErrorMs);
        return cached.principal;
      }
      cache.delete(presentedHash);
      throw err;
    }
  }

  /** The principal remembered for a key hash, while its verification is fresh. */
  const remembered = (presentedHash: string, generation: number): Principal | undefined => {
    const cached = cache.get(presentedHash);
    return cached && cached.generation === generation && cached.expiresAt > now() ? cached.principal : undefined;
  };

  return {
    verify(presented) {
      const presentedHash = hashApiKey(presented);
      const generation = generationOf();
      return remembered(presentedHash, generation) ?? verifyAndRemember(presented, presentedHash, generation);
    },
    cached: (presented) => remembered(hashApiKey(presented), generationOf()),
  };
}

/** A frozen copy: the store's own record (and its scope list) stays the store's. */
function frozenPrincipal(principal: Principal): Principal {
  return Object.freeze({ ...principal, scopes: Object.freeze([...principal.scopes]), roles: Object.freeze([...principal.roles]) });
}

export function createMemoryApiKeyStore(records: readonly ApiKeyRecord[]): ApiKeyStore {
  const byId = new Map(records.map((r) => [r.keyId, r]));
  return { find: async (keyId) => byId.get(keyId) };
}

export interface ApiKeyFile {
  keys: ApiKeyRecord[];
}

/** Reads a JSON key file (`{ "keys": [...] }`), validating every record. */
export function readApiKeyFile(path: string): ApiKeyRecord[] {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ApiKeyFile>;
  if (!Array.isArray(parsed.keys)) throw new Error(`${path}: expected { "keys": [...] }`);
  return parsed.keys.map((r, i) => {
    if (!r || typeof r.keyId !== 'string' || !/^[0-9a-f]{64}$/.test(String(r.hash)) || typeof r.clientId !== 'string' || typeof r.plan !== 'string' || !Array.isArray(r.scopes)) {
      throw new Error(`${path}: key #${i} needs keyId, hash (hex SHA-256), clientId, plan and scopes`);
    }
    return r;
  });
}

/**
 * Key file store, re-read when the file changes (checked at most once per `reloadCheckMs`),
 * so keys can be added or revoked without a restart.
 */
export function createFileApiKeyStore(path: string, { reloadCheckMs = 1_000, now = Date.now } = {}): ApiKeyStore {
  let records = createMemoryApiKeyStore(readApiKeyFile(path));
  let mtimeMs = statMtime(path);
  let checkedAt = now();
  let generation = 0;
  const reloadIfChanged = () => {
    if (now() - checkedAt < reloadCheckMs) return;
    checkedAt = now();
    const current = statMtime(path);
    if (current === mtimeMs) return;
    try {
      records = createMemoryApiKeyStore(readApiKeyFile(path));
      mtimeMs = current;
      generation += 1;
    } catch {
      // A half-written or broken file keeps the last good keys in service.
    }
  };
  return {
    async find(keyId) {
      reloadIfChanged();
      return records.find(keyId);
    },
    generation() {
      reloadIfChanged();
      return generation;
    },
  };
}

function statMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/**
 * Redis store: one hash per key at `<prefix><keyId>` with the record's fields (scopes
 * space-separated). Every lookup reads one key, so a Redis Cluster serves it from the key's
 * own slot; nothing lists keys (no SCAN or KEYS, which a cluster answers per node).
 */
export function createRedisApiKeyStore(client: Redis | Cluster, prefix = REDIS_KEY_PREFIXES.apiKeys): ApiKeyStore {
  return {
    async find(keyId) {
      const fields = await client.hgetall(`${prefix}${keyId}`);
      if (!fields.hash || !fields.clientId) return undefined;
      return {
        keyId,
        hash: fields.hash,
        clientId: fields.clientId,
        plan: fields.plan ?? 'free',
        scopes: (fields.scopes ?? '').split(' ').filter(Boolean),
        revoked: fields.revoked === 'true',
        createdAt: fields.createdAt ?? '',
      };
    },
  };
}

export async function saveApiKeyToRedis(client: Redis | Cluster, record: ApiKeyRecord, prefix = 'portico:apikeys:'): Promise<void> {
  await client.hset(`${prefix}${record.keyId}`, {
    hash: record.hash,
    clientId: record.clientId,
    plan: record.plan,
    scopes: record.scopes.join(' '),
    revoked: String(record.revoked ?? false),
    createdAt: record.createdAt,
  });
}
