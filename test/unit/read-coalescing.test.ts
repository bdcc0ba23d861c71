/** How long the replication socket is left alone after a read (src/adapters/postgres/read-coalescing.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pauseAfterRead } from '../../src/adapters/postgres/read-coalescing.js';

test('with no commit waiting a slow stream pauses 1 ms, a busy one 5 ms, a read that filled the 64 KiB read buffer (the sender is ahead) none', () => {
  assert.equal(pauseAfterRead(0), 1);
  assert.equal(pauseAfterRead(2_000), 1);
  assert.equal(pauseAfterRead((32 << 10) - 1), 1);
  assert.equal(pauseAfterRead(32 << 10), 5);
  assert.equal(pauseAfterRead((64 << 10) - 1), 5);
  assert.equal(pauseAfterRead(64 << 10), 0);
  assert.equal(pauseAfterRead(4 << 20), 0);
});

test('a slow stream is read again just before the next queue commit is due, at most 10 ms later; a busy one is not held longer', () => {
  assert.equal(pauseAfterRead(2_000, 9.6), 8, 'one millisecond before the commit is due');
  assert.equal(pauseAfterRead(2_000, 1.5), 1, 'never less than the short pause');
  assert.equal(pauseAfterRead(2_000, 0), 1);
  assert.equal(pauseAfterRead(2_000, 20), 10, 'never more than 10 ms (a backlog\'s 20 ms interval)');
  assert.equal(pauseAfterRead(32 << 10, 9), 5, 'a busy stream keeps its pause: longer ones stalled the sender');
  assert.equal(pauseAfterRead(64 << 10, 9), 0, 'the sender is ahead: read on');
});
