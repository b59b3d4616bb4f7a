/**
 * The edge slices of a BFF manifest, checked before authentication: CORS, access rules
 * (IP allow/deny, user-agent deny) and the trusted proxies whose `X-Forwarded-For` is
 * believed. Shapes are the schemas'; what they cannot say (CIDR syntax, safe patterns,
 * credentials with `*`) stays in `validateCorsSettings` and `validateAccessRules`.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validateAccessRules, type AccessRules } from './access-rules';
import { DEFAULT_CORS_ALLOWED_HEADERS, DEFAULT_CORS_METHODS, DEFAULT_CORS_MAX_AGE_SEC, validateCorsSettings, type CorsSettings } from './edge-headers';

const Strings = (description: string, extra: object = {}) => Type.Array(Type.String({ minLength: 1 }), { description, ...extra });

export const CorsSettingsSchema = Type.Object(
  {
    origins: Strings('Allowed origins (scheme://host[:port]), or * for any', { minItems: 1 }),
    methods: Type.Optional(Strings('Allowed methods', { default: DEFAULT_CORS_METHODS })),
    allowedHeaders: Type.Optional(Strings('Request headers a browser may send', { default: DEFAULT_CORS_ALLOWED_HEADERS })),
    credentials: Type.Optional(Type.Boolean({ default: false, description: 'Send cookies and credentials cross-origin' })),
    maxAgeSec: Type.Optional(Type.Integer({ minimum: 0, default: DEFAULT_CORS_MAX_AGE_SEC, description: 'How long browsers may cache a preflight, in seconds' })),
  },
  { additionalProperties: false },
);

export const AccessRulesSchema = Type.Object(
  {
    allow: Type.Optional(Strings('IPs/CIDRs that alone are served')),
    deny: Type.Optional(Strings('IPs/CIDRs refused with 403 (checked first)')),
    denyUserAgents: Type.Optional(Strings('Regular expressions (case-insensitive) of refused user agents')),
  },
  { additionalProperties: false },
);

/** `policies.trustedProxies`: IPs or CIDRs. */
export const TrustedProxiesSchema = Strings('Proxies whose X-Forwarded-For is believed for the client address');

/** Pure: what the CORS schema cannot say (origin syntax, credentials with `*`); meaningful once the shape is right. */
export function corsSemantics(cors: CorsSettings): string[] {
  return Value.Check(CorsSettingsSchema, cors) ? validateCorsSettings(cors) : [];
}

/** Pure: what the access-rules schema cannot say (CIDR syntax, safe patterns); meaningful once the shape is right. */
export function accessRulesSemantics(rules: AccessRules): string[] {
  return Value.Check(AccessRulesSchema, rules) ? validateAccessRules(rules) : [];
}
