/**
 * Importer-only benchmark: a backlog of small source transactions already in the queue (as the exporter
 * writes it), applied to a private PostgreSQL target with the real workflow. Prints events/s and tx/s.
 *
 *   node dist/bench/apply-bench.js [--txns 200000] [--group 10000]
 * Not a test: no assertion on time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExportDir } from '../src/export-dir/layout.js';
import { QueueWriter } from '../src/export-dir/queue.js';
import { StateStore } from '../src/export-dir/state-store.js';
import { NODE_START_FLAGS } from '../src/infra/heap-policy.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../test/helpers/change-model.js';
import { MIGRATION_PASSWORD, PgCluster } from '../test/helpers/pg-cluster.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const TXNS = arg('txns', 200_000);
const ACCOUNTS = 100_000;
const group = arg('group', 10_000);

const cluster = await PgCluster.start({ extraConf: { fsync: 'on', synchronous_commit: 'on' } });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-apply-bench-'));
try {
  const db = await cluster.createDatabase('bench');
  await cluster.query(`CREATE TABLE acc (id int PRIMARY KEY, bal int NOT NULL, filler char(84));
    CREATE TABLE hist (id bigint PRIMARY KEY, acc int, delta int, ts timestamptz);
    INSERT INTO acc SELECT i, 0, '' FROM generate_series(1, ${ACCOUNTS}) i`, [], db);
  await cluster.query('VACUUM ANALYZE acc', [], db);
  const dir = ExportDir.open(root);
  const state = StateStore.open(dir.stateDb);
  const w = QueueWriter.open(dir, state, 'source_db_exporter');
  const rnd = mulberry32(1);
  const t0 = Date.now();
  const touched = new Set<string>();
  for (let i = 1; i <= TXNS; i++) {
    const id = String(1 + Math.floor(rnd() * ACCOUNTS));
    touched.add(id);
    w.append({ op: 'u', schema: 'public', table: 'acc', key: { id }, after: { id, bal: String(i), filler: ' '.repeat(84) } });
    w.append({ op: 'c', schema: 'public', table: 'hist', key: { id: String(i) }, after: { id: String(i), acc: id, delta: '1', ts: '2024-05-01 10:00:00.123456+00' } });
    if (i > 1000) w.append({ op: 'd', schema: 'public', table: 'hist', key: { id: String(i - 1000) } });
    w.append({ op: 'commit', pos: `0/${i}`, ts: '2024-05-01T10:00:00.123Z' });
    if (i % 1000 === 0) w.commit();
  }
  w.append({ op: 'cutover.target' });
  w.commit();
  w.close();
  const events = TXNS * 3 - 1000;
  console.log(`queued ${TXNS} transactions (${events} events) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  state.close();
  // The importer runs as its own process, as the CLI would: its RSS and CPU are its own.
  const driver = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'helpers', 'apply-driver.js');
  const start = process.hrtime.bigint();
  // BENCH_NODE_ARGS: extra node flags for the importer process (e.g. --cpu-prof).
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  // The start flags bin/yb-voyager gives node (the young generation's size): the importer measured as it runs.
  const child = spawnSync(process.execPath, [...NODE_START_FLAGS, ...nodeArgs, driver, JSON.stringify({ exportDir: root, settings: cluster.settings(db, 'target') })], {
    env: { ...process.env, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_APPLY_GROUP_EVENTS: String(group) },
    encoding: 'utf8',
  });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  if (child.status !== 0) throw new Error(`apply failed: ${child.stderr}`);
  if (child.stderr) process.stderr.write(child.stderr);
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as { runEvents: number; maxRssMb: number; cpuSeconds: number };
  console.log(`applied ${r.runEvents} events in ${secs.toFixed(2)} s: ${Math.round(r.runEvents / secs)} events/s, ${Math.round(TXNS / secs)} source tx/s; importer peak RSS ${r.maxRssMb} MB, CPU ${r.cpuSeconds.toFixed(1)} s`);
  const check = await cluster.query<{ n: string; s: string }>('SELECT count(*) AS n, (SELECT count(*) FROM hist) AS s FROM acc WHERE bal > 0', [], db);
  console.log(`check: accounts touched ${check.rows[0].n} (expected ${touched.size}), hist rows ${check.rows[0].s} (expected 1000)`);
} finally {
  await cluster.stop();
  fs.rmSync(root, { recursive: true, force: true });
}
