/**
 * A fixture supergraph: a few subgraph schemas over one dataset. `startFixture` serves every
 * subgraph on 127.0.0.1 (a plain node:http server per subgraph executing graphql-js over a
 * `buildSubgraphSchema` schema with the generic resolvers), composes the supergraph with the
 * real URLs and derives its API schema.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  Kind,
  execute,
  isAbstractType,
  parse,
  validate,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type StringValueNode,
} from 'graphql';
import type { OperationGeneratorOptions } from './operation-generator';
import { createFieldResolver, parseKeyFields, resolveReference, rootNode, type Dataset, type KeySelection } from './dataset';

export interface FixtureSubgraph {
  readonly name: string;
  /** Federation 2 SDL of the subgraph. */
  readonly typeDefs: string;
}

/** Argument values worth generating for one argument, by `Type.field.argument` (otherwise generic values by type). */
export type ArgumentValues = Readonly<Record<string, readonly unknown[]>>;

export interface Fixture {
  readonly name: string;
  readonly subgraphs: readonly FixtureSubgraph[];
  readonly dataset: Dataset;
  /** Values the operation generator picks for the named arguments (ids that exist, some that do not). */
  readonly argumentValues?: ArgumentValues;
  /**
   * Generator constraints that keep operations away from Apollo Gateway bugs this fixture
   * hits, each documented where the fixture declares it. Applied when Apollo Gateway is
   * compared with the oracle.
   */
  readonly apolloGatewayExclusions?: Pick<OperationGeneratorOptions, 'conditionSensitiveFields' | 'excludedTypeConditions' | 'aliasedTypenameOn' | 'unconditionalFragmentsWithin'>;
}

export interface RunningFixture {
  readonly fixture: Fixture;
  readonly supergraphSdl: string;
  /** The supergraph's API schema (what clients see), as graphql-js. */
  readonly apiSchema: GraphQLSchema;
  /** GraphQL endpoint per subgraph name. */
  readonly urls: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** The federation link every fixture subgraph starts with. */
export const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@override", "@inaccessible", "@interfaceObject"])';

export function composeFixture(fixture: Fixture, urls: Readonly<Record<string, string>> = {}): { supergraphSdl: string; apiSchema: GraphQLSchema } {
  const result = composeServices(
    fixture.subgraphs.map((subgraph) => ({ name: subgraph.name, typeDefs: parse(subgraph.typeDefs), url: urls[subgraph.name] ?? `http://127.0.0.1:9/${subgraph.name}` })),
  );
  if (result.errors) throw new Error(`fixture ${fixture.name} does not compose:\n${result.errors.map((error) => error.message).join('\n')}`);
  const apiSchema = Supergraph.build(result.supergraphSdl).apiSchema().toGraphQLJSSchema();
  return { supergraphSdl: result.supergraphSdl, apiSchema };
}

/** The `@key` selections per entity type (object, interface or `@interfaceObject`) declared in the SDL. */
function entityKeys(typeDefs: DocumentNode): Map<string, KeySelection[]> {
  const keys = new Map<string, KeySelection[]>();
  for (const definition of typeDefs.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'key') continue;
      const fields = directive.arguments?.find((argument) => argument.name.value === 'fields')?.value as StringValueNode | undefined;
      if (!fields) continue;
      const list = keys.get(definition.name.value) ?? [];
      list.push(parseKeyFields(fields.value));
      keys.set(definition.name.value, list);
    }
  }
  return keys;
}

function buildFixtureSubgraphSchema(subgraph: FixtureSubgraph, dataset: Dataset, apiSchema: GraphQLSchema): GraphQLSchema {
  const typeDefs = parse(subgraph.typeDefs);
  const resolvers: GraphQLResolverMap<unknown> = {};
  for (const [typename, keys] of entityKeys(typeDefs)) {
    // An @interfaceObject type is an interface in the supergraph: its records are its implementations'.
    const apiType = apiSchema.getType(typename);
    const typenames = apiType && isAbstractType(apiType) ? apiSchema.getPossibleTypes(apiType).map((type) => type.name) : [typename];
    resolvers[typename] = { __resolveReference: (representation: Record<string, unknown>) => resolveReference(dataset, typenames, keys, representation) };
  }
  return buildSubgraphSchema([{ typeDefs, resolvers }]);
}

