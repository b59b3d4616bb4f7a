/** The response cache's pure parts: what may be stored and for whom, serving stored entries, the memory bound, settings. */
import { httpCacheKey, serializeEntry, servableEntry, storageDecision, type CacheRequest } from '../../shared/policies/response-cache/http-response-cache';
import { validateResponseCacheSettings } from '../../shared/policies/response-cache/response-cache-settings';
import { createMemoryResponseStore } from '../../shared/policies/response-cache/response-cache-store';

const get = (url = '/v1/products/1', headers: CacheRequest['headers'] = { host: 'partner' }): CacheRequest => ({ method: 'GET', url, headers });
const ok = (headers: Record<string, string>) => ({ status: 200, headers: { 'content-type': 'application/json', ...headers } });

describe('storageDecision', () => {
  it('stores a public answer for everyone, for its max-age', () => {
    const decision = storageDecision(get(), ok({ 'cache-control': 'public, max-age=60' }), 'p1');
    expect(decision?.scope).toEqual({ kind: 'shared' });
    expect(decision?.ttlMs).toBeGreaterThan(59_000);
    expect(decision?.ttlMs).toBeLessThanOrEqual(60_000);
  });

  it('stores a private answer only for the principal that received it', () => {
    expect(storageDecision(get(), ok({ 'cache-control': 'private, max-age=10' }), 'p1')?.scope).toEqual({ kind: 'private', principal: 'p1' });
    expect(storageDecision(get(), ok({ 'cache-control': 'private, max-age=10' }), undefined)).toBeUndefined();
  });

  it.each([
    ['no-store', ok({ 'cache-control': 'no-store, max-age=60' })],
    ['max-age=0', ok({ 'cache-control': 'public, max-age=0' })],
    ['no explicit freshness (no heuristics)', ok({ 'last-modified': new Date(Date.now() - 86_400_000).toUTCString() })],
    ['a cookie', ok({ 'cache-control': 'public, max-age=60', 'set-cookie': 'a=b' })],
    ['an error status', { status: 500, headers: { 'cache-control': 'public, max-age=60' } }],
  ])('stores nothing with %s', (_name, response) => {
    expect(storageDecision(get(), response, 'p1')).toBeUndefined();
  });

  it('stores nothing but GET', () => {
    expect(storageDecision({ ...get(), method: 'POST' }, ok({ 'cache-control': 'public, max-age=60' }), 'p1')).toBeUndefined();
  });
});

describe('stored entries', () => {
  it('serve the same status and body with Age brought up to date', () => {
    const decision = storageDecision(get(), ok({ 'cache-control': 'public, max-age=60', age: '5' }), undefined);
    const text = serializeEntry(decision!.policy, 200, Buffer.from('{"a":1}'));
    const served = servableEntry(text, get());
    expect(served?.status).toBe(200);
    expect(served?.body.toString()).toBe('{"a":1}');
    expect(Number(served?.headers.age)).toBeGreaterThanOrEqual(5);
  });

  it('are not served when stale, for another Vary value, when the client asks for a fresh answer, or when unreadable', () => {
    const stale = storageDecision(get(), ok({ 'cache-control': 'public, max-age=1', age: '10' }), undefined);
    expect(stale).toBeUndefined();
    const varying = storageDecision(get('/x', { host: 'partner', accept: 'application/json' }), ok({ 'cache-control': 'public, max-age=60', vary: 'accept' }), undefined);
    const text = serializeEntry(varying!.policy, 200, Buffer.from('{}'));
    expect(servableEntry(text, get('/x', { host: 'partner', accept: 'application/json' }))).toBeDefined();
    expect(servableEntry(text, get('/x', { host: 'partner', accept: 'text/csv' }))).toBeUndefined();
    expect(servableEntry(text, get('/x', { host: 'partner', accept: 'application/json', 'cache-control': 'no-cache' }))).toBeUndefined();
    expect(servableEntry('not json', get('/x'))).toBeUndefined();
    expect(servableEntry('{"status":200}', get('/x'))).toBeUndefined();
  });

  it('have keys that differ by URL, query and scope', () => {
    const keys = new Set([
      httpCacheKey(get('/v1/products/1'), { kind: 'shared' }),
      httpCacheKey(get('/v1/products/1?x=1'), { kind: 'shared' }),
      httpCacheKey(get('/v1/products/1'), { kind: 'private', principal: 'a' }),
      httpCacheKey(get('/v1/products/1'), { kind: 'private', principal: 'b' }),
    ]);
    expect(keys.size).toBe(4);
  });
});

describe('memory store', () => {
  it('keeps at most maxEntries, evicting the least recently used and counting it', async () => {
    const onEvict = jest.fn();
    const store = createMemoryResponseStore({ maxEntries: 2 }, { onEvict });
    await store.set('a', '1', 60_000);
    await store.set('b', '2', 60_000);
    await store.get('a');
    await store.set('c', '3', 60_000);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe('1');
    expect(onEvict).toHaveBeenCalledTimes(1);
  });

  it('keeps at most maxBytes, and expires entries after their time', async () => {
    const store = createMemoryResponseStore({ maxBytes: 100 });
    await store.set('big', 'x'.repeat(200), 60_000);
    expect(await store.get('big')).toBeUndefined();
    await store.set('short', 'v', 30);
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.get('short')).toBeUndefined();
  });
});

describe('settings', () => {
  it('accept the defaults and reject nonsense with a message naming the key', () => {
    expect(validateResponseCacheSettings({})).toEqual([]);
    expect(validateResponseCacheSettings({ maxTtlSec: 0, statusHeader: 'bad header', store: { kind: 'memory', maxEntries: -1 } })).toEqual([
      'policies.responseCache.store.maxEntries must be >= 1, got -1',
      'policies.responseCache.maxTtlSec must be >= 1, got 0',
      'policies.responseCache.statusHeader must be a header name, got "bad header"',
    ]);
    expect(validateResponseCacheSettings({ ttl: 5 } as never)).toEqual(["policies.responseCache: unknown key 'ttl'"]);
  });
});
