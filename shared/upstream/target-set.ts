/**
 * The pure core of multi-target upstreams: which target a call goes to and which endpoint
 * of that target serves it. No I/O and no clock of its own: callers pass `now` and, for
 * anonymous calls, a random number.
 *
 * - Targets are chosen by weight. A caller with a verified identity is placed at a fixed
 *   point in [0, 1) by hashing its id with the upstream name, so the same user always
 *   lands on the same target while the weights stay the same (raising a canary's weight
 *   moves only the users next to its share). Anonymous calls use a fresh random point.
 * - When the chosen target has no available endpoint, the others share its traffic; a
 *   target whose endpoints are all available keeps exactly its own users.
 * - Within a target, calls go round robin (default) or to the endpoint with the fewest
 *   calls in flight.
 * - An endpoint is available unless its active health check says unhealthy or passive
 *   outlier detection ejected it and the ejection has not yet run out.
 */
import type { HealthCheckSettings, OutlierDetectionSettings, TargetBalancing, TargetOverrideAllowList } from './target-settings';

/** Header a permitted caller sends to pick a target: `x-canary: canary`, or per upstream `x-canary: orders=canary,products=blue`. Never forwarded upstream. */
export const TARGET_OVERRIDE_HEADER = 'x-canary';

/** What one call tells the router about its caller. */
export interface RoutingInput {
  /** Verified user id, when the caller is a user. */
  userId?: string;
  /** Verified client id (API key holder, or the token's client). */
  clientId?: string;
  /** Verified scopes. */
  scopes?: readonly string[];
  /** Raw value of the override header, if the client sent one. */
  override?: string;
}

export interface Endpoint {
  readonly origin: string;
  readonly target: string;
  /** Calls sent and not yet finished. */
  inFlight: number;
  /** Verdict of active health checks; true until checks say otherwise. */
  healthy: boolean;
  /** Consecutive active check results pointing away from the current verdict. */
  checkStreak: number;
  /** Consecutive failed calls (passive outlier detection). */
  consecutiveFailures: number;
  /** Ejected by outlier detection until this time (ms); 0 when not ejected. */
  ejectedUntil: number;
  /** No longer listed by discovery; kept only until its calls finish. */
  removed: boolean;
}

export interface TargetSetOptions {
  upstream: string;
  targets: ReadonlyArray<{ name: string; weight: number }>;
  balancing: TargetBalancing;
  overrideAllowed?: TargetOverrideAllowList;
  thresholds: Pick<HealthCheckSettings, 'healthyThreshold' | 'unhealthyThreshold'>;
  outlierDetection: OutlierDetectionSettings | false;
}

/** Pure: 32-bit FNV-1a of `text`, finished with a bit mixer so nearby ids spread evenly. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Pure: the fixed point in [0, 1) of a principal for one upstream. */
export function stickyPoint(principalKey: string, upstream: string): number {
  return hash32(`${upstream}\u0000${principalKey}`) / 0x1_0000_0000;
}

/** Pure: the key a caller is kept sticky by (user id first, then client id); undefined when anonymous. */
export function principalKeyOf(input: RoutingInput): string | undefined {
  if (input.userId) return `user:${input.userId}`;
  if (input.clientId) return `client:${input.clientId}`;
  return undefined;
}

/** Pure: the target at `point` when `targets` share [0, 1) by weight; undefined when no weight is above 0. */
export function pickByWeight<T extends { weight: number }>(targets: readonly T[], point: number): T | undefined {
  let total = 0;
  for (const t of targets) total += t.weight;
  if (total <= 0) return undefined;
  let edge = 0;
  const at = point * total;
  let last: T | undefined;
  for (const t of targets) {
    if (t.weight <= 0) continue;
    edge += t.weight;
    last = t;
    if (at < edge) return t;
  }
  return last; // rounding at the top edge
}

/** Pure: whether the caller is on the allow list (no list: nobody). */
export function mayOverride(input: RoutingInput, allow: TargetOverrideAllowList | undefined): boolean {
  if (!allow) return false;
  if (input.clientId && allow.clientIds?.includes(input.clientId)) return true;
  if (input.userId && allow.userIds?.includes(input.userId)) return true;
  return Boolean(allow.scopes && input.scopes?.some((s) => allow.scopes?.includes(s)));
}

/** Pure: the target an override header value names for `upstream` (`name`, or `upstream=name` entries). */
export function overrideTargetFor(headerValue: string | undefined, upstream: string): string | undefined {
  if (!headerValue) return undefined;
  let general: string | undefined;
  for (const entry of headerValue.split(',')) {
    const item = entry.trim();
    const eq = item.indexOf('=');
    if (eq < 0) general ??= item || undefined;
    else if (item.slice(0, eq).trim() === upstream) return item.slice(eq + 1).trim() || undefined;
  }
  return general;
}

export function isAvailable(endpoint: Endpoint, now: number): boolean {
  return endpoint.healthy && endpoint.ejectedUntil <= now && !endpoint.removed;
}

export class TargetSet {
  readonly upstream: string;
  private readonly options: TargetSetOptions;
  private readonly byTarget = new Map<string, Endpoint[]>();
  private readonly cursors = new Map<string, number>();

  constructor(options: TargetSetOptions) {
    this.options = options;
    this.upstream = options.upstream;
    for (const t of options.targets) {
      this.byTarget.set(t.name, []);
      this.cursors.set(t.name, 0);
    }
  }

