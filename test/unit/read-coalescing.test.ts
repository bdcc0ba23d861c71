/** How long the replication socket is left alone after a read (src/adapters/postgres/read-coalescing.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pauseAfterRead } from '../../src/adapters/postgres/read-coalescing.js';

test('a slow stream pauses 1 ms, a busy one 5 ms, a read that filled the 64 KiB read buffer (the sender is ahead) none', () => {
  assert.equal(pauseAfterRead(0), 1);
  assert.equal(pauseAfterRead(2_000), 1);
  assert.equal(pauseAfterRead((32 << 10) - 1), 1);
  assert.equal(pauseAfterRead(32 << 10), 5);
  assert.equal(pauseAfterRead((64 << 10) - 1), 5);
  assert.equal(pauseAfterRead(64 << 10), 0);
  assert.equal(pauseAfterRead(4 << 20), 0);
});
