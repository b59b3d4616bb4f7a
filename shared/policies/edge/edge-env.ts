/** The edge policies' environment variables (trusted proxies, access rules, CORS) and how they map into `policies`. */
import { envMapping, list, oneOf, optionalText } from '../../config/env';
import type { AccessRules } from './access-rules';
import type { CorsSettings } from './edge-headers';

export const edgeEnv = envMapping({
  title: 'Edge: proxies, access rules, CORS',
  spec: {
    TRUSTED_PROXIES: optionalText('Comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed'),
    IP_ALLOW: optionalText('Comma-separated IPs/CIDRs that alone are served (client address through TRUSTED_PROXIES)'),
    IP_DENY: optionalText('Comma-separated IPs/CIDRs that are refused with 403'),
    USER_AGENT_DENY: optionalText('Comma-separated regular expressions; matching user agents are refused with 403'),
    CORS_ORIGINS: optionalText('Comma-separated origins allowed to call from a browser (`*` for any); unset: no CORS'),
    CORS_CREDENTIALS: oneOf('Allow cookies and credentials cross-origin (true/false)', ['true', 'false'] as const, 'false'),
  },
  toSettings(parsed): { trustedProxies?: string[]; accessRules?: AccessRules; cors?: CorsSettings } {
    const trustedProxies = list(parsed.TRUSTED_PROXIES);
    const corsOrigins = list(parsed.CORS_ORIGINS);
    const allow = list(parsed.IP_ALLOW);
    const deny = list(parsed.IP_DENY);
    const denyUserAgents = list(parsed.USER_AGENT_DENY);
    const accessRules = allow || deny || denyUserAgents ? { ...(allow ? { allow } : {}), ...(deny ? { deny } : {}), ...(denyUserAgents ? { denyUserAgents } : {}) } : undefined;
    return {
      ...(trustedProxies ? { trustedProxies } : {}),
      ...(corsOrigins ? { cors: { origins: corsOrigins, credentials: parsed.CORS_CREDENTIALS === 'true' } } : {}),
      ...(accessRules ? { accessRules } : {}),
    };
  },
});
