/**
 * Deadlocks (1213) and lock wait timeouts (1205) while applying changes to MySQL/MariaDB. InnoDB rolls back
 * the whole transaction on a deadlock, and on a lock wait timeout only the statement (unless
 * innodb_rollback_on_timeout): either way the applier rolls the transaction back and replays it from the
 * chunks it kept, after a short wait, so the apply loop never sees the conflict. A conflict that persists is
 * another writer on the source, reported as such.
 */
import { DbError } from '../../infra/errors.js';
import type { Logger } from '../../infra/logger.js';
import { withRetry, type RetryPolicy } from '../../infra/retry.js';

export const LOCK_CONFLICT_RETRY: RetryPolicy = {
  maxAttempts: 6, // five replays: a lock that keeps being taken is another writer on the source, not bad luck
  budgetMs: Infinity, // the attempts bound it (and each lock wait is innodb_lock_wait_timeout long)
  baseDelayMs: 200, // a deadlock victim's rival commits within milliseconds
  capDelayMs: 5000,
  jitter: 0.2,
};

export const errnoOf = (e: unknown) => (e as { errno?: number }).errno;
export const isLockConflict = (e: unknown) => errnoOf(e) === 1213 || errnoOf(e) === 1205;

export interface ReplayOptions {
  /** Roll the transaction back (the conflict left it aborted, or half of it). */
  abandon(): Promise<void>;
  /** The open transaction's chunks are all still in memory. */
  replayable(): boolean;
  /** Maps any other error (lock conflicts pass through `work` unmapped). */
  fail(e: unknown): unknown;
  side: string;
  log: Logger;
}

/** Run `work` (replay = false); after a lock conflict, roll back, wait and run it again (replay = true: redo the transaction first). */
export async function replayingLockConflicts(work: (replay: boolean) => Promise<void>, o: ReplayOptions): Promise<void> {
  try {
    await withRetry(async (attempt) => {
      try {
        await work(attempt > 1);
      } catch (e) {
        if (isLockConflict(e)) await o.abandon();
        throw e;
      }
    }, {
      policy: LOCK_CONFLICT_RETRY,
      retryable: (e) => isLockConflict(e) && o.replayable(),
      onRetry: (ev) => o.log.warn('lock conflict on the source; replaying the open transaction', {
        side: o.side, errno: errnoOf(ev.error), attempt: ev.attempt, delayMs: Math.round(ev.delayMs),
      }),
    });
  } catch (e) {
    if (!isLockConflict(e)) throw o.fail(e);
    const what = `${errnoOf(e) === 1213 ? 'deadlock' : 'lock wait timeout'} applying changes to the ${o.side} database (${(e as Error).message})`;
    if (!o.replayable()) {
      // Too big to replay from memory: the apply loop reconnects and resumes from the committed watermark.
      throw new DbError('connect', `${what} in a transaction too large to replay from memory`, 'it resumes from the last committed change', undefined, e);
    }
    throw new DbError('conflict', `${what}, ${LOCK_CONFLICT_RETRY.maxAttempts} times in a row`,
      'another session holds locks on the rows fall-back writes (the application must write to the target only); stop it and rerun', undefined, e);
  }
}
