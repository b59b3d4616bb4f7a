/**
 * Retries of idempotent upstream calls (GET/HEAD, GraphQL queries; never mutations or
 * POSTs) on connection failures, within a retry budget: each call deposits a fraction of
 * a token and each retry spends one, so retries stay a small share of traffic and cannot
 * multiply load on an upstream that is already struggling.
 */

export interface RetryBudgetOptions {
  /** Tokens deposited per call: 0.1 allows retries for about 10% of calls. Default 0.1. */
  ratio: number;
  /** Most tokens saved up (and the starting balance). Default 10. */
  maxTokens: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetOptions = { ratio: 0.1, maxTokens: 10 };
/** Retries per call at most. */
export const DEFAULT_MAX_RETRIES = 1;

export interface RetryBudget {
  /** Records a call. */
  deposit(): void;
  /** Takes a token for one retry; false when the budget is spent. */
  withdraw(): boolean;
  balance(): number;
}

export function createRetryBudget(options: RetryBudgetOptions = DEFAULT_RETRY_BUDGET): RetryBudget {
  let tokens = options.maxTokens;
  return {
    deposit: () => {
      tokens = Math.min(options.maxTokens, tokens + options.ratio);
    },
    withdraw: () => {
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    balance: () => tokens,
  };
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** Pure: whether a failure is one a retry can fix (the request never got an answer). Timeouts are not retried: that would double the wait. */
export function isRetryableFailure(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Pure: whether a GraphQL document sent to a subgraph is a query (safe to repeat). */
export function isGraphqlQuery(document: string | undefined): boolean {
  return typeof document === 'string' && /^\s*(\{|query\b)/.test(document);
}

export async function withRetries<T>(call: () => Promise<T>, options: { idempotent: boolean; budget: RetryBudget; maxRetries?: number; onRetry?: (err: unknown) => void }): Promise<T> {
  options.budget.deposit();
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!options.idempotent || attempt >= maxRetries || !isRetryableFailure(err) || !options.budget.withdraw()) throw err;
      options.onRetry?.(err);
    }
  }
}
