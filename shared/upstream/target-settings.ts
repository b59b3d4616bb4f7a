/**
 * Configuration of an upstream served by several targets: named, weighted targets (e.g.
 * `stable` 90 and `canary` 10), each with endpoints from fixed origins, DNS or a watched
 * file; how calls are balanced among a target's endpoints; who may pick a target with the
 * override header; active health checks and passive outlier detection.
 *
 * An upstream without this configuration keeps its single origin and its usual code path.
 */

/** How a call picks among the available endpoints of its target. */
export type TargetBalancing = 'round-robin' | 'least-busy';

export const TARGET_BALANCING: readonly TargetBalancing[] = ['round-robin', 'least-busy'];

/** Endpoints from DNS: every address `hostname` resolves to becomes `<protocol>://<address>:<port>`. */
export interface DnsDiscoverySettings {
  hostname: string;
  /** Port every address is called on. */
  port: number;
  /** Default `http`. */
  protocol?: 'http' | 'https';
  /** How often the name is resolved again, in ms. Default 5,000. */
  refreshMs?: number;
  /** Address family: 4 (A only), 6 (AAAA only) or 0 (both). Default 0. */
  family?: 0 | 4 | 6;
}

/** Endpoints from a JSON file `{ "endpoints": ["http://host:port", ...] }`, re-read when it changes. */
export interface FileDiscoverySettings {
  path: string;
  /** How often the file is checked for changes, in ms. Default 1,000. */
  watchMs?: number;
}

/** One weighted target of an upstream; exactly one of `origins`, `dns`, `file` gives its endpoints. */
export interface TargetSettings {
  /** Lowercase identifier: the `target` label in metrics and the value of the override header. */
  name: string;
  /** Share of traffic relative to the other targets' weights; 0 means reached only through the override header. Default 1. */
  weight?: number;
  /** Fixed endpoint origins (`http://host:port`, no path). */
  origins?: readonly string[];
  dns?: DnsDiscoverySettings;
  file?: FileDiscoverySettings;
}

/** Active health checks: `GET <path>` on every endpoint; 2xx/3xx is a pass. */
export interface HealthCheckSettings {
  /** Default `/healthz`. */
  path: string;
  /** Time between checks of an endpoint, in ms. Default 5,000. */
  intervalMs: number;
  /** A check without an answer in this time fails, in ms. Default 1,000. */
  timeoutMs: number;
  /** Consecutive passes that bring an unhealthy endpoint back. Default 2. */
  healthyThreshold: number;
  /** Consecutive failures that take an endpoint out of rotation. Default 3. */
  unhealthyThreshold: number;
}

/** Passive outlier detection: an endpoint that keeps failing real calls is ejected for a while. */
export interface OutlierDetectionSettings {
  /** Consecutive 5xx answers or connection failures that eject an endpoint. Default 5. */
  consecutiveFailures: number;
  /** How long an ejected endpoint stays out of rotation, in ms. Default 30,000. */
  ejectionMs: number;
}

/** Principals whose override header is honoured; any one match is enough. */
export interface TargetOverrideAllowList {
  clientIds?: readonly string[];
  userIds?: readonly string[];
  /** A principal granted any of these scopes may override. */
  scopes?: readonly string[];
}

export interface UpstreamTargetsSettings {
  targets: readonly TargetSettings[];
  /** Default `round-robin`. */
  balancing?: TargetBalancing;
  /** Who may choose a target with the `x-canary` header; absent: the header is ignored for everyone. */
  overrideAllowed?: TargetOverrideAllowList;
  /** Active health checks; absent: none (passive outlier detection still applies). */
  healthCheck?: Partial<HealthCheckSettings>;
  /** Passive outlier detection; `false` turns it off. Default on, with the defaults above. */
  outlierDetection?: Partial<OutlierDetectionSettings> | false;
}

export const DEFAULT_TARGET_WEIGHT = 1;
export const DEFAULT_TARGET_BALANCING: TargetBalancing = 'round-robin';
export const DEFAULT_DNS_REFRESH_MS = 5_000;
export const DEFAULT_FILE_WATCH_MS = 1_000;
export const DEFAULT_HEALTH_CHECK: HealthCheckSettings = { path: '/healthz', intervalMs: 5_000, timeoutMs: 1_000, healthyThreshold: 2, unhealthyThreshold: 3 };
export const DEFAULT_OUTLIER_DETECTION: OutlierDetectionSettings = { consecutiveFailures: 5, ejectionMs: 30_000 };

const SETTINGS_KEYS = new Set(['targets', 'balancing', 'overrideAllowed', 'healthCheck', 'outlierDetection']);
const TARGET_KEYS = new Set(['name', 'weight', 'origins', 'dns', 'file']);
const DNS_KEYS = new Set(['hostname', 'port', 'protocol', 'refreshMs', 'family']);
const FILE_KEYS = new Set(['path', 'watchMs']);
const ALLOW_KEYS = new Set(['clientIds', 'userIds', 'scopes']);
const HEALTH_KEYS = new Set(Object.keys(DEFAULT_HEALTH_CHECK));
const OUTLIER_KEYS = new Set(Object.keys(DEFAULT_OUTLIER_DETECTION));
const TARGET_NAME = /^[a-z][a-z0-9-]*$/;

/** Pure: whether `value` is a bare `http(s)://host[:port]` origin (no path, query or credentials). */
export function isOrigin(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash;
  } catch {
    return false;
  }
}

