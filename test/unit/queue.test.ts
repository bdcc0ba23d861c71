import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import type { QueueEvent } from '../../src/core/change-event.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { exportedEventTotal, exporterPosition, QueueWriter, type SegmentRow } from '../../src/export-dir/queue.js';
import { QueueReader } from '../../src/export-dir/queue-reader.js';
import { StateStore } from '../../src/export-dir/state-store.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function freshDir(): { dir: ExportDir; state: StateStore } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-queue-'));
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  cleanups.push(() => {
    state.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  return { dir, state };
}

const insert = (id: number, pad = '') => ({ op: 'c' as const, schema: 'public', table: 't', key: { id: String(id) }, after: { id: String(id), v: pad || null } });

/** Read until `count` events arrived (or fail after the reader went quiet for a long time). */
async function readEvents(reader: QueueReader, count: number): Promise<QueueEvent[]> {
  const ac = new AbortController();
  const got: QueueEvent[] = [];
  const guard = setTimeout(() => ac.abort(), 20_000);
  try {
    for await (const batch of reader.read(ac.signal)) {
      got.push(...batch);
      if (got.length >= count) break;
    }
  } finally {
    clearTimeout(guard);
  }
  return got;
}

function segments(state: StateStore): SegmentRow[] {
  return state.db.prepare('SELECT * FROM queue_segments ORDER BY segment_no').all() as SegmentRow[];
}

test('append + commit: readers see the events in vsn order with commit positions and counts', async () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter');
  w.append(insert(1));
  w.append({ op: 'u', schema: 'public', table: 't', key: { id: '1' }, after: { v: 'x' } });
  w.append({ op: 'commit', pos: '0/100', ts: '2026-01-01T00:00:00Z' });
  w.commit('0/100');
  w.append({ op: 'd', schema: 'public', table: 't', key: { id: '1' } });
  w.append({ op: 'commit', pos: '0/200' });
  w.commit('0/200');
  w.close();

  assert.equal(exporterPosition(state, 'source_db_exporter'), '0/200');
  assert.equal(exportedEventTotal(state, ['source_db_exporter']), 3, 'commit events are not data events');
  const counts = state.db.prepare('SELECT inserts, updates, deletes FROM exported_event_counts').get();
  assert.deepEqual({ ...(counts as object) }, { inserts: 1, updates: 1, deletes: 1 });

  const reader = new QueueReader(dir, state, { consumer: 'target_db_importer', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 20 });
  const events = await readEvents(reader, 5);
  assert.deepEqual(events.map((e) => [e.vsn, e.op]), [[1, 'c'], [2, 'u'], [3, 'commit'], [4, 'd'], [5, 'commit']]);
  assert.deepEqual(events[1], { vsn: 2, op: 'u', schema: 'public', table: 't', key: { id: '1' }, after: { v: 'x' } });
});

test('uncommitted bytes are invisible to readers and truncated when the writer reopens', async () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter');
  w.append(insert(1));
  w.append({ op: 'commit', pos: '0/10' });
  w.commit('0/10');
  const committed = fs.statSync(dir.segmentFile(0)).size;
  // Over 1 MB of appends forces buffer flushes to the file, but no commit: a crash here must lose them.
  const pad = 'p'.repeat(1000);
  for (let i = 2; i < 2000; i++) w.append(insert(i, pad));
  assert.ok(w.pendingEvents > 1000);
  assert.ok(fs.statSync(dir.segmentFile(0)).size > committed + 1_000_000, 'large transactions stream to the file');
  assert.equal(segments(state)[0].committed_bytes, committed);

  const reader = new QueueReader(dir, state, { consumer: 'target_db_importer', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 20 });
  const ac = new AbortController();
  const seen: QueueEvent[] = [];
  const reading = (async () => {
    for await (const b of reader.read(ac.signal)) seen.push(...b);
  })();
  await new Promise((r) => setTimeout(r, 200));
  ac.abort();
  await reading;
  assert.deepEqual(seen.map((e) => e.vsn), [1, 2], 'only the committed events');

  w.close(); // the process "dies" without committing
  const w2 = QueueWriter.open(dir, state, 'source_db_exporter');
  assert.equal(fs.statSync(dir.segmentFile(0)).size, committed, 'reopen truncates to the committed size');
  const vsn = w2.append(insert(99));
  assert.equal(vsn, 3, 'vsn continues after the last committed one, not after the dropped ones');
  w2.append({ op: 'commit', pos: '0/20' });
  w2.commit('0/20');
  w2.close();
  const all = await readEvents(new QueueReader(dir, state, { consumer: 'x', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 20 }), 4);
  assert.deepEqual(all.map((e) => e.vsn), [1, 2, 3, 4]);
  assert.equal((all[2] as { key: Record<string, string> }).key.id, '99');
});

