/**
 * Cutover soak (issue 19): the whole PostgreSQL → PostgreSQL live migration with fall-back, N times, each run on
 * fresh databases of two private clusters:
 *
 *   schema + seed → snapshot-and-changes with the application writing on the source → kill -9 of the exporter
 *   and of the importer node processes mid-stream, rerun → compare → initiate cutover to target with fall-back →
 *   at COMPLETED (seen in the export dir within 20 ms): check the ordering guarantees, pin both sides, and at once the application writes on the
 *   target (every kind of id generation) → compare the pinned sides → kill -9 of both fall-back processes,
 *   rerun with the commands they printed → compare → initiate cutover to source → at COMPLETED the same checks
 *   and the application on the source → compare → end migration.
 *
 * Guarantees checked at each COMPLETED (before the application's first write): every sequence is beyond every
 * value in each column it feeds on that side (the trigger-only one included); with fall-back the target's
 * slot exists; the side left behind has no slot; the old direction's importer has written its last (its
 * watermark at the marker) and no apply session of it is left on the side the application moves to. Any application error after COMPLETED fails the run with the exact error.
 *
 *   npm run build && node dist/bench/cutover-soak.js [--runs 30] [--phase-ms 1500] [--clients 3] [--keep-all]
 *
 * Each run's export dir (with logs/) and every CLI process's output are kept under the printed directory when
 * the run fails (always with --keep-all).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { startCli, runCli, type RunningCli } from '../test/helpers/cli.js';
import { MIGRATION_PASSWORD, MIGRATION_USER, PgCluster } from '../test/helpers/pg-cluster.js';
import { statusOf, type Direction } from '../src/core/cutover.js';
import { readCutover } from '../src/export-dir/migration-state.js';
import { StateStore } from '../src/export-dir/state-store.js';
import { diffNow, diffSessions, pinSnapshot, rawSession } from './soak-compare.js';
import { seedSoak, sequencesBehindData, SOAK_SCHEMA_SQL } from './soak-schema.js';
import { SoakWorkload } from './soak-workload.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    'phase-ms': { type: 'string', default: '1500' },
    clients: { type: 'string', default: '3' },
    'keep-all': { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const PHASE_MS = Number(args['phase-ms']);
const CLIENTS = Number(args.clients);
const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_METRICS_INTERVAL_MS: '2000' };

class SoakFailure extends Error {
  constructor(readonly stage: string, message: string) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(stage: string, what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new SoakFailure(stage, `timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

interface RunContext {
  n: number;
  dir: string;
  exportDir: string;
  source: PgCluster;
  target: PgCluster;
  srcDb: string;
  tgtDb: string;
  processes: { label: string; p: RunningCli }[];
}

const appConfig = (cluster: PgCluster, db: string): pg.ClientConfig => ({ host: cluster.host, port: cluster.port, user: MIGRATION_USER, password: MIGRATION_PASSWORD, database: db });

function start(ctx: RunContext, label: string, argv: string[], extraEnv: Record<string, string> = {}): RunningCli {
  const p = startCli(argv, { env: { ...env, ...extraEnv } });
  ctx.processes.push({ label: `${String(ctx.processes.length).padStart(2, '0')}-${label}`, p });
  return p;
}

async function cli(ctx: RunContext, stage: string, argv: string[]): Promise<string> {
  const r = await runCli(argv, { env, timeoutMs: 180_000 });
  if (r.code !== 0) throw new SoakFailure(stage, `yb-voyager ${argv.slice(0, 4).join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function waitLine(stage: string, p: RunningCli, pattern: RegExp): Promise<void> {
  try {
    await p.waitForLine(pattern, { timeoutMs: 180_000 });
  } catch (e) {
    throw new SoakFailure(stage, (e as Error).message);
  }
}

/**
 * Wait for COMPLETED as recorded in the export dir, read every 20 ms, so the checks that follow run within
 * moments of the state being written (`cutover status`, a process start each time, would leave ~0.5 s for a
 * late step to finish unseen). What `cutover status` says is checked right after the application started.
 */
