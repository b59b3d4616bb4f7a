/**
 * Circuit breakers as a pipeline step: one breaker per upstream, always on, tuned by
 * `policies.breakers`. Its stage makes the registry available to the route stage, whose
 * upstream clients consult it on every call.
 */
import { BREAKER_STATE_VALUE } from '../observability/metrics';
import { definePolicy, policyStage } from '../policies/policy';
import { createBreakerRegistry, type BreakerSettings } from './breaker';
import { BreakerSettingsSchema } from './breaker-settings';

export interface BreakerPolicySettings {
  /** Circuit breaker settings (`all` plus per-upstream overrides); breakers are always on. */
  breakers?: BreakerSettings;
}

export const breakerPolicy = definePolicy<BreakerPolicySettings>({
  name: 'circuit breakers',
  settings: { breakers: BreakerSettingsSchema },
  env: [],
});

export const circuitBreakersStage = policyStage(breakerPolicy, 'circuit breakers', async ({ breakers: settings }, { app }) => {
  const breakers = createBreakerRegistry(settings, (upstream, state) => {
    app.log.warn({ upstream, state }, 'circuit breaker state changed');
    app.metrics.breakerState.set({ upstream }, BREAKER_STATE_VALUE[state]);
    app.metrics.breakerTransitions.inc({ upstream, to: state });
  });
  app.decorate('breakers', breakers);
  app.addHook('onClose', async () => breakers.shutdown());
});
