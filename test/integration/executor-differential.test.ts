/**
 * Portico's plan executor against Apollo Gateway's, over the real demo subgraphs: two web
 * BFFs, one per executor, answer the same requests, and the bodies must be identical byte
 * for byte (request ids aside): the registered operations of web and mobile, the
 * benchmark's queries, operations written to exercise aliases, fragments, variables,
 * `@skip`/`@include`, `__typename`, arguments and authorization (anonymous, user, staff),
 * and every subgraph killed in turn under a query that touches all of them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUBGRAPH_NAMES } from '../../supergraph/subgraphs/catalog';
import { FEDERATION_BENCHMARK_QUERY, HEAVY_QUERY, LIGHT_QUERY } from '../bench/contestants';
import { startWebBff, type RunningBff } from '../helpers/bffs';
import { postGraphql } from '../helpers/http';
import { metricValue } from '../helpers/metrics';
import { createTestIdentity, type TestIdentity } from '../helpers/identity';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Who asks: nobody, user 1, or back-office staff. */
  as: 'anonymous' | 'user' | 'staff';
  /** The HTTP status both answer with, when not 200 with data (given: data may be null). */
  status?: number;
}

function registered(dir: string): Case[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => ({ name: `registered ${f}`, query: readFileSync(join(dir, f), 'utf8'), as: 'user' as const }));
}

/** Variables for the registered operations that take some. */
const REGISTERED_VARIABLES: Record<string, Record<string, unknown>> = {
  'ProductPage.graphql': { upc: '2' },
  'ProductDetail.graphql': { upc: '3' },
  'OrderHistory.graphql': { first: 3 },
};

const WRITTEN: Case[] = [
  { name: 'light query', query: LIGHT_QUERY, as: 'anonymous' },
  { name: 'heavy query', query: HEAVY_QUERY, as: 'user' },
  { name: 'federation benchmark query', query: FEDERATION_BENCHMARK_QUERY, as: 'user' },
  {
    name: 'aliases, the same field twice with different arguments, typename everywhere',
    query: `{ __typename a: topProducts(first: 1) { __typename id: upc title: name } b: topProducts(first: 3) { upc t: __typename reviews { rating rating2: rating author { __typename name: username } } } }`,
    as: 'anonymous',
  },
  {
    name: 'named and inline fragments, nested and repeated, merging sub-selections',
    query: `query Frags { topProducts(first: 2) { ...Basic ... on Product { reviews { ...ReviewParts } } reviews { id product { ...Basic inStock } } } }
      fragment Basic on Product { upc name price ... { weight } }
      fragment ReviewParts on Review { body author { username reviews { product { upc } } } }`,
    as: 'anonymous',
  },
  {
    name: 'skip and include by variables and literals, defaults',
    query: `query Cond($withReviews: Boolean!, $skipPrice: Boolean = true, $n: Int = 2) {
      topProducts(first: $n) { upc price @skip(if: $skipPrice) name @include(if: false) inStock @include(if: true)
        reviews @include(if: $withReviews) { body author @skip(if: $skipPrice) { username } } } }`,
    variables: { withReviews: true },
    as: 'anonymous',
  },
  {
    name: 'skip and include, the other way',
    query: `query Cond($withReviews: Boolean!, $skipPrice: Boolean = true, $n: Int = 2) {
      topProducts(first: $n) { upc price @skip(if: $skipPrice) reviews @include(if: $withReviews) { body } shippingEstimate @skip(if: $withReviews) } }`,
    variables: { withReviews: false, skipPrice: false, n: 3 },
    as: 'anonymous',
  },
  {
    name: 'requires chains with arguments and enums',
    query: `{ products(first: 4) { upc category shippingEstimate weight price inStock } }`,
    as: 'anonymous',
  },
  {
    name: 'signed-in user with orders, statuses and nested entities',
    query: `{ me { id username orders(first: 2) { id status createdAt totalCents items { quantity unitPriceCents product { upc name shippingEstimate reviews { rating } } } customer { username } } } }`,
    as: 'user',
  },
  {
    name: 'fields the anonymous caller may not read (authorization nulls them)',
    query: `{ me { username orders(first: 1) { id } } user(id: "2") { username email } topProducts(first: 1) { name } }`,
    as: 'anonymous',
  },
  {
    name: 'a non-null root field the caller may not read (data null, as execution bubbles it)',
    query: `{ users(first: 2) { id username } topProducts(first: 1) { name } }`,
    as: 'user',
    status: 200,
  },
  {
    name: 'back-office lists',
    query: `{ users(first: 3) { id username reviews { body } } orders(first: 2) { id status customer { username } items { product { name } } } }`,
    as: 'staff',
  },
  { name: 'a user that does not exist (null entity)', query: `{ user(id: "99999") { id username reviews { body } } }`, as: 'user' },
  { name: 'invalid variables', query: `query V($n: Int!) { topProducts(first: $n) { upc } }`, variables: { n: 'three' }, as: 'user', status: 400 },
  { name: 'a subgraph error (argument out of range)', query: `{ topProducts(first: 1000) { upc name } }`, as: 'user' },
];

