/** The worker pool: bounded by its workers, stopped by the first failure (rethrown as is) or by an abort. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPool } from '../../src/infra/pool.js';
import { InternalError } from '../../src/infra/errors.js';

/** Hands out 1..n, then undefined; counts the calls made after `closed()` turns true. */
function items(n: number, closed: () => boolean = () => false) {
  let i = 0;
  const src = {
    callsAfterClose: 0,
    taken: 0,
    next: (): number | undefined => {
      if (closed()) src.callsAfterClose++;
      if (i >= n) return undefined;
      src.taken++;
      return ++i;
    },
  };
  return src;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

test('every item is worked once, by up to as many workers at a time as there are workers', async () => {
  const src = items(20);
  let active = 0;
  let maxActive = 0;
  const done: number[] = [];
  const byWorker = new Map<string, number>();
  await runPool(['a', 'b', 'c'], src.next, async (w, item) => {
    active++;
    maxActive = Math.max(maxActive, active);
    await turn();
    await turn();
    done.push(item);
    byWorker.set(w, (byWorker.get(w) ?? 0) + 1);
    active--;
  });
  assert.deepEqual(done.sort((x, y) => x - y), Array.from({ length: 20 }, (_, k) => k + 1));
  assert.equal(maxActive, 3, 'three workers ran at once, never more');
  assert.deepEqual([...byWorker.keys()].sort(), ['a', 'b', 'c'], 'each worker resource was used');
});

test('an async next works the same way', async () => {
  const src = items(5);
  const done: number[] = [];
  await runPool([1, 2], async () => {
    await turn();
    return src.next();
  }, async (_w, item) => {
    done.push(item);
  });
  assert.deepEqual(done.sort(), [1, 2, 3, 4, 5]);
});

test('the first failure stops taking items, lets the item in hand finish, and is rethrown once all stopped', async () => {
  const boom = new Error('copy failed');
  let failed = false;
  const src = items(100, () => failed);
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let heldFinished = false;
  let heldSawStop = false;
  const pool = runPool(['slow', 'fast'], src.next, async (w, item, stop) => {
    if (w === 'slow') {
      // The slow worker is busy on its first item while the other fails.
      await held;
      heldSawStop = stop.aborted;
      await turn();
      heldFinished = true;
      return;
    }
    if (item === 4) {
      failed = true;
      throw boom;
    }
  });
  // Release the slow worker only once the failure happened.
  while (!failed) await turn();
  release();
  await assert.rejects(pool, (e: unknown) => e === boom);
  assert.ok(heldFinished, 'the pool waited for the item in hand');
  assert.ok(heldSawStop, 'the stop signal told the busy worker');
  assert.equal(src.callsAfterClose, 0, 'no item was taken after the failure');
  assert.equal(src.taken, 4);
});

test('the first failure is rethrown, not a later one nor an AggregateError', async () => {
  const first = new Error('first');
  const src = items(2);
  await assert.rejects(
    runPool(['a', 'b'], src.next, async (_w, item, stop) => {
      if (item === 1) throw first;
      // The other worker fails because of the stop, as a cancelled COPY would.
      if (!stop.aborted) await new Promise((r) => stop.addEventListener('abort', r, { once: true }));
      throw new Error('cancelled by the stop');
    }),
    (e: unknown) => e === first,
  );
});

test('a failing next is a failure like any other', async () => {
  const bad = new Error('state store unreadable');
  await assert.rejects(runPool([1, 2, 3], () => Promise.reject(bad), async () => {}), (e: unknown) => e === bad);
});

test('an abort stops taking items; the pool resolves and the work saw the stop', async () => {
  const ac = new AbortController();
  const src = items(1000, () => ac.signal.aborted);
  let worked = 0;
  let sawStop = false;
  await runPool(['a', 'b'], src.next, async (_w, _item, stop) => {
    worked++;
    if (worked === 5) ac.abort(new Error('received SIGTERM'));
    await turn();
    if (stop.aborted) sawStop = true;
  }, ac.signal);
  assert.ok(ac.signal.aborted);
  assert.ok(sawStop);
  assert.equal(src.callsAfterClose, 0, 'no item was taken after the abort');
  assert.ok(worked <= 6, `only the items in hand were finished (${worked})`);
});

test('an item next hands out after the stop is not worked', async () => {
  const ac = new AbortController();
  const worked: number[] = [];
  let i = 0;
  const next = async () => {
    i++;
    if (i === 3) ac.abort(); // the stop comes while this worker waits for its next item
    return i;
  };
  await runPool(['a'], next, async (_w, item) => {
    worked.push(item);
  }, ac.signal);
  assert.deepEqual(worked, [1, 2]);
});

test('an already aborted signal takes no item at all', async () => {
  const ac = new AbortController();
  ac.abort();
  const src = items(10);
  await runPool([1, 2], src.next, async () => assert.fail('no work after an abort'), ac.signal);
  assert.equal(src.taken, 0);
});

test('no workers is a bug, not an empty run', async () => {
  await assert.rejects(runPool([], items(3).next, async () => {}), InternalError);
});