  /** Every current endpoint, by target in configuration order. */
  endpoints(): Endpoint[] {
    return [...this.byTarget.values()].flat();
  }

  endpointsOf(target: string): readonly Endpoint[] {
    return this.byTarget.get(target) ?? [];
  }

  /**
   * Replaces a target's endpoint list (from discovery). Endpoints still listed keep their
   * health and in-flight counts; new ones start healthy; dropped ones are returned, marked
   * removed, so their connections can be closed once their calls finish.
   */
  setEndpoints(target: string, origins: readonly string[]): { added: Endpoint[]; removed: Endpoint[] } {
    const current = this.byTarget.get(target);
    if (!current) throw new Error(`unknown target '${target}' of upstream '${this.upstream}'`);
    const wanted = new Set(origins);
    const kept = current.filter((e) => wanted.has(e.origin));
    const removed = current.filter((e) => !wanted.has(e.origin));
    for (const e of removed) e.removed = true;
    const known = new Set(kept.map((e) => e.origin));
    const added: Endpoint[] = [];
    for (const origin of wanted) {
      if (known.has(origin)) continue;
      const endpoint: Endpoint = { origin, target, inFlight: 0, healthy: true, checkStreak: 0, consecutiveFailures: 0, ejectedUntil: 0, removed: false };
      kept.push(endpoint);
      added.push(endpoint);
    }
    this.byTarget.set(target, kept);
    return { added, removed };
  }

  /**
   * The endpoint for one call, or undefined when no target with weight (or the permitted
   * override target) has an available endpoint. `random` is used only for anonymous callers.
   */
  choose(input: RoutingInput, now: number, random: () => number = Math.random): Endpoint | undefined {
    if (input.override && mayOverride(input, this.options.overrideAllowed)) {
      const name = overrideTargetFor(input.override, this.upstream);
      const endpoint = name !== undefined && this.byTarget.has(name) ? this.balance(name, now) : undefined;
      if (endpoint) return endpoint;
    }
    const key = principalKeyOf(input);
    const point = key === undefined ? random() : stickyPoint(key, this.upstream);
    const first = pickByWeight(this.options.targets, point);
    if (!first) return undefined;
    const endpoint = this.balance(first.name, now);
    if (endpoint) return endpoint;
    // The caller's own target is out: the remaining targets with endpoints share its traffic.
    const others = this.options.targets.filter((t) => t.name !== first.name && this.hasAvailable(t.name, now));
    const next = pickByWeight(others, point);
    return next ? this.balance(next.name, now) : undefined;
  }

  private hasAvailable(target: string, now: number): boolean {
    return (this.byTarget.get(target) ?? []).some((e) => isAvailable(e, now));
  }

  private balance(target: string, now: number): Endpoint | undefined {
    const list = this.byTarget.get(target) ?? [];
    const n = list.length;
    if (n === 0) return undefined;
    const start = (this.cursors.get(target) ?? 0) % n;
    let chosen: Endpoint | undefined;
    let chosenIndex = -1;
    for (let step = 0; step < n; step++) {
      const index = (start + step) % n;
      const e = list[index] as Endpoint;
      if (!isAvailable(e, now)) continue;
      if (this.options.balancing === 'round-robin') {
        chosen = e;
        chosenIndex = index;
        break;
      }
      // Least busy; ties go to the first in round-robin order so idle endpoints still take turns.
      if (!chosen || e.inFlight < chosen.inFlight) {
        chosen = e;
        chosenIndex = index;
      }
    }
    if (chosen) this.cursors.set(target, chosenIndex + 1);
    return chosen;
  }

  /**
   * Records the end of a real call (passive outlier detection). Returns true when this
   * failure ejected the endpoint.
   */
  recordCall(endpoint: Endpoint, failed: boolean, now: number): boolean {
    const outlier = this.options.outlierDetection;
    if (!failed) {
      endpoint.consecutiveFailures = 0;
      return false;
    }
    endpoint.consecutiveFailures += 1;
    if (!outlier || endpoint.consecutiveFailures < outlier.consecutiveFailures || endpoint.ejectedUntil > now) return false;
    endpoint.ejectedUntil = now + outlier.ejectionMs;
    endpoint.consecutiveFailures = 0;
    return true;
  }

  /** Records one active health check; returns the new verdict when it changed. */
  recordCheck(endpoint: Endpoint, passed: boolean): 'healthy' | 'unhealthy' | undefined {
    if (passed === endpoint.healthy) {
      endpoint.checkStreak = 0;
      return undefined;
    }
    endpoint.checkStreak += 1;
    const needed = passed ? this.options.thresholds.healthyThreshold : this.options.thresholds.unhealthyThreshold;
    if (endpoint.checkStreak < needed) return undefined;
    endpoint.healthy = passed;
    endpoint.checkStreak = 0;
    // A recovered endpoint starts over, not ejected for failures from before it was down.
    if (passed) {
      endpoint.ejectedUntil = 0;
      endpoint.consecutiveFailures = 0;
    }
    return passed ? 'healthy' : 'unhealthy';
  }

  /** Earliest time (ms) an ejected endpoint returns, for Retry-After; undefined when none is ejected. */
  nextReturnAt(now: number): number | undefined {
    let earliest: number | undefined;
    for (const e of this.endpoints()) {
      if (e.healthy && e.ejectedUntil > now && (earliest === undefined || e.ejectedUntil < earliest)) earliest = e.ejectedUntil;
    }
    return earliest;
  }
}
