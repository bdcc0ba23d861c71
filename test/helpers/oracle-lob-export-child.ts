/**
 * Child process of oracle-snapshot.test.ts's large-LOB test: the snapshot export of the tables named in argv
 * from a replay fixture (argv: fixture file, export dir, table list), sampling process.memoryUsage() at every
 * LOB piece the replay runner hands out (and, with --expose-gc, the heap still reachable after a full
 * collection every 32nd piece). Prints one JSON line: the memory before the export and the peaks
 * during it, and the LOBs opened and closed. A child of its own, so the test runner's memory is not counted.
 */
import { ExportDir } from '../../src/export-dir/layout.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { nullLogger } from '../../src/infra/logger.js';
import { exportSnapshot } from '../../src/workflows/export-snapshot.js';
import { FIXTURE_CONN, replayEngine } from './oracle-fixture.js';

const [fixture, root, tables] = process.argv.slice(2);
const { engine, replay } = replayEngine(fixture);
const exportDir = ExportDir.open(root);
const state = StateStore.open(exportDir.stateDb);
const quiet = { begin() {}, advance() {}, setTotal() {}, measure() {}, finish() {}, end() {} };

const before = process.memoryUsage();
let peakRss = before.rss;
let peakHeap = before.heapUsed;
let peakExternal = before.external + before.arrayBuffers;
let peakLiveHeap = before.heapUsed;
let pieces = 0;
const gc = (globalThis as { gc?: () => void }).gc;
replay.onLobPiece = () => {
  pieces++;
  // With --expose-gc, every 32nd piece also measures what is still reachable after a full collection.
  if (gc && pieces % 32 === 0) {
    gc();
    peakLiveHeap = Math.max(peakLiveHeap, process.memoryUsage().heapUsed);
  }
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers);
};
const r = await exportSnapshot(
  { source: { engine, conn: FIXTURE_CONN }, state, exportDir, log: nullLogger, progress: quiet, say: () => undefined },
  { exportType: 'snapshot-only', schemas: ['ybtest'], tableList: tables.split(','), parallelJobs: 1, startClean: false },
  new AbortController().signal,
);
state.close();
process.stdout.write(
  JSON.stringify({
    status: r.status,
    pieces,
    rssGrowth: peakRss - before.rss,
    heapGrowth: peakHeap - before.heapUsed,
    liveHeapGrowth: peakLiveHeap - before.heapUsed,
    externalGrowth: peakExternal - (before.external + before.arrayBuffers),
    lobsOpened: replay.lobsOpened,
    lobsClosed: replay.lobsClosed,
  }) + '\n',
);
