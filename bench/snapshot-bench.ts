/**
 * Snapshot benchmark: on one pair of private clusters, in one run, moves the same source database into a
 * fresh target database three ways and prints rows/s and ratios:
 *   (a) ours: export data + import data (snapshot-only), run sequentially, and overlapped (import started
 *       right after export, as it may be);
 *   (b) pg_dump -Fd -j N --data-only + pg_restore -j N --data-only (default compression, and -Z 0);
 *   (c) a bare COPY … TO STDOUT | COPY … FROM STDIN pipe per table, N at a time.
 * Peak RSS of our processes is read from /proc/<pid>/status (VmHWM) while they run. An unmeasured pipe runs
 * first: the first load after the source is built is slower whichever method it is (see the warm-up below).
 * Every method starts right after a CHECKPOINT on both clusters: the first one no longer exports while the source
 * still writes out the pages its own build dirtied. (Keeping checkpoints out of the methods altogether, max_wal_size 8GB and
 * checkpoint_timeout 1h, made our sequential import slower, 13.7 s against 10.1–11.2 s, in the one run tried.)
 *
 * The targets are printed for (a) sequential with default flags: ≤ 0.8 × (b), ≤ 1.2 × (c) text.
 *
 *   node dist/bench/snapshot-bench.js [--rows 5000000] [--jobs N] [--batch-size N] [--skip-b]
 *   (--jobs and --batch-size go to our commands only when given; pg_dump, pg_restore and the pipe use --jobs or 4)
 * Not a test: no assertion on time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../test/helpers/pg-cluster.js';
import { cliArgv } from '../test/helpers/cli.js';
import { machineLine, run } from './bench-helpers.js';
import { bareCopyPipes, DDL, TABLES } from './bench-tables.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const ROWS = arg('rows', 5_000_000);
/** Our commands get --parallel-jobs / --batch-size only when given (the targets are for default flags). */
const EXPORT_FLAGS = process.argv.includes('--jobs') ? ['--parallel-jobs', String(arg('jobs', 4))] : [];
const OUR_FLAGS = [...EXPORT_FLAGS, ...(process.argv.includes('--batch-size') ? ['--batch-size', String(arg('batch-size', 100_000))] : [])];
const JOBS = arg('jobs', 4);
const SKIP_B = process.argv.includes('--skip-b');

