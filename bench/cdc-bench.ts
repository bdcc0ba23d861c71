/**
 * Live change streaming benchmark (not a test): PostgreSQL → PostgreSQL, on the same clusters in the same run.
 *
 * Workload: pgbench with a mixed script (per transaction: an UPDATE of a random account, a DELETE and an
 * INSERT of a random key-value row: 3 row changes; the INSERT is an upsert because concurrent clients may
 * re-insert the same key first), and a heartbeat row updated every --beat-ms (default 20 ms).
 *
 * (1) Catch-up on a backlog of --txns transactions left in the slots while nothing consumed them:
 *     (c) pg_recvlogical --endpos draining a copy of our slot into /dev/null: the walsender's decode ceiling,
 *         over TCP like (a) and (b) (and, for reference, over the Unix socket, which is cheaper per message);
 *     (b) native logical replication (CREATE SUBSCRIPTION, enabled after the backlog) into a second target database;
 *     (a) our `export data from source` + `import data to target` processes, started after the backlog.
 *     Done = the backlog's last heartbeat value is visible on the target. (a) also prints how long our two
 *     processes took to start until both stream, and the ratio of the streaming alone (for reading; the target
 *     counts the whole catch-up). BENCH_KEEP_DIR=1 keeps the export directory (logs, queue) afterwards.
 * (2) Sustained: pgbench at --rate-fraction (default 0.5) of (a)'s catch-up rate for --seconds, first with
 *     our pipeline only, then with native only (for --native-seconds, default the same); lag p50/p99 from the
 *     heartbeat (source clock_timestamp() at update → first seen on the target, same machine clock). When the
 *     source cannot commit that fast (on 2 cores it cannot), pgbench runs as fast as it can: the figures say so.
 *     Peak RSS of our two processes per phase, and the CPU each process used during each sustained run.
 * Every phase, (c), (b), (a) and each sustained run, starts right after a CHECKPOINT on both clusters, and no
 * checkpoint starts by itself during the bench: a timed one (every 5 minutes by default) landing inside one phase
 * made that phase alone write a full-page image of every page it touched first after it.
 *
 * --shape wide: the same transactions on wide rows (numeric, text and timestamptz columns besides the ints),
 * whose values cost more to decode, queue, parse and cast on every side, native included.
 * --seconds 0 skips (2): the catch-up comparison only.
 * --own-sessions: our two processes and pgbench each in a session of its own, as from separate terminals (by
 *     default they run in this script's session). Linux's autogroup scheduling (on where
 *     /proc/sys/kernel/sched_autogroup_enabled is 1) shares the CPUs fairly between sessions first, and each
 *     database server is a session of its own: the walsender has one session's share, native's apply worker
 *     another. Measured on 2 cores (2026-12-07, wide): with our processes in sessions of their own the
 *     walsender's share shrinks (four busy sessions instead of three) and the catch-up ratio fell from
 *     0.92 / 0.80 to 0.74 / 0.70; at the source's maximum our processes no longer share a share with pgbench
 *     and the lag fell from p50 34 / 39, p99 187 / 230 ms to p50 25–29, p99 128–205 ms in three runs (the
 *     source committed 1 700–2 400 tx/s in these runs either way).
 *
 * --durable: both database clusters with fsync and full_page_writes on, as in production (by default they are
 *     off, as on every test cluster; the source's synchronous_commit is on either way). Every source commit then
 *     waits for its WAL fsync: on 2 cores (2026-12-07 19:06, three runs each) the source's maximum fell from
 *     ~1 900-2 700 to ~1 500-1 900 tx/s while ours ran, the machine was less saturated, and both pipelines' lag
 *     p99 fell (ours 83-119 → 41-55 ms; native's 18-30 → 15-17 ms in the runs where it kept up).
 *
 *   node dist/bench/cdc-bench.js [--shape narrow|wide] [--txns 200000] [--seconds 30] [--native-seconds N] [--rate-fraction 0.5 | --rate 5000] [--clients 4] [--beat-ms 20] [--durable] [--own-sessions]
 */
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { startCli, type RunningCli } from '../test/helpers/cli.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../test/helpers/pg-cluster.js';
import { asUser } from '../test/helpers/servers.js';
import { tableDigest } from '../test/helpers/table-compare.js';
import { cpuSeconds, cpuSince, heartbeatSeen, machineLine, recvlogicalDrain, RssSampler } from './bench-helpers.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const TXNS = arg('txns', 200_000);
const SECONDS = arg('seconds', 30);
const NATIVE_SECONDS = arg('native-seconds', SECONDS);
const RATE_FRACTION = arg('rate-fraction', 0.5);
/** A fixed sustained rate (tx/s) instead of a fraction of the catch-up rate. */
const RATE = arg('rate', 0);
const CLIENTS = arg('clients', 4);
/**
 * The heartbeat's interval in the sustained runs. 20 ms: a 30 s run's p99 is then the ~13th-worst of ~1 300
 * heartbeats (each also waits for its own commit), not the 3rd-worst of ~300 (100 ms, before 2026-12-07), which
 * one stall moved by tens of ms.
 */
