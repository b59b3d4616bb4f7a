import { rateLimitHeaders, ruleFor } from '../../shared/policies/rate-limit/rate-limit-plugin';

describe('rate-limit rule selection', () => {
  const settings = { plans: { gold: { limit: 100, windowMs: 1_000 } }, routes: { 'POST /v1/orders': { limit: 2, windowMs: 60_000 } } };

  it('prefers a route override, then the plan, then the default plan', () => {
    expect(ruleFor(settings, 'gold', 'POST /v1/orders')).toEqual({ limit: 2, windowMs: 60_000 });
    expect(ruleFor(settings, 'gold', 'GET /v1/orders')).toEqual({ limit: 100, windowMs: 1_000 });
    expect(ruleFor(settings, 'pro', undefined)).toEqual({ limit: 600, windowMs: 60_000 });
    expect(ruleFor(settings, 'unknown-plan', undefined)).toEqual({ limit: 600, windowMs: 60_000 });
  });
});

describe('rate-limit headers', () => {
  it('describe an allowed decision with the IETF RateLimit fields only, without Retry-After', () => {
    expect(rateLimitHeaders({ allowed: true, limit: 10, remaining: 7, resetMs: 2_500, retryAfterMs: 0 })).toEqual({
      'ratelimit-limit': '10',
      'ratelimit-remaining': '7',
      'ratelimit-reset': '3',
    });
  });

  it('add the X-RateLimit copies when legacy headers are on', () => {
    expect(rateLimitHeaders({ allowed: true, limit: 10, remaining: 7, resetMs: 2_500, retryAfterMs: 0 }, true)).toEqual({
      'ratelimit-limit': '10',
      'ratelimit-remaining': '7',
      'ratelimit-reset': '3',
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '7',
      'x-ratelimit-reset': '3',
    });
  });

  it('add Retry-After in whole seconds to a refusal, never less than 1, never infinite', () => {
    expect(rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, resetMs: 6_000, retryAfterMs: 120 })['retry-after']).toBe('1');
    expect(rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, resetMs: 6_000, retryAfterMs: 4_001 })['retry-after']).toBe('5');
    expect(rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, resetMs: 0, retryAfterMs: Infinity })['retry-after']).toBeUndefined();
  });
});
