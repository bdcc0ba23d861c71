/**
 * Snapshot import profile: exports one source database once (default flags), then, round after round,
 * imports it into a fresh target database under each variant (environment settings of the importer) and
 * runs the bare `COPY … TO STDOUT | COPY … FROM STDIN` pipe right after, so every import is compared with a
 * pipe run under the same load. Prints wall time and CPU seconds per side (our process; the target and the
 * source clusters, every backend included), since on the shared 2-core machine CPU is the steadier measure.
 *
 *   node dist/bench/snapshot-import-bench.js [--rows 2000000] [--rounds 3] [--jobs N]
 *       [--variant 'name:KEY=V,KEY=V:--flag value']…   (a variant's environment and arguments of the importer)
 *       [--import-args "--batch-size 50000"]
 *       [--exporter name=path/to/main.js]…   (exports again with other builds, alternating, before the imports)
 *       [--variant 'name:KEY=V::' with a main: 'name:KEY=V:--flag value:path/to/main.js'] [--node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"]
 * Not a test: no assertion on time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { MIGRATION_PASSWORD, PgCluster } from '../test/helpers/pg-cluster.js';
import { run } from './bench-helpers.js';
import { DDL, TABLES } from './bench-tables.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const ROWS = Number(arg('rows', '2000000'));
const ROUNDS = Number(arg('rounds', '3'));
const JOBS = arg('jobs', '');
const IMPORT_ARGS = arg('import-args', '').split(' ').filter(Boolean);
/** Extra node flags for our processes, e.g. --node-args "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const NODE_ARGS = arg('node-args', '').split(' ').filter(Boolean);
const MAIN_JS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');

/** `--variant name:KEY=V,KEY=V:--flag value …`: the importer's extra environment and extra arguments. */
const variants: { name: string; env: Record<string, string>; args: string[]; main: string }[] = [{ name: 'default', env: {}, args: [], main: MAIN_JS }];
/** `--exporter name=path/to/main.js`: another build's export, measured against ours. */
const exporters: { name: string; main: string }[] = [{ name: 'this build', main: MAIN_JS }];
process.argv.forEach((a, i) => {
  if (a === '--exporter') {
    const [name, main] = process.argv[i + 1].split('=');
    exporters.push({ name, main: path.resolve(main) });
  }
  if (a !== '--variant') return;
  const [name, spec, args, main] = process.argv[i + 1].split(':');
  variants.push({
    name,
    env: Object.fromEntries((spec ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string])),
    args: (args ?? '').split(' ').filter(Boolean),
    main: main ? path.resolve(main) : MAIN_JS,
  });
});

const TICKS = 100;
function procCpu(pid: number, withChildren: boolean): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const own = Number(f[11]) + Number(f[12]);
    return (withChildren ? own + Number(f[13]) + Number(f[14]) : own) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds a whole cluster has used: the postmaster, exited backends it reaped, and every live child. */
function clusterCpu(c: PgCluster): number {
  const pid = Number(fs.readFileSync(path.join(c.socketDir!, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let sum = procCpu(pid, true);
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const f = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(f[1]) === pid) sum += (Number(f[11]) + Number(f[12])) / TICKS;
    } catch {
      /* gone */
    }
  }
  return sum;
}

/** CPU seconds of this process plus its reaped children (the importer once it has exited). */
function selfCpu(): { own: number; children: number } {
  const f = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return { own: (Number(f[11]) + Number(f[12])) / TICKS, children: (Number(f[13]) + Number(f[14])) / TICKS };
}

function loadAvg(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

interface Sample { wall: number; ours: number; target: number; source: number }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(source: PgCluster, target: PgCluster, fn: () => Promise<void>, oursOf: (a: ReturnType<typeof selfCpu>, b: ReturnType<typeof selfCpu>) => number): Promise<Sample> {
  await target.query('CHECKPOINT');
  const s0 = selfCpu(), t0 = clusterCpu(target), src0 = clusterCpu(source);
  const w = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - w) / 1e9;
  await new Promise((r) => setTimeout(r, 200)); // backends exit and are reaped
  return { wall, ours: oursOf(s0, selfCpu()), target: clusterCpu(target) - t0, source: clusterCpu(source) - src0 };
}

function fmt(s: Sample): string {
  return `wall ${s.wall.toFixed(2)} s, CPU ours ${s.ours.toFixed(2)} s, target ${s.target.toFixed(2)} s, source ${s.source.toFixed(2)} s`;
}

