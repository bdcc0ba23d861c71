/** Retries follow their policy: delays grow and cap, jitter stays in bounds, attempts and budget end them, abort ends a wait. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECONNECT, SLOT_BUSY, TRANSIENT_BATCH, retryDelayMs, withRetry, type RetryEvent, type RetryPolicy } from '../../src/infra/retry.js';

/** Waits of a millisecond or two: the tests never depend on how long a wait really takes. */
const quick = (p: Partial<RetryPolicy> = {}): RetryPolicy => ({ maxAttempts: 5, budgetMs: Infinity, baseDelayMs: 1, capDelayMs: 2, jitter: 0, ...p });
const lost = () => Object.assign(new Error('connection lost'), { code: '08006' });
const isLost = (e: unknown) => (e as { code?: string }).code === '08006';

test('delays double from the base and stop at the cap', () => {
  const p: RetryPolicy = { maxAttempts: 10, budgetMs: Infinity, baseDelayMs: 100, capDelayMs: 1000, jitter: 0 };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(p, n)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(retryDelayMs(p, 5000), 1000, 'a huge attempt number still gives the cap');
  assert.equal(retryDelayMs({ ...p, baseDelayMs: 0 }, 5000), 0, 'a zero base gives no wait, not NaN');
});

test('jitter scales the delay by a factor in [1 - jitter, 1]', () => {
  const p: RetryPolicy = { maxAttempts: 10, budgetMs: Infinity, baseDelayMs: 1000, capDelayMs: 8000, jitter: 0.25 };
  assert.equal(retryDelayMs(p, 2, () => 0), 2000, 'random 0: no reduction');
  assert.equal(retryDelayMs(p, 2, () => 0.5), 1750);
  for (const r of [0, 0.1, 0.5, 0.9, 0.999999]) {
    const d = retryDelayMs(p, 4, () => r);
    assert.ok(d >= 8000 * 0.75 && d <= 8000, `random ${r} gave ${d}`);
  }
});

test('the named policies keep their shape', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(RECONNECT, n, () => 0)), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs(TRANSIENT_BATCH, n, () => 0)), [1000, 2000, 4000, 4000]);
  assert.deepEqual([1, 50, 99].map((n) => retryDelayMs(SLOT_BUSY, n, () => 0.7)), [100, 100, 100], 'no jitter, no growth');
});

test('a retryable failure is retried until fn succeeds; each retry is reported before its wait', async () => {
  const events: RetryEvent[] = [];
  const seen: number[] = [];
  const result = await withRetry(
    async (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw lost();
      return 'done';
    },
    { policy: quick(), retryable: isLost, onRetry: (ev) => events.push(ev) },
  );
  assert.equal(result, 'done');
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(events.map((e) => [e.attempt, e.delayMs]), [[1, 1], [2, 2]]);
  assert.ok(events.every((e) => isLost(e.error)));
});

test('when the attempts are spent the last error is thrown', async () => {
  const errors: Error[] = [];
  let calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      const e = lost();
      errors.push(e);
      throw e;
    }, { policy: quick({ maxAttempts: 3 }), retryable: isLost }),
    (e: unknown) => e === errors[2],
  );
  assert.equal(calls, 3, 'maxAttempts counts the first attempt');
});

test('a non-retryable error is thrown at once after one attempt', async () => {
  const denied = new Error('permission denied');
  let calls = 0;
  let retries = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw denied;
    }, { policy: quick({ maxAttempts: 100 }), retryable: isLost, onRetry: () => retries++ }),
    (e: unknown) => e === denied,
  );
  assert.equal(calls, 1);
  assert.equal(retries, 0);
});

test('the budget, counted from the first failure, stops retrying', async () => {
  let clock = 10_000;
  let calls = 0;
  const events: RetryEvent[] = [];
  await assert.rejects(
    withRetry(async () => {
      calls++;
      clock += 400; // each attempt takes 400 ms of the injected clock
      throw lost();
    }, { policy: quick({ maxAttempts: Infinity, budgetMs: 1000 }), retryable: isLost, now: () => clock, onRetry: (ev) => events.push(ev) }),
    isLost,
  );
  // Failures at 0, 400, 800 ms after the first are retried; the one at 1200 ms is past the budget.
  assert.deepEqual(events.map((e) => e.elapsedMs), [0, 400, 800]);
  assert.equal(calls, 4);
});

test('a budget of 0 means no retry at all', async () => {
  let calls = 0;
  await assert.rejects(withRetry(async () => {
    calls++;
    throw lost();
  }, { policy: quick({ budgetMs: 0 }), retryable: isLost }), isLost);
  assert.equal(calls, 1);
});

test('the last wait is cut short to end with the budget', async () => {
  const events: RetryEvent[] = [];
  let clock = 0;
  await withRetry(async (attempt) => {
    if (attempt === 1) {
      clock += 5; // the first failure comes 5 ms in; the next fails 3 ms after it
      throw lost();
    }
    if (attempt === 2) {
      clock += 3;
      throw lost();
    }
  }, { policy: quick({ budgetMs: 5, baseDelayMs: 60_000, capDelayMs: 60_000 }), retryable: isLost, now: () => clock, onRetry: (ev) => events.push(ev) });
  assert.deepEqual(events.map((e) => e.delayMs), [5, 2], 'a minute of delay becomes what is left of the budget');
});

test('an abort during a wait ends it at once and throws the last error', { timeout: 10_000 }, async () => {
  const ac = new AbortController();
  const e1 = lost();
  let calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw e1;
    }, {
      policy: quick({ baseDelayMs: 3_600_000, capDelayMs: 3_600_000 }), // an hour: only the abort can end this wait
      retryable: isLost,
      signal: ac.signal,
      onRetry: () => setImmediate(() => ac.abort()), // abort once the wait has begun
    }),
    (e: unknown) => e === e1,
  );
  assert.equal(calls, 1, 'no attempt after the abort');
});

test('a failure after the signal aborted is not retried', async () => {
  const ac = new AbortController();
  ac.abort();
  let calls = 0;
  let retries = 0;
  await assert.rejects(withRetry(async () => {
    calls++;
    throw lost();
  }, { policy: quick(), retryable: isLost, signal: ac.signal, onRetry: () => retries++ }), isLost);
  assert.equal(calls, 1);
  assert.equal(retries, 0);
});