const BEAT_MS = arg('beat-ms', 20);
/** Both databases with fsync and full-page writes on, as in production (see the header). */
const DURABLE = process.argv.includes('--durable');
/** Our two processes and pgbench each in a session of their own (see the header). */
const OWN_SESSIONS = process.argv.includes('--own-sessions');
const ACCOUNTS = 100_000;

/** The row shape: narrow (ints and a short text) or wide (numeric, text and timestamptz columns too). */
const SHAPE = (() => {
  const i = process.argv.indexOf('--shape');
  const v = i > 0 ? process.argv[i + 1] : 'narrow';
  if (v !== 'narrow' && v !== 'wide') throw new Error(`--shape ${v}: use narrow or wide`);
  return v;
})();

const HB_DDL = 'CREATE TABLE hb (id int PRIMARY KEY, n bigint NOT NULL, ts timestamptz NOT NULL);';
const SHAPES = {
  narrow: {
    ddl: `
  CREATE TABLE acc (id int PRIMARY KEY, bal bigint NOT NULL, filler text);
  CREATE TABLE kv (id int PRIMARY KEY, v int NOT NULL);`,
    data: `
  INSERT INTO acc SELECT g, 0, repeat('x', 40) FROM generate_series(1, ${ACCOUNTS}) g;
  INSERT INTO kv SELECT g, g FROM generate_series(1, ${ACCOUNTS}) g;`,
    txn: `UPDATE acc SET bal = bal + 1 WHERE id = :a;
DELETE FROM kv WHERE id = :k;
INSERT INTO kv VALUES (:k, :a) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;`,
  },
  // Every change carries whole rows of ~10 columns: numerics with scale, free text, timestamps with zone.
  wide: {
    ddl: `
  CREATE TABLE acc (id int PRIMARY KEY, bal numeric(18,4) NOT NULL, rate numeric(9,6) NOT NULL, owner text NOT NULL, note text,
    opened timestamptz NOT NULL, updated timestamptz NOT NULL, flags int NOT NULL, filler text);
  CREATE TABLE kv (id int PRIMARY KEY, v int NOT NULL, amount numeric(12,2) NOT NULL, label text NOT NULL, memo text,
    created timestamptz NOT NULL, due timestamptz, score numeric);`,
    data: `
  INSERT INTO acc SELECT g, g * 1.5, 0.012345, 'owner ' || g, md5(g::text), now() - g * interval '1 minute', now(), g % 7, repeat('x', 40)
    FROM generate_series(1, ${ACCOUNTS}) g;
  INSERT INTO kv SELECT g, g, g * 0.25, 'label ' || g, 'memo for key ' || g, now(), now() + interval '30 days', g / 3.0
    FROM generate_series(1, ${ACCOUNTS}) g;`,
    txn: `UPDATE acc SET bal = bal + 1.2500, note = md5(CAST(:k AS text)), updated = clock_timestamp(), flags = flags + 1 WHERE id = :a;
DELETE FROM kv WHERE id = :k;
INSERT INTO kv VALUES (:k, :a, :a * 0.01, 'label ' || :k, 'memo ' || :a || ' for key ' || :k, clock_timestamp(), clock_timestamp() + interval '30 days', :a / 7.0)
  ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, amount = EXCLUDED.amount, label = EXCLUDED.label, memo = EXCLUDED.memo,
    created = EXCLUDED.created, due = EXCLUDED.due, score = EXCLUDED.score;`,
  },
} as const;
const DDL = SHAPES[SHAPE].ddl + `\n  ${HB_DDL}`;
const DATA = SHAPES[SHAPE].data + `
  INSERT INTO hb VALUES (1, 0, clock_timestamp());`;
