/**
 * Retries that follow a policy value: how many attempts, how long in all, how the wait grows and how much it is
 * spread. Every retry loop uses withRetry with one of the named policies (or its own value), so a shutdown ends
 * any wait at once and each retry is reported the same way.
 */
import { sleep } from './shutdown.js';

export interface RetryPolicy {
  /** Attempts in all, the first included; Infinity = bounded by budgetMs only. */
  readonly maxAttempts: number;
  /** Stop retrying once this much time has passed since the first failure (0 = no retry at all; Infinity = no bound). */
  readonly budgetMs: number;
  /** The delay before retry n is min(capDelayMs, baseDelayMs * 2**(n-1)), then jittered. */
  readonly baseDelayMs: number;
  readonly capDelayMs: number;
  /** 0..1: the delay is multiplied by a random factor in [1 - jitter, 1]. 0 = deterministic. */
  readonly jitter: number;
}

/** A connection lost after a good start (server restart, failover): the first try and 10 reconnects. */
export const RECONNECT: RetryPolicy = {
  maxAttempts: 11, // 10 reconnects: about 3 minutes of waiting in all, enough for a restart or a failover
  budgetMs: 5 * 60_000, // a server still gone after 5 minutes is an outage to report, not to wait out
  baseDelayMs: 1000, // a restarting server is rarely back sooner
  capDelayMs: 30_000, // once it is down for long, check twice a minute
  jitter: 0.2, // the source and target sessions lost together do not all come back at the same moment
};

/** A snapshot batch that failed on a transient error (deadlock, serialization failure, lost session). */
export const TRANSIENT_BATCH: RetryPolicy = {
  maxAttempts: 5, // a batch failing five times is not transient
  budgetMs: Infinity, // the attempts bound it: waits of 1, 2, 4, 4 s
  baseDelayMs: 1000, // a deadlock or a dropped session clears within a second or so
  capDelayMs: 4000, // keeps the growth near linear: a batch is cheap to redo, a long wait is not
  jitter: 0.2, // parallel workers that failed together do not collide again on their retry
};

/** A walsender we just terminated may hold the replication slot for a moment (55006, object in use). */
export const SLOT_BUSY: RetryPolicy = {
  maxAttempts: 100, // 100 × 100 ms: a terminated walsender exits well within 10 s; longer means it is not ours
  budgetMs: Infinity, // the attempts bound it
  baseDelayMs: 100, // the slot is released within milliseconds of the walsender exiting
  capDelayMs: 100, // a steady poll: the wait does not grow
  jitter: 0, // one caller polls one slot; there is nothing to spread
};

/** The wait before retry `attempt` (1 = the first retry); `random` returns a number in [0, 1). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  // The exponent is bounded so that a zero base never meets an infinite factor (0 × Infinity is NaN).
  const raw = Math.min(policy.capDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52));
  return raw * (1 - policy.jitter * random());
}

export interface RetryEvent {
  /** The attempt that just failed (1 = the first). */
  attempt: number;
  /** The wait before the next attempt. */
  delayMs: number;
  error: unknown;
  /** Time since the first failure. */
  elapsedMs: number;
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** True when the error is worth another attempt (a lost connection, a deadlock); anything else is thrown at once. */
  retryable: (e: unknown) => boolean;
  /** Called before each wait (log and print one line: what was lost, attempt n, next try in s). */
  onRetry?: (ev: RetryEvent) => void;
  /** Stops the waiting at once: the last error is thrown. */
  signal?: AbortSignal;
  /** Injected for tests: defaults to Date.now / Math.random. */
  now?: () => number;
  random?: () => number;
}

/**
 * Run fn until it succeeds, the error is not retryable, or the policy's attempts or budget are spent (then the
 * last error is thrown). fn gets the attempt number, 1 for the first. The last wait is cut short to end with
 * the budget, so the final attempt still starts within it.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const { policy, signal } = o;
  const now = o.now ?? Date.now;
  let firstFailureAt: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const t = now();
      firstFailureAt ??= t;
      const elapsedMs = t - firstFailureAt;
      if (!o.retryable(e) || signal?.aborted || attempt >= policy.maxAttempts || elapsedMs >= policy.budgetMs) throw e;
      const delayMs = Math.min(retryDelayMs(policy, attempt, o.random), policy.budgetMs - elapsedMs);
      o.onRetry?.({ attempt, delayMs, error: e, elapsedMs });
      await sleep(delayMs, signal);
      if (signal?.aborted) throw e;
    }
  }
}