test('records an OS crash took from meta.db are taken back from the segment file; a transaction cut short is not', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-queue-'));
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = ExportDir.open(root);
  let state = StateStore.open(dir.stateDb);
  let w = QueueWriter.open(dir, state, 'source_db_exporter');
  w.append(insert(1));
  w.append({ op: 'commit', pos: '0/1' });
  await w.commitAsync('0/1');
  // meta.db as the disk held it at this point (the WAL folded in): what an OS crash may roll back to.
  state.db.pragma('wal_checkpoint(TRUNCATE)');
  const durable = fs.readFileSync(dir.stateDb);
  w.append(insert(2));
  w.append({ op: 'u', schema: 'public', table: 't', key: { id: '2' }, after: { v: 'x' } });
  w.append({ op: 'commit', pos: '0/2' });
  await w.commitAsync('0/2');
  w.append({ op: 'd', schema: 'other', table: 'u', key: { id: '1' } });
  w.append({ op: 'commit', pos: '0/3', ts: '2026-01-01T00:00:00Z' });
  await w.commitAsync('0/3');
  const recorded = segments(state)[0];
  w.close();
  state.close();
  // Past the records: a transaction cut short (no commit line), then a torn line.
  fs.appendFileSync(dir.segmentFile(0), '{"vsn":8,"op":"c","schema":"public","table":"t","key":{"id":"9"}}\n{"vsn":9,"op":"commit","po');
  for (const f of [dir.stateDb + '-wal', dir.stateDb + '-shm']) fs.rmSync(f, { force: true });
  fs.writeFileSync(dir.stateDb, durable);
  state = StateStore.open(dir.stateDb);
  cleanups.push(() => state.close());
  assert.equal(segments(state)[0].last_vsn, 2, 'meta.db lost the last two records');

  w = QueueWriter.open(dir, state, 'source_db_exporter');
  const seg = segments(state)[0];
  assert.deepEqual([seg.committed_bytes, seg.events, seg.first_vsn, seg.last_vsn], [recorded.committed_bytes, 4, 1, 7]);
  assert.equal(fs.statSync(dir.segmentFile(0)).size, recorded.committed_bytes, 'the transaction cut short is dropped');
  assert.equal(exporterPosition(state, 'source_db_exporter'), '0/3');
  const counts = state.db.prepare('SELECT schema_name, table_name, inserts, updates, deletes FROM exported_event_counts ORDER BY 1, 2').all();
  assert.deepEqual(counts.map((r) => ({ ...(r as object) })), [
    { schema_name: 'other', table_name: 'u', inserts: 0, updates: 0, deletes: 1 },
    { schema_name: 'public', table_name: 't', inserts: 2, updates: 1, deletes: 0 },
  ]);
  assert.equal(w.append(insert(3)), 8, 'vsn goes on after the last transaction taken back');
  w.append({ op: 'commit', pos: '0/4' });
  w.commit('0/4');
  w.close();
  const events = await readEvents(new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 10 }), 9);
  assert.deepEqual(events.map((e) => [e.vsn, e.op]), [[1, 'c'], [2, 'commit'], [3, 'c'], [4, 'u'], [5, 'commit'], [6, 'd'], [7, 'commit'], [8, 'c'], [9, 'commit']]);
  assert.equal((events[7] as { key: Record<string, string> }).key.id, '3');
});

test('a tail whose vsns do not follow on from the records is not taken back', () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter');
  w.append(insert(1));
  w.append({ op: 'commit', pos: '0/1' });
  w.commit('0/1');
  w.close();
  const committed = fs.statSync(dir.segmentFile(0)).size;
  fs.appendFileSync(dir.segmentFile(0), '{"vsn":4,"op":"c","schema":"public","table":"t","key":{"id":"9"}}\n{"vsn":5,"op":"commit","pos":"0/9"}\n');
  QueueWriter.open(dir, state, 'source_db_exporter').close();
  assert.equal(segments(state)[0].committed_bytes, committed);
  assert.equal(fs.statSync(dir.segmentFile(0)).size, committed);
  assert.equal(exporterPosition(state, 'source_db_exporter'), '0/1');
});

