/**
 * What every demo upstream service provides to the shared subgraph server: its federation
 * schema and resolvers, a per-request context (fresh DataLoaders, so batching never
 * shares cached records between requests), and its REST routes for the partner facade.
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import type { GraphQLSchemaModule } from '@apollo/subgraph/dist/schema-helper';
import DataLoader from 'dataloader';
import type { FastifyInstance } from 'fastify';
import { GraphQLError, parse, type DocumentNode } from 'graphql';
import type { SubgraphName } from './catalog';
import { checkListArguments } from './rest-support';

export interface SubgraphService {
  name: SubgraphName;
  typeDefs: DocumentNode;
  /** Resolvers typed against the service's own context inside the service. */
  resolvers: NonNullable<GraphQLSchemaModule['resolvers']>;
  /** A fresh context per GraphQL request, given the request's headers (the gateway sends the verified identity in them). */
  createContext(headers: IncomingHttpHeaders): object;
  /** Registers the service's REST routes on its server. */
  registerRestRoutes(app: FastifyInstance): void;
  /** How long GraphQL answers of this service may be cached (`Cache-Control` value); the gateway derives the response's policy from them. */
  cacheControl: string;
  stats: BatchStats;
}

/** Reads `<service>/schema.graphql` next to the service's code. */
export function loadServiceSchema(name: SubgraphName): DocumentNode {
  return parse(readFileSync(path.join(__dirname, name, 'schema.graphql'), 'utf8'));
}

export interface LoaderStats {
  /** Number of batch function calls. */
  batches: number;
  /** Keys resolved across all batches. */
  keys: number;
}

/**
 * Counts DataLoader batches per loader, so tests (and curious operators, via
 * `GET /__stats`) can see that references are resolved in batches, not one by one.
 */
export class BatchStats {
  private loaders = new Map<string, LoaderStats>();
  private graphqlRequests = 0;

  recordBatch(loader: string, keys: number): void {
    const entry = this.loaders.get(loader) ?? { batches: 0, keys: 0 };
    entry.batches += 1;
    entry.keys += keys;
    this.loaders.set(loader, entry);
  }

  recordRequest(): void {
    this.graphqlRequests += 1;
  }

  snapshot(): { graphqlRequests: number; loaders: Record<string, LoaderStats> } {
    return { graphqlRequests: this.graphqlRequests, loaders: Object.fromEntries([...this.loaders].map(([k, v]) => [k, { ...v }])) };
  }

  reset(): void {
    this.loaders.clear();
    this.graphqlRequests = 0;
  }
}

/** A request-scoped DataLoader whose batches are counted under `name`. */
export function countedLoader<K, V>(stats: BatchStats, name: string, load: (keys: readonly K[]) => Array<V | Error>): DataLoader<K, V> {
  return new DataLoader<K, V>(async (keys) => {
    stats.recordBatch(name, keys.length);
    return load(keys);
  });
}

/** GraphQL list arguments checked like REST paging: a bad `first`/`offset` is BAD_USER_INPUT. */
export function assertListArguments(first: number, offset = 0): void {
  const problem = checkListArguments(first, offset);
  if (problem) throw new GraphQLError(problem, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** The caller may not read this object or field: the service's own rule, answered as FORBIDDEN. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
}
