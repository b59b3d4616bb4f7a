/**
 * The rate-limit policy, in two stages sharing one limiter: a coarse per-IP limit before
 * authentication (floods are cut before any token work), and the per-principal limit by
 * plan and route after it. Authentication's public paths are exempt from the principal limit.
 */
import type { FastifyInstance } from 'fastify';
import { DEFAULT_PUBLIC_PATHS } from '../authn/authn-plugin';
import { authnPolicy } from '../authn/authn-policy';
import { definePolicy, policyStage, type StageContext } from '../policy';
import { rateLimitEnv } from './rate-limit-env';
import { ipRateLimitPlugin, principalRateLimitPlugin, type RateLimitPluginOptions } from './rate-limit-plugin';
import { RateLimitSettingsSchema, rateLimitSemantics, type RateLimitSettings } from './rate-limit-settings';
import { createBffRateLimiter } from './rate-limit-stage';

export interface RateLimitPolicySettings {
  /** Rate limiting; absent means no limits. */
  rateLimit?: RateLimitSettings;
}

export const rateLimitPolicy = definePolicy<RateLimitPolicySettings>({
  name: 'rate limit',
  settings: { rateLimit: RateLimitSettingsSchema },
  semantics: ({ rateLimit }) => (rateLimit !== null && typeof rateLimit === 'object' ? rateLimitSemantics(rateLimit, 'policies.rateLimit') : []),
  env: [rateLimitEnv],
});

/** One limiter (one store, one set of counters) per app, whichever stage asks first. */
const limiters = new WeakMap<FastifyInstance, RateLimitPluginOptions>();

function limiterOf(settings: RateLimitSettings, { app, bff, settingsOf }: StageContext): RateLimitPluginOptions {
  let limiter = limiters.get(app);
  if (!limiter) {
    limiter = createBffRateLimiter(app, bff, settings, settingsOf(authnPolicy).authn?.publicPaths ?? DEFAULT_PUBLIC_PATHS);
    limiters.set(app, limiter);
  }
  return limiter;
}

const limiting = ({ rateLimit }: RateLimitPolicySettings) => rateLimit !== undefined;

export const perIpRateLimitStage = policyStage(
  rateLimitPolicy,
  'per-IP rate limit',
  async ({ rateLimit }, ctx) => {
    if (rateLimit) await ctx.app.register(ipRateLimitPlugin, limiterOf(rateLimit, ctx));
  },
  limiting,
);

export const principalRateLimitStage = policyStage(
  rateLimitPolicy,
  'principal rate limit',
  async ({ rateLimit }, ctx) => {
    if (rateLimit) await ctx.app.register(principalRateLimitPlugin, limiterOf(rateLimit, ctx));
  },
  limiting,
);