interface PreparedDocument {
  document?: DocumentNode;
  errors?: readonly GraphQLError[];
}

/** A subgraph request as the fixture received it. */
export interface SubgraphRequest {
  readonly subgraph: string;
  readonly query: string;
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** A subgraph's HTTP answer: what the fixture computed, or what a fault layer made of it. */
export interface SubgraphReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** A reply that never comes: the subgraph holds the request until the caller gives up (a timeout). */
export const NO_REPLY = 'no-reply';

export interface StartFixtureOptions {
  /** Called with every subgraph request, before it executes (to record or inspect plans). */
  readonly onSubgraphRequest?: (request: SubgraphRequest) => void;
  /**
   * Rewrites the real answer before it is sent (fault injection at the transport): the
   * request with its `x-request-id` header, the reply the subgraph computed.
   */
  readonly rewriteReply?: (request: SubgraphRequest & { readonly requestId?: string }, reply: SubgraphReply) => SubgraphReply | typeof NO_REPLY;
}

function createSubgraphHandler(name: string, schema: GraphQLSchema, dataset: Dataset, options: StartFixtureOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const fieldResolver = createFieldResolver(dataset);
  const root = rootNode(dataset);
  // The gateway sends the same few subgraph documents over and over.
  const prepared = new Map<string, PreparedDocument>();
  const prepare = (query: string): PreparedDocument => {
    let entry = prepared.get(query);
    if (!entry) {
      try {
        const document = parse(query);
        const errors = validate(schema, document);
        entry = errors.length > 0 ? { errors } : { document };
      } catch (error) {
        entry = { errors: [error as GraphQLError] };
      }
      prepared.set(query, entry);
    }
    return entry;
  };
  return (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        let body: unknown;
        let received: SubgraphRequest | undefined;
        try {
          const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown>; operationName?: string };
          received = { subgraph: name, query, variables };
          options.onSubgraphRequest?.(received);
          const { document, errors } = prepare(query);
          body = document
            ? await execute({ schema, document, rootValue: root, variableValues: variables, operationName, fieldResolver })
            : { errors: errors?.map((error) => ({ message: error.message })) };
        } catch (error) {
          body = { errors: [{ message: (error as Error).message }] };
        }
        let reply: SubgraphReply | typeof NO_REPLY = { status: 200, contentType: 'application/json', body: JSON.stringify(body) };
        if (options.rewriteReply && received) {
          const requestId = request.headers['x-request-id'];
          reply = options.rewriteReply({ ...received, requestId: typeof requestId === 'string' ? requestId : undefined }, reply);
        }
        // Held until the caller gives up and closes the connection (or the fixture closes).
        if (reply === NO_REPLY) return;
        response.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
        response.end(reply.body);
      })();
    });
  };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}/graphql`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Serves the fixture's subgraphs on loopback and composes the supergraph pointing at them. */
export async function startFixture(fixture: Fixture, options: StartFixtureOptions = {}): Promise<RunningFixture> {
  const servers: Server[] = [];
  const close = async () => {
    await Promise.all(servers.map(closeServer));
  };
  try {
    const { apiSchema } = composeFixture(fixture);
    const urls: Record<string, string> = {};
    for (const subgraph of fixture.subgraphs) {
      const schema = buildFixtureSubgraphSchema(subgraph, fixture.dataset, apiSchema);
      // Idle keep-alive connections stay open for the whole run: a server closing one just as a
      // client reuses it (Node's 5 s default, reached on a slow machine) resets that request.
      const server = createServer({ keepAliveTimeout: 600_000 }, createSubgraphHandler(subgraph.name, schema, fixture.dataset, options));
      servers.push(server);
      urls[subgraph.name] = await listen(server);
    }
    const { supergraphSdl } = composeFixture(fixture, urls);
    return { fixture, supergraphSdl, apiSchema, urls, close };
  } catch (error) {
    await close();
    throw error;
  }
}
