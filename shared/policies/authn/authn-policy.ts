/**
 * The authentication policy, in three stages around the rate limiter: client-sent identity
 * headers are stripped before anything reads a header; credentials (JWT, introspected
 * tokens, API keys) are verified into `request.principal`; after rate limiting, the
 * verified identity becomes the headers every upstream call carries.
 */
import { definePolicy, policyStage } from '../policy';
import { authnEnv, principalKindsEnv } from './authn-env';
import { AuthnSettingsSchema, authnSemantics, ExtraIdentityHeadersSchema, PrincipalKindsSchema, type AuthnSettings } from './authn-settings';
import { registerAuthentication } from './authn-stage';
import { injectIdentityHeadersPlugin, stripIdentityHeadersPlugin } from './header-hygiene-plugin';
import type { PrincipalKind } from './principal';

export interface AuthnPolicySettings {
  /** Authentication; absent means every route is open and no identity is forwarded. */
  authn?: AuthnSettings;
  /** Kinds of principals this BFF serves (`user`, `client`); credentials of another kind are refused with 401. Default: every kind. */
  principalKinds?: readonly PrincipalKind[];
  /** Extra client headers treated as identity headers and stripped (the built-in list is always stripped). */
  extraIdentityHeaders?: readonly string[];
}

export const authnPolicy = definePolicy<AuthnPolicySettings>({
  name: 'authentication',
  settings: { authn: AuthnSettingsSchema, principalKinds: PrincipalKindsSchema, extraIdentityHeaders: ExtraIdentityHeadersSchema },
  semantics: ({ authn }) => (authn !== null && typeof authn === 'object' ? authnSemantics(authn, 'policies.authn') : []),
  env: [authnEnv, principalKindsEnv],
});

/** Always on: nothing later in the pipeline may see a client-sent identity header. */
export const identityHeaderHygieneStage = policyStage(authnPolicy, 'identity header hygiene', async ({ extraIdentityHeaders = [] }, { app }) => {
  await app.register(stripIdentityHeadersPlugin, { extraIdentityHeaders, onStripped: (count) => app.metrics.identityHeadersStripped.inc(count) });
});

export const authenticationStage = policyStage(
  authnPolicy,
  'authentication',
  async ({ authn, principalKinds }, { app }) => {
    if (authn) await registerAuthentication(app, authn, principalKinds);
  },
  ({ authn }) => authn !== undefined,
);

/** Always on: the verified identity (or none) becomes the upstream headers. */
export const transformStage = policyStage(authnPolicy, 'transform', async (_settings, { app }) => {
  await app.register(injectIdentityHeadersPlugin);
});
