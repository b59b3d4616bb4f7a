/**
 * Stage 3 of the pipeline, rate limiting, as two hooks sharing one store:
 * - a coarse per-IP limit, registered before authentication, so floods of anonymous or
 *   badly authenticated requests are cut off cheaply without touching anyone's budget;
 * - the principal limit, registered after authentication, keyed by the verified user or
 *   API key client (by IP for anonymous callers), sized by plan, overridable per route.
 * Refused requests never reach an upstream. Every answer carries the RateLimit headers of
 * the principal limit (or the IP limit on its own refusals).
 *
 * Headers: the three fields of the IETF draft's first versions (draft-ietf-httpapi-ratelimit-headers
 * up to -06), `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (delta seconds). The
 * draft's later combined `RateLimit` / `RateLimit-Policy` (Structured Fields) is still moving
 * and few clients parse it; the three plain integers are what client libraries, API gateways
 * and our CORS exposure already know. The `X-RateLimit-*` copies only with `legacyHeaders`.
 *
 * The memory store decides without a promise, so with it both hooks are plain callbacks.
 *
 * The BFF's own warm-up requests (warm-up-request.ts) run the same code on a memory store of
 * their own: they spend no client's budget and reach no decision metric, and a fresh instance's
 * first clients do not meet this stage cold.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { PorticoError } from '../../errors';
import type { Principal } from '../authn/principal';
import { MAX_WINDOW_MS, type LimitDecision, type RateLimitRule } from './gcra';
import { createMemoryStore, type MemoryStore } from './memory-store';
import type { RateLimitStore } from './rate-limit-store';
import type { HeaderSink } from '../policy';
import { DEFAULT_PER_IP_RULE, DEFAULT_PLAN_RULES, type RateLimitSettings } from './rate-limit-settings';

export type LimitScope = 'ip' | 'principal';

export interface RateLimitPluginOptions {
  store: RateLimitStore;
  settings: RateLimitSettings;
  /** Route patterns never limited (health, readiness, metrics). */
  exemptPaths: readonly string[];
  /** Called with every decision (metrics). */
  onDecision?: (scope: LimitScope, decision: LimitDecision & { source?: string }) => void;
}

/** Pure: the rule for a principal on a route. */
export function ruleFor(settings: RateLimitSettings, plan: string, routeKey: string | undefined): RateLimitRule {
  return compileRules(settings)(plan, routeKey);
}

/** The rule lookup with the plan table merged once, not per request. */
function compileRules(settings: RateLimitSettings): (plan: string, routeKey: string | undefined) => RateLimitRule {
  const plans: Readonly<Record<string, RateLimitRule>> = { ...DEFAULT_PLAN_RULES, ...settings.plans };
  const fallback = plans.default as RateLimitRule;
  const routes = settings.routes;
  return (plan, routeKey) => (routeKey && routes ? routes[routeKey] : undefined) ?? plans[plan] ?? fallback;
}

/** Pure: the response headers describing a decision (IETF RateLimit fields; the X- variants with `legacy`). */
export function rateLimitHeaders(decision: LimitDecision, legacy = false): Record<string, string> {
  const limit = String(decision.limit);
  const remaining = String(decision.remaining);
  const resetSec = String(Math.ceil(decision.resetMs / 1000));
  const headers: Record<string, string> = { 'ratelimit-limit': limit, 'ratelimit-remaining': remaining, 'ratelimit-reset': resetSec };
  if (legacy) {
    headers['x-ratelimit-limit'] = limit;
    headers['x-ratelimit-remaining'] = remaining;
    headers['x-ratelimit-reset'] = resetSec;
  }
  if (!decision.allowed && Number.isFinite(decision.retryAfterMs)) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  return headers;
}

function refusal(decision: LimitDecision, scope: LimitScope, legacy: boolean): PorticoError {
  const message = Number.isFinite(decision.retryAfterMs)
    ? `Rate limit exceeded${scope === 'ip' ? ' for this address' : ''}; retry in ${Math.max(1, Math.ceil(decision.retryAfterMs / 1000))} s.`
    : `This request costs more than the whole limit of ${decision.limit} and can never be allowed.`;
  return new PorticoError('RATE_LIMITED', message, { headers: rateLimitHeaders(decision, legacy) });
}

