/** The edge policies' environment variables (trusted proxies, access rules, CORS) and how they map into `policies`. */
import { envMapping, list, oneOf, optionalText, shownDefault } from '../../config/env';
import type { AccessRules } from './access-rules';
import type { CorsSettings } from './edge-headers';

export const edgeEnv = envMapping({
  title: 'Edge: proxies, access rules, CORS',
  settingsKeys: { trustedProxies: ['TRUSTED_PROXIES'], accessRules: ['IP_ALLOW', 'IP_DENY', 'USER_AGENT_DENY'], cors: ['CORS_ORIGINS', 'CORS_CREDENTIALS'] },
  spec: {
    TRUSTED_PROXIES: optionalText('comma-separated IPs/CIDRs whose `X-Forwarded-For` (and `-Proto`, `-Host`) is believed; the forwarded headers Portico sends upstream extend the chain only through them'),
    IP_ALLOW: optionalText('comma-separated IPs/CIDRs that alone are served (client address through `TRUSTED_PROXIES`)'),
    IP_DENY: optionalText('comma-separated IPs/CIDRs refused with 403 (checked first)'),
    USER_AGENT_DENY: optionalText('comma-separated regular expressions of user agents refused with 403, matched against the first 512 characters; a pattern that could backtrack catastrophically (`(a+)+`) is refused at start'),
    CORS_ORIGINS: shownDefault(optionalText('comma-separated origins allowed from browsers, e.g. `https://app.example.com` (`*` for any)'), '(none: same-origin only)'),
    CORS_CREDENTIALS: oneOf('allow cookies cross-origin (`true`/`false`; not with `*`)', ['true', 'false'] as const, 'false'),
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
