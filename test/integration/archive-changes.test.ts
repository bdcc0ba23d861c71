import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import type { QueueEvent } from '../../src/core/change-event.js';
import { EMPTY_CUTOVER } from '../../src/core/cutover.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { modifyCutover } from '../../src/export-dir/migration-state.js';
import { QueueWriter, type SegmentRow } from '../../src/export-dir/queue.js';
import { QueueReader } from '../../src/export-dir/queue-reader.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { nullLogger } from '../../src/infra/logger.js';
import { archivePass, segmentsDone } from '../../src/workflows/archive-changes.js';
import { runCli, startCli } from '../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A queue of `txns` one-event transactions in small segments (each commit rotates). */
function queue(txns: number, role: 'source_db_exporter' | 'target_db_exporter_fb' = 'source_db_exporter', dir?: ExportDir, state?: StateStore) {
  const exportDir = dir ?? ExportDir.open(tmp('ybv-archive-'));
  const st = state ?? StateStore.open(exportDir.stateDb);
  if (!state) cleanups.push(() => st.close());
  const w = QueueWriter.open(exportDir, st, role, 50);
  for (let i = 1; i <= txns; i++) {
    w.append({ op: 'c', schema: 'public', table: 't', key: { id: String(i) }, after: { id: String(i) } });
    w.append({ op: 'commit', pos: `0/${i}` });
    w.commit(`0/${i}`);
  }
  w.close();
  return { exportDir, state: st };
}

/** Read every event a consumer can see, then acknowledge through `appliedVsn` (as an importer does after its commit). */
async function applyThrough(exportDir: ExportDir, state: StateStore, consumer: string, roles: ('source_db_exporter' | 'target_db_exporter_fb')[], appliedVsn: number, watermark = 0) {
  const reader = new QueueReader(exportDir, state, { consumer, roles, afterVsn: watermark, pollMs: 10 });
  const ac = new AbortController();
  const seen: QueueEvent[] = [];
  const it = reader.read(ac.signal);
  const timer = setTimeout(() => ac.abort(), 300);
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    seen.push(...r.value);
  }
  clearTimeout(timer);
  reader.acknowledge(appliedVsn);
  return seen;
}

const rows = (state: StateStore) => state.db.prepare('SELECT * FROM queue_segments ORDER BY segment_no').all() as SegmentRow[];
const say = () => undefined;

test('archive moves only closed segments every importer applied; the files arrive intact; readers still resume', async () => {
  const { exportDir, state } = queue(6); // segments 0..5 closed (2 events each), 6 open and empty
  await applyThrough(exportDir, state, 'target_db_importer', ['source_db_exporter'], 6); // through segment 2
  assert.deepEqual(segmentsDone(state).map((s) => s.segment_no), [0, 1, 2]);
  const original = fs.readFileSync(exportDir.segmentFile(1), 'utf8');
  const archiveDir = tmp('ybv-archive-to-');
  const r = archivePass({ exportDir, state, log: nullLogger, say }, { policy: 'archive', archiveDir });
  assert.deepEqual(r.archived, [0, 1, 2]);
  assert.equal(fs.readFileSync(path.join(archiveDir, 'segment.1.ndjson'), 'utf8'), original);
  for (const s of rows(state)) {
    const gone = s.segment_no <= 2;
    assert.equal(fs.existsSync(exportDir.segmentFile(s.segment_no)), !gone, `segment ${s.segment_no} file`);
    assert.equal(s.archived, gone ? 1 : 0);
    assert.equal(s.archive_location, gone ? path.join(archiveDir, `segment.${s.segment_no}.ndjson`) : null);
  }
  assert.deepEqual(archivePass({ exportDir, state, log: nullLogger, say }, { policy: 'archive', archiveDir }).archived, [], 'nothing more is done');
  // An importer restarting from its watermark (vsn 6) reads on past the archived segments.
  const reader = new QueueReader(exportDir, state, { consumer: 'target_db_importer', roles: ['source_db_exporter'], afterVsn: 6, pollMs: 10 });
  const ac = new AbortController();
  const got: QueueEvent[] = [];
  for await (const b of reader.read(ac.signal)) {
    got.push(...b);
    if (got.length >= 6) break;
  }
  assert.deepEqual(got.map((e) => e.vsn), [7, 8, 9, 10, 11, 12]);
});

test('a segment is kept until the consumer of its own role applied it; delete respects the utilization threshold', async () => {
  const { exportDir, state } = queue(2);
  // The fall-back stream's segments follow (the forward stream stopped at cutover).
  state.db.prepare('UPDATE queue_segments SET closed = 1').run();
  queue(2, 'target_db_exporter_fb', exportDir, state);
  // The wrong consumer applied everything: nothing may go.
  await applyThrough(exportDir, state, 'target_db_importer', ['target_db_exporter_fb'], 100);
  assert.deepEqual(segmentsDone(state).map((s) => s.segment_no), []);
  await applyThrough(exportDir, state, 'target_db_importer', ['source_db_exporter'], 100);
  await applyThrough(exportDir, state, 'source_db_importer', ['target_db_exporter_fb'], 100);
  const done = segmentsDone(state).map((s) => s.segment_no);
  const byRole = new Map(rows(state).map((s) => [s.segment_no, s.exporter_role]));
  assert.ok(done.some((n) => byRole.get(n) === 'source_db_exporter') && done.some((n) => byRole.get(n) === 'target_db_exporter_fb'), JSON.stringify(done));
  assert.ok(!done.includes(Math.max(...byRole.keys())), 'the open segment stays');

  const deps = { exportDir, state, log: nullLogger, say };
  assert.deepEqual(archivePass(deps, { policy: 'delete', fsUtilizationThreshold: 100 }).deleted, [], 'below the threshold nothing is deleted');
  const r = archivePass(deps, { policy: 'delete', fsUtilizationThreshold: 0 });
  assert.deepEqual(r.deleted, done);
  for (const n of done) {
    assert.equal(fs.existsSync(exportDir.segmentFile(n)), false);
    const row = rows(state).find((s) => s.segment_no === n)!;
    assert.deepEqual([row.archived, row.archive_location], [1, null]);
  }
});

