/** The authentication stage of one BFF: its verifiers, their metrics and lifecycle, and the kinds of callers it serves. */
import type { FastifyInstance } from 'fastify';
import { authnPlugin } from './authn-plugin';
import { authnPluginOptions, type AuthnSettings } from './authn-settings';
import type { PrincipalKind } from './principal';

export async function registerAuthentication(app: FastifyInstance, settings: AuthnSettings, principalKinds: readonly PrincipalKind[] | undefined): Promise<void> {
  const { metrics } = app;
  const options = authnPluginOptions(
    settings,
    (code) => metrics.authFailures.inc({ reason: code }),
    {
      onReady: (task) => app.addHook('onReady', task),
      onClose: (task) => app.addHook('onClose', task),
      onKeyPrefetchFailure: (err) => app.log.warn({ err }, 'the JWKS could not be fetched at start; the first token will fetch it again'),
    },
    {
      onCall: (outcome) => metrics.introspectionRequests.inc({ outcome }),
      onCache: (result) => metrics.introspectionCache.inc({ result }),
      // Refused client credentials are a gateway misconfiguration: the log says which.
      onEndpointFailure: (outcome, err) => app.log.error({ err, outcome }, `token introspection failed: ${err.message}`),
    },
  );
  await app.register(authnPlugin, { ...options, ...(principalKinds ? { principalKinds } : {}) });
}
