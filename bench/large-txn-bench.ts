/**
 * Large-transaction benchmark (not a test): ONE source transaction `UPDATE big SET v = v + 1` over --rows rows
 * (default 1 M), PostgreSQL → PostgreSQL through our CLI (`export data from source --export-type
 * snapshot-and-changes` + `import data to target`), against native logical replication (PUBLICATION /
 * SUBSCRIPTION into a second target database) on the same clusters in the same run.
 *
 * Table `big` (int PK, bigint, 40-byte text) and a heartbeat row. Our snapshot + streaming and the native
 * initial copy both catch up first. Then, SEQUENTIALLY (on 2 cores two walsenders decoding the same
 * transaction, our two processes, the native apply worker and the target backends would all fight for the CPU,
 * so running both at once measures the scheduler more than either pipeline):
 *  (A) ours live: our exporter + importer running, the native subscription disabled; the UPDATE commits, then
 *      the heartbeat. Figures: commit → heartbeat visible on the target (and commit → durable in our queue),
 *      peak RSS of our exporter and importer against their idle RSS just before, CPU of every process
 *      involved, and the queue bytes written for the transaction.
 *      Then our processes stop (the slot stays) and the native subscription catches up on (A)'s UPDATE.
 *  (B) native live: the subscription enabled, our processes stopped; a second identical UPDATE + heartbeat.
 *      Commit → heartbeat visible on the native target.
 *  (C) ours catching up on (B)'s UPDATE from the backlog (processes started after the commit), native disabled.
 * Both consumers are "live" in the same sense in (A) and (B): their walsender decodes (and spills) the
 * transaction while it is written, and sends it once it commits (no in-progress streaming on either side:
 * our protocol v1 and PostgreSQL 15's subscription default `streaming = off`). Before each UPDATE: VACUUM
 * ANALYZE and CHECKPOINT on both clusters, so the measured phase starts from the same state.
 * Finally `big` and `hb` on the target are compared with the source row by row (md5 over all rows in key order).
 *
 *   node dist/bench/large-txn-bench.js [--rows 1000000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { startCli, type RunningCli } from '../test/helpers/cli.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../test/helpers/pg-cluster.js';
import { tableDigest } from '../test/helpers/table-compare.js';
import { cpuSeconds, heartbeatSeen, RssSampler } from './bench-helpers.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('rows', 1_000_000);

const DDL = `
  CREATE TABLE big (id int PRIMARY KEY, v bigint NOT NULL, t text NOT NULL);
  CREATE TABLE hb (id int PRIMARY KEY, n bigint NOT NULL);`;
const DATA = `
  INSERT INTO big SELECT g, g::bigint * 1000, md5(g::text) || lpad(g::text, 8, '0') FROM generate_series(1, ${ROWS}) g;
  INSERT INTO hb VALUES (1, 0);`;

const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '10000' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-large-txn-bench-'));
fs.chmodSync(tmp, 0o755);

const conf = { max_wal_size: "'8GB'", wal_sender_timeout: "'120s'", max_worker_processes: 16 };
const [source, target] = await Promise.all([PgCluster.start({ extraConf: conf }), PgCluster.start({ extraConf: conf })]);
const procs: RunningCli[] = [];
const rss = new RssSampler();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (what: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${what}`);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

let heartbeat = 0;
async function beat(c: pg.Client): Promise<number> {
  heartbeat++;
  await c.query('UPDATE hb SET n = $1 WHERE id = 1', [heartbeat]);
  return heartbeat;
}

interface Segment { segment_no: number; committed_bytes: number; events: number }

/** Our queue's bookkeeping, read-only (the exporter writes it meanwhile). */
class QueueView {
  private readonly db: Database.Database;
  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
  }
  segments(): Segment[] {
    return this.db.prepare('SELECT segment_no, committed_bytes, events FROM queue_segments ORDER BY segment_no').all() as Segment[];
  }
  bigUpdates(): number {
    const r = this.db.prepare(`SELECT updates FROM exported_event_counts WHERE exporter_role = 'source_db_exporter' AND table_name = 'big'`).get() as { updates: number } | undefined;
    return Number(r?.updates ?? 0);
  }
  /** Resolves with the time the queue holds `n` durable updates of `big`. */
  async updatesDurable(n: number): Promise<number> {
    while (this.bigUpdates() < n) await sleep(10);
    return Date.now();
  }
  close(): void {
    this.db.close();
  }
}

/** What the queue gained between two readings, per segment. */
function segmentGrowth(before: Segment[], after: Segment[]): string {
  const old = new Map(before.map((s) => [s.segment_no, s]));
  const grown = after
    .map((s) => ({ no: s.segment_no, bytes: s.committed_bytes - (old.get(s.segment_no)?.committed_bytes ?? 0), events: s.events - (old.get(s.segment_no)?.events ?? 0) }))
    .filter((g) => g.bytes > 0);
  const total = grown.reduce((a, g) => a + g.bytes, 0);
  const parts = grown.map((g) => `segment.${g.no}.ndjson +${mb(g.bytes)} (+${g.events} events)`).join(', ');
  return `${mb(total)} (${Math.round(total / ROWS)} bytes per row) in ${parts}`;
}

