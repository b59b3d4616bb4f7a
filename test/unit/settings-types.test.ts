/**
 * Each settings schema and the TypeScript type code is written against describe the same
 * thing: what passes a schema type-checks as its settings, and settings written in code
 * pass the schema's key set. The assertions are compile-time (`npm test` type-checks first).
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { PIPELINE_POLICIES, type PipelinePolicySettings } from '../../shared/pipeline';
import { PolicySettingsSchema } from '../../shared/manifest';
import type { EdgeSettings } from '../../shared/policies/edge/edge-policy';
import type { AuthnPolicySettings } from '../../shared/policies/authn/authn-policy';
import type { RateLimitPolicySettings } from '../../shared/policies/rate-limit/rate-limit-policy';
import type { ResponseCachePolicySettings } from '../../shared/policies/response-cache/response-cache-policy';
import type { BreakerPolicySettings } from '../../shared/upstream/breaker-policy';
import { AccessRulesSchema, CorsSettingsSchema, TrustedProxiesSchema } from '../../shared/policies/edge/edge-settings';
import { AuthnSettingsSchema, ExtraIdentityHeadersSchema, PrincipalKindsSchema } from '../../shared/policies/authn/authn-settings';
import { RateLimitSettingsSchema } from '../../shared/policies/rate-limit/rate-limit-settings';
import { ResponseCacheSettingsSchema } from '../../shared/policies/response-cache/response-cache-settings';
import { BreakerSettingsSchema } from '../../shared/upstream/breaker-settings';
import { ServerSettingsSchema, type ServerSettings } from '../../shared/server-settings';

/** `true` when every value valid for the schema is a value of `T` (the direction that keeps code honest about input). */
type SchemaFits<S extends TSchema, T> = [Static<S>] extends [T] ? true : false;
/** `true` when the type names no key the schema lacks. */
type NoExtraKeys<S extends TSchema, T> = Exclude<keyof T, keyof Static<S>> extends never ? true : false;

const fits = {
  trustedProxies: true as SchemaFits<typeof TrustedProxiesSchema, NonNullable<EdgeSettings['trustedProxies']>>,
  cors: true as SchemaFits<typeof CorsSettingsSchema, NonNullable<EdgeSettings['cors']>>,
  accessRules: true as SchemaFits<typeof AccessRulesSchema, NonNullable<EdgeSettings['accessRules']>>,
  authn: true as SchemaFits<typeof AuthnSettingsSchema, NonNullable<AuthnPolicySettings['authn']>>,
  principalKinds: true as SchemaFits<typeof PrincipalKindsSchema, NonNullable<AuthnPolicySettings['principalKinds']>>,
  extraIdentityHeaders: true as SchemaFits<typeof ExtraIdentityHeadersSchema, NonNullable<AuthnPolicySettings['extraIdentityHeaders']>>,
  rateLimit: true as SchemaFits<typeof RateLimitSettingsSchema, NonNullable<RateLimitPolicySettings['rateLimit']>>,
  responseCache: true as SchemaFits<typeof ResponseCacheSettingsSchema, NonNullable<ResponseCachePolicySettings['responseCache']>>,
  breakers: true as SchemaFits<typeof BreakerSettingsSchema, NonNullable<BreakerPolicySettings['breakers']>>,
  server: true as SchemaFits<typeof ServerSettingsSchema, ServerSettings>,
} satisfies Record<string, true>;

const keys = {
  cors: true as NoExtraKeys<typeof CorsSettingsSchema, NonNullable<EdgeSettings['cors']>>,
  accessRules: true as NoExtraKeys<typeof AccessRulesSchema, NonNullable<EdgeSettings['accessRules']>>,
  authn: true as NoExtraKeys<typeof AuthnSettingsSchema, NonNullable<AuthnPolicySettings['authn']>>,
  rateLimit: true as NoExtraKeys<typeof RateLimitSettingsSchema, NonNullable<RateLimitPolicySettings['rateLimit']>>,
  responseCache: true as NoExtraKeys<typeof ResponseCacheSettingsSchema, NonNullable<ResponseCachePolicySettings['responseCache']>>,
  breakers: true as NoExtraKeys<typeof BreakerSettingsSchema, NonNullable<BreakerPolicySettings['breakers']>>,
  server: true as NoExtraKeys<typeof ServerSettingsSchema, ServerSettings>,
  policies: true as NoExtraKeys<typeof PolicySettingsSchema, PipelinePolicySettings>,
} satisfies Record<string, true>;

describe('settings types and schemas', () => {
  it('agree for every policy slice and the server settings (checked by the compiler)', () => {
    expect(Object.values(fits).every(Boolean)).toBe(true);
    expect(Object.values(keys).every(Boolean)).toBe(true);
  });

  it('cover every key a pipeline policy owns', () => {
    const owned = PIPELINE_POLICIES.flatMap((policy) => Object.keys(policy.settings));
    expect(owned.filter((key) => !(key in fits)).sort()).toEqual([]);
  });
});
