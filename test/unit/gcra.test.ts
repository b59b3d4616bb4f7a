import { MAX_WINDOW_MS, carryTat, decideLimit, shareOfRule, validateRule, type LimitDecision, type RateLimitRule } from '../../shared/policies/rate-limit/gcra';

const T0 = 1_700_000_000_000;
const PER_MINUTE: RateLimitRule = { limit: 50, windowMs: 60_000 }; // one slot every 1,200 ms

/** Runs requests in order against one key, threading the TAT the way a store does. */
function run(rule: RateLimitRule, steps: Array<{ at: number; cost?: number }>, start?: number): { decisions: LimitDecision[]; tatMs: number | undefined } {
  let tatMs = start;
  const decisions: LimitDecision[] = [];
  for (const step of steps) {
    const outcome = decideLimit(tatMs, step.at, step.cost ?? 1, rule);
    tatMs = outcome.tatMs;
    decisions.push(outcome.decision);
  }
  return { decisions, tatMs };
}

function burst(n: number, at = T0): Array<{ at: number }> {
  return Array.from({ length: n }, () => ({ at }));
}

describe('decideLimit', () => {
  it('allows a fresh key and reports what is left', () => {
    const { decision, tatMs } = decideLimit(undefined, T0, 1, PER_MINUTE);
    expect(decision).toEqual({ allowed: true, limit: 50, remaining: 49, resetMs: 1_200, retryAfterMs: 0 });
    expect(tatMs).toBe(T0 + 1_200);
  });

  it('allows a burst of exactly limit requests at once, then refuses without consuming', () => {
    const { decisions, tatMs } = run(PER_MINUTE, burst(50));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(decisions.map((d) => d.remaining)).toEqual(Array.from({ length: 50 }, (_, i) => 49 - i));
    expect(decisions[49]).toEqual({ allowed: true, limit: 50, remaining: 0, resetMs: 60_000, retryAfterMs: 0 });

    const refused = decideLimit(tatMs, T0, 1, PER_MINUTE);
    expect(refused.decision).toEqual({ allowed: false, limit: 50, remaining: 0, resetMs: 60_000, retryAfterMs: 1_200 });
    expect(refused.tatMs).toBe(tatMs);
  });

  it('refills one request per emission interval after a burst', () => {
    const { tatMs } = run(PER_MINUTE, burst(50));
    expect(decideLimit(tatMs, T0 + 1_199, 1, PER_MINUTE).decision).toMatchObject({ allowed: false, retryAfterMs: 1 });

    const next = decideLimit(tatMs, T0 + 1_200, 1, PER_MINUTE);
    expect(next.decision).toEqual({ allowed: true, limit: 50, remaining: 0, resetMs: 60_000, retryAfterMs: 0 });
    expect(decideLimit(next.tatMs, T0 + 1_200, 1, PER_MINUTE).decision).toMatchObject({ allowed: false, retryAfterMs: 1_200 });
  });

  it('sustains exactly limit per window after the burst, refusing anything faster', () => {
    const steps = [...burst(50), ...Array.from({ length: 100 }, (_, i) => ({ at: T0 + 600 * (i + 1) }))];
    const { decisions } = run(PER_MINUTE, steps);
    const afterBurst = decisions.slice(50);
    // Requests every 600 ms against a 1,200 ms interval: every other one fits.
    expect(afterBurst.filter((d) => d.allowed)).toHaveLength(50);
    expect(afterBurst.map((d) => d.allowed)).toEqual(Array.from({ length: 100 }, (_, i) => i % 2 === 1));
  });

  it('refills completely once a window has passed without requests', () => {
    const { tatMs } = run(PER_MINUTE, burst(50));
    const later = decideLimit(tatMs, T0 + 60_000, 0, PER_MINUTE);
    expect(later.decision).toEqual({ allowed: true, limit: 50, remaining: 50, resetMs: 0, retryAfterMs: 0 });
    expect(decideLimit(tatMs, T0 + 600_000, 1, PER_MINUTE).decision).toMatchObject({ remaining: 49, resetMs: 1_200 });
  });

  it('charges weighted requests by their cost', () => {
    const rule = { limit: 10, windowMs: 1_000 }; // 100 ms per unit
    const first = decideLimit(undefined, T0, 4, rule);
    expect(first.decision).toEqual({ allowed: true, limit: 10, remaining: 6, resetMs: 400, retryAfterMs: 0 });

    const tooMuch = decideLimit(first.tatMs, T0, 7, rule);
    expect(tooMuch.decision).toEqual({ allowed: false, limit: 10, remaining: 6, resetMs: 400, retryAfterMs: 100 });
    expect(tooMuch.tatMs).toBe(first.tatMs);

    expect(decideLimit(first.tatMs, T0 + 100, 7, rule).decision).toEqual({ allowed: true, limit: 10, remaining: 0, resetMs: 1_000, retryAfterMs: 0 });
  });

  it('treats cost 0 as a peek that consumes nothing', () => {
    const first = decideLimit(undefined, T0, 3, { limit: 10, windowMs: 1_000 });
    const peek = decideLimit(first.tatMs, T0, 0, { limit: 10, windowMs: 1_000 });
    expect(peek.decision).toEqual({ allowed: true, limit: 10, remaining: 7, resetMs: 300, retryAfterMs: 0 });
    expect(peek.tatMs).toBe(first.tatMs);
  });

  it('always refuses a cost above the limit, with an infinite retry-after and no state change', () => {
    const rule = { limit: 10, windowMs: 1_000 };
    const fresh = decideLimit(undefined, T0, 11, rule);
    expect(fresh.decision).toEqual({ allowed: false, limit: 10, remaining: 10, resetMs: 0, retryAfterMs: Number.POSITIVE_INFINITY });

    const used = decideLimit(undefined, T0, 2, rule);
    const refused = decideLimit(used.tatMs, T0 + 50, 1_000, rule);
    expect(refused.decision).toEqual({ allowed: false, limit: 10, remaining: 8, resetMs: 150, retryAfterMs: Number.POSITIVE_INFINITY });
    expect(refused.tatMs).toBe(used.tatMs);
  });

  it('treats a stored TAT in the past as a full bucket', () => {
    expect(decideLimit(T0 - 5_000, T0, 1, PER_MINUTE)).toEqual(decideLimit(undefined, T0, 1, PER_MINUTE));
  });

  it('rounds an uneven interval up to the microsecond, never running faster than the rule', () => {
    const rule = { limit: 3, windowMs: 1_000 }; // 333,334 µs per request
    const { decisions, tatMs } = run(rule, burst(4));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3]).toEqual({ allowed: false, limit: 3, remaining: 0, resetMs: 1_001, retryAfterMs: 334 });
    expect(decideLimit(tatMs, T0 + 333, 1, rule).decision).toMatchObject({ allowed: false, retryAfterMs: 1 });
    expect(decideLimit(tatMs, T0 + 334, 1, rule).decision).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('never reports negative remaining even when the clock goes backwards', () => {
    const { tatMs } = run(PER_MINUTE, burst(50));
    const d = decideLimit(tatMs, T0 - 10_000, 0, PER_MINUTE).decision;
    expect(d.remaining).toBe(0);
    expect(d.allowed).toBe(false);
  });

  it('rejects an invalid rule or cost with a RangeError', () => {
    expect(() => decideLimit(undefined, T0, 1, { limit: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => decideLimit(undefined, T0, -1, PER_MINUTE)).toThrow(/cost must be a non-negative integer/);
    expect(() => decideLimit(undefined, T0, 1.5, PER_MINUTE)).toThrow(RangeError);
  });
});

describe('validateRule', () => {
  it('accepts positive integer limits and windows', () => {
    expect(validateRule(PER_MINUTE)).toEqual([]);
    expect(validateRule({ limit: 1, windowMs: 1 })).toEqual([]);
    expect(validateRule({ limit: 1_000, windowMs: MAX_WINDOW_MS })).toEqual([]);
  });

  it.each([
    [{ limit: 0, windowMs: 1_000 }, /limit must be a positive integer/],
    [{ limit: -5, windowMs: 1_000 }, /limit must be a positive integer/],
    [{ limit: 1.5, windowMs: 1_000 }, /limit must be a positive integer/],
    [{ limit: Number.NaN, windowMs: 1_000 }, /limit must be a positive integer/],
    [{ limit: 10, windowMs: 0 }, /windowMs must be a positive integer/],
    [{ limit: 10, windowMs: 2.5 }, /windowMs must be a positive integer/],
    [{ limit: 10, windowMs: Number.POSITIVE_INFINITY }, /windowMs must be a positive integer/],
    [{ limit: 10, windowMs: MAX_WINDOW_MS + 1 }, /windowMs must be at most/],
    [{ limit: 1_001, windowMs: 1 }, /at most one request per microsecond/],
  ])('reports %o', (rule, message) => {
    const problems = validateRule(rule);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('reports every problem at once', () => {
    expect(validateRule({ limit: 0, windowMs: -1 })).toHaveLength(2);
  });
});

describe('shareOfRule', () => {
  it('gives each of N instances ceil(limit / N) over the same window, and one instance the whole rule', () => {
    expect(shareOfRule({ limit: 10, windowMs: 1_000 }, 2)).toEqual({ limit: 5, windowMs: 1_000 });
    expect(shareOfRule({ limit: 10, windowMs: 1_000 }, 3)).toEqual({ limit: 4, windowMs: 1_000 });
    expect(shareOfRule({ limit: 1, windowMs: 1_000 }, 5)).toEqual({ limit: 1, windowMs: 1_000 });
    expect(shareOfRule(PER_MINUTE, 1)).toBe(PER_MINUTE);
  });

  it('reads a time until full the same under the rule and under a share: a spent bucket stays spent', () => {
    const spent = run(PER_MINUTE, burst(50)).tatMs;
    const share = shareOfRule(PER_MINUTE, 2);
    expect(decideLimit(spent, T0, 1, share).decision.allowed).toBe(false);
    // Half spent under the rule is half spent under the share.
    const half = run(PER_MINUTE, burst(25)).tatMs;
    expect(run(share, burst(13), half).decisions.filter((d) => d.allowed)).toHaveLength(12);
  });
});

describe('carryTat', () => {
  it('raises the stored state to what the carrier knows, never lowers it', () => {
    expect(carryTat(undefined, T0, 30_000, PER_MINUTE)).toBe(T0 + 30_000);
    expect(carryTat(T0 + 10_000, T0, 30_000, PER_MINUTE)).toBe(T0 + 30_000);
    expect(carryTat(T0 + 45_000, T0, 30_000, PER_MINUTE)).toBe(T0 + 45_000);
    expect(carryTat(T0 + 45_000, T0, 0, PER_MINUTE)).toBe(T0 + 45_000);
    expect(carryTat(undefined, T0, 0, PER_MINUTE)).toBeUndefined();
  });

  it('caps what is carried at the burst tolerance, so a skewed value cannot lock a key out', () => {
    const raised = carryTat(undefined, T0, 10 * 60_000, PER_MINUTE);
    expect(raised).toBe(T0 + 60_000);
    expect(decideLimit(raised, T0, 0, PER_MINUTE).decision.allowed).toBe(true);
    expect(decideLimit(raised, T0 + 1_200, 1, PER_MINUTE).decision.allowed).toBe(true);
  });

  it('keeps a client that spent its burst locally from getting a second one from an empty store', () => {
    const local = run(shareOfRule(PER_MINUTE, 2), burst(25)).tatMs ?? T0;
    const decision = decideLimit(carryTat(undefined, T0 + 100, local - (T0 + 100), PER_MINUTE), T0 + 100, 1, PER_MINUTE).decision;
    expect(decision).toMatchObject({ allowed: false, remaining: 0 });
  });
});