try {
  const srcDb = await source.createDatabase('src');
  const oursDb = await target.createDatabase('ours');
  const nativeDb = await target.createDatabase('native');
  await source.query(DDL + DATA, [], srcDb);
  await source.query(`ALTER TABLE big OWNER TO ${MIGRATION_USER}; ALTER TABLE hb OWNER TO ${MIGRATION_USER}`, [], srcDb);
  for (const db of [oursDb, nativeDb]) await target.query(DDL, [], db);
  const src = await source.connectAdmin(srcDb);
  const settle = async () => {
    await source.query('VACUUM ANALYZE', [], srcDb);
    for (const db of [oursDb, nativeDb]) await target.query('VACUUM ANALYZE', [], db);
    await Promise.all([source.query('CHECKPOINT'), target.query('CHECKPOINT')]);
  };
  const slotPid = async (slot: string) =>
    Number((await source.query<{ p: string }>('SELECT active_pid AS p FROM pg_replication_slots WHERE slot_name = $1', [slot], srcDb)).rows[0]?.p);
  const walBytes = async (from: string) =>
    Number((await source.query<{ b: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS b', [from], srcDb)).rows[0].b);
  const currentLsn = async () => (await source.query<{ l: string }>('SELECT pg_current_wal_lsn() AS l', [], srcDb)).rows[0].l;

  /** The UPDATE (one transaction), then the heartbeat; returns when the UPDATE committed and the heartbeat's number. */
  const bigUpdate = async (): Promise<{ committedAt: number; hb: number }> => {
    const lsn = await currentLsn();
    const t = Date.now();
    await src.query('UPDATE big SET v = v + 1');
    const committedAt = Date.now();
    const hb = await beat(src);
    console.log(`    source: UPDATE of ${ROWS} rows took ${secs(committedAt - t)}, ${mb(await walBytes(lsn))} of WAL`);
    return { committedAt, hb };
  };

  // Our pipeline: snapshot, then streaming.
  const dir = path.join(tmp, 'export');
  fs.mkdirSync(dir);
  const srcFlags = ['--export-dir', dir, ...source.flags('source', srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', dir, ...target.flags('target', oursDb)];
  const startOurs = () => {
    const e = startCli(['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes'], { env });
    const i = startCli(['import', 'data', 'to', 'target', ...tgtFlags], { env });
    procs.length = 0;
    procs.push(e, i);
    rss.watch('exporter', e.pid);
    rss.watch('importer', i.pid);
    return { e, i };
  };
  const stopOurs = async ({ e, i }: { e: RunningCli; i: RunningCli }) => {
    await i.stop('SIGINT');
    await e.stop('SIGINT');
  };
  const applyBackendPid = async () =>
    Number((await target.query<{ p: string }>(`SELECT pid AS p FROM pg_stat_activity WHERE application_name LIKE 'yb-voyager apply changes%'`, [], oursDb)).rows[0]?.p);

  step(`snapshot of ${ROWS} rows + streaming with our processes`);
  let t = Date.now();
  let ours = startOurs();
  await ours.e.waitForLine(/streaming changes from the source/, { timeoutMs: 1_800_000 });
  await heartbeatSeen(target, oursDb, await beat(src));
  console.log(`    ours: snapshot + first heartbeat streamed in ${secs(Date.now() - t)}`);
  const slot = (await source.query<{ s: string }>(`SELECT slot_name AS s FROM pg_replication_slots WHERE slot_name LIKE 'voyager_%'`, [], srcDb)).rows[0].s;
  const queue = new QueueView(path.join(dir, 'metainfo', 'meta.db'));

  step('native subscription: initial copy');
  t = Date.now();
  await source.query('CREATE PUBLICATION bench_native FOR TABLE big, hb', [], srcDb);
  await target.query(
    `CREATE SUBSCRIPTION bench_native CONNECTION 'host=${source.host} port=${source.port} user=${MIGRATION_USER} password=''${MIGRATION_PASSWORD.replace(/'/g, "''''")}'' dbname=${srcDb}' PUBLICATION bench_native`,
    [], nativeDb,
  );
  for (;;) {
    const r = await target.query<{ n: string }>(`SELECT count(*) AS n FROM pg_subscription_rel WHERE srsubstate <> 'r'`, [], nativeDb);
    if (r.rows[0].n === '0') break;
    await sleep(200);
  }
  await heartbeatSeen(target, nativeDb, await beat(src));
  console.log(`    native: initial copy + first heartbeat in ${secs(Date.now() - t)}`);
  await target.query('ALTER SUBSCRIPTION bench_native DISABLE', [], nativeDb);
  await heartbeatSeen(target, oursDb, await beat(src));

  step('(A) ours live: one UPDATE of every row, native disabled');
  await settle();
  rss.reset();
  await sleep(2000);
  const idle = { exporter: rss.peak('exporter'), importer: rss.peak('importer') };
  rss.reset();
  const pids = { walsender: await slotPid(slot), backend: await applyBackendPid() };
  const cpu0 = { e: cpuSeconds(ours.e.pid), i: cpuSeconds(ours.i.pid), w: cpuSeconds(pids.walsender), b: cpuSeconds(pids.backend) };
  const segsBefore = queue.segments();
  const updatesBefore = queue.bigUpdates();
  const a = await bigUpdate();
  const [aQueued, aSeen] = await Promise.all([queue.updatesDurable(updatesBefore + ROWS), heartbeatSeen(target, oursDb, a.hb)]);
  const aMs = aSeen - a.committedAt;
  const peak = { exporter: rss.peak('exporter'), importer: rss.peak('importer') };
  console.log(`(A) ours: commit → heartbeat on the target ${secs(aMs)} (commit → durable in our queue ${secs(aQueued - a.committedAt)}, then queue → target ${secs(aSeen - aQueued)})`);
  console.log(`    peak RSS: exporter ${peak.exporter} MB (idle before ${idle.exporter} MB), importer ${peak.importer} MB (idle before ${idle.importer} MB)`);
  console.log(`    CPU: exporter ${(cpuSeconds(ours.e.pid) - cpu0.e).toFixed(1)} s, importer ${(cpuSeconds(ours.i.pid) - cpu0.i).toFixed(1)} s, walsender ${(cpuSeconds(pids.walsender) - cpu0.w).toFixed(1)} s, target backend ${(cpuSeconds(pids.backend) - cpu0.b).toFixed(1)} s`);
  console.log(`    queue written for the transaction: ${segmentGrowth(segsBefore, queue.segments())}`);
  await stopOurs(ours);

  step('native catches up on (A)\'s UPDATE (our processes stopped)');
  t = Date.now();
  await target.query('ALTER SUBSCRIPTION bench_native ENABLE', [], nativeDb);
  await heartbeatSeen(target, nativeDb, a.hb);
  const nativeCatchUpMs = Date.now() - t;
  console.log(`    native catch-up: ${secs(nativeCatchUpMs)} from ENABLE`);

  step('(B) native live: the same UPDATE again, our processes stopped');
  await settle();
  const nPids = {
    walsender: await slotPid('bench_native'),
    worker: Number((await target.query<{ p: string }>(`SELECT pid AS p FROM pg_stat_subscription WHERE subname = 'bench_native' AND relid IS NULL`, [], nativeDb)).rows[0]?.p),
  };
  const nCpu0 = { w: cpuSeconds(nPids.walsender), k: cpuSeconds(nPids.worker) };
  const b = await bigUpdate();
  const bMs = (await heartbeatSeen(target, nativeDb, b.hb)) - b.committedAt;
  console.log(`(B) native: commit → heartbeat on the target ${secs(bMs)}`);
  console.log(`    CPU: walsender ${(cpuSeconds(nPids.walsender) - nCpu0.w).toFixed(1)} s, apply worker ${(cpuSeconds(nPids.worker) - nCpu0.k).toFixed(1)} s`);
  await target.query('ALTER SUBSCRIPTION bench_native DISABLE', [], nativeDb);

  step('(C) ours catches up on (B)\'s UPDATE (processes started after its commit, native disabled)');
  const segsC = queue.segments();
  rss.reset();
  t = Date.now();
  ours = startOurs();
  const [cQueued, cSeen] = await Promise.all([queue.updatesDurable(updatesBefore + 2 * ROWS), heartbeatSeen(target, oursDb, b.hb)]);
  console.log(`(C) ours catch-up: ${secs(cSeen - t)} from process start (durable in our queue after ${secs(cQueued - t)}); peak RSS exporter ${rss.peak('exporter')} MB, importer ${rss.peak('importer')} MB; CPU exporter ${cpuSeconds(ours.e.pid).toFixed(1)} s, importer ${cpuSeconds(ours.i.pid).toFixed(1)} s`);
  console.log(`    queue written for the transaction: ${segmentGrowth(segsC, queue.segments())}`);
  await stopOurs(ours);
  queue.close();

  console.log(`RATIO live (A)/(B) ours/native, commit → visible: ${(aMs / bMs).toFixed(2)} (${secs(aMs)} vs ${secs(bMs)}); catch-up (C) vs native catch-up: ${((cSeen - t) / nativeCatchUpMs).toFixed(2)}`);
  for (const [name, db] of [['ours', oursDb], ['native', nativeDb]] as const) {
    for (const tbl of ['big', 'hb']) {
      const [x, y] = await Promise.all([tableDigest(source, srcDb, tbl, 'id'), tableDigest(target, db, tbl, 'id')]);
      console.log(`check ${name} ${tbl}: source ${x.rows} rows ${x.md5}, target ${y.rows} rows ${y.md5} ${x.rows === y.rows && x.md5 === y.md5 ? 'EQUAL' : 'DIFFERENT'}`);
    }
  }
  for (const f of fs.readdirSync(path.join(dir, 'data', 'queue')).sort()) {
    console.log(`queue file ${f}: ${mb(fs.statSync(path.join(dir, 'data', 'queue', f)).size)}`);
  }
  await src.end();
} finally {
  rss.stop();
  for (const p of procs) await p.kill9().catch(() => undefined);
  await Promise.all([source.stop(), target.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
}
