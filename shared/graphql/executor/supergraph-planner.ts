/**
 * Query planning without Apollo Gateway: Apollo's own planner (`@apollo/query-planner`)
 * over a supergraph built by `@apollo/federation-internals`, exactly as Apollo Gateway
 * builds and calls them (supergraph validated, default planner configuration, the
 * planner's selection-set safety limits on). For a BFF that plans known operations and runs
 * them on Portico's executor, so it never loads Apollo Gateway (the partner's registered
 * operations, operation-executor.ts).
 */
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import type { DocumentNode, GraphQLSchema } from 'graphql';

export interface SupergraphPlanner {
  /** The whole supergraph schema, `@inaccessible` types included (`@requires` type conditions in plans may name them). */
  readonly supergraphSchema: GraphQLSchema;
  /** Every subgraph, with the URL the supergraph gives it. */
  readonly subgraphs: ReadonlyArray<{ name: string; url: string | undefined }>;
  /** The plan of `operationName` in `document` (valid against the API schema); throws what the planner throws. */
  plan(document: DocumentNode, operationName: string): QueryPlan;
}

/** `supergraphSdl`: a supergraph Apollo's planner accepts (for an authorized one, `AuthorizedSupergraph.gatewaySdl`). */
export function createSupergraphPlanner(supergraphSdl: string): SupergraphPlanner {
  const supergraph = Supergraph.build(supergraphSdl);
  const apiSchema = supergraph.apiSchema();
  const planner = new QueryPlanner(supergraph);
  return {
    supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
    subgraphs: supergraph.subgraphsMetadata().map(({ name, url }) => ({ name, url })),
    plan(document, operationName) {
      const operation = operationFromDocument(apiSchema, document, { operationName });
      return planner.buildQueryPlan(operation, { recursiveSelectionsLimitDisabled: false, nonLocalSelectionsLimitDisabled: false });
    },
  };
}
