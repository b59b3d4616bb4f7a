/**
 * The web BFF's GraphQL protections over the real subgraphs: each operation limit rejects
 * its attack with a clear code while normal queries pass; APQ, GET and CSRF behave; the
 * estimated cost is charged to the caller's rate limit.
 */
import { createHash } from 'node:crypto';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { http, postGraphql } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

let subgraphs: RunningSubgraphs;
let web: RunningBff;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls } });
});

afterAll(async () => {
  await web?.close();
  await subgraphs?.close();
});

function nested(depth: number): string {
  // Innermost selection sits on a Product.
  let inner = 'upc';
  for (let i = 0; i < depth; i++) inner = i % 2 === 0 ? `reviews { product { ${inner} } }` : `reviews { author { ${inner} } }`;
  return `{ me { ${inner} } }`;
}

describe('operation limits', () => {
  it('let an ordinary cross-service query through', async () => {
    const res = await postGraphql(web.url, '{ topProducts(first: 5) { name reviews { body author { name } } } }');
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
  });

  it.each([
    ['a deep query', nested(12), 'OPERATION_TOO_DEEP'],
    ['400 aliases', `{ ${Array.from({ length: 400 }, (_, i) => `a${i}: __typename`).join(' ')} }`, 'TOO_MANY_ALIASES'],
    ['many root fields', `{ ${Array.from({ length: 25 }, () => 'me { id }').join(' ')} }`, 'TOO_MANY_ROOT_FIELDS'],
    ['an over-budget query', '{ users(first: 100) { reviews { product { reviews { author { reviews { id } } } } } } }', 'OPERATION_TOO_COSTLY'],
  ])('reject %s with 400 and its code', async (_name, query, code) => {
    const res = await postGraphql(web.url, query);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe(code);
    expect(res.json.data).toBeUndefined();
  });

  it('report the computed cost of an over-budget query', async () => {
    const res = await postGraphql(web.url, '{ users(first: 100) { reviews { product { reviews { author { id } } } } } }');
    // users 1 + 100 x (reviews 1 + 20 x (product 1 + (reviews 1 + 20 x (author 1 + id 1))))
    expect(res.json.errors[0].extensions).toMatchObject({ code: 'OPERATION_TOO_COSTLY', cost: 1 + 100 * (1 + 20 * (1 + (1 + 20 * 2))) });
    expect(res.json.errors[0].message).toBe("The operation's estimated cost is 84101; the limit is 10000.");
  });

  it('reject directive overloading before validation, with one error', async () => {
    const res = await postGraphql(web.url, `{ me { id ${'@x '.repeat(500)} } }`);
    expect(res.status).toBe(400);
    expect(res.json.errors).toHaveLength(1);
    expect(res.json.errors[0].extensions.code).toBe('TOO_MANY_DIRECTIVES');
    expect(res.json.errors[0].message).toBe('The directive @x is repeated on one location.');
  });

  it('refuse the same over-limit document again when it comes back (validated-document cache)', async () => {
    const query = `{ ${Array.from({ length: 25 }, () => 'me { id }').join(' ')} }`;
    for (let i = 0; i < 2; i++) {
      const res = await postGraphql(web.url, query);
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions.code).toBe('TOO_MANY_ROOT_FIELDS');
    }
  });

  it('reject circular fragments at validation', async () => {
    const res = await postGraphql(web.url, '{ me { ...A } } fragment A on User { reviews { author { ...B } } } fragment B on User { ...A }');
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.json.errors[0].message).toMatch(/Cannot spread fragment "A" within itself/);
  });

  it('reject an oversized document at parse time (token limit)', async () => {
    const res = await postGraphql(web.url, `{ me { ${'id '.repeat(6000)} } }`);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.json.errors[0].message).toMatch(/2000 tokens/);
  });

  it('refuse batched requests (batching is off by default)', async () => {
    const batch = Array.from({ length: 100 }, () => ({ query: '{ me { id } }' }));
    const res = await http(`${web.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/batch/i);
  });
});

describe('APQ, GET and CSRF', () => {
  const query = '{ topProducts(first: 2) { upc name } }';
  const sha256Hash = createHash('sha256').update(query).digest('hex');
  const extensions = { persistedQuery: { version: 1, sha256Hash } };

  it('completes an automatic persisted query round trip', async () => {
    const first = await http(`${web.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extensions }) });
    expect(first.json.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await http(`${web.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, extensions }) });
    expect(register.json.data.topProducts).toHaveLength(2);
    const byHash = await http(`${web.url}/graphql?extensions=${encodeURIComponent(JSON.stringify(extensions))}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(byHash.json).toEqual(register.json);
  });

  it('serves queries over GET but refuses a simple (forgeable) GET without a preflight header', async () => {
    const url = `${web.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`;
    const forged = await http(url);
    expect(forged.status).toBe(400);
    expect(forged.text).toMatch(/CSRF|preflight/i);
    const ok = await http(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(ok.json).toEqual({ data: { me: { id: '1' } } });
  });

  it('derives Cache-Control from the subgraphs the query touched', async () => {
    const get = (q: string) => http(`${web.url}/graphql?query=${encodeURIComponent(q)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect((await get('{ topProducts { name price } }')).headers['cache-control']).toBe('max-age=60, public');
    // Stock changes faster than the catalogue: the shortest hint wins.
    expect((await get('{ topProducts { name inStock } }')).headers['cache-control']).toBe('max-age=5, public');
    // Anything personal makes the whole response private, for the shortest time.
    expect((await get('{ me { name } topProducts { name } }')).headers['cache-control']).toBe('max-age=10, private');
    // A service that forbids storing makes the whole response uncacheable.
    expect((await get('{ me { orders { id } } topProducts { name } }')).headers['cache-control']).toBe('no-store');
  });

  it('refuses mutations over GET', async () => {
    const res = await http(`${web.url}/graphql?query=${encodeURIComponent('mutation { __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
  });
});

describe('cost charged to the rate limit', () => {
  let limited: RunningBff;

  beforeAll(async () => {
    limited = await startWebBff({
      graphql: { subgraphUrls: subgraphs.urls, costPerRateLimitUnit: 100 },
      policies: { rateLimit: { perIp: false, plans: { default: { limit: 30, windowMs: 60_000 } } } },
    });
  });

  afterAll(async () => limited?.close());

  it('spends more budget on expensive operations than on cheap ones', async () => {
    const cheap = await postGraphql(limited.url, '{ me { id } }');
    expect(cheap.headers['ratelimit-remaining']).toBe('29');
    // cost 1 + 25 x (1 + 20 x (1 + 1)) = 1026 -> 11 units
    const expensive = await postGraphql(limited.url, '{ topProducts(first: 25) { reviews { author { name } } } }');
    expect(expensive.json.errors).toBeUndefined();
    expect(expensive.headers['ratelimit-remaining']).toBe('18');
    await postGraphql(limited.url, '{ topProducts(first: 25) { reviews { author { name } } } }');
    const refused = await postGraphql(limited.url, '{ topProducts(first: 25) { reviews { author { name } } } }');
    expect(refused.status).toBe(429);
    expect(refused.json.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', cost: 1026 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
