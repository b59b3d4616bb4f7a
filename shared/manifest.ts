/**
 * The shape every BFF is assembled from. A BFF's `manifest.ts` declares its server
 * limits and its route kind (federated GraphQL or a REST facade); `main.ts` applies the
 * environment to it once, and `defineManifest` rejects anything it does not know, so a
 * typo in configuration fails at start instead of being silently ignored.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FederatedGraphqlOptions } from './graphql/federated-graphql-plugin';
import { GraphqlRoutesSchema } from './graphql/federated-graphql-settings';
import type { RestFacadeOptions } from './rest/route-table';
import { RestRoutesSchema } from './rest/rest-settings';
import { ConfigError } from './config/env';
import { checkSettings } from './config/check-settings';
import { PIPELINE_POLICIES, type PipelinePolicySettings } from './pipeline';
import { ServerSettingsSchema, serverSemantics, type ServerSettings } from './server-settings';
import { targetSemantics } from './upstream/target-settings';

export { DEFAULT_SERVER_SETTINGS, type ServerSettings } from './server-settings';

/** The routes of a GraphQL BFF (web, mobile): a federated GraphQL endpoint over a supergraph. */
export type GraphqlRoutes = { kind: 'graphql' } & FederatedGraphqlOptions;
/** The routes of a REST BFF (partner): versioned route tables over upstream services. */
export type RestRoutes = { kind: 'rest'; docs?: { title?: string } } & RestFacadeOptions;
export type BffRoutes = GraphqlRoutes | RestRoutes;

export interface BffManifest<R extends BffRoutes = BffRoutes> {
  /** BFF name: used in logs, metrics and upstream headers. */
  name: string;
  server: ServerSettings;
  /** The route stage: which kind of BFF this is and what it serves. */
  routes: R;
  /** The policy stages; a missing slice leaves its stage out. */
  policies?: PolicySettings;
}

/** The policy slices, each owned by a policy of the pipeline (`shared/pipeline.ts`); a missing slice leaves its stages idle. */
export type PolicySettings = PipelinePolicySettings;

/** `manifest.policies`: composed from the settings each pipeline policy declares. */
export const PolicySettingsSchema = Type.Object(
  Object.fromEntries(PIPELINE_POLICIES.flatMap((policy) => Object.entries(policy.settings as Record<string, TSchema>).map(([key, schema]) => [key, Type.Optional(schema)]))),
  { additionalProperties: false },
);

/** The whole manifest: each slice's schema is its owner's. */
export const ManifestSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*$', errorMessage: 'must be a lowercase identifier', description: 'BFF name: logs, metrics, upstream headers, Redis key prefixes' }),
    server: ServerSettingsSchema,
    routes: Type.Union([GraphqlRoutesSchema, RestRoutesSchema]),
    policies: Type.Optional(PolicySettingsSchema),
  },
  { additionalProperties: false },
);

/** Pure: the checks a schema cannot express, each owned by its slice's module. */
function semanticProblems(manifest: BffManifest): string[] {
  const problems: string[] = [];
  if (manifest.server && typeof manifest.server === 'object') problems.push(...serverSemantics(manifest.server));
  const routes = manifest.routes;
  const targets = routes?.kind === 'graphql' ? routes.subgraphTargets : undefined;
  for (const [name, settings] of Object.entries(targets ?? {})) {
    if (settings !== null && typeof settings === 'object') problems.push(...targetSemantics(settings as unknown as Record<string, unknown>, `routes.subgraphTargets.${name}`));
  }
  const policies = manifest.policies;
  if (!policies || typeof policies !== 'object') return problems;
  for (const policy of PIPELINE_POLICIES) problems.push(...(policy.semantics?.(policies) ?? []));
  return problems;
}

/**
 * Pure validation: every problem in the manifest, as sentences naming the offending key by
 * its path (`policies.rateLimit.plans.pro.limit must be >= 1, got 0`), unknown keys included.
 */
export function validateManifest(manifest: BffManifest): string[] {
  const problems = checkSettings(ManifestSchema, manifest);
  return manifest !== null && typeof manifest === 'object' ? [...problems, ...semanticProblems(manifest)] : problems;
}
/** Validates and returns the manifest; throws one error listing every problem. */
export function defineManifest<M extends BffManifest>(manifest: M): M {
  const problems = validateManifest(manifest);
  // Manifest values come partly from the environment: report them like other configuration errors.
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `manifest '${manifest.name}': ${p}`));
  return manifest;
}
