/**
 * When to try a failed send again: exponential backoff with "equal jitter" (AWS Architecture
 * Blog, "Exponential Backoff And Jitter", 2015): the n-th retry waits half of min(cap, base·2ⁿ⁻¹)
 * plus a uniform random share of the other half, so retries of many messages that failed together
 * spread out instead of hammering the server in step. After `maxAttempts` the message is dead-lettered.
 */
export interface RetryPolicy {
  /** Delay before the first retry, in ms. */
  readonly baseMs: number;
  /** Largest delay, in ms. */
  readonly capMs: number;
  /** Attempts in total (the first send included) before the message is dead. */
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 30_000, capMs: 6 * 3_600_000, maxAttempts: 8 };

export type RetryDecision = { readonly type: 'retry'; readonly delayMs: number } | { readonly type: 'dead' };

/**
 * What to do after attempt number `attempt` (1-based) failed. `u` is a uniform draw in [0, 1)
 * from the caller's random source. A permanent failure (`retryable: false`) is dead at once.
 */
export function afterFailure(
  attempt: number,
  retryable: boolean,
  policy: RetryPolicy,
  u: number,
): RetryDecision {
  if (!retryable || attempt >= policy.maxAttempts) return { type: 'dead' };
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return { type: 'retry', delayMs: Math.round(ceiling / 2 + (u * ceiling) / 2) };
}
