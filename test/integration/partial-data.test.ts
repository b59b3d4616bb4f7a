/**
 * Partial data that survives: the web BFF over the real demo subgraphs, one subgraph killed
 * at a time under a query that touches all five. Exactly the failed subgraph's fields are
 * null, each with one error carrying its path, code and subgraph; everything else is the
 * answer the healthy stack gave.
 */
import type { SubgraphName } from '../../supergraph/subgraphs/catalog';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { postGraphql } from '../helpers/http';
import { createTestIdentity, type TestIdentity } from '../helpers/identity';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

/** Signed-in user 1: their account and latest order (orders, products, inventory), and the featured products with stock and reviews. */
const STOREFRONT = `
  query Storefront {
    me {
      username
      orders(first: 1) { id items { quantity product { upc name inStock } } }
    }
    topProducts(first: 2) {
      upc
      name
      inStock
      shippingEstimate
      reviews { body author { username } }
    }
  }
`;

type Path = Array<string | number>;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * What each subgraph's failure takes away, as paths where `*` is every element of a list:
 * the field the failed fetch would have filled, and nothing above it.
 */
const LOST: Record<SubgraphName, string[]> = {
  accounts: ['me', 'topProducts.*.reviews.*.author.username'],
  products: ['topProducts', 'me.orders.*.items.*.product.name'],
  inventory: ['topProducts.*.inStock', 'topProducts.*.shippingEstimate', 'me.orders.*.items.*.product.inStock'],
  reviews: ['topProducts.*.reviews'],
  orders: ['me.orders'],
};

/** Concrete paths of a `*` pattern in this data (only where the parent exists). */
function expand(data: Json, pattern: string): Path[] {
  const walk = (value: Json, rest: string[], at: Path): Path[] => {
    const [head, ...tail] = rest;
    if (head === undefined) return [at];
    if (value === null || typeof value !== 'object') return [];
    if (head === '*') return Array.isArray(value) ? value.flatMap((v, i) => walk(v, tail, [...at, i])) : [];
    if (Array.isArray(value) || !(head in value)) return [];
    return walk(value[head] as Json, tail, [...at, head]);
  };
  return walk(data, pattern.split('.'), []);
}

function withNulls(data: Json, paths: Path[]): Json {
  const copy = structuredClone(data) as Record<string | number, Json>;
  for (const path of paths) {
    let node = copy as Record<string | number, Json>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, Json>;
    node[path[path.length - 1] as string | number] = null;
  }
  return copy;
}

const byPath = (a: { path: Path }, b: { path: Path }) => a.path.join('.').localeCompare(b.path.join('.'));

describe('partial data when one subgraph is down', () => {
  let identity: TestIdentity;
  let healthy: Json;

  beforeAll(async () => {
    identity = await createTestIdentity();
    const subgraphs = await startSubgraphs();
    const web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: identity.policies });
    try {
      const res = await postGraphql(web.url, STOREFRONT, undefined, await identity.user());
      expect(res.json.errors).toBeUndefined();
      healthy = res.json.data;
    } finally {
      await web.close();
      await subgraphs.close();
    }
  });

  it('starts from a healthy answer where every list the patterns walk has entries', () => {
    for (const patterns of Object.values(LOST)) {
      for (const pattern of patterns) expect(expand(healthy, pattern).length).toBeGreaterThan(0);
    }
  });

  describe.each(Object.keys(LOST) as SubgraphName[])('with %s killed', (killed) => {
    let subgraphs: RunningSubgraphs;
    let web: RunningBff;

    beforeAll(async () => {
      subgraphs = await startSubgraphs();
      web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, policies: identity.policies });
      await subgraphs.apps[killed].close();
    });

    afterAll(async () => {
      await web?.close();
      await subgraphs?.close();
    });

    it(`nulls only the ${killed} fields and reports each with its path, code and subgraph`, async () => {
      const res = await postGraphql(web.url, STOREFRONT, undefined, await identity.user());
      expect(res.status).toBe(200);
      const lost = LOST[killed].flatMap((pattern) => expand(healthy, pattern));
      expect(res.json.data).toEqual(withNulls(healthy, lost));
      const errors = (res.json.errors as Array<{ path: Path; extensions: Record<string, unknown> }>).map((e) => ({ path: e.path, code: e.extensions.code, subgraph: e.extensions.subgraph }));
      expect(errors.sort(byPath)).toEqual(lost.map((path) => ({ path, code: 'UPSTREAM_UNAVAILABLE', subgraph: killed })).sort(byPath));
      expect(res.text).not.toContain('127.0.0.1');
      expect(res.text).not.toContain('ECONNREFUSED');
    });
  });
});

describe('partial data when one failed fetch would leave more fields null than the error cap', () => {
  let subgraphs: RunningSubgraphs;
  let web: RunningBff;

  /** 40 products, three inventory fields each: one inventory fetch for 120 fields. */
  const MANY = '{ products(first: 40) { upc a: inStock b: inStock q: quantity } }';

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls } });
    await subgraphs.apps.inventory.close();
  });

  afterAll(async () => {
    await web?.close();
    await subgraphs?.close();
  });

  it('reports the first 100 fields with their paths and one error counting the other 20', async () => {
    const res = await postGraphql(web.url, MANY);
    expect(res.status).toBe(200);
    const products = res.json.data.products as Array<Record<string, unknown>>;
    expect(products).toHaveLength(40);
    for (const product of products) expect(product).toEqual({ upc: expect.any(String), a: null, b: null, q: null });
    const errors = res.json.errors as Array<{ message: string; path?: Path; extensions: Record<string, unknown> }>;
    expect(errors).toHaveLength(101);
    const withPath = errors.filter((e) => e.path !== undefined);
    expect(withPath).toHaveLength(100);
    for (const error of withPath) {
      expect(error.path).toEqual(['products', expect.any(Number), expect.stringMatching(/^[abq]$/)]);
      expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', subgraph: 'inventory' });
    }
    const summary = errors.find((e) => e.path === undefined);
    expect(summary?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', subgraph: 'inventory', omittedPaths: 20 });
    expect(summary?.message).toContain('20 more fields');
    expect(res.text).not.toContain('127.0.0.1');
  });
});