async function untilCompleted(ctx: RunContext, stage: string, direction: Direction): Promise<number> {
  const state = StateStore.open(path.join(ctx.exportDir, 'metainfo', 'meta.db'));
  try {
    await until(stage, `${direction} COMPLETED`, async () => (statusOf(readCutover(state), direction) === 'COMPLETED' ? true : undefined), 180_000, 20);
    const markerVsn = readCutover(state)[direction].markerVsn;
    if (markerVsn === undefined) throw new SoakFailure(stage, `${direction} is COMPLETED without a recorded marker`);
    return markerVsn;
  } finally {
    state.close();
  }
}

async function status(ctx: RunContext, stage: string, direction: 'source → target' | 'target → source'): Promise<string> {
  const out = await cli(ctx, stage, ['cutover', 'status', '--export-dir', ctx.exportDir]);
  const line = out.split('\n').find((l) => l.startsWith(direction));
  if (!line) throw new SoakFailure(stage, `no ${direction} row in:\n${out}`);
  return line.split('|')[1].trim();
}

/** "if it stops, restart it with: yb-voyager …" → argv (the password comes from the environment). */
function printedRestart(stage: string, p: RunningCli): string[] {
  const line = p.stdout().split('\n').find((l) => l.includes('restart it with: yb-voyager'));
  if (!line) throw new SoakFailure(stage, `no restart command printed:\n${p.stdout()}`);
  return line.slice(line.indexOf('yb-voyager') + 'yb-voyager'.length).trim().replace(/ --(source|target)-db-password '\*\*\*'$/, '').split(' ');
}

async function stopWorkload(stage: string, w: SoakWorkload): Promise<number> {
  const r = await w.stop();
  if (r.errors.length) {
    throw new SoakFailure(stage, `the application's writes failed (${r.transactions} transactions committed):\n${r.errors.map((e) => `  client ${e.client}, ${e.atMs} ms after start, step "${e.step}": ${e.code ?? ''} ${e.message}${e.detail ? ` (${e.detail})` : ''}`).join('\n')}`);
  }
  return r.transactions;
}

async function waitEqual(ctx: RunContext, stage: string): Promise<void> {
  let last: string[] = [];
  await until(stage, 'both sides to be equal row by row', async () => {
    last = await diffNow(appConfig(ctx.source, ctx.srcDb), appConfig(ctx.target, ctx.tgtDb));
    return last.length === 0 ? true : undefined;
  }, 120_000, 250).catch((e) => {
    throw new SoakFailure(stage, `${(e as Error).message}; last differences:\n  ${last.join('\n  ')}`);
  });
}

/**
 * The guarantees of a COMPLETED cutover, checked on the side the application moves to before its first write.
 * `applier` is the application_name of the old direction's apply session on that side.
 */
