/**
 * verify data benchmark (not a test): the snapshot benchmark's tables (--rows in all), migrated with our
 * export + import, then timed in the same run:
 *   (a) yb-voyager verify data --parallel-jobs N   (exact: chunk digests, rows where they differ)
 *   (b) count(*) of every table on both sides        (what row-count reports check; catches no changed value)
 *   (c) one md5(string_agg(row text ORDER BY key)) per table per side, tables N at a time (whole-table hash)
 * and once more (a) after one changed value on the target, to show the drill-down finds it.
 *
 *   npm run build && node dist/bench/verify-bench.js [--rows 2000000] [--jobs 4]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATION_PASSWORD, PgCluster } from '../test/helpers/pg-cluster.js';
import { cliArgv } from '../test/helpers/cli.js';
import { DDL, TABLES } from './bench-tables.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const ROWS = arg('rows', 2_000_000);
const JOBS = arg('jobs', 4);
const env = { ...process.env, SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };

function cli(args: string[]): Promise<{ code: number; secs: number; out: string }> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, cliArgv(args), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code: code ?? -1, secs: Number(process.hrtime.bigint() - t) / 1e9, out }));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** Run `fn` over the tables, `JOBS` at a time. */
async function eachTable(fn: (name: string) => Promise<void>): Promise<void> {
  const names = [...TABLES].sort((a, b) => b.share - a.share).map((t) => t.name);
  await Promise.all(Array.from({ length: Math.min(JOBS, names.length) }, async () => {
    for (let n = names.shift(); n; n = names.shift()) await fn(n);
  }));
}

async function main(): Promise<void> {
  const [source, target] = await Promise.all([PgCluster.start({ extraConf: { shared_buffers: "'256MB'" } }), PgCluster.start({ extraConf: { shared_buffers: "'256MB'" } })]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-verify-bench-'));
  try {
    const sdb = await source.createDatabase('vb');
    const tdb = await target.createDatabase('vb');
    await source.query(DDL, [], sdb);
    await Promise.all(TABLES.map((t) => source.query(t.fill(Math.round(ROWS * t.share)), [], sdb)));
    await source.query('VACUUM ANALYZE', [], sdb);
    await target.query(DDL, [], tdb);
    const dir = fs.mkdtempSync(path.join(work, 'x-'));
    for (const args of [
      ['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), '--parallel-jobs', String(JOBS)],
      ['import', 'data', '--export-dir', dir, ...target.flags('target', tdb), '--parallel-jobs', String(JOBS)],
    ]) {
      const r = await cli(args);
      if (r.code !== 0) throw new Error(r.out);
    }
    await target.query('VACUUM ANALYZE', [], tdb);
    console.log(`${ROWS} rows in ${TABLES.length} tables migrated; jobs ${JOBS}, ${os.cpus().length} CPUs`);

    const a = await cli(['verify', 'data', '--export-dir', dir, '--parallel-jobs', String(JOBS), '--disable-pb', 'true']);
    if (a.code !== 0) throw new Error(`verify data found differences in identical copies:\n${a.out}`);
    const b = await timed(() => Promise.all([
      eachTable(async (n) => void (await source.query(`SELECT count(*) FROM ${n}`, [], sdb))),
      eachTable(async (n) => void (await target.query(`SELECT count(*) FROM ${n}`, [], tdb))),
    ]));
    const hashes: Record<string, string[]> = {};
    const c = await timed(() => Promise.all([source, target].map((cluster, side) => eachTable(async (n) => {
      const r = await cluster.query<{ h: string }>(`SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) AS h FROM ${n} t`, [], side ? tdb : sdb);
      (hashes[n] ??= [])[side] = r.rows[0].h;
    }))));
    const unequal = Object.entries(hashes).filter(([, [x, y]]) => x !== y).map(([n]) => n);
    console.log(`(a) verify data (exact, key ranges, digests)     ${a.secs.toFixed(2).padStart(7)} s  ${Math.round(ROWS / a.secs)} rows/s`);
    console.log(`(b) count(*) per table, both sides              ${b.toFixed(2).padStart(7)} s  (catches no changed value)`);
    console.log(`(c) md5(string_agg(row ORDER BY id)) per side   ${c.toFixed(2).padStart(7)} s  (whole-table hash; ${unequal.length ? `UNEQUAL: ${unequal.join(', ')}` : 'all equal'}; says nothing of which row)`);
    console.log(`ratios: (a)/(b) ${(a.secs / b).toFixed(2)}, (a)/(c) ${(a.secs / c).toFixed(2)}`);

    await target.query(`UPDATE big SET label = 'changed' WHERE id = ${Math.round(ROWS * 0.3)}`, [], tdb);
    const d = await cli(['verify', 'data', '--export-dir', dir, '--parallel-jobs', String(JOBS), '--disable-pb', 'true']);
    const line = d.out.split('\n').find((l) => /different values/.test(l))?.trim();
    console.log(`(a) after one changed value on the target: ${d.secs.toFixed(2)} s, exit ${d.code}: ${line ?? 'NOT FOUND'}`);
  } finally {
    await Promise.all([source.stop(), target.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
