/**
 * Snapshot profile, export then import (sequential, as the issue's target counts them) next to the bare
 * `COPY … TO STDOUT | COPY … FROM STDIN` pipe, round after round on one pair of private clusters: each round
 * runs, per variant, our export into a fresh export dir, our import into a fresh target database, and the
 * pipe into another, so every sum is compared with a pipe run under the same load. Prints wall time and CPU
 * seconds per side (our process; the target and the source clusters, every backend included): on the shared
 * 2-core machine CPU is the steadier measure.
 *
 *   node dist/bench/snapshot-import-bench.js [--rows 2000000] [--rounds 3] [--jobs N]
 *       [--variant 'name:KEY=V,KEY=V:--import-flag value:path/to/main.js:--export-flag value']…
 *           (a variant's environment, import arguments, build and export arguments; 'default' is this build as is)
 *       [--node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"]
 * Not a test: no assertion on time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATION_PASSWORD, PgCluster } from '../test/helpers/pg-cluster.js';
import { cliArgv, MAIN_JS } from '../test/helpers/cli.js';
import { run } from './bench-helpers.js';
import { bareCopyPipes, DDL, TABLES } from './bench-tables.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const ROWS = Number(arg('rows', '2000000'));
const ROUNDS = Number(arg('rounds', '3'));
const JOBS = arg('jobs', '');
/** Extra node flags for our processes. */
const NODE_ARGS = arg('node-args', '').split(' ').filter(Boolean);

interface Variant { name: string; env: Record<string, string>; args: string[]; main: string; exportArgs: string[] }
const variants: Variant[] = [{ name: 'default', env: {}, args: [], main: MAIN_JS, exportArgs: [] }];
process.argv.forEach((a, i) => {
  if (a !== '--variant') return;
  const [name, spec, args, main, exportArgs] = process.argv[i + 1].split(':');
  variants.push({
    name,
    env: Object.fromEntries((spec ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string])),
    args: (args ?? '').split(' ').filter(Boolean),
    main: main ? path.resolve(main) : MAIN_JS,
    exportArgs: (exportArgs ?? '').split(' ').filter(Boolean),
  });
});

const TICKS = 100;
function statFields(pid: number | 'self'): string[] {
  return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
}

/** CPU seconds a whole cluster has used: the postmaster, exited backends it reaped, and every live child. */
function clusterCpu(c: PgCluster): number {
  const pid = Number(fs.readFileSync(path.join(c.socketDir!, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const f = statFields(pid);
  let sum = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS;
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const g = statFields(Number(p));
      if (Number(g[1]) === pid) sum += (Number(g[11]) + Number(g[12])) / TICKS;
    } catch {
      /* gone */
    }
  }
  return sum;
}

/** CPU seconds of this process, and of its reaped children (our CLI once it has exited). */
function selfCpu(): { own: number; children: number } {
  const f = statFields('self');
  return { own: (Number(f[11]) + Number(f[12])) / TICKS, children: (Number(f[13]) + Number(f[14])) / TICKS };
}

const loadAvg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Sample { wall: number; ours: number; target: number; source: number }
interface Round { exp: Sample; imp: Sample; pipe: Sample }

async function measure(clusters: PgCluster[], fn: () => Promise<void>, ours: 'children' | 'own'): Promise<Sample> {
  const [source, target] = clusters;
  await target.query('CHECKPOINT');
  const s0 = selfCpu(), t0 = clusterCpu(target), src0 = clusterCpu(source);
  const w = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - w) / 1e9;
  await new Promise((r) => setTimeout(r, 200)); // backends exit and are reaped
  return { wall, ours: selfCpu()[ours] - s0[ours], target: clusterCpu(target) - t0, source: clusterCpu(source) - src0 };
}

const fmt = (s: Sample) => `${s.wall.toFixed(2)} s (CPU ours ${s.ours.toFixed(2)}, source ${s.source.toFixed(2)}, target ${s.target.toFixed(2)})`;