/** Touches every subgraph: what each one's failure takes away is compared, errors and paths included. */
const STOREFRONT = `query Storefront {
  me { username orders(first: 1) { id items { quantity product { upc name inStock } } } }
  topProducts(first: 2) { upc name inStock shippingEstimate reviews { body author { username } } }
}`;

/** The body with request ids taken out (each request has its own). */
function comparable(text: string): string {
  return text.replace(/"requestId":"[^"]*"/g, '"requestId":"-"');
}

describe("Portico's plan executor answers exactly as Apollo Gateway's", () => {
  let identity: TestIdentity;
  let subgraphs: RunningSubgraphs;
  let apollo: RunningBff;
  let portico: RunningBff;
  /** Without authentication: every caller is anonymous, as on a BFF serving public data. */
  let apolloOpen: RunningBff;
  let porticoOpen: RunningBff;

  const headersFor = async (as: Case['as']) => (as === 'anonymous' ? {} : as === 'staff' ? identity.staff : await identity.user());

  async function expectSame(c: Case): Promise<void> {
    const headers = await headersFor(c.as);
    const [left, right] = c.as === 'anonymous' ? [apolloOpen, porticoOpen] : [apollo, portico];
    const [a, p] = await Promise.all([postGraphql(left.url, c.query, c.variables, headers), postGraphql(right.url, c.query, c.variables, headers)]);
    expect(a.status).toBe(c.status ?? 200);
    if (c.status === undefined) expect(a.json.data).toBeTruthy();
    expect({ name: c.name, status: p.status, body: comparable(p.text) }).toEqual({ name: c.name, status: a.status, body: comparable(a.text) });
  }

  beforeAll(async () => {
    identity = await createTestIdentity();
    subgraphs = await startSubgraphs();
    const start = (executor: 'apollo' | 'portico', authenticated: boolean) =>
      startWebBff({ graphql: { subgraphUrls: subgraphs.urls, executor, limits: { maxCost: 1_000_000 } }, ...(authenticated ? { policies: identity.policies } : {}) });
    [apollo, portico, apolloOpen, porticoOpen] = await Promise.all([start('apollo', true), start('portico', true), start('apollo', false), start('portico', false)]);
  });

  afterAll(async () => {
    await Promise.all([apollo?.close(), portico?.close(), apolloOpen?.close(), porticoOpen?.close()]);
    await subgraphs?.close();
  });

  const cases: Case[] = [
    ...registered(join(__dirname, '../../bffs/web/operations')),
    ...registered(join(__dirname, '../../bffs/mobile/operations')),
    ...WRITTEN,
  ].map((c) => {
    const file = c.name.replace('registered ', '');
    return REGISTERED_VARIABLES[file] ? { ...c, variables: REGISTERED_VARIABLES[file] } : c;
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await expectSame(c);
  });

  it('ran every operation above on its own executor, none left to Apollo Gateway', async () => {
    const metrics = (await portico.app.metrics.registry.metrics()) + (await porticoOpen.app.metrics.registry.metrics());
    const fallbacks = metrics.split('\n').filter((line) => line.startsWith('portico_graphql_plan_executions_total{') && line.includes('executor="apollo"'));
    expect(fallbacks).toEqual([]);
    const compiled = (metricValue(await portico.app.metrics.registry.metrics(), 'portico_graphql_plan_executions_total', { executor: 'portico', route: 'compiled' }) ?? 0)
      + (metricValue(await porticoOpen.app.metrics.registry.metrics(), 'portico_graphql_plan_executions_total', { executor: 'portico', route: 'compiled' }) ?? 0);
    // Every case but the one refused for its variables (refused before any plan runs).
    expect(compiled).toBeGreaterThanOrEqual(cases.length - 1);
  });

  it('leaves schema introspection to Apollo Gateway, and counts it', async () => {
    await expectSame({ name: 'introspection', query: '{ __schema { queryType { name } } __type(name: "Product") { name } }', as: 'anonymous' });
    expect(metricValue(await porticoOpen.app.metrics.registry.metrics(), 'portico_graphql_plan_executions_total', { executor: 'apollo', route: 'introspection' })).toBe(1);
  });

  describe.each(SUBGRAPH_NAMES.map((name) => [name]))('with %s killed', (killed) => {
    let faulty: RunningSubgraphs;
    let apolloFaulty: RunningBff;
    let porticoFaulty: RunningBff;

    beforeAll(async () => {
      faulty = await startSubgraphs();
      const start = (executor: 'apollo' | 'portico') => startWebBff({ graphql: { subgraphUrls: faulty.urls, executor }, policies: identity.policies });
      [apolloFaulty, porticoFaulty] = await Promise.all([start('apollo'), start('portico')]);
      await faulty.apps[killed].close();
    });

    afterAll(async () => {
      await Promise.all([apolloFaulty?.close(), porticoFaulty?.close()]);
      await faulty?.close();
    });

    it('gives the same partial data and the same errors with their paths', async () => {
      const headers = await identity.user();
      const [a, p] = await Promise.all([postGraphql(apolloFaulty.url, STOREFRONT, undefined, headers), postGraphql(porticoFaulty.url, STOREFRONT, undefined, headers)]);
      expect(a.json.errors?.length ?? 0).toBeGreaterThan(0);
      expect(comparable(p.text)).toBe(comparable(a.text));
    });
  });
});