const SCRIPT = `\\set a random(1, ${ACCOUNTS})
\\set k random(1, ${ACCOUNTS})
BEGIN;
${SHAPES[SHAPE].txn}
END;
`;

const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '10000' };
console.log(machineLine());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-cdc-bench-'));
fs.chmodSync(tmp, 0o755);
const scriptFile = path.join(tmp, 'mixed.sql');
fs.writeFileSync(scriptFile, SCRIPT);
fs.chmodSync(scriptFile, 0o644);

// No checkpoint starts by itself (see the header): each phase starts after settle() instead.
const conf = {
  max_wal_size: "'8GB'", checkpoint_timeout: "'1h'", wal_sender_timeout: "'120s'", max_worker_processes: 16,
  ...(DURABLE ? { fsync: 'on', full_page_writes: 'on' } : {}),
};
// The source commits as a production source does (synchronous_commit on; fsync stays off unless --durable, as on
// every test cluster): with it off, committed WAL reaches the walsenders only when the WAL writer flushes (every
// 200 ms), which would add ~100 ms to both pipelines' lag.
const [source, target] = await Promise.all([PgCluster.start({ extraConf: { ...conf, synchronous_commit: 'on' } }), PgCluster.start({ extraConf: conf })]);
const procs: RunningCli[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pgbench(db: string, args: string[]): void {
  const [cmd, a] = asUser('postgres', path.join(source.binDir, 'pgbench'), ['-h', source.socketDir!, '-p', String(source.port), '-U', 'postgres', '-n', '-f', scriptFile, ...args, db]);
  const r = spawnSync(cmd, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pgbench failed: ${r.stderr}`);
}

const rss = new RssSampler();
const watchOurs = (e: RunningCli, i: RunningCli) => {
  rss.watch('exporter', e.pid);
  rss.watch('importer', i.pid);
};
const rssLine = (phase: string) => `peak RSS during ${phase}: exporter ${rss.peak('exporter')} MB, importer ${rss.peak('importer')} MB`;

/** Before each phase: both clusters checkpointed, so each phase starts from the same state. */
async function settle(): Promise<void> {
  await Promise.all([source.query('CHECKPOINT'), target.query('CHECKPOINT')]);
}

let heartbeat = 0;
async function beat(c: pg.Client): Promise<number> {
  heartbeat++;
  await c.query('UPDATE hb SET n = $1, ts = clock_timestamp() WHERE id = 1', [heartbeat]);
  return heartbeat;
}


/** Lag of each heartbeat: source commit clock → first seen on the target. */
const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

async function measureLag(db: string, seconds: number, rate: number, srcClient: pg.Client, queueDb?: string): Promise<{ p50: number; p99: number; max: number; beats: number; txPerSec: number; queue?: string }> {
  const seen: number[] = [];
  const sentAt = new Map<number, number>();
  const watcher = await target.connectAdmin(db);
  let stop = false;
  // Ours only: when each heartbeat reached the queue (every heartbeat is one exported update of hb).
  const queued: number[] = [];
  const meta = queueDb ? new Database(queueDb, { readonly: true, fileMustExist: true }) : undefined;
  const queueWatch = meta
    ? (async () => {
        const q = meta.prepare(`SELECT updates FROM exported_event_counts WHERE exporter_role = 'source_db_exporter' AND table_name = 'hb'`);
        let last = Number((q.get() as { updates: number } | undefined)?.updates ?? 0);
        while (!stop) {
          const n = Number((q.get() as { updates: number } | undefined)?.updates ?? 0);
          const now = Date.now();
          for (let k = last + 1; k <= n; k++) if (sentAt.has(k)) queued.push(now - sentAt.get(k)!);
          last = Math.max(last, n);
          await sleep(5);
        }
      })()
    : undefined;
  const watch = (async () => {
    let last = 0;
    while (!stop) {
      const r = await watcher.query<{ n: string }>('SELECT n FROM hb WHERE id = 1');
      const n = Number(r.rows[0].n);
      if (n > last) {
        const now = Date.now();
        for (let k = last + 1; k <= n; k++) if (sentAt.has(k)) seen.push(now - sentAt.get(k)!);
        last = n;
      }
      await sleep(10);
    }
  })();
  const [cmd, a] = asUser('postgres', path.join(source.binDir, 'pgbench'), [
    '-h', source.socketDir!, '-p', String(source.port), '-U', 'postgres', '-n', '-f', scriptFile, '-c', String(CLIENTS), '-j', '2',
    '-R', String(Math.max(1, Math.round(rate))), '-T', String(seconds), srcDbName,
  ]);
  const bench = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'], detached: OWN_SESSIONS });
  let out = '';
  bench.stdout.on('data', (b) => (out += String(b)));
  const benchDone = new Promise<void>((r) => bench.on('exit', () => r()));
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    const t = Date.now();
    const n = await beat(srcClient);
    sentAt.set(n, t);
    await sleep(BEAT_MS);
  }
  await benchDone;
  const last = await beat(srcClient);
  sentAt.set(last, Date.now());
  await heartbeatSeen(target, db, last, 120_000);
  await sleep(50);
  stop = true;
  await watch;
  await queueWatch;
  meta?.close();
  await watcher.end();
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? 0);
  seen.sort((x, y) => x - y);
  const q = (p: number) => seen[Math.min(seen.length - 1, Math.floor(p * seen.length))] ?? NaN;
  const queue = meta ? `; of which source → queue (exporter) p50 ${quantile(queued, 0.5)} ms, p99 ${quantile(queued, 0.99)} ms` : undefined;
  return { p50: q(0.5), p99: q(0.99), max: seen[seen.length - 1] ?? NaN, beats: seen.length, txPerSec: tps, queue };
}

let srcDbName = '';
try {
  const srcDb = (srcDbName = await source.createDatabase('src'));
  const oursDb = await target.createDatabase('ours');
  const nativeDb = await target.createDatabase('native');
  await source.query(DDL + DATA, [], srcDb);
  await source.query(`ALTER TABLE acc OWNER TO ${MIGRATION_USER}; ALTER TABLE kv OWNER TO ${MIGRATION_USER}; ALTER TABLE hb OWNER TO ${MIGRATION_USER}`, [], srcDb);
  await source.query('VACUUM ANALYZE', [], srcDb);
  for (const db of [oursDb, nativeDb]) await target.query(DDL, [], db);
  const src = await source.connectAdmin(srcDb);
  src.on('error', (e) => {
    console.log(`source admin connection: ${e.message}; source server log:`);
    console.log(fs.readFileSync(path.join(source.socketDir!, 'server.log'), 'utf8').split('\n').slice(-30).join('\n'));
  });
  const step = (what: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${what}`);

  // Our pipeline: snapshot, then streaming; stopped once caught up (the slot stays).
  const dir = path.join(tmp, 'export');
  fs.mkdirSync(dir);
  const srcFlags = ['--export-dir', dir, ...source.flags('source', srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', dir, ...target.flags('target', oursDb)];
  const startOurs = async () => {
    procs.length = 0;
    const e = startCli(['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes'], { env, ownSession: OWN_SESSIONS });
    procs.push(e);
    await e.waitForLine(/streaming changes from the source/, { timeoutMs: 600_000 });
    const i = startCli(['import', 'data', 'to', 'target', ...tgtFlags], { env, ownSession: OWN_SESSIONS });
    procs.push(i);
    await i.waitForLine(/applying the streamed changes/, { timeoutMs: 600_000 });
    return [e, i] as const;
  };
  const stopOurs = async ([e, i]: readonly [RunningCli, RunningCli]) => {
    await i.stop('SIGINT');
    await e.stop('SIGINT');
  };
  step('snapshot + streaming with our processes');
  let ours = await startOurs();
  await heartbeatSeen(target, oursDb, await beat(src), 600_000);
  await stopOurs(ours);
  const slot = (await source.query<{ s: string }>(`SELECT slot_name AS s FROM pg_replication_slots WHERE slot_name LIKE 'voyager_%'`, [], srcDb)).rows[0].s;
  const ourPub = (await source.query<{ p: string }>(`SELECT pubname AS p FROM pg_publication WHERE pubname LIKE 'voyager_pub_%'`, [], srcDb)).rows[0].p;

  step('native subscription: initial copy');
  // Native: publication + subscription with the initial copy, then disabled.
  await source.query('CREATE PUBLICATION bench_native FOR TABLE acc, kv, hb', [], srcDb);
  await target.query(
    `CREATE SUBSCRIPTION bench_native CONNECTION 'host=${source.host} port=${source.port} user=${MIGRATION_USER} password=''${MIGRATION_PASSWORD.replace(/'/g, "''''")}'' dbname=${srcDb}' PUBLICATION bench_native`,
    [], nativeDb,
  );
  for (;;) {
    const r = await target.query<{ n: string }>(`SELECT count(*) AS n FROM pg_subscription_rel WHERE srsubstate <> 'r'`, [], nativeDb);
    if (r.rows[0].n === '0') break;
    await sleep(200);
  }
  await heartbeatSeen(target, nativeDb, await beat(src), 600_000);
  await target.query('ALTER SUBSCRIPTION bench_native DISABLE', [], nativeDb);
  for (const copy of ['bench_copy_tcp', 'bench_copy_unix']) await source.query(`SELECT pg_copy_logical_replication_slot($1, $2)`, [slot, copy], srcDb);

  step('backlog');
  // The backlog.
  let t = Date.now();
  pgbench(srcDb, ['-c', String(CLIENTS), '-j', '2', '-t', String(Math.ceil(TXNS / CLIENTS))]);
  const final = await beat(src);
  const end = (await source.query<{ l: string }>('SELECT pg_current_wal_lsn() AS l', [], srcDb)).rows[0].l;
  const sourceMaxRate = TXNS / ((Date.now() - t) / 1000);
  console.log(`backlog: ${TXNS} transactions (3 row changes each, ${SHAPE} rows) in ${(TXNS / sourceMaxRate).toFixed(1)} s (${Math.round(sourceMaxRate)} tx/s, the source's own maximum here); WAL up to ${end}`);

  // (c) decode ceiling, over TCP like (a) and (b); the Unix socket for reference.
  const drain = (copy: string, tcp: boolean) => recvlogicalDrain({ cluster: source, db: srcDb, slot: copy, publication: ourPub, endLsn: end, tcp });
  await settle();
  const unix = await drain('bench_copy_unix', false);
  console.log(`(c') pg_recvlogical → /dev/null over the Unix socket: ${unix.seconds.toFixed(2)} s, ${Math.round(TXNS / unix.seconds)} tx/s; walsender CPU ${unix.walsenderCpu.toFixed(1)} s`);
  await settle();
  const ceiling = await drain('bench_copy_tcp', true);
  const cS = ceiling.seconds;
  console.log(`(c) pg_recvlogical → /dev/null over TCP: ${cS.toFixed(2)} s, ${Math.round(TXNS / cS)} tx/s; walsender CPU ${ceiling.walsenderCpu.toFixed(1)} s`);
  for (const copy of ['bench_copy_tcp', 'bench_copy_unix']) await source.query(`SELECT pg_drop_replication_slot($1)`, [copy], srcDb);

  // (b) native.
  await settle();
  t = Date.now();
  await target.query('ALTER SUBSCRIPTION bench_native ENABLE', [], nativeDb);
  const nativePids = async () => {
    const w = await source.query<{ p: string }>(`SELECT active_pid AS p FROM pg_replication_slots WHERE slot_name = 'bench_native'`, [], srcDb);
    const b = await target.query<{ p: string }>(`SELECT pid AS p FROM pg_stat_subscription WHERE subname = 'bench_native' AND pid IS NOT NULL`, [], nativeDb);
    return { walsender: Number(w.rows[0]?.p), worker: Number(b.rows[0]?.p) };
  };
  let native = { walsender: NaN, worker: NaN };
  const nativeCpu = { walsender: NaN, worker: NaN };
  let nativeDone = false;
  // Sampled while it runs: the worker's CPU is gone once the subscription is disabled.
  const nativeSampler = (async () => {
    while (!nativeDone) {
      if (!(native.walsender > 0 && native.worker > 0)) native = await nativePids();
      for (const k of ['walsender', 'worker'] as const) if (!Number.isNaN(cpuSeconds(native[k]))) nativeCpu[k] = cpuSeconds(native[k]);
      await sleep(20);
    }
  })();
  await heartbeatSeen(target, nativeDb, final);
  const bS = (Date.now() - t) / 1000;
  nativeDone = true;
  await nativeSampler;
  await target.query('ALTER SUBSCRIPTION bench_native DISABLE', [], nativeDb);
  console.log(`(b) native logical replication: ${bS.toFixed(2)} s, ${Math.round(TXNS / bS)} tx/s; CPU walsender ${nativeCpu.walsender.toFixed(1)} s, apply worker ${nativeCpu.worker.toFixed(1)} s`);

  // (a) ours: both processes start on the backlog.
  await settle();
  t = Date.now();
  const e = startCli(['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes'], { env, ownSession: OWN_SESSIONS });
  const i = startCli(['import', 'data', 'to', 'target', ...tgtFlags], { env, ownSession: OWN_SESSIONS });
  procs.length = 0;
  procs.push(e, i);
  rss.reset();
  watchOurs(e, i);
  // Where the CPU goes: our two processes, the walsender feeding our exporter, the target backend applying.
  const serverPids = async () => {
    const w = await source.query<{ p: string }>(`SELECT active_pid AS p FROM pg_replication_slots WHERE slot_name = $1`, [slot], srcDb);
    const b = await target.query<{ p: string }>(`SELECT pid AS p FROM pg_stat_activity WHERE application_name LIKE 'yb-voyager apply changes%'`, [], oursDb);
    return { walsender: Number(w.rows[0]?.p), backend: Number(b.rows[0]?.p) };
  };
  let pids = { walsender: NaN, backend: NaN };
  while (!(pids.walsender > 0 && pids.backend > 0) && Date.now() - t < 60_000) {
    pids = await serverPids();
    await sleep(50);
  }
  const connectedS = (Date.now() - t) / 1000;
  await heartbeatSeen(target, oursDb, final);
  const aS = (Date.now() - t) / 1000;
  ours = [e, i];
  console.log(`(a) ours (export + import processes): ${aS.toFixed(2)} s, ${Math.round(TXNS / aS)} tx/s, ${Math.round((TXNS * 3) / aS)} events/s (both processes streaming ${connectedS.toFixed(2)} s after their start)`);
  console.log(`    CPU during (a): exporter ${cpuSeconds(e.pid).toFixed(1)} s, importer ${cpuSeconds(i.pid).toFixed(1)} s, walsender ${cpuSeconds(pids.walsender).toFixed(1)} s, target backend ${cpuSeconds(pids.backend).toFixed(1)} s`);
  console.log(`catch-up ratios: (a)/(b) ${(bS / aS).toFixed(2)}, (b)/(c) ${(cS / bS).toFixed(2)}, (a)/(c) ${(cS / aS).toFixed(2)}`);
  console.log(`catch-up ratio to native logical replication (${SHAPE} rows): ${(bS / aS).toFixed(2)} (target ≥ 1.0); load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // For reading the figure, not a target: how much of (a) our processes' start takes (native's worker starts in
  // milliseconds), and the ratio of the streaming alone.
  console.log(`    of which our processes' start until both stream: ${connectedS.toFixed(2)} s; streaming alone ${(aS - connectedS).toFixed(2)} s, ratio ${(bS / (aS - connectedS)).toFixed(2)}`);
  console.log(rssLine('catch-up'));
  for (const tbl of ['acc', 'kv']) {
    const [x, y] = await Promise.all([tableDigest(source, srcDb, tbl, 'id'), tableDigest(target, oursDb, tbl, 'id')]);
    console.log(`check ${tbl}: source ${x.rows} rows ${x.md5}, target ${y.rows} rows ${y.md5} ${x.md5 === y.md5 ? 'EQUAL' : 'DIFFERENT'}`);
  }

  // (2) sustained, ours then native (skipped with --seconds 0).
  if (SECONDS > 0) {
    const rate = RATE > 0 ? RATE : (TXNS / aS) * RATE_FRACTION;
    if (rate > sourceMaxRate) {
      console.log(`sustained: ${RATE_FRACTION} of our catch-up rate is ${Math.round(rate)} tx/s, more than the source commits on this machine (${Math.round(sourceMaxRate)} tx/s with nothing else running): pgbench runs as fast as the source allows`);
    }
    rss.reset();
    await settle();
    const oursCpu = cpuSince({ exporter: e.pid, importer: i.pid, walsender: pids.walsender, 'target backend': pids.backend });
    const lagOurs = await measureLag(oursDb, SECONDS, rate, src, path.join(dir, 'metainfo', 'meta.db'));
    console.log(`sustained ours at ${Math.round(rate)} tx/s requested (${Math.round(lagOurs.txPerSec)} achieved) for ${SECONDS} s: lag p50 ${lagOurs.p50} ms, p99 ${lagOurs.p99} ms, max ${lagOurs.max} ms over ${lagOurs.beats} heartbeats${lagOurs.queue}`);
    console.log(`    CPU during it: ${oursCpu()}`);
    console.log(rssLine(`the ${SECONDS} s sustained run`));
    await stopOurs(ours);
    await target.query('ALTER SUBSCRIPTION bench_native ENABLE', [], nativeDb);
    await heartbeatSeen(target, nativeDb, await beat(src), 600_000);
    await settle();
    const live = await nativePids();
    const nativeSustainedCpu = cpuSince({ walsender: live.walsender, 'apply worker': live.worker });
    const lagNative = await measureLag(nativeDb, NATIVE_SECONDS, rate, src);
    console.log(`sustained native at the same rate (${Math.round(lagNative.txPerSec)} achieved): lag p50 ${lagNative.p50} ms, p99 ${lagNative.p99} ms, max ${lagNative.max} ms`);
    console.log(`    CPU during it: ${nativeSustainedCpu()}`);
    console.log(`lag p99 ratio to native: ${(lagOurs.p99 / lagNative.p99).toFixed(2)} (target ≤ 2); p50 ratio ${(lagOurs.p50 / lagNative.p50).toFixed(2)}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } else {
    await stopOurs(ours);
  }
  await src.end();
} finally {
  rss.stop();
  for (const p of procs) await p.kill9().catch(() => undefined);
  await Promise.all([source.stop(), target.stop()]);
  if (process.env.BENCH_KEEP_DIR) console.log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