/** Pure: the canonical spelling of an origin (default port and trailing slash dropped), as undici reports it. */
export function normalizeOrigin(origin: string): string {
  return new URL(origin).origin;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Pure validation: every problem in one upstream's target settings, each prefixed with `where`. */
export function validateTargetSettings(settings: unknown, where: string): string[] {
  const problems: string[] = [];
  const unknown = (at: string, obj: Record<string, unknown>, known: Set<string>) => {
    for (const key of Object.keys(obj)) if (!known.has(key)) problems.push(`${at}: unknown key '${key}'`);
  };
  const positiveInt = (at: string, value: unknown) => {
    if (value !== undefined && (!Number.isInteger(value) || (value as number) <= 0)) problems.push(`${at} must be a positive integer (ms or count), got ${JSON.stringify(value)}`);
  };
  if (!isObject(settings)) return [`${where} must be an object with a 'targets' list`];
  unknown(where, settings, SETTINGS_KEYS);
  const targets = settings.targets;
  if (!Array.isArray(targets) || targets.length === 0) {
    problems.push(`${where}.targets must be a non-empty list`);
  } else {
    const names = new Set<string>();
    let totalWeight = 0;
    targets.forEach((target: unknown, i) => {
      const at = `${where}.targets[${i}]`;
      if (!isObject(target)) return problems.push(`${at} must be an object`);
      unknown(at, target, TARGET_KEYS);
      if (typeof target.name !== 'string' || !TARGET_NAME.test(target.name)) problems.push(`${at}.name must be a lowercase identifier, got ${JSON.stringify(target.name)}`);
      else if (names.has(target.name)) problems.push(`${at}.name '${target.name}' is used twice`);
      else names.add(target.name);
      const weight = target.weight ?? DEFAULT_TARGET_WEIGHT;
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) problems.push(`${at}.weight must be a number >= 0, got ${JSON.stringify(target.weight)}`);
      else totalWeight += weight;
      const sources = (['origins', 'dns', 'file'] as const).filter((k) => target[k] !== undefined);
      if (sources.length !== 1) problems.push(`${at} needs exactly one of 'origins', 'dns', 'file'${sources.length ? `, got ${sources.join(' and ')}` : ''}`);
      if (target.origins !== undefined) {
        if (!Array.isArray(target.origins) || target.origins.length === 0) problems.push(`${at}.origins must be a non-empty list of http(s) origins`);
        else for (const origin of target.origins) if (!isOrigin(origin)) problems.push(`${at}.origins: ${JSON.stringify(origin)} is not an http(s) origin like http://host:port`);
      }
      if (target.dns !== undefined) {
        const dns = target.dns;
        if (!isObject(dns)) problems.push(`${at}.dns must be an object`);
        else {
          unknown(`${at}.dns`, dns, DNS_KEYS);
          if (typeof dns.hostname !== 'string' || dns.hostname.length === 0) problems.push(`${at}.dns.hostname is required`);
          if (!Number.isInteger(dns.port) || (dns.port as number) < 1 || (dns.port as number) > 65535) problems.push(`${at}.dns.port must be 1-65535, got ${JSON.stringify(dns.port)}`);
          if (dns.protocol !== undefined && dns.protocol !== 'http' && dns.protocol !== 'https') problems.push(`${at}.dns.protocol must be http or https`);
          if (dns.family !== undefined && dns.family !== 0 && dns.family !== 4 && dns.family !== 6) problems.push(`${at}.dns.family must be 0, 4 or 6`);
          positiveInt(`${at}.dns.refreshMs`, dns.refreshMs);
        }
      }
      if (target.file !== undefined) {
        const file = target.file;
        if (!isObject(file)) problems.push(`${at}.file must be an object`);
        else {
          unknown(`${at}.file`, file, FILE_KEYS);
          if (typeof file.path !== 'string' || file.path.length === 0) problems.push(`${at}.file.path is required`);
          positiveInt(`${at}.file.watchMs`, file.watchMs);
        }
      }
      return undefined;
    });
    if (totalWeight <= 0 && problems.length === 0) problems.push(`${where}.targets: at least one target needs a weight above 0`);
  }
  if (settings.balancing !== undefined && !TARGET_BALANCING.includes(settings.balancing as TargetBalancing)) problems.push(`${where}.balancing must be one of ${TARGET_BALANCING.join(', ')}`);
  if (settings.overrideAllowed !== undefined) {
    const allow = settings.overrideAllowed;
    if (!isObject(allow)) problems.push(`${where}.overrideAllowed must be an object`);
    else {
      unknown(`${where}.overrideAllowed`, allow, ALLOW_KEYS);
      for (const key of ALLOW_KEYS) {
        const list = allow[key];
        if (list !== undefined && (!Array.isArray(list) || !list.every((v) => typeof v === 'string' && v.length > 0))) problems.push(`${where}.overrideAllowed.${key} must be a list of non-empty strings`);
      }
    }
  }
  if (settings.healthCheck !== undefined) {
    const health = settings.healthCheck;
    if (!isObject(health)) problems.push(`${where}.healthCheck must be an object`);
    else {
      unknown(`${where}.healthCheck`, health, HEALTH_KEYS);
      if (health.path !== undefined && (typeof health.path !== 'string' || !health.path.startsWith('/'))) problems.push(`${where}.healthCheck.path must start with /`);
      for (const key of ['intervalMs', 'timeoutMs', 'healthyThreshold', 'unhealthyThreshold']) positiveInt(`${where}.healthCheck.${key}`, health[key]);
    }
  }
  if (settings.outlierDetection !== undefined && settings.outlierDetection !== false) {
    const outlier = settings.outlierDetection;
    if (!isObject(outlier)) problems.push(`${where}.outlierDetection must be an object or false`);
    else {
      unknown(`${where}.outlierDetection`, outlier, OUTLIER_KEYS);
      for (const key of OUTLIER_KEYS) positiveInt(`${where}.outlierDetection.${key}`, outlier[key]);
    }
  }
  return problems;
}
