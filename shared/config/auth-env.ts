/**
 * Environment variables of the policy stages, common to every BFF: authentication
 * (JWT via JWKS, API keys) and trusted proxies.
 */
import type { PolicySettings } from '../manifest';
import type { AuthnSettings } from '../policies/authn/authn-settings';
import { ConfigError, oneOf, optionalHttpUrl, optionalText, readEnv } from './env';

export const authEnvSpec = {
  AUTH: oneOf('`required`: every non-public route needs credentials; `off`: no authentication (local experiments only)', ['required', 'off'] as const, 'required'),
  JWT_JWKS_URL: optionalHttpUrl('JWKS URL the bearer tokens are verified against'),
  JWT_JWKS_FILE: optionalText('Local JWKS file, instead of JWT_JWKS_URL'),
  JWT_ISSUER: optionalText('Accepted token issuer (`iss`); required with a JWKS'),
  JWT_AUDIENCE: optionalText('Accepted token audience (`aud`); required with a JWKS'),
  JWT_ALGORITHMS: optionalText('Comma-separated accepted algorithms (default RS256,PS256,ES256,EdDSA)'),
  API_KEYS_FILE: optionalText('API key file (hashes only; see `npm run apikey`)'),
  TRUSTED_PROXIES: optionalText('Comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed'),
};

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/** The policy settings the environment describes; throws ConfigError naming what is missing. */
export function policiesFromEnv(env: NodeJS.ProcessEnv): PolicySettings {
  const parsed = readEnv(env, authEnvSpec);
  const trustedProxies = list(parsed.TRUSTED_PROXIES);
  const policies: PolicySettings = trustedProxies ? { trustedProxies } : {};
  if (parsed.AUTH === 'off') return policies;

  const problems: string[] = [];
  const authn: AuthnSettings = {};
  if (parsed.JWT_JWKS_URL || parsed.JWT_JWKS_FILE) {
    if (parsed.JWT_JWKS_URL && parsed.JWT_JWKS_FILE) problems.push('JWT_JWKS_URL and JWT_JWKS_FILE: set only one');
    if (!parsed.JWT_ISSUER) problems.push('JWT_ISSUER: is required with a JWKS');
    if (!parsed.JWT_AUDIENCE) problems.push('JWT_AUDIENCE: is required with a JWKS');
    authn.jwt = {
      ...(parsed.JWT_JWKS_URL ? { jwksUrl: parsed.JWT_JWKS_URL } : { jwksFile: parsed.JWT_JWKS_FILE }),
      issuer: parsed.JWT_ISSUER ?? '',
      audience: parsed.JWT_AUDIENCE ?? '',
      ...(list(parsed.JWT_ALGORITHMS) ? { algorithms: list(parsed.JWT_ALGORITHMS) } : {}),
    };
  }
  if (parsed.API_KEYS_FILE) authn.apiKeys = { file: parsed.API_KEYS_FILE };
  if (!authn.jwt && !authn.apiKeys) problems.push('AUTH=required: set JWT_JWKS_URL (or JWT_JWKS_FILE) or API_KEYS_FILE, or AUTH=off to run without authentication');
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...policies, authn };
}
