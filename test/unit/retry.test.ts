import { createRetryBudget, isGraphqlQuery, isRetryableFailure, withRetries } from '../../shared/upstream/retry';

const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('upstream retries', () => {
  it('retry an idempotent call once after a connection failure', async () => {
    let calls = 0;
    const result = await withRetries(async () => (++calls === 1 ? Promise.reject(reset()) : 'ok'), { idempotent: true, budget: createRetryBudget() });
    expect(result).toBe('ok');
    expect(calls).toBe(2);
  });

  it('never retry non-idempotent calls, timeouts, or beyond the retry limit', async () => {
    let calls = 0;
    await expect(withRetries(async () => { calls++; throw reset(); }, { idempotent: false, budget: createRetryBudget() })).rejects.toThrow('socket hang up');
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetries(async () => { calls++; throw Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' }); }, { idempotent: true, budget: createRetryBudget() })).rejects.toThrow();
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetries(async () => { calls++; throw reset(); }, { idempotent: true, budget: createRetryBudget() })).rejects.toThrow();
    expect(calls).toBe(2);
  });

  it('stop retrying when the budget is spent, and refill it with traffic', async () => {
    const budget = createRetryBudget({ ratio: 0.5, maxTokens: 2 });
    let calls = 0;
    const failing = async () => { calls++; throw reset(); };
    for (let i = 0; i < 4; i++) await withRetries(failing, { idempotent: true, budget }).catch(() => undefined);
    // 2 starting tokens + 4 x 0.5 deposits (capped at 2) allow 3 retries for 4 calls.
    expect(calls).toBe(4 + 3);
    expect(budget.balance()).toBeLessThan(1);
  });

  it('classify failures and GraphQL documents', () => {
    expect(isRetryableFailure({ code: 'X', cause: { code: 'ECONNREFUSED' } })).toBe(true);
    expect(isRetryableFailure(new Error('plain'))).toBe(false);
    expect(isGraphqlQuery('query Q { a }')).toBe(true);
    expect(isGraphqlQuery('{ a }')).toBe(true);
    expect(isGraphqlQuery('mutation M { a }')).toBe(false);
  });
});
