/**
 * The edge policy: what is decided before any credential is looked at. Security headers
 * and CORS on every answer (preflights answered here), then IP and user-agent access rules.
 * `trustedProxies` is read when the app is built: it decides what `request.ip` is.
 */
import { definePolicy, policyStage } from '../policy';
import { accessRulesPlugin, type AccessRules } from './access-rules';
import { edgeEnv } from './edge-env';
import { registerEdgeHeaders, type CorsSettings } from './edge-headers';
import { AccessRulesSchema, accessRulesSemantics, CorsSettingsSchema, corsSemantics, TrustedProxiesSchema } from './edge-settings';

export interface EdgeSettings {
  /** Proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed for the client address. Default none. */
  trustedProxies?: readonly string[];
  /** Cross-origin browser access; absent means no CORS headers (same-origin only). */
  cors?: CorsSettings;
  /** IP allow/deny lists and user-agent deny patterns, checked before authentication; absent means everyone. */
  accessRules?: AccessRules;
}

export const edgePolicy = definePolicy<EdgeSettings>({
  name: 'edge',
  settings: { trustedProxies: TrustedProxiesSchema, cors: CorsSettingsSchema, accessRules: AccessRulesSchema },
  semantics: ({ cors, accessRules }) => [...(cors ? corsSemantics(cors) : []), ...(accessRules ? accessRulesSemantics(accessRules) : [])],
  env: [edgeEnv],
});

export const edgeHeadersStage = policyStage(edgePolicy, 'edge headers', async ({ cors }, { app }) => registerEdgeHeaders(app, cors));

export const accessRulesStage = policyStage(edgePolicy, 'access rules', async ({ accessRules }, { app }) => {
  if (accessRules) await app.register(accessRulesPlugin, { rules: accessRules, onDenied: (rule) => app.metrics.accessDenied.inc({ rule }) });
});
