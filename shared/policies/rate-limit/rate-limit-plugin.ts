/**
 * Stage 3 of the pipeline, rate limiting, as two hooks sharing one store:
 * - a coarse per-IP limit, registered before authentication, so floods of anonymous or
 *   badly authenticated requests are cut off cheaply without touching anyone's budget;
 * - the principal limit, registered after authentication, keyed by the verified user or
 *   API key client (by IP for anonymous callers), sized by plan, overridable per route.
 * Refused requests never reach an upstream. Every answer carries the RateLimit headers of
 * the principal limit (or the IP limit on its own refusals).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { PorticoError } from '../../errors';
import type { LimitDecision, RateLimitRule } from './gcra';
import type { RateLimitStore } from './rate-limit-store';
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
  const plans = { ...DEFAULT_PLAN_RULES, ...settings.plans };
  return (routeKey ? settings.routes?.[routeKey] : undefined) ?? plans[plan] ?? (plans.default as RateLimitRule);
}

/** Pure: the response headers describing a decision (IETF RateLimit fields and the common X- variants). */
export function rateLimitHeaders(decision: LimitDecision): Record<string, string> {
  const resetSec = String(Math.ceil(decision.resetMs / 1000));
  const headers: Record<string, string> = {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': resetSec,
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': resetSec,
  };
  if (!decision.allowed && Number.isFinite(decision.retryAfterMs)) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  return headers;
}

function refusal(decision: LimitDecision, scope: LimitScope): PorticoError {
  const message = Number.isFinite(decision.retryAfterMs)
    ? `Rate limit exceeded${scope === 'ip' ? ' for this address' : ''}; retry in ${Math.max(1, Math.ceil(decision.retryAfterMs / 1000))} s.`
    : `This request costs more than the whole limit of ${decision.limit} and can never be allowed.`;
  return new PorticoError('RATE_LIMITED', message, { headers: rateLimitHeaders(decision) });
}

function isExempt(request: FastifyRequest, exempt: ReadonlySet<string>): boolean {
  const route = request.routeOptions.url;
  return request.routeOptions.config?.auth?.public === true || (route !== undefined && exempt.has(route));
}

function apply(reply: FastifyReply, decision: LimitDecision): void {
  for (const [name, value] of Object.entries(rateLimitHeaders(decision))) reply.header(name, value);
}

/** The per-IP limit; register before authentication. */
export const ipRateLimitPlugin = fp<RateLimitPluginOptions>(
  async function ipRateLimit(app: FastifyInstance, opts) {
    const rule = opts.settings.perIp === undefined ? DEFAULT_PER_IP_RULE : opts.settings.perIp;
    if (rule === false) return;
    const exempt = new Set(opts.exemptPaths);
    app.addHook('onRequest', async (request, reply) => {
      if (isExempt(request, exempt)) return;
      const decision = await opts.store.consume(`ip:${request.ip}`, rule, 1);
      opts.onDecision?.('ip', decision);
      if (!decision.allowed) {
        apply(reply, decision);
        throw refusal(decision, 'ip');
      }
    });
  },
  { name: 'portico-ip-rate-limit' },
);

/** The principal limit; register after authentication. */
export const principalRateLimitPlugin = fp<RateLimitPluginOptions>(
  async function principalRateLimit(app: FastifyInstance, opts) {
    const exempt = new Set(opts.exemptPaths);
    app.addHook('onRequest', async (request, reply) => {
      if (isExempt(request, exempt)) return;
      const principal = request.principal;
      const key = principal ? `${principal.kind}:${principal.id}` : `anon:${request.ip}`;
      const routeKey = request.routeOptions.url ? `${request.method} ${request.routeOptions.url}` : undefined;
      const routeRule = routeKey ? opts.settings.routes?.[routeKey] : undefined;
      // A route with its own rule gets its own bucket; the rest share the principal's.
      const bucket = routeRule ? `${key}|${routeKey}` : key;
      const decision = await opts.store.consume(bucket, ruleFor(opts.settings, principal?.plan ?? 'default', routeKey), request.rateLimitCost ?? 1);
      opts.onDecision?.('principal', decision);
      apply(reply, decision);
      if (!decision.allowed) throw refusal(decision, 'principal');
      const rule = ruleFor(opts.settings, principal?.plan ?? 'default', routeKey);
      request.chargeRateLimit = async (units) => {
        const more = await opts.store.consume(bucket, rule, units);
        opts.onDecision?.('principal', more);
        apply(reply, more);
        if (!more.allowed) throw refusal(more, 'principal');
      };
    });
  },
  { name: 'portico-principal-rate-limit' },
);