async function main(): Promise<void> {
  const [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-importbench-'));
  try {
    const sdb = await source.createDatabase('bench_src');
    await source.query(DDL, [], sdb);
    await Promise.all(TABLES.map((t) => source.query(t.fill(Math.round(ROWS * t.share)), [], sdb)));
    await source.query('VACUUM ANALYZE', [], sdb);
    const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };
    const jobs = JOBS ? ['--parallel-jobs', JOBS] : [];
    const exportOnce = async (main: string, dir: string) => {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      return measure(source, target, async () => {
        await run(process.execPath, [...NODE_ARGS, main, 'export', 'data', '--export-dir', dir, ...source.flags('source', sdb), ...jobs], env, false);
      }, (a, b) => b.children - a.children);
    };
    if (exporters.length > 1) {
      const got = new Map<string, Sample[]>(exporters.map((e) => [e.name, []]));
      for (let round = 1; round <= ROUNDS; round++) {
        for (const e of round % 2 ? exporters : [...exporters].reverse()) {
          const sample = await exportOnce(e.main, path.join(work, 'export-ab'));
          got.get(e.name)!.push(sample);
          console.log(`export round ${round} ${e.name.padEnd(12)} ${fmt(sample)} | load ${loadAvg()}`);
        }
      }
      for (const [name, ss] of got) {
        console.log(`export ${name.padEnd(12)} medians: wall ${median(ss.map((x) => x.wall)).toFixed(2)} s, CPU ours ${median(ss.map((x) => x.ours)).toFixed(2)} s, source ${median(ss.map((x) => x.source)).toFixed(2)} s`);
      }
    }
    const dir = path.join(work, 'export');
    const exp = await exportOnce(MAIN_JS, dir);
    const files = fs.readdirSync(path.join(dir, 'data'));
    const sizes = files.map((f) => `${f.split('-')[0]}:${Math.round(fs.statSync(path.join(dir, 'data', f)).size / 2 ** 20)}MB`);
    console.log(`source: ${ROWS} rows; ${files.length} chunk files (${sizes.join(' ')}); export ${fmt(exp)}; load ${loadAvg()}`);

    const results = new Map<string, { imp: Sample; pipe: Sample }[]>(variants.map((v) => [v.name, []]));
    const freshTarget = async () => {
      const db = await target.createDatabase('bench_tgt');
      await target.query(DDL, [], db);
      return db;
    };
    const drop = (db: string) => target.query(`DROP DATABASE "${db}" WITH (FORCE)`);
    const bare = async (tdb: string) => {
      const order = [...TABLES].sort((x, y) => y.share - x.share).map((t) => t.name);
      const worker = async () => {
        const s = new pg.Client({ ...source.settings(sdb), password: MIGRATION_PASSWORD, ssl: false } as pg.ClientConfig);
        const d = new pg.Client({ ...target.settings(tdb), password: MIGRATION_PASSWORD, ssl: false } as pg.ClientConfig);
        await Promise.all([s.connect(), d.connect()]);
        try {
          for (let name = order.shift(); name; name = order.shift()) {
            await pipeline(s.query(copyStreams.to(`COPY ${name} TO STDOUT`)), d.query(copyStreams.from(`COPY ${name} FROM STDIN`)));
          }
        } finally {
          await Promise.all([s.end(), d.end()]);
        }
      };
      await Promise.all(Array.from({ length: Number(JOBS || 4) }, worker));
    };

    for (let round = 1; round <= ROUNDS; round++) {
      for (const v of variants) {
        // Alternate which goes first, so neither always meets the other's checkpoint or autovacuum.
        const order = round % 2 ? ['import', 'pipe'] : ['pipe', 'import'];
        const got: Partial<{ imp: Sample; pipe: Sample }> = {};
        for (const what of order) {
          const tdb = await freshTarget();
          if (what === 'import') {
            // A pristine copy of the export dir per import: an export dir binds to one target database.
            const idir = path.join(work, 'import');
            fs.rmSync(idir, { recursive: true, force: true });
            fs.cpSync(dir, idir, { recursive: true });
            got.imp = await measure(source, target, async () => {
              await run(process.execPath, [...NODE_ARGS, v.main, 'import', 'data', '--export-dir', idir, ...target.flags('target', tdb), ...jobs, ...IMPORT_ARGS, ...v.args], { ...env, ...v.env }, false);
            }, (a, b) => b.children - a.children);
            const n = (await target.query<{ n: string }>('SELECT count(*) AS n FROM big', [], tdb)).rows[0].n;
            if (Number(n) !== Math.round(ROWS * 0.6)) throw new Error(`big has ${n} rows on the target`);
          } else {
            got.pipe = await measure(source, target, () => bare(tdb), (a, b) => b.own - a.own);
          }
          await drop(tdb);
        }
        results.get(v.name)!.push(got as { imp: Sample; pipe: Sample });
        console.log(`round ${round} ${v.name.padEnd(12)} import: ${fmt(got.imp!)} | pipe: ${fmt(got.pipe!)} | import/pipe ${(got.imp!.wall / got.pipe!.wall).toFixed(2)} | load ${loadAvg()}`);
      }
    }
    console.log('');
    for (const [name, rs] of results) {
      const m = (f: (r: { imp: Sample; pipe: Sample }) => number) => median(rs.map(f)).toFixed(2);
      console.log(`${name.padEnd(12)} medians: import wall ${m((r) => r.imp.wall)} s (CPU ours ${m((r) => r.imp.ours)}, target ${m((r) => r.imp.target)}); ` +
        `pipe wall ${m((r) => r.pipe.wall)} s (CPU node ${m((r) => r.pipe.ours)}, target ${m((r) => r.pipe.target)}, source ${m((r) => r.pipe.source)}); ` +
        `import/pipe ${m((r) => r.imp.wall / r.pipe.wall)}; (export+import)/pipe ${m((r) => (exp.wall + r.imp.wall) / r.pipe.wall)} (target ≤ 1.2)`);
    }
    console.log(`load average at the end: ${loadAvg()}`);
  } finally {
    await Promise.all([source.stop(), target.stop()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