test('segments rotate at commit boundaries once over the size limit; readers follow across them', async () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter', 300);
  for (let tx = 0; tx < 10; tx++) {
    for (let i = 0; i < 3; i++) w.append(insert(tx * 10 + i));
    w.append({ op: 'commit', pos: `0/${tx + 1}` });
    w.commit(`0/${tx + 1}`);
  }
  w.close();
  const segs = segments(state);
  assert.ok(segs.length >= 5, `expected several segments, got ${segs.length}`);
  for (const s of segs.slice(0, -1)) {
    assert.equal(s.closed, 1);
    // Every closed segment ends on a commit: its last event is a CommitEvent.
    const lines = fs.readFileSync(dir.segmentFile(s.segment_no), 'utf8').trim().split('\n');
    assert.equal(JSON.parse(lines[lines.length - 1]).op, 'commit');
    assert.equal(fs.statSync(dir.segmentFile(s.segment_no)).size, s.committed_bytes);
  }
  assert.equal(segs[segs.length - 1].closed, 0);
  const events = await readEvents(new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 10 }), 40);
  assert.deepEqual(events.map((e) => e.vsn), Array.from({ length: 40 }, (_, i) => i + 1));
});

test('a reader waits for new commits and skips events at or below its watermark', async () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter');
  w.append(insert(1));
  w.append({ op: 'commit', pos: '0/1' });
  w.commit('0/1');
  const reader = new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 1, pollMs: 10 });
  const pending = readEvents(reader, 4);
  await new Promise((r) => setTimeout(r, 100));
  w.append(insert(2));
  w.append(insert(3)); // not committed yet: must not be delivered
  await new Promise((r) => setTimeout(r, 100));
  w.append({ op: 'commit', pos: '0/2' });
  w.commit('0/2');
  const events = await pending;
  assert.deepEqual(events.map((e) => e.vsn), [2, 3, 4, 5]);
  w.close();
});

test('a caught-up reader is woken by the writer\'s commits (commitAsync too), not by its poll', async () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter');
  // A poll that never comes within the test: only the commit signal can bring the events.
  const reader = new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 3_600_000 });
  const first = readEvents(reader, 2);
  await new Promise((r) => setImmediate(r));
  w.append(insert(1));
  w.append({ op: 'commit', pos: '0/1' });
  w.commit('0/1');
  assert.deepEqual((await first).map((e) => e.vsn), [1, 2]);
  const again = new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 2, pollMs: 3_600_000 });
  const second = readEvents(again, 2);
  await new Promise((r) => setImmediate(r));
  w.append(insert(2));
  w.append({ op: 'commit', pos: '0/2' });
  await w.commitAsync('0/2');
  assert.deepEqual((await second).map((e) => e.vsn), [3, 4]);
  w.close();
});

test('acknowledge records closed, fully applied segments for the consumer only', async () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter', 100);
  for (let tx = 1; tx <= 4; tx++) {
    w.append(insert(tx));
    w.append({ op: 'commit', pos: `0/${tx}` });
    w.commit(`0/${tx}`);
  }
  w.close();
  const segs = segments(state);
  assert.equal(segs.length, 5, 'each commit rotated (4 closed + 1 open empty)');
  const reader = new QueueReader(dir, state, { consumer: 'target_db_importer', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 10 });
  const ac = new AbortController();
  const got: QueueEvent[] = [];
  const it = reader.read(ac.signal);
  while (got.length < 8) got.push(...(await it.next()).value!);
  // The reader learns a segment is finished when it looks past it: give it one more turn.
  const more = it.next();
  await new Promise((r) => setTimeout(r, 100));
  ac.abort();
  await more;
  reader.acknowledge(4); // applied through the end of segment 1 (vsn 3,4)
  const done = () => (state.db.prepare('SELECT segment_no FROM queue_consumers WHERE consumer = ? ORDER BY segment_no').all('target_db_importer') as { segment_no: number }[]).map((r) => r.segment_no);
  assert.deepEqual(done(), [0, 1]);
  reader.acknowledge(8);
  assert.deepEqual(done(), [0, 1, 2, 3], 'the open segment is never acknowledged');
});

