import path from 'node:path';

/** The committed, composed supergraph the BFFs serve by default (`SUPERGRAPH_PATH` or `SUPERGRAPH_URL` replace it). */
export const DEFAULT_SUPERGRAPH_PATH = path.resolve(__dirname, '../supergraph/supergraph.graphql');

/** The mobile contract's schema, derived from the supergraph by `npm run supergraph:compose` and committed next to it. */
export const MOBILE_CONTRACT_PATH = path.resolve(__dirname, '../supergraph/contracts/mobile.graphql');
