import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupedFlush } from '../../src/infra/grouped-flush.js';

/** A sync that records when it starts and completes only when released. */
function heldSync() {
  const starts: number[] = [];
  const releases: (() => void)[] = [];
  let fail: Error | undefined;
  const sync = () => {
    starts.push(Date.now());
    return new Promise<void>((resolve, reject) => releases.push(() => (fail ? reject(fail) : resolve())));
  };
  const started = async (n: number) => {
    for (let i = 0; starts.length < n; i++) {
      assert.ok(i < 2000, `sync ${n} started`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return { sync, starts, release: (i: number) => releases[i](), started, failNext: (e: Error | undefined) => (fail = e) };
}

test('callers before a sync starts share it; a caller after it started gets the next one, no sooner than the interval', async () => {
  const h = heldSync();
  const f = new GroupedFlush(h.sync, 30);
  const done: string[] = [];
  const a = f.flush().then(() => done.push('a'));
  const b = f.flush().then(() => done.push('b'));
  await h.started(1);
  const c = f.flush().then(() => done.push('c')); // its writes may postdate the running sync
  h.release(0);
  await Promise.all([a, b]);
  assert.deepEqual(done, ['a', 'b'], 'the first sync answers the two callers before it');
  await h.started(2);
  assert.equal(h.starts.length, 2, 'one sync for a and b, one for c');
  assert.ok(h.starts[1] - h.starts[0] >= 29, `the second sync waited for the interval (${h.starts[1] - h.starts[0]} ms)`);
  assert.deepEqual(done, ['a', 'b'], 'c waits for its own sync');
  h.release(1);
  await c;
  assert.deepEqual(done, ['a', 'b', 'c']);
});

test('a failed sync rejects its callers; the next flush syncs again', async () => {
  const h = heldSync();
  const f = new GroupedFlush(h.sync, 0);
  h.failNext(new Error('EIO'));
  const a = f.flush();
  await h.started(1);
  h.release(0);
  await assert.rejects(a, /EIO/);
  h.failNext(undefined);
  const b = f.flush();
  await h.started(2);
  h.release(1);
  await b;
  assert.equal(h.starts.length, 2);
});
