/**
 * The demo upstream services Portico's stack runs: each is a federation v2 subgraph
 * that also serves plain REST routes for the partner facade.
 *
 * The default ports are the ones `npm start` and docker-compose.yml use; the composed
 * supergraph records `http://127.0.0.1:<port>/graphql` as each subgraph's URL, and a BFF
 * may override any of them per subgraph at start.
 */
export const SUBGRAPH_NAMES = ['accounts', 'products', 'inventory', 'reviews', 'orders'] as const;

export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** Default listen port of each demo upstream service. */
export const SUBGRAPH_PORTS: Readonly<Record<SubgraphName, number>> = {
  accounts: 4101,
  products: 4102,
  inventory: 4103,
  reviews: 4104,
  orders: 4105,
};

/** Path of the GraphQL endpoint on every demo upstream service. */
export const SUBGRAPH_GRAPHQL_PATH = '/graphql';

/** URL recorded in the committed supergraph for a subgraph (the local, non-docker address). */
export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://127.0.0.1:${SUBGRAPH_PORTS[name]}${SUBGRAPH_GRAPHQL_PATH}`;
}

export function isSubgraphName(value: string): value is SubgraphName {
  return (SUBGRAPH_NAMES as readonly string[]).includes(value);
}
