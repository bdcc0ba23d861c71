/**
 * Change export catch-up rate (not a test): a backlog of small source transactions already in the slot, then
 *   (a) our exporter (streamChanges → queue, durable, confirmed) until it has passed the backlog's end;
 *   (c) pg_recvlogical --endpos on a copy of the same slot into /dev/null: the walsender's decode ceiling.
 * Prints transactions/s for both and the ratio. Same cluster, same run.
 *
 *   node dist/bench/export-changes-bench.js [--txns 200000] [--rows-per-txn 3] [--group-commit-ms N]
 */
import { QueueWriter } from '../src/export-dir/queue.js';
import { createLogger } from '../src/infra/logger.js';
import { streamChanges } from '../src/workflows/stream-changes.js';
import { captureOutput, currentLsn, setupStreamingSource, waitForPosition } from '../test/helpers/change-stream-fixture.js';
import { PgCluster } from '../test/helpers/pg-cluster.js';
import { cpuSeconds, recvlogicalDrain } from './bench-helpers.js';
import { postgresEngine } from '../src/adapters/postgres/engine.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const TXNS = arg('txns', 200_000);
const ROWS = arg('rows-per-txn', 3);
const GROUP_COMMIT_MS = arg('group-commit-ms', NaN);

// Durable commits (fsync of the segment in the thread pool, then the SQLite commit): how many, and their latency.
let commitMs = 0;
let commits = 0;
const originalCommit = QueueWriter.prototype.commitAsync;
QueueWriter.prototype.commitAsync = async function (this: QueueWriter, ...args: Parameters<QueueWriter['commitAsync']>) {
  const t0 = performance.now();
  await originalCommit.apply(this, args);
  commitMs += performance.now() - t0;
  commits++;
};

const cluster = await PgCluster.start({ extraConf: { max_wal_size: "'4GB'", wal_sender_timeout: "'60s'" } });
try {
  const src = await setupStreamingSource(cluster, `CREATE TABLE acct (id int PRIMARY KEY, v bigint NOT NULL, note text);
    INSERT INTO acct SELECT g, 0, 'x' FROM generate_series(1, 100000) g;`, [{ table: 'acct', pk: ['id'] }]);
  await src.sql.query(`SELECT pg_copy_logical_replication_slot($1, 'bench_copy')`, [src.slot]);
  let t = Date.now();
  await src.sql.query(`DO $$ BEGIN FOR i IN 1..${TXNS} LOOP
      FOR j IN 1..${ROWS} LOOP UPDATE acct SET v = v + 1 WHERE id = ((i * ${ROWS} + j) % 100000) + 1; END LOOP;
      COMMIT; END LOOP; END $$`);
  const end = await currentLsn(src.sql);
  console.log(`backlog: ${TXNS} transactions × ${ROWS} updates generated in ${((Date.now() - t) / 1000).toFixed(1)} s, up to ${end}`);

  // Over TCP, like our exporter and a real migration (a Unix socket is cheaper for the walsender).
  const ceiling = await recvlogicalDrain({ cluster, db: src.db, slot: 'bench_copy', publication: src.publication, endLsn: end, tcp: true });
  const ceilingS = ceiling.seconds;
  console.log(`(c) pg_recvlogical → /dev/null over TCP: ${ceilingS.toFixed(2)} s, ${Math.round(TXNS / ceilingS)} tx/s; walsender CPU ${ceiling.walsenderCpu.toFixed(2)} s`);

  const log = createLogger(undefined, 'info');
  const ac = new AbortController();
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 200);
  t = Date.now();
  const cpu0 = process.cpuUsage();
  const running = streamChanges({ db: { engine: postgresEngine, conn: { settings: src.settings, secret: src.secret } }, state: src.state, exportDir: src.exportDir, log, out: captureOutput(), groupCommitMs: Number.isNaN(GROUP_COMMIT_MS) ? undefined : GROUP_COMMIT_MS }, ac.signal);
  // The walsender feeding us: its CPU tells whether it or we are the limit.
  let walsender = NaN;
  while (!(walsender > 0) && Date.now() - t < 30_000) {
    const r = await src.sql.query<{ p: number }>('SELECT active_pid AS p FROM pg_replication_slots WHERE slot_name = $1', [src.slot]);
    walsender = Number(r.rows[0]?.p);
    if (!(walsender > 0)) await new Promise((res) => setTimeout(res, 20));
  }
  await waitForPosition(src.state, end, 600_000);
  const oursS = (Date.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const walsenderCpu = cpuSeconds(walsender);
  ac.abort();
  await running;
  clearInterval(sampler);
  console.log(`(a) our exporter → queue (durable): ${oursS.toFixed(2)} s, ${Math.round(TXNS / oursS)} tx/s, ${Math.round((TXNS * ROWS) / oursS)} events/s, peak RSS ${Math.round(Math.max(...rss) / 1048576)} MB, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (system ${(cpu.system / 1e6).toFixed(2)} s), ${commits} durable commits, ${(commitMs / Math.max(1, commits)).toFixed(1)} ms each on average (off the event loop); walsender CPU ${walsenderCpu.toFixed(2)} s`);
  console.log(`ratio (a)/(c): ${(ceilingS / oursS).toFixed(2)}`);
  await src.sql.query(`SELECT pg_drop_replication_slot('bench_copy')`);
  await src.cleanup();
} finally {
  await cluster.stop();
}
