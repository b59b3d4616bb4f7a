/**
 * The schema of a REST BFF's routes (`manifest.routes` with `kind: 'rest'`): upstreams,
 * their targets and the operation executor. The route tables themselves (`versions`) hold
 * handlers and per-route rules and keep their own validation (`validateRouteTables`).
 */
import { Type } from '@sinclair/typebox';
import { GraphqlAuthorizationSettingsSchema } from '../graphql/authorization/authorization-policies';
import { HttpUrlSchema } from '../graphql/federated-graphql-settings';
import { UpstreamPoolOptionsSchema } from '../upstream/upstream-pool-settings';
import { UpstreamTargetsSettingsSchema } from '../upstream/target-settings';

export const RestUpstreamSchema = Type.Object(
  {
    origin: Type.Optional(Type.String({ pattern: '^https?://[^/\\s]+/?$', errorMessage: 'must be an http(s) origin like http://host:port', description: 'Origin of the service (no path); required unless the upstream has targets' })),
    healthPath: Type.Optional(Type.String({ pattern: '^/', errorMessage: 'must start with /', default: '/healthz', description: 'Path answered with 2xx when healthy' })),
    pool: Type.Optional(UpstreamPoolOptionsSchema),
  },
  { additionalProperties: false },
);

export const RestRoutesSchema = Type.Object(
  {
    kind: Type.Literal('rest'),
    docs: Type.Optional(Type.Object({ title: Type.Optional(Type.String()) }, { additionalProperties: false })),
    upstreams: Type.Record(Type.String(), RestUpstreamSchema),
    upstreamTargets: Type.Optional(Type.Record(Type.String(), UpstreamTargetsSettingsSchema)),
    versions: Type.Array(Type.Object({ version: Type.String({ minLength: 1 }) }, { additionalProperties: true })),
    graphql: Type.Optional(
      Type.Object(
        {
          supergraphPath: Type.String({ minLength: 1 }),
          operationsDir: Type.String({ minLength: 1 }),
          subgraphUrls: Type.Optional(Type.Record(Type.String(), HttpUrlSchema)),
          pool: Type.Optional(UpstreamPoolOptionsSchema),
          authorization: Type.Optional(Type.Pick(GraphqlAuthorizationSettingsSchema, ['policies'], { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