function isExempt(request: FastifyRequest, exempt: ReadonlySet<string>): boolean {
  const route = request.routeOptions.url;
  return request.routeOptions.config?.auth?.public === true || (route !== undefined && exempt.has(route));
}

/** Writes a decision's headers straight onto the reply (or the passthrough fast path's answer): no header object per request. */
function writeHeaders(reply: HeaderSink, decision: LimitDecision, legacy: boolean): void {
  const limit = String(decision.limit);
  const remaining = String(decision.remaining);
  const resetSec = String(Math.ceil(decision.resetMs / 1000));
  reply.header('ratelimit-limit', limit);
  reply.header('ratelimit-remaining', remaining);
  reply.header('ratelimit-reset', resetSec);
  if (legacy) {
    reply.header('x-ratelimit-limit', limit);
    reply.header('x-ratelimit-remaining', remaining);
    reply.header('x-ratelimit-reset', resetSec);
  }
  if (!decision.allowed && Number.isFinite(decision.retryAfterMs)) reply.header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
}

type Done = (err?: Error) => void;

/**
 * The store as a memory store, whose decisions need no promise, when it is one. Its
 * `consumeNow` is called on it, not bound: every memory store shares that method, so the call
 * compiled on the warm-up's store serves a client's too.
 */
function memoryStoreOf(store: RateLimitStore): MemoryStore | undefined {
  return typeof (store as Partial<MemoryStore>).consumeNow === 'function' ? (store as MemoryStore) : undefined;
}

/** The store the BFF's own warm-up requests are charged to: never a client's, and small (they have one caller). */
function warmUpStore(): MemoryStore {
  return createMemoryStore({ maxKeys: 64 });
}

/**
 * The rule a warm-up request is charged under: the largest a rule may be (one unit per
 * microsecond of the longest window, a burst of about 3e13 units), so that no warm-up, whatever
 * its operations' cost, is ever refused.
 */
const WARM_UP_RULE: RateLimitRule = { limit: MAX_WINDOW_MS * 1_000, windowMs: MAX_WINDOW_MS };

/** The per-IP limit; register before authentication. */
export const ipRateLimitPlugin = fp<RateLimitPluginOptions>(
  async function ipRateLimit(app: FastifyInstance, opts) {
    const rule = opts.settings.perIp === undefined ? DEFAULT_PER_IP_RULE : opts.settings.perIp;
    if (rule === false) return;
    const exempt = new Set(opts.exemptPaths);
    const legacy = opts.settings.legacyHeaders === true;
    const clientMemory = memoryStoreOf(opts.store);
    const warmUpMemory = warmUpStore();

    function settle(reply: HeaderSink, decision: LimitDecision, warmUp?: boolean): PorticoError | undefined {
      if (!warmUp) opts.onDecision?.('ip', decision);
      if (decision.allowed) return undefined;
      writeHeaders(reply, decision, legacy);
      return refusal(decision, 'ip', legacy);
    }

    if (app.fastPathParts) {
      app.fastPathParts.ipLimit = {
        key: (ip) => `ip:${ip}`,
        core: { decide: (key, cost) => (clientMemory ? clientMemory.consumeNow(key, rule, cost) : opts.store.consume(key, rule, cost)), settle },
      };
    }

    app.addHook('onRequest', (request, reply, done: Done) => {
      if (isExempt(request, exempt)) {
        done();
        return;
      }
      const key = `ip:${request.ip}`;
      const warmUp = request.warmUp === true;
      const memory = warmUp ? warmUpMemory : clientMemory;
      if (!memory) {
        opts.store.consume(key, rule, 1).then((decision) => done(settle(reply, decision)), done);
        return;
      }
      let decision: LimitDecision;
      try {
        decision = memory.consumeNow(key, warmUp ? WARM_UP_RULE : rule, 1);
      } catch (err) {
        done(err as Error);
        return;
      }
      done(settle(reply, decision, warmUp));
    });
  },
  { name: 'portico-ip-rate-limit' },
);