async function main(): Promise<void> {
  const clusters = await Promise.all([PgCluster.start(), PgCluster.start()]);
  const [source, target] = clusters;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-importbench-'));
  try {
    const sdb = await source.createDatabase('bench_src');
    await source.query(DDL, [], sdb);
    await Promise.all(TABLES.map((t) => source.query(t.fill(Math.round(ROWS * t.share)), [], sdb)));
    await source.query('VACUUM ANALYZE', [], sdb);
    console.log(`source: ${ROWS} rows in ${TABLES.length} tables; ${os.cpus().length} CPUs; ${JOBS ? `--parallel-jobs ${JOBS}` : 'default flags'}; load ${loadAvg()}`);
    const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };
    const jobs = JOBS ? ['--parallel-jobs', JOBS] : [];
    const freshTarget = async () => {
      const db = await target.createDatabase('bench_tgt');
      await target.query(DDL, [], db);
      return db;
    };
    const bare = (tdb: string) => bareCopyPipes(source, sdb, target, tdb, Number(JOBS || 4));
    const ours = async (v: Variant): Promise<{ exp: Sample; imp: Sample }> => {
      const dir = path.join(work, 'export');
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      const tdb = await freshTarget();
      const cli = (args: string[]) => run(process.execPath, cliArgv(args, v.main, NODE_ARGS), { ...env, ...v.env }, false).then(() => undefined);
      const exp = await measure(clusters, () => cli(['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), ...jobs, ...v.exportArgs]), 'children');
      const imp = await measure(clusters, () => cli(['import', 'data', '--export-dir', dir, ...target.flags('target', tdb), ...jobs, ...v.args]), 'children');
      const n = (await target.query<{ n: string }>('SELECT count(*) AS n FROM big', [], tdb)).rows[0].n;
      if (Number(n) !== Math.round(ROWS * 0.6)) throw new Error(`big has ${n} rows on the target`);
      await target.query(`DROP DATABASE "${tdb}" WITH (FORCE)`);
      return { exp, imp };
    };
    const pipe = async (): Promise<Sample> => {
      const tdb = await freshTarget();
      const s = await measure(clusters, () => bare(tdb), 'own');
      await target.query(`DROP DATABASE "${tdb}" WITH (FORCE)`);
      return s;
    };

    // Unmeasured: whatever runs first after the source is built runs slower (see snapshot-bench.ts).
    console.log(`warm-up (a bare text pipe, not counted): ${(await pipe()).wall.toFixed(2)} s`);
    const results = new Map<string, Round[]>(variants.map((v) => [v.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const v of round % 2 ? variants : [...variants].reverse()) {
        // Alternate which goes first, so neither always meets the other's checkpoints or autovacuum.
        let r: Round;
        if (round % 2) {
          const o = await ours(v);
          r = { ...o, pipe: await pipe() };
        } else {
          const p = await pipe();
          r = { ...(await ours(v)), pipe: p };
        }
        results.get(v.name)!.push(r);
        console.log(`round ${round} ${v.name}: export ${fmt(r.exp)} + import ${fmt(r.imp)} = ${(r.exp.wall + r.imp.wall).toFixed(2)} s | pipe ${fmt(r.pipe)} | ` +
          `ratio ${((r.exp.wall + r.imp.wall) / r.pipe.wall).toFixed(2)} | load ${loadAvg()}`);
      }
    }
    console.log('');
    for (const [name, rs] of results) {
      const m = (f: (r: Round) => number) => median(rs.map(f)).toFixed(2);
      console.log(`${name}, medians of ${rs.length}: export ${m((r) => r.exp.wall)} s (CPU ours ${m((r) => r.exp.ours)}, source ${m((r) => r.exp.source)}), ` +
        `import ${m((r) => r.imp.wall)} s (CPU ours ${m((r) => r.imp.ours)}, target ${m((r) => r.imp.target)}); ` +
        `pipe ${m((r) => r.pipe.wall)} s (CPU node ${m((r) => r.pipe.ours)}, source ${m((r) => r.pipe.source)}, target ${m((r) => r.pipe.target)})`);
      console.log(`${name}: sequential export + import / bare text COPY pipe = ${m((r) => (r.exp.wall + r.imp.wall) / r.pipe.wall)} (target ≤ 1.2); ` +
        `import alone / pipe = ${m((r) => r.imp.wall / r.pipe.wall)}`);
    }
    console.log(`load average at the end: ${loadAvg()}`);
  } finally {
    await Promise.all([source.stop(), target.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
