/**
 * The one place Portico builds an Apollo Gateway: from a supergraph text, it reads the
 * authorization rules, checks that every `@policy` name is declared, and returns the
 * gateway together with the plugin enforcing those rules. The gateway only ever sees the
 * SDL `prepareSupergraph` produced from the same text, so a supergraph cannot be served
 * (first load, reload, URL source, contract, partner operations) with its rules unread.
 */
import { ApolloGateway, type GatewayConfig } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { assertPoliciesDeclared, type GraphqlAuthorizationSettings } from './authorization-policies';
import { createAuthorizationCheck, type AuthorizationCheck } from './authorization-check';
import { authorizationPlugin, type AuthorizationContext } from './authorization-plugin';
import { prepareSupergraph, type AuthorizedSupergraph } from './supergraph-authorization';

export interface AuthorizedGateway<C extends AuthorizationContext> {
  gateway: ApolloGateway;
  supergraph: AuthorizedSupergraph;
  /** Must be among the Apollo Server's plugins: it is what enforces the rules. */
  plugin: ApolloServerPlugin<C>;
  /** The plugin's check, for requests executed without Apollo Server's pipeline (direct-execution.ts). */
  check: AuthorizationCheck;
}

/** Throws (a load error) when the text is not a supergraph or names an undeclared policy. */
export function createAuthorizedGateway<C extends AuthorizationContext>(
  supergraphText: string,
  settings: GraphqlAuthorizationSettings | undefined,
  config: Pick<GatewayConfig, 'logger' | 'buildService' | 'queryPlannerConfig' | 'experimental_didResolveQueryPlan'>,
): AuthorizedGateway<C> {
  const supergraph = prepareSupergraph(supergraphText);
  assertPoliciesDeclared(supergraph.rules, settings?.policies);
  const gateway = new ApolloGateway({ ...config, supergraphSdl: supergraph.gatewaySdl });
  const check = createAuthorizationCheck(supergraph, settings);
  return { gateway, supergraph, plugin: authorizationPlugin<C>(check, settings), check };
}