test('a rerun finishes a deletion a crash interrupted (recorded archived, file still there)', () => {
  const { exportDir, state } = queue(2);
  state.db.prepare('UPDATE queue_segments SET archived = 1, archive_location = NULL WHERE segment_no = 0').run();
  assert.ok(fs.existsSync(exportDir.segmentFile(0)));
  archivePass({ exportDir, state, log: nullLogger, say }, { policy: 'delete', fsUtilizationThreshold: 100 });
  assert.equal(fs.existsSync(exportDir.segmentFile(0)), false);
  assert.ok(fs.existsSync(exportDir.segmentFile(1)), 'segments not recorded archived are untouched');
});

test('CLI: archive changes --move-to runs until SIGINT; --policy archive stops by itself once the cutover completed; bad flags name the fix', async () => {
  const { exportDir, state } = queue(4);
  await applyThrough(exportDir, state, 'target_db_importer', ['source_db_exporter'], 4);
  const dest = tmp('ybv-archive-cli-');
  const env = { YB_VOYAGER_ARCHIVE_POLL_MS: '100' };
  const cli = startCli(['archive', 'changes', '--export-dir', exportDir.root, '--move-to', dest], { env });
  let r;
  try {
    await cli.waitForLine(/archived 2 applied segment\(s\) \(0, 1\)/, { timeoutMs: 30_000 });
  } finally {
    r = await cli.stop('SIGINT'); // never leave the child running: it would keep this test process alive
  }
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(dest).sort(), ['segment.0.ndjson', 'segment.1.ndjson']);

  await applyThrough(exportDir, state, 'target_db_importer', ['source_db_exporter'], 8, 4);
  modifyCutover(state, () => ({ ...EMPTY_CUTOVER, prepareForFallBack: false, toTarget: { requestedAt: 'x', exporterDone: true, importerDone: true } }));
  const done = await runCli(['archive', 'changes', '--export-dir', exportDir.root, '--policy', 'archive', '--archive-dir', dest], { env, timeoutMs: 30_000 });
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /the migration is complete/);
  assert.deepEqual(fs.readdirSync(dest).sort(), ['segment.0.ndjson', 'segment.1.ndjson', 'segment.2.ndjson', 'segment.3.ndjson']);

  const none = await runCli(['archive', 'changes', '--export-dir', exportDir.root], { env });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /add --policy delete, or --policy archive --archive-dir <DIR>/);
  const missing = await runCli(['archive', 'changes', '--export-dir', exportDir.root, '--policy', 'archive', '--archive-dir', path.join(dest, 'nope')], { env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist; create it first: mkdir -p/);
});

test('CLI: kill -9 in the middle of archiving (after the copy, after recording), rerun: every segment moved exactly once', async () => {
  const { exportDir, state } = queue(4);
  await applyThrough(exportDir, state, 'target_db_importer', ['source_db_exporter'], 8);
  const dest = tmp('ybv-archive-crash-');
  const args = ['archive', 'changes', '--export-dir', exportDir.root, '--policy', 'archive', '--archive-dir', dest];
  for (const fp of ['archive-changes.after-copy@2', 'archive-changes.after-mark@3']) {
    const r = await runCli(args, { env: { YB_VOYAGER_ARCHIVE_POLL_MS: '100', YB_VOYAGER_FAILPOINTS: fp }, timeoutMs: 30_000 });
    assert.equal(r.signal, 'SIGKILL', `${fp}: ${r.stderr}`);
  }
  // The rerun finishes the interrupted work and, the migration being over, exits by itself after its pass.
  modifyCutover(state, () => ({ ...EMPTY_CUTOVER, prepareForFallBack: false, toTarget: { requestedAt: 'x', exporterDone: true, importerDone: true } }));
  const r = await runCli(args, { env: { YB_VOYAGER_ARCHIVE_POLL_MS: '100' }, timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(dest).sort(), ['segment.0.ndjson', 'segment.1.ndjson', 'segment.2.ndjson', 'segment.3.ndjson']);
  for (const s of rows(state).filter((x) => x.segment_no < 4)) {
    assert.equal(fs.existsSync(exportDir.segmentFile(s.segment_no)), false);
    assert.deepEqual([s.archived, s.archive_location], [1, path.join(dest, `segment.${s.segment_no}.ndjson`)]);
    assert.equal(fs.readFileSync(s.archive_location!, 'utf8').trim().split('\n').length, 2, 'whole segment');
  }
});