async function main(): Promise<void> {
  const [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-snapbench-'));
  try {
    const sdb = await source.createDatabase('bench_src');
    const t0 = Date.now();
    await source.query(DDL, [], sdb);
    await Promise.all(TABLES.map((t) => source.query(t.fill(Math.round(ROWS * t.share)), [], sdb)));
    await source.query('VACUUM ANALYZE', [], sdb);
    const size = (await source.query<{ s: string }>('SELECT pg_size_pretty(pg_database_size(current_database())) AS s', [], sdb)).rows[0].s;
    console.log(`source: ${ROWS} rows in ${TABLES.length} tables, ${size}, built in ${((Date.now() - t0) / 1000).toFixed(0)} s; ours: ${OUR_FLAGS.length ? OUR_FLAGS.join(' ') : 'default flags'}, anchors ${JOBS} jobs; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

    // Each method loads into a fresh database on a target holding no earlier copy, after a checkpoint: the
    // methods run one after the other, and a later one must not pay for the earlier ones' dirty buffers and WAL.
    let previous: string | undefined;
    const freshTarget = async () => {
      if (previous) await target.query(`DROP DATABASE "${previous}" WITH (FORCE)`);
      const db = (previous = await target.createDatabase('bench_tgt'));
      await target.query(DDL, [], db);
      await Promise.all([source.query('CHECKPOINT'), target.query('CHECKPOINT')]);
      return db;
    };
    const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, PGPASSWORD: MIGRATION_PASSWORD };
    const results: [string, number, string][] = [];
    const report = (label: string, secs: number, extra = '') => {
      results.push([label, secs, extra]);
      console.log(`${label.padEnd(44)} ${secs.toFixed(2).padStart(8)} s ${String(Math.round(ROWS / secs)).padStart(9)} rows/s ${extra}`);
    };

    // An unmeasured load first: whatever runs first after the source is built runs slower (our import 10.5–12.8 s
    // in bench/snapshot-import-bench's first round against 7–8.5 s in later ones, pipes 16–18 s against 12–13 s;
    // not autovacuum, not the OS writing back the build: the same with either turned off or synced), and the
    // methods run in a fixed order, ours first.
    {
      const t = Date.now();
      await bareCopyPipes(source, sdb, target, await freshTarget(), JOBS);
      console.log(`warm-up (a bare text pipe, not counted): ${((Date.now() - t) / 1000).toFixed(2)} s`);
    }

    // (a) ours, sequential: export, then import.
    let sequential = NaN;
    {
      const dir = fs.mkdtempSync(path.join(work, 'a-'));
      const tdb = await freshTarget();
      const e = await run(process.execPath, cliArgv(['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), ...EXPORT_FLAGS]), env, true);
      const i = await run(process.execPath, cliArgv(['import', 'data', '--export-dir', dir, ...target.flags('target', tdb), ...OUR_FLAGS]), env, true);
      sequential = e.secs + i.secs;
      report('(a) ours: export + import, sequential', e.secs + i.secs, `(export ${e.secs.toFixed(2)} s, peak RSS ${e.peakRssMb} MB; import ${i.secs.toFixed(2)} s, peak RSS ${i.peakRssMb} MB)`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // (a') ours, overlapped: import starts as soon as export does and takes chunks as they are done.
    let oursOverlapped: number;
    {
      const dir = fs.mkdtempSync(path.join(work, 'a2-'));
      const tdb = await freshTarget();
      const t = process.hrtime.bigint();
      const ep = run(process.execPath, cliArgv(['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), ...EXPORT_FLAGS]), env, true);
      await new Promise((r) => setTimeout(r, 300));
      const ip = run(process.execPath, cliArgv(['import', 'data', '--export-dir', dir, ...target.flags('target', tdb), ...OUR_FLAGS]), env, true);
      const [e, i] = await Promise.all([ep, ip]);
      oursOverlapped = Number(process.hrtime.bigint() - t) / 1e9;
      report('(a) ours: export + import, overlapped', oursOverlapped, `(peak RSS export ${e.peakRssMb} MB, import ${i.peakRssMb} MB)`);
      const n = (await target.query<{ n: string }>('SELECT count(*) AS n FROM big', [], tdb)).rows[0].n;
      if (Number(n) !== Math.round(ROWS * 0.6)) throw new Error(`big has ${n} rows on the target`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const ours = Math.min(...results.filter((r) => r[0].startsWith('(a)')).map((r) => r[1]));

    // (b) pg_dump / pg_restore, directory format, N jobs.
    let dumpRestore: number | undefined;
    if (!SKIP_B) {
      for (const z of [undefined, '0']) {
        const dir = path.join(work, `dump-${z ?? 'default'}`);
        const tdb = await freshTarget();
        const bin = source.binDir;
        const conn = (c: PgCluster, db: string) => ['-h', c.host, '-p', String(c.port), '-U', MIGRATION_USER, '-d', db];
        const d = await run(path.join(bin, 'pg_dump'), [...conn(source, sdb), '-Fd', '-j', String(JOBS), '--data-only', ...(z ? ['-Z', z] : []), '-f', dir], env, false);
        const r = await run(path.join(bin, 'pg_restore'), [...conn(target, tdb), '-j', String(JOBS), '--data-only', dir], env, false);
        const label = z ? '(b) pg_dump -Fd -Z 0 + pg_restore' : '(b) pg_dump -Fd + pg_restore (default gzip)';
        report(label, d.secs + r.secs, `(dump ${d.secs.toFixed(2)} s, restore ${r.secs.toFixed(2)} s)`);
        if (!z) dumpRestore = d.secs + r.secs;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    // (c) bare COPY pipes, one per table, N at a time; text (what we write), then binary for comparison.
    const bareCopy = async (binary: boolean): Promise<number> => {
      const tdb = await freshTarget();
      const t = process.hrtime.bigint();
      await bareCopyPipes(source, sdb, target, tdb, JOBS, binary);
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    const pipe = await bareCopy(false);
    report('(c) bare COPY pipe per table (text)', pipe);
    report('(c) bare COPY pipe per table (binary)', await bareCopy(true), '(for comparison: binary is not portable)');

    console.log('');
    console.log(`ratio to the bare text COPY pipe, sequential export + import: ${(sequential / pipe).toFixed(2)} (target ≤ 1.2); overlapped: ${(oursOverlapped / pipe).toFixed(2)}; best of the two: ${(ours / pipe).toFixed(2)}`);
    if (dumpRestore) console.log(`ratio to pg_dump + pg_restore, sequential: ${(sequential / dumpRestore).toFixed(2)} (target ≤ 0.8); best of the two: ${(ours / dumpRestore).toFixed(2)}`);
    console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await Promise.all([source.stop(), target.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

console.log(machineLine());
await main();
