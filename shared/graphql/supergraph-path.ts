import path from 'node:path';

/** The committed supergraph of the demo stack, served by default by the GraphQL BFFs. */
export const DEFAULT_SUPERGRAPH_PATH = path.resolve(__dirname, '../../supergraph/supergraph.graphql');