test('vsn is one sequence across writer reopen and across exporter roles', () => {
  const { dir, state } = freshDir();
  let w = QueueWriter.open(dir, state, 'source_db_exporter');
  w.append(insert(1));
  w.append({ op: 'commit', pos: '0/1' });
  w.commit('0/1');
  w.close();
  w = QueueWriter.open(dir, state, 'source_db_exporter');
  assert.equal(w.append(insert(2)), 3);
  w.append({ op: 'cutover.target' });
  w.commit('0/2');
  w.closeSegment();
  const fb = QueueWriter.open(dir, state, 'target_db_exporter_fb');
  assert.equal(fb.append(insert(3)), 5);
  fb.append({ op: 'commit', pos: '0/9' });
  fb.commit('0/9');
  fb.close();
  const segs = segments(state);
  assert.deepEqual(segs.map((s) => [s.segment_no, s.exporter_role, s.closed, s.first_vsn, s.last_vsn]), [
    [0, 'source_db_exporter', 1, 1, 4],
    [1, 'target_db_exporter_fb', 0, 5, 6],
  ]);
  assert.equal(exporterPosition(state, 'source_db_exporter'), '0/2');
  assert.equal(exporterPosition(state, 'target_db_exporter_fb'), '0/9');
});

test('commit with nothing appended still records the position (an idle source advances)', () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter');
  w.commit('0/ABC');
  assert.equal(exporterPosition(state, 'source_db_exporter'), '0/ABC');
  assert.equal(segments(state)[0].committed_bytes, 0);
  w.close();
});

test('a reader restarted from its watermark skips applied segments without opening them (they may be archived)', async () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter', 50);
  for (let tx = 1; tx <= 4; tx++) {
    w.append(insert(tx));
    w.append({ op: 'commit', pos: `0/${tx}` });
    w.commit(`0/${tx}`);
  }
  w.close();
  // Segments 0..2 (vsn 1..6) were applied and then archived away.
  state.db.prepare('UPDATE queue_segments SET archived = 1 WHERE segment_no <= 2').run();
  for (const n of [0, 1, 2]) fs.rmSync(dir.segmentFile(n));
  const reader = new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 6, pollMs: 10 });
  const events = await readEvents(reader, 2);
  assert.deepEqual(events.map((e) => e.vsn), [7, 8]);
});

test('commitAsync: appends go on while the fsync runs; rotation closes the segment with its final size in one step', async () => {
  const { dir, state } = freshDir();
  const w = QueueWriter.open(dir, state, 'source_db_exporter', 100);
  w.append(insert(1));
  w.append({ op: 'commit', pos: '0/1' });
  const first = w.commitAsync('0/1'); // over 100 bytes: rotates, later appends go to segment 1 at once
  w.append(insert(2));
  w.append({ op: 'commit', pos: '0/2' });
  const second = w.commitAsync('0/2');
  assert.throws(() => w.commit(), /in flight/, 'the synchronous API refuses to interleave');
  await Promise.all([first, second]);
  await w.drain();
  assert.equal(w.runEvents, 2);
  const segs = segments(state);
  assert.deepEqual(segs.map((s) => [s.segment_no, s.closed, s.first_vsn, s.last_vsn]), [[0, 1, 1, 2], [1, 1, 3, 4], [2, 0, null, null]]);
  assert.equal(segs[0].committed_bytes, fs.statSync(dir.segmentFile(0)).size);
  assert.equal(exporterPosition(state, 'source_db_exporter'), '0/2');
  const events = await readEvents(new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 10 }), 4);
  assert.deepEqual(events.map((e) => e.vsn), [1, 2, 3, 4]);
  w.close();
});

test('a next-segment file a crash left without its row is reused and truncated', async () => {
  const { dir, state } = freshDir();
  let w = QueueWriter.open(dir, state, 'source_db_exporter', 100);
  w.append(insert(1));
  w.append({ op: 'commit', pos: '0/1' });
  w.commit('0/1');
  w.close();
  // As if an async rotation had opened segment 1's file (and written to it) but died before recording it.
  state.db.prepare('DELETE FROM queue_segments WHERE segment_no = 1').run();
  state.db.prepare('UPDATE queue_segments SET closed = 0 WHERE segment_no = 0').run();
  fs.writeFileSync(dir.segmentFile(1), '{"vsn":3,"op":"c","garbage":true}\n');
  w = QueueWriter.open(dir, state, 'source_db_exporter', 100);
  w.append(insert(2));
  w.append({ op: 'commit', pos: '0/2' });
  await w.commitAsync('0/2');
  w.append(insert(3));
  w.append({ op: 'commit', pos: '0/3' });
  await w.commitAsync('0/3');
  w.close();
  const events = await readEvents(new QueueReader(dir, state, { consumer: 'c', roles: ['source_db_exporter'], afterVsn: 0, pollMs: 10 }), 6);
  assert.deepEqual(events.map((e) => [e.vsn, e.op]), [[1, 'c'], [2, 'commit'], [3, 'c'], [4, 'commit'], [5, 'c'], [6, 'commit']]);
  assert.ok(!fs.readFileSync(dir.segmentFile(1), 'utf8').includes('garbage'));
});
