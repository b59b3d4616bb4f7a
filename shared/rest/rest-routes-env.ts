/**
 * The REST routes' environment variables (partner): `UPSTREAM_URL_<NAME>` moves an
 * upstream to another origin; `UPSTREAM_TARGETS_<NAME>` (see target-settings-env) gives it
 * several targets.
 */
import { ConfigError, type EnvFamily } from '../config/env';
import { UPSTREAM_TARGETS_PREFIX } from '../upstream/target-settings-env';
import { upstreamsWithoutOrigin, type RestFacadeOptions } from './route-table';

export const UPSTREAM_URL_PREFIX = 'UPSTREAM_URL_';

export const REST_ENV_FAMILIES: readonly EnvFamily[] = [
  {
    pattern: `${UPSTREAM_URL_PREFIX}<NAME>`,
    defaultText: '(none: required for each upstream without targets; `npm start` sets the demo services\')',
    description: 'one REST upstream\'s origin, e.g. `UPSTREAM_URL_ORDERS=http://orders:4105`',
  },
];

/** Pure: the variable spelling of an upstream name (`order-items` → `ORDER_ITEMS`). */
export function envName(prefix: string, name: string): string {
  return `${prefix}${name.toUpperCase().replace(/-/g, '_')}`;
}

/** Pure: names that a prefixed variable gives and the facade does not have, as problems; throws ConfigError when any. */
export function refuseUnknownUpstreams(routes: RestFacadeOptions, byPrefix: ReadonlyArray<[prefix: string, names: readonly string[]]>): void {
  const problems = byPrefix.flatMap(([prefix, names]) =>
    names.filter((name) => !routes.upstreams[name]).map((name) => `${envName(prefix, name)}: no upstream named '${name}' (known: ${Object.keys(routes.upstreams).join(', ')})`),
  );
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Throws ConfigError naming the variable to set for every upstream that has neither an origin nor targets. */
export function requireUpstreamOrigins(routes: RestFacadeOptions): void {
  const problems = upstreamsWithoutOrigin(routes).map(
    (name) => `${envName(UPSTREAM_URL_PREFIX, name)}: is required (upstream '${name}' has no origin; or set routes.upstreams.${name}.origin in PORTICO_CONFIG, or ${envName(UPSTREAM_TARGETS_PREFIX, name)})`,
  );
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Pure: the upstreams with `UPSTREAM_URL_<NAME>` overrides applied (origin only). */
export function upstreamsWithOverrides(upstreams: RestFacadeOptions['upstreams'], overrides: Readonly<Record<string, string>>): RestFacadeOptions['upstreams'] {
  return Object.fromEntries(Object.entries(upstreams).map(([name, upstream]) => [name, overrides[name] ? { ...upstream, origin: new URL(overrides[name]).origin } : upstream]));
}