async function checkCompleted(ctx: RunContext, stage: string, side: 'target' | 'source', markerVsn: number): Promise<void> {
  const [now, nowDb, left, leftDb] = side === 'target' ? [ctx.target, ctx.tgtDb, ctx.source, ctx.srcDb] : [ctx.source, ctx.srcDb, ctx.target, ctx.tgtDb];
  const problems: string[] = [];
  const c = await rawSession(appConfig(now, nowDb));
  try {
    for (const b of await sequencesBehindData(c)) problems.push(`sequence ${b.sequence} would hand out ${b.next}, but ${b.column} already holds ${b.max}`);
    const appliers = await c.query<{ pid: string; state: string; application_name: string }>(
      `SELECT pid::text, state, application_name FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [`yb-voyager apply changes (${side})`],
    );
    for (const a of appliers.rows) problems.push(`an apply session of the old direction is still connected to the ${side}: pid ${a.pid}, ${a.state}`);
    const watermark = (await c.query<{ w: string | null }>(`SELECT max(last_applied_vsn)::text AS w FROM ybvoyager_metadata.ybvoyager_import_data_event_channels_metainfo`)).rows[0].w;
    if (Number(watermark) !== markerVsn) problems.push(`the old direction's watermark on the ${side} is ${watermark}, not yet at the cutover marker (vsn ${markerVsn}): it has more to write`);
    const slots = Number((await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_replication_slots WHERE database = current_database()`)).rows[0].n);
    if (side === 'target' && slots !== 1) problems.push(`the target has ${slots} replication slot(s) at COMPLETED; the fall-back slot must exist`);
  } finally {
    await c.end();
  }
  const leftSlots = await left.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_replication_slots WHERE database = $1`, [leftDb]);
  if (leftSlots.rows[0].n !== '0') problems.push(`the ${side === 'target' ? 'source' : 'target'} still has ${leftSlots.rows[0].n} replication slot(s) at COMPLETED`);
  if (problems.length) throw new SoakFailure(stage, problems.join('\n'));
}

/** At COMPLETED: check, pin both sides, start the application on `side` at once, then compare the pinned sides. */
async function applicationMovesTo(ctx: RunContext, stage: string, side: 'target' | 'source', markerVsn: number): Promise<SoakWorkload> {
  await checkCompleted(ctx, stage, side, markerVsn);
  const [l, r] = await Promise.all([pinSnapshot(appConfig(ctx.source, ctx.srcDb)), pinSnapshot(appConfig(ctx.target, ctx.tgtDb))]);
  const app = new SoakWorkload(appConfig(side === 'target' ? ctx.target : ctx.source, side === 'target' ? ctx.tgtDb : ctx.srcDb), CLIENTS);
  await app.start();
  try {
    const diffs = await diffSessions(l, r);
    if (diffs.length) throw new SoakFailure(stage, `the sides differ at COMPLETED:\n  ${diffs.join('\n  ')}`);
  } catch (e) {
    await app.stop();
    throw e;
  } finally {
    await Promise.all([l.end(), r.end()]);
  }
  return app;
}

async function soakRun(ctx: RunContext): Promise<string> {
  const srcFlags = ['--export-dir', ctx.exportDir, ...ctx.source.flags('source', ctx.srcDb), '--source-db-schema', 'public'];
  const tgtFlags = ['--export-dir', ctx.exportDir, ...ctx.target.flags('target', ctx.tgtDb)];
  const exportArgs = ['export', 'data', 'from', 'source', ...srcFlags, '--export-type', 'snapshot-and-changes'];
  const importArgs = ['import', 'data', 'to', 'target', ...tgtFlags];
  let stage = 'schema';
  const admin = await ctx.source.connectAdmin(ctx.srcDb);
  try {
    await admin.query(SOAK_SCHEMA_SQL);
    await seedSoak(admin, CLIENTS, 60);
  } finally {
    await admin.end();
  }
  await cli(ctx, stage, ['export', 'schema', ...srcFlags]);
  await cli(ctx, stage, ['import', 'schema', ...tgtFlags]);

  stage = 'snapshot and streaming';
  const onSource = new SoakWorkload(appConfig(ctx.source, ctx.srcDb), CLIENTS);
  await onSource.start();
  let exporter = start(ctx, 'export-from-source', exportArgs);
  await until(stage, 'export data to start', async () => (fs.existsSync(path.join(ctx.exportDir, '.export-data-from-source.lck')) ? true : undefined));
  let importer = start(ctx, 'import-to-target', importArgs);
  await waitLine(stage, exporter, /streaming changes from the source/);
  await waitLine(stage, importer, /applying the streamed changes/);
  await sleep(PHASE_MS);
  stage = 'kill -9 mid-stream and rerun';
  await exporter.kill9();
  exporter = start(ctx, 'export-from-source', exportArgs);
  await waitLine(stage, exporter, /streaming changes from the source/);
  await importer.kill9();
  importer = start(ctx, 'import-to-target', importArgs);
  await waitLine(stage, importer, /applying the streamed changes/);
  await cli(ctx, stage, ['import', 'schema', ...tgtFlags, '--post-snapshot-import', 'true']);
  await sleep(PHASE_MS);
  const srcTx = await stopWorkload(stage, onSource);
  stage = 'streaming caught up';
  await waitEqual(ctx, stage);

  stage = 'cutover to target';
  await cli(ctx, stage, ['initiate', 'cutover', 'to', 'target', '--export-dir', ctx.exportDir, '--prepare-for-fall-back', 'true']);
  const toTargetMarker = await untilCompleted(ctx, stage, 'toTarget');
  stage = 'application on the target right after COMPLETED';
  const onTarget = await applicationMovesTo(ctx, stage, 'target', toTargetMarker);
  if ((await status(ctx, stage, 'source → target')) !== 'COMPLETED') throw new SoakFailure(stage, 'cutover status does not say COMPLETED');
  await sleep(PHASE_MS / 2);
  stage = 'kill -9 of the fall-back processes and rerun';
  await waitLine(stage, exporter, /now continues as: import data to source/);
  await waitLine(stage, importer, /now continues as: export data from target/);
  const restartExport = printedRestart(stage, importer);
  const restartImport = printedRestart(stage, exporter);
  await importer.kill9();
  await exporter.kill9();
  const fbExporter = start(ctx, 'export-from-target', restartExport);
  const fbImporter = start(ctx, 'import-to-source', restartImport);
  await waitLine(stage, fbExporter, /streaming changes from the target/);
  await sleep(PHASE_MS / 2);
  const tgtTx = await stopWorkload('application on the target after cutover to target', onTarget);
  stage = 'fall-back streaming caught up';
  await waitEqual(ctx, stage);

  stage = 'cutover to source';
  await cli(ctx, stage, ['initiate', 'cutover', 'to', 'source', '--export-dir', ctx.exportDir]);
  const toSourceMarker = await untilCompleted(ctx, stage, 'toSource');
  stage = 'application on the source right after COMPLETED';
  const onSourceAgain = await applicationMovesTo(ctx, stage, 'source', toSourceMarker);
  if ((await status(ctx, stage, 'target → source')) !== 'COMPLETED') throw new SoakFailure(stage, 'cutover status does not say COMPLETED');
  for (const [name, p] of [['export data from target', fbExporter], ['import data to source', fbImporter]] as const) {
    const r = await p.wait();
    if (r.code !== 0) throw new SoakFailure(stage, `${name} exited ${r.code ?? r.signal} after cutover to source:\n${r.stderr}`);
  }
  await sleep(PHASE_MS);
  const src2Tx = await stopWorkload(stage, onSourceAgain);

  stage = 'end migration';
  await cli(ctx, stage, ['end', 'migration', '--export-dir', ctx.exportDir, '--backup-log-files', 'false', '--backup-data-files', 'false', '--backup-schema-files', 'false', '--save-migration-reports', 'false']);
  return `application transactions: source ${srcTx}, target ${tgtTx}, source again ${src2Tx}`;
}

function saveOutputs(ctx: RunContext): void {
  for (const { label, p } of ctx.processes) {
    fs.writeFileSync(path.join(ctx.dir, `${label}.stdout`), p.stdout());
    fs.writeFileSync(path.join(ctx.dir, `${label}.stderr`), p.stderr());
  }
}

async function dropDatabase(cluster: PgCluster, db: string): Promise<void> {
  await cluster.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`, [db]).catch(() => undefined);
  await cluster.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => undefined);
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-cutover-soak-'));
  console.log(`cutover soak: ${RUNS} run(s), ${CLIENTS} application clients, ${PHASE_MS} ms per workload phase; failed runs keep their logs under ${root}`);
  const [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  let passed = 0;
  const failures: string[] = [];
  try {
    for (let n = 1; n <= RUNS; n++) {
      const dir = path.join(root, `run-${String(n).padStart(2, '0')}`);
      const exportDir = path.join(dir, 'export');
      fs.mkdirSync(exportDir, { recursive: true });
      const ctx: RunContext = { n, dir, exportDir, source, target, srcDb: await source.createDatabase('soak'), tgtDb: await target.createDatabase('soak'), processes: [] };
      const t0 = Date.now();
      let failed = false;
      try {
        const summary = await soakRun(ctx);
        passed++;
        console.log(`run ${n}: PASS in ${((Date.now() - t0) / 1000).toFixed(1)} s (${summary})`);
      } catch (e) {
        failed = true;
        const stage = e instanceof SoakFailure ? e.stage : 'harness';
        const text = `run ${n}: FAIL at "${stage}" after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${e instanceof SoakFailure ? e.message : (e as Error).stack}`;
        failures.push(text);
        console.log(text);
        fs.writeFileSync(path.join(dir, 'failure.txt'), text + '\n');
      } finally {
        for (const { p } of ctx.processes) await p.kill9().catch(() => undefined);
        saveOutputs(ctx);
        await Promise.all([dropDatabase(source, ctx.srcDb), dropDatabase(target, ctx.tgtDb)]);
        if (!failed && !args['keep-all']) fs.rmSync(dir, { recursive: true, force: true });
        else console.log(`  logs: ${dir}`);
      }
    }
  } finally {
    await Promise.all([source.stop(), target.stop()]);
  }
  console.log(`\ntotal: ${passed} passed, ${failures.length} failed of ${RUNS}`);
  if (!failures.length && !args['keep-all']) fs.rmSync(root, { recursive: true, force: true });
  process.exitCode = failures.length ? 1 : 0;
}

await main();
