/** Where the queue's segment fsync runs (src/infra/adaptive-fsync.ts). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AdaptiveFsync } from '../../src/infra/adaptive-fsync.js';

test('fsyncs run on the event loop until one is slow, then the next ones go to the thread pool, then it tries again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-fsync-'));
  const fd = fs.openSync(path.join(dir, 'f'), 'w');
  try {
    const f = new AdaptiveFsync(2, 3);
    assert.equal(f.nextOnEventLoop, true);
    f.tookOnEventLoop(1.5);
    assert.equal(f.nextOnEventLoop, true, 'a fast fsync keeps it on the event loop');
    f.tookOnEventLoop(5);
    assert.equal(f.nextOnEventLoop, false, 'a slow one sends the next ones to the pool');
    fs.writeSync(fd, 'x');
    for (let i = 0; i < 3; i++) {
      assert.equal(f.nextOnEventLoop, false);
      await f.fsync(fd);
    }
    assert.equal(f.nextOnEventLoop, true, 'after retryAfter calls in the pool it tries the event loop again');
  } finally {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true });
  }
});
