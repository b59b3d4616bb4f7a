/**
 * Configuration of an upstream served by several targets: named, weighted targets (e.g.
 * `stable` 90 and `canary` 10), each with endpoints from fixed origins, DNS or a watched
 * file; how calls are balanced among a target's endpoints; who may pick a target with the
 * override header; active health checks and passive outlier detection.
 *
 * An upstream without this configuration keeps its single origin and its usual code path.
 */
import { Type } from '@sinclair/typebox';
import { checkSettings } from '../config/check-settings';

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

const PositiveInt = (description: string, fallback?: number) => Type.Integer({ minimum: 1, description, ...(fallback !== undefined ? { default: fallback } : {}) });
const NonEmptyStrings = Type.Array(Type.String({ minLength: 1 }));

export const TargetSettingsSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]*$', errorMessage: 'must be a lowercase identifier', description: 'Target name: metrics label and override header value' }),
    weight: Type.Optional(Type.Number({ minimum: 0, default: DEFAULT_TARGET_WEIGHT, description: 'Share of traffic relative to the other targets (0: override header only)' })),
    origins: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'Fixed endpoint origins (http://host:port)' })),
    dns: Type.Optional(
      Type.Object(
        {
          hostname: Type.String({ minLength: 1 }),
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
          protocol: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')], { default: 'http' })),
          refreshMs: Type.Optional(PositiveInt('How often the name is resolved again, in ms', DEFAULT_DNS_REFRESH_MS)),
          family: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(4), Type.Literal(6)], { default: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    file: Type.Optional(
      Type.Object(
        {
          path: Type.String({ minLength: 1 }),
          watchMs: Type.Optional(PositiveInt('How often the file is checked for changes, in ms', DEFAULT_FILE_WATCH_MS)),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const UpstreamTargetsSettingsSchema = Type.Object(
  {
    targets: Type.Array(TargetSettingsSchema, { minItems: 1 }),
    balancing: Type.Optional(Type.Union(TARGET_BALANCING.map((b) => Type.Literal(b)), { default: DEFAULT_TARGET_BALANCING })),
    overrideAllowed: Type.Optional(
      Type.Object({ clientIds: Type.Optional(NonEmptyStrings), userIds: Type.Optional(NonEmptyStrings), scopes: Type.Optional(NonEmptyStrings) }, { additionalProperties: false }),
    ),
    healthCheck: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ pattern: '^/', errorMessage: 'must start with /', default: DEFAULT_HEALTH_CHECK.path })),
          intervalMs: Type.Optional(PositiveInt('Time between checks of an endpoint, in ms', DEFAULT_HEALTH_CHECK.intervalMs)),
          timeoutMs: Type.Optional(PositiveInt('A check without an answer in this time fails, in ms', DEFAULT_HEALTH_CHECK.timeoutMs)),
          healthyThreshold: Type.Optional(PositiveInt('Consecutive passes that bring an endpoint back', DEFAULT_HEALTH_CHECK.healthyThreshold)),
          unhealthyThreshold: Type.Optional(PositiveInt('Consecutive failures that take an endpoint out', DEFAULT_HEALTH_CHECK.unhealthyThreshold)),
        },
        { additionalProperties: false },
      ),
    ),
    outlierDetection: Type.Optional(
      Type.Union([
        Type.Object(
          {
            consecutiveFailures: Type.Optional(PositiveInt('Consecutive failures that eject an endpoint', DEFAULT_OUTLIER_DETECTION.consecutiveFailures)),
            ejectionMs: Type.Optional(PositiveInt('How long an ejected endpoint stays out, in ms', DEFAULT_OUTLIER_DETECTION.ejectionMs)),
          },
          { additionalProperties: false },
        ),
        Type.Literal(false),
      ]),
    ),
  },
  { additionalProperties: false, errorMessage: "must be an object with a 'targets' list" },
);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Pure: what the schema cannot say: one endpoint source per target, unique names, bare origins, some weight. */
export function targetSemantics(settings: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  if (!Array.isArray(settings.targets)) return problems;
  const names = new Set<string>();
  let totalWeight = 0;
  settings.targets.forEach((target: unknown, i) => {
    if (!isObject(target)) return;
    const at = `${where}.targets[${i}]`;
    if (typeof target.name === 'string') {
      if (names.has(target.name)) problems.push(`${at}.name '${target.name}' is used twice`);
      names.add(target.name);
    }
    const weight = target.weight ?? DEFAULT_TARGET_WEIGHT;
    if (typeof weight === 'number' && weight > 0) totalWeight += weight;
    const sources = (['origins', 'dns', 'file'] as const).filter((k) => target[k] !== undefined);
    if (sources.length !== 1) problems.push(`${at} needs exactly one of 'origins', 'dns', 'file'${sources.length ? `, got ${sources.join(' and ')}` : ''}`);
    if (Array.isArray(target.origins)) for (const origin of target.origins) if (!isOrigin(origin)) problems.push(`${at}.origins: ${JSON.stringify(origin)} is not an http(s) origin like http://host:port`);
  });
  if (settings.targets.length > 0 && totalWeight <= 0) problems.push(`${where}.targets: at least one target needs a weight above 0`);
  return problems;
}

/** Pure validation: every problem in one upstream's target settings, each prefixed with `where`. */
export function validateTargetSettings(settings: unknown, where: string): string[] {
  const problems = checkSettings(UpstreamTargetsSettingsSchema, settings, where);
  return isObject(settings) ? [...problems, ...targetSemantics(settings, where)] : problems;
}
