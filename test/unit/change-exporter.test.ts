import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { PgOutputFeed } from '../../src/adapters/postgres/change-source.js';
import { formatLsn, parseLsn } from '../../src/adapters/postgres/lsn.js';
import { lsnPositions } from '../../src/adapters/postgres/positions.js';
import { PgOutputTranslator } from '../../src/adapters/postgres/pgoutput-events.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { exporterPosition, QueueWriter } from '../../src/export-dir/queue.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { nullLogger } from '../../src/infra/logger.js';
import { ChangeExporter } from '../../src/workflows/change-exporter.js';
import { readQueue } from '../helpers/change-stream-fixture.js';
import { B, relation } from '../helpers/pgoutput-builder.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function setup(o: { durableLsn?: bigint; groupCommitMs?: number; caughtUpCommitMs?: number; groupCommitEvents?: number } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-exporter-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  const writer = QueueWriter.open(dir, state, 'source_db_exporter');
  const confirmed: bigint[] = [];
  const warnings: string[] = [];
  const ex = new ChangeExporter({
    writer,
    positions: lsnPositions,
    durable: formatLsn(o.durableLsn ?? 0n),
    log: nullLogger,
    warn: (w) => warnings.push(w),
    onDurable: (pos) => confirmed.push(parseLsn(pos)),
    groupCommitMs: o.groupCommitMs ?? 0,
    caughtUpCommitMs: o.caughtUpCommitMs,
    groupCommitEvents: o.groupCommitEvents,
  });
  // The PostgreSQL change source's feed: pgoutput messages in, the exporter's CaptureSink calls out.
  const pg = new PgOutputFeed(new PgOutputTranslator([{ schema: 'public', table: 't', pk: ['id'] }]), ex, nullLogger);
  pg.onData(relation(1, 'public', 't', 'd', [['id', true], ['v', false]]));
  cleanups.push(() => {
    writer.close();
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return { ex, pg, dir, state, writer, confirmed, warnings, queue: () => readQueue(dir, state) };
}

const begin = (finalLsn: bigint) => new B().ch('B').u64(finalLsn).u64(0n).i32(1).buf;
const commit = (commitLsn: bigint, endLsn: bigint) => new B().ch('C').u8(0).u64(commitLsn).u64(endLsn).u64(1_000_000n).buf;
const insert = (id: number) => new B().ch('I').i32(1).ch('N').tuple([String(id), 'v']).buf;

function txn(pg: PgOutputFeed, finalLsn: bigint, ids: number[]) {
  pg.onData(begin(finalLsn));
  for (const id of ids) pg.onData(insert(id));
  pg.onData(commit(finalLsn, finalLsn + 0x30n));
}

test('transactions committed before the durable position are skipped (the server resent them)', async () => {
  const s = setup({ durableLsn: 0x230n });
  txn(s.pg, 0x100n, [1]); // ends at 0x130: in the queue already
  txn(s.pg, 0x200n, [2]); // its commit record starts before 0x230, the end of its own commit: in the queue
  txn(s.pg, 0x230n, [3]); // starts at the durable position: new
  await s.ex.settle();
  assert.equal(s.ex.skippedTransactions, 2);
  const q = s.queue();
  assert.deepEqual(q.map((e) => e.op), ['c', 'commit']);
  assert.deepEqual((q[0] as { key: object }).key, { id: '3' });
  assert.deepEqual(q[1], { vsn: 2, op: 'commit', pos: '0/260', ts: '2000-01-01T00:00:01.000000Z' });
  assert.equal(exporterPosition(s.state, 'source_db_exporter'), '0/260');
  assert.deepEqual(s.confirmed, [0x260n], 'skipped transactions add nothing to commit');
});

test('group commit: nothing is durable or confirmed until the interval passed; a stop commits at the boundary', async () => {
  const s = setup({ groupCommitMs: 60_000 });
  txn(s.pg, 0x100n, [1, 2]);
  txn(s.pg, 0x200n, [3]);
  assert.deepEqual(s.queue(), [], 'not committed yet');
  assert.deepEqual(s.confirmed, []);
  await s.ex.requestStop();
  assert.equal(s.ex.stopped, 'signal');
  assert.deepEqual(s.queue().map((e) => e.op), ['c', 'c', 'commit', 'c', 'commit']);
  assert.deepEqual(s.confirmed, [0x230n]);
  txn(s.pg, 0x300n, [4]);
  assert.equal(s.queue().length, 5, 'nothing is taken after the stop');
});

test('caught up: after a small group the next commit does not wait for the interval, only for the commit in flight', async () => {
  for (const caughtUpCommitMs of [0, 60_000]) {
    // A long interval; the first group commits because it reaches groupCommitEvents.
    const s = setup({ groupCommitMs: 60_000, caughtUpCommitMs, groupCommitEvents: 3 });
    txn(s.pg, 0x100n, [1, 2]);
    await s.ex.settle();
    assert.deepEqual(s.confirmed, [0x130n], 'the first group committed on its size');
    txn(s.pg, 0x200n, [3]); // two queue events (a change and its commit): under groupCommitEvents
    await s.ex.settle();
    if (caughtUpCommitMs === 0) assert.deepEqual(s.confirmed, [0x130n, 0x230n], 'committed at its boundary, after a small group');
    else assert.deepEqual(s.confirmed, [0x130n], 'caughtUpCommitMs is the interval after a small group');
  }
});

test('a transaction that ends inside the interval is committed when the interval is due, with no later transaction', async () => {
  const started = Date.now(); // before the exporter exists: its interval counts from its creation
  const s = setup({ groupCommitMs: 40 }); // the first group waits for groupCommitMs (nothing says the exporter is caught up yet)
  txn(s.pg, 0x100n, [1]); // the exporter was created just now: the interval since the "last commit" has not passed
  // Nothing else happens: no later transaction. Only the exporter's own timer can commit it.
  while (!s.confirmed.length && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(s.confirmed, [0x130n], 'committed once due');
  assert.ok(Date.now() - started >= 39, 'not before the interval (Date.now() and the timers\' clock may differ by under 1 ms)');
  assert.deepEqual(s.queue().map((e) => e.op), ['c', 'commit']);
});

test('msUntilCommitDue: the time left until the next commit may start, 0 once due or when stopping', async () => {
  const s = setup({ groupCommitMs: 60_000 });
  const left = s.ex.msUntilCommitDue();
  assert.ok(left > 59_000 && left <= 60_000, `the interval counts from the exporter's creation: ${left} ms`);
  txn(s.pg, 0x100n, [1]);
  assert.ok(s.ex.msUntilCommitDue() > 59_000, 'a transaction does not make the commit due sooner');
  await s.ex.requestStop();
  assert.equal(s.ex.msUntilCommitDue(), 0, 'stopped: nothing waits for a commit');

  const due = setup({ groupCommitMs: 0 });
  assert.equal(due.ex.msUntilCommitDue(), 0, 'no interval: due at once');
});

test('a stop requested inside a transaction waits for its commit', async () => {
  const s = setup({ groupCommitMs: 60_000 });
  s.pg.onData(begin(0x100n));
  s.pg.onData(insert(1));
  let stopped = false;
  const p = s.ex.requestStop().then(() => (stopped = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(stopped, false);
  assert.deepEqual(s.queue(), []);
  s.pg.onData(insert(2));
  s.pg.onData(commit(0x100n, 0x130n));
  await p;
  assert.deepEqual(s.queue().map((e) => e.op), ['c', 'c', 'commit']);
  assert.equal(exporterPosition(s.state, 'source_db_exporter'), '0/130');
});

test('keepalives advance the position only between transactions; stopWhenPassed stops once durable past it', async () => {
  const s = setup();
  s.pg.onData(begin(0x100n));
  s.pg.onKeepalive(0x500n); // inside a transaction: transactions before 0x500 may still be coming
  assert.equal(s.ex.receivedUpTo, '0/0');
  s.pg.onData(insert(1));
  s.pg.onData(commit(0x100n, 0x130n));
  await s.ex.settle();
  assert.equal(s.ex.durable, '0/130');
  s.ex.stopWhenPassed('0/400');
  assert.equal(s.ex.stopped, undefined);
  s.pg.onKeepalive(0x450n); // idle source: everything before 0x450 has been sent
  await s.ex.whenStopped;
  assert.equal(s.ex.stopped, 'position');
  assert.equal(exporterPosition(s.state, 'source_db_exporter'), '0/450');
  assert.deepEqual(s.confirmed, [0x130n, 0x450n]);
});

test('a transaction with no exported change leaves no commit event but advances the position; truncate warns', async () => {
  const s = setup();
  s.pg.onData(relation(2, 'public', 'other', 'd', [['id', true]]));
  s.pg.onData(begin(0x100n));
  s.pg.onData(new B().ch('I').i32(2).ch('N').tuple(['1']).buf);
  s.pg.onData(commit(0x100n, 0x130n));
  await s.ex.settle();
  assert.deepEqual(s.queue(), []);
  assert.equal(exporterPosition(s.state, 'source_db_exporter'), '0/130');
  s.pg.onData(new B().ch('T').i32(1).u8(0).i32(1).buf);
  assert.match(s.warnings[0], /TRUNCATE of public\.t on the source is not replicated/);
});

/** The source's current read has been taken (a commit that is due starts then). */
const readTaken = () => new Promise((r) => setImmediate(r));

test('a due commit starts once the read is taken: the transactions after it in the same read go into it', async () => {
  const s = setup();
  txn(s.pg, 0x100n, [1]); // due at once (no interval)
  txn(s.pg, 0x200n, [2]); // the same read
  assert.deepEqual(s.queue(), [], 'not before the read is taken');
  await readTaken();
  txn(s.pg, 0x300n, [3]); // the next read
  await s.ex.settle();
  assert.deepEqual(s.queue().map((e) => e.op), ['c', 'commit', 'c', 'commit', 'c', 'commit']);
  assert.deepEqual(s.confirmed, [0x230n, 0x330n]);
});

test('a read that ends inside a transaction: the due commit starts at that transaction\'s end, with it', async () => {
  const s = setup();
  txn(s.pg, 0x100n, [1]);
  s.pg.onData(begin(0x200n));
  s.pg.onData(insert(2));
  await readTaken();
  assert.deepEqual(s.queue(), [], 'never a part of a transaction');
  s.pg.onData(commit(0x200n, 0x230n));
  await s.writer.drain();
  assert.deepEqual(s.queue().map((e) => e.op), ['c', 'commit', 'c', 'commit'], 'started at the end of the transaction, synchronously');
  await s.ex.settle();
  assert.deepEqual(s.confirmed, [0x230n]);
});

test('one commit at a time: transactions that arrive while it is in flight go into the next one', async () => {
  const s = setup();
  txn(s.pg, 0x100n, [1]); // starts a commit once the read is taken
  await readTaken();
  txn(s.pg, 0x200n, [2]); // the next read: the commit may still be in flight
  txn(s.pg, 0x300n, [3]);
  await s.ex.settle();
  assert.deepEqual(s.queue().map((e) => e.op), ['c', 'commit', 'c', 'commit', 'c', 'commit']);
  assert.deepEqual(s.confirmed, [0x130n, 0x330n], 'the second commit took both later transactions');
  assert.equal(exporterPosition(s.state, 'source_db_exporter'), '0/330');
});

test('the next commit is recorded while the one before is made durable; positions are confirmed only once durable, in order', async () => {
  const s = setup();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const flushWal = s.state.flushWal.bind(s.state);
  s.state.flushWal = async () => {
    await held; // meta.db's WAL fsync, held back
    return flushWal();
  };
  const recorded = async (events: number) => {
    for (let i = 0; s.queue().length < events; i++) {
      assert.ok(i < 2000, `${events} events recorded`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  txn(s.pg, 0x100n, [1]);
  await recorded(2); // readers see the first transaction
  txn(s.pg, 0x200n, [2]);
  await recorded(4); // and the second, committed while the first's record is not yet durable
  assert.deepEqual(s.confirmed, [], 'nothing confirmed upstream before it is durable');
  release();
  await s.ex.settle();
  assert.deepEqual(s.confirmed, [0x130n, 0x230n]);
});

test('a failure to make the queue durable stops the exporter with the error, nothing confirmed', async () => {
  const s = setup({ groupCommitMs: 60_000 });
  txn(s.pg, 0x100n, [1]);
  s.state.db.close(); // the state store is gone: recording the commit fails
  await assert.rejects(s.ex.requestStop(), /not open/);
  assert.deepEqual(s.confirmed, []);
  txn(s.pg, 0x200n, [2]); // ignored
});

test('a session that failed mid-transaction: what the stream still delivers after the writer closed is dropped, not a crash', async () => {
  const { ex, pg, writer, queue } = setup();
  txn(pg, 0x100n, [1]);
  await ex.settle();
  const committed = queue().length;
  assert.ok(committed > 0);
  writer.close(); // the session failed: the writer is closed while the exporter still takes what arrives
  // Late data of a transaction the failed session was in the middle of: large enough to flush the buffer.
  pg.onData(begin(0x200n));
  for (let i = 0; i < 20_000; i++) pg.onData(insert(1000 + i));
  pg.onData(commit(0x200n, 0x230n));
  assert.equal(queue().length, committed, 'nothing after the close reached the queue');
});