/** What a later charge to the request's principal bucket needs (a GraphQL operation's cost). */
export interface ChargeableBucket {
  bucket: string;
  rule: RateLimitRule;
  reply: FastifyReply;
  /** The store the request was charged to: the plugin's, or the warm-up's own (no decision metric). */
  store: RateLimitStore;
}

/** The principal limit; register after authentication. */
export const principalRateLimitPlugin = fp<RateLimitPluginOptions>(
  async function principalRateLimit(app: FastifyInstance, opts) {
    const exempt = new Set(opts.exemptPaths);
    const legacy = opts.settings.legacyHeaders === true;
    const routes = opts.settings.routes;
    const rules = compileRules(opts.settings);
    const clientMemory = memoryStoreOf(opts.store);
    const warmUpMemory = warmUpStore();

    async function charge(limited: ChargeableBucket, units: number): Promise<void> {
      const more = await limited.store.consume(limited.bucket, limited.rule, units);
      if (limited.store === opts.store) opts.onDecision?.('principal', more);
      writeHeaders(limited.reply, more, legacy);
      if (!more.allowed) throw refusal(more, 'principal', legacy);
    }

    app.decorateRequest('rateLimitBucket', undefined);
    // Built only when something asks for it (the GraphQL cost charge): no closure per request otherwise.
    app.decorateRequest('chargeRateLimit', {
      getter(this: FastifyRequest) {
        const limited = this.rateLimitBucket;
        return limited ? (units: number) => charge(limited, units) : undefined;
      },
    } as never);

    /** Counts the decision (not a warm-up's) and writes its headers; the refusal when not allowed. */
    function settleOn(sink: HeaderSink, decision: LimitDecision, warmUp?: boolean): PorticoError | undefined {
      if (!warmUp) opts.onDecision?.('principal', decision);
      writeHeaders(sink, decision, legacy);
      return decision.allowed ? undefined : refusal(decision, 'principal', legacy);
    }

    function settle(request: FastifyRequest, reply: FastifyReply, bucket: string, rule: RateLimitRule, decision: LimitDecision, warmUp?: boolean): PorticoError | undefined {
      const refused = settleOn(reply, decision, warmUp);
      if (!refused) request.rateLimitBucket = { bucket, rule, reply, store: warmUp ? warmUpMemory : opts.store };
      return refused;
    }

    /** Pure: the bucket and rule of a caller on a route. */
    function bucketOf(principal: Principal | undefined, ip: string, method: string, routePattern: string | undefined): { bucket: string; rule: RateLimitRule } {
      const key = principal ? `${principal.kind}:${principal.id}` : `anon:${ip}`;
      const routeKey = routes && routePattern ? `${method} ${routePattern}` : undefined;
      const routeRule = routeKey ? routes?.[routeKey] : undefined;
      // A route with its own rule gets its own bucket; the rest share the principal's.
      return { bucket: routeRule ? `${key}|${routeKey}` : key, rule: routeRule ?? rules(principal?.plan ?? 'default', undefined) };
    }

    if (app.fastPathParts) {
      app.fastPathParts.principalLimit = {
        decide: (principal, ip, method, routePattern, cost) => {
          const { bucket, rule } = bucketOf(principal, ip, method, routePattern);
          return clientMemory ? clientMemory.consumeNow(bucket, rule, cost) : opts.store.consume(bucket, rule, cost);
        },
        settle: settleOn,
      };
    }

    app.addHook('onRequest', (request, reply, done: Done) => {
      if (isExempt(request, exempt)) {
        done();
        return;
      }
      const { bucket, rule: clientRule } = bucketOf(request.principal, request.ip, request.method, request.routeOptions.url);
      const cost = request.rateLimitCost ?? 1;
      const warmUp = request.warmUp === true;
      const rule = warmUp ? WARM_UP_RULE : clientRule;
      const memory = warmUp ? warmUpMemory : clientMemory;
      if (!memory) {
        opts.store.consume(bucket, rule, cost).then((decision) => done(settle(request, reply, bucket, rule, decision)), done);
        return;
      }
      let decision: LimitDecision;
      try {
        decision = memory.consumeNow(bucket, rule, cost);
      } catch (err) {
        done(err as Error);
        return;
      }
      done(settle(request, reply, bucket, rule, decision, warmUp));
    });
  },
  { name: 'portico-principal-rate-limit' },
);
