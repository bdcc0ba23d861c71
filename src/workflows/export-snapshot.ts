/**
 * export data from source, snapshot part: every selected table copied under ONE snapshot by parallel
 * workers into chunk files in data/ (the engine's snapshot source: PostgreSQL exports one snapshot to many
 * sessions). With snapshot-and-changes the engine creates its change capture first and says where the
 * change stream starts, so snapshot and changes meet with no gap and no overlap.
 *
 * A snapshot dies with the process that holds it, so an interrupted snapshot cannot be resumed: the next
 * run starts a new generation (new capture, new files) after dropping what the old one left. Once a
 * snapshot is complete, a rerun does not export again.
 */
import fs from 'node:fs';
import type { CaptureId, ChunkRange, Endpoint, Engine, SnapshotHandle, SnapshotReader, SourceTable } from '../adapters/engine.js';
import { tableKey } from '../core/change-event.js';
import type { DbIdentity } from '../core/connection.js';
import { ChunkedTableProgress } from '../core/export-progress.js';
import { dataFileName, parseDataFileName } from '../core/snapshot-plan.js';
import { displayName } from '../core/table-filter.js';
import type { ExportDir } from '../export-dir/layout.js';
import { saveConnSettings } from '../export-dir/migration-state.js';
import { exportedEventTotal } from '../export-dir/queue.js';
import {
  beginSnapshotGeneration, clearSnapshotState, markSnapshotComplete, pendingChunks, readCapture, readExportData,
  recordChunkDone, recordPlan, saveCapture, tableProgress, type ExportDataRecord, type ExportedTable, type ExportType,
  type PlannedChunk,
} from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { UserError } from '../infra/errors.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';
import { runPool } from '../infra/pool.js';
import { sleep } from '../infra/shutdown.js';
import type { Output } from './ports.js';
import { DEFAULT_MAX_RECONNECT_SECONDS, Reconnector } from './reconnect.js';
import type { TableProgress } from './table-progress.js';
import { DEFAULTS } from '../infra/defaults.js';


export interface ExportSnapshotDeps {
  source: Endpoint;
  /** Where a reconnect is announced (default: say). */
  out?: Pick<Output, 'warn'>;
  /** --max-reconnect-time in ms (default 5 minutes). */
  maxReconnectMs?: number;
  state: StateStore;
  exportDir: ExportDir;
  log: Logger;
  progress: TableProgress;
  /** One-line notices for people (the console). */
  say: (line: string) => void;
  /** The source's identity, when the caller started reading it early (startEarly). */
  identity?: Promise<DbIdentity>;
}

export interface ExportSnapshotOptions {
  exportType: ExportType;
  /** --source-db-schema entries; default public. */
  schemas: readonly string[];
  tableList?: readonly string[];
  excludeTableList?: readonly string[];
  parallelJobs: number;
  startClean: boolean;
}

export interface ExportedTableSummary {
  schema: string;
  table: string;
  rows: number;
}

export interface ExportSnapshotResult {
  /** 'exported' by this run, or found 'already-exported' by an earlier one. */
  status: 'exported' | 'already-exported';
  exportType: ExportType;
  tables: ExportedTableSummary[];
}

/** snapshot-and-changes needs a change source; an engine that refuses live changes says why. */
export function assertCanStreamChanges(engine: Engine): void {
  if (engine.changeSource) return;
  const what = engine.refusals?.liveChanges
    ? `--export-type snapshot-and-changes is refused for ${engine.displayName}: ${engine.refusals.liveChanges}`
    : `streaming changes from ${engine.displayName} is not supported`;
  throw new UserError(what, 'use --export-type snapshot-only');
}

export async function exportSnapshot(deps: ExportSnapshotDeps, opts: ExportSnapshotOptions, signal: AbortSignal): Promise<ExportSnapshotResult> {
  const { state, log } = deps;
  const { engine, conn } = deps.source;
  const snapshots = engine.snapshotSource;
  if (!snapshots) throw new UserError(`exporting data from ${engine.displayName} is not supported`, 'see docs/export-data.md for the supported source databases');
  const live = opts.exportType === 'snapshot-and-changes';
  if (live) assertCanStreamChanges(engine);
  const capture: CaptureId = { migrationUuid: state.migration().uuid, side: 'source' };
  state.bindDatabase('source', await (deps.identity ?? engine.identity(conn, log)));
  saveConnSettings(state, conn.settings);

  const prev = readExportData(state);
  if (opts.startClean) {
    if (exportedEventTotal(state, ['source_db_exporter']) > 0) {
      throw new UserError(
        'changes of this migration were already streamed into the export dir; --start-clean cannot restart the snapshot under them',
        'end this migration (yb-voyager end migration) and start a new one with a new, empty --export-dir',
        'conflict',
      );
    }
    for (const d of await dropCapture(deps, capture)) deps.say(`dropped ${d} of the previous run`);
    clearSnapshotState(state);
    removeSnapshotFiles(deps.exportDir, () => true);
    log.info('start-clean: previous snapshot state, files and change capture removed');
  } else if (prev?.snapshotStatus === 'complete') {
    return alreadyExported(state, prev, opts.exportType);
  }

  const tables = await snapshots.selectTables(conn, { ...opts, live, capture });
  // Whatever an interrupted run left on the source cannot be reused: its snapshot is gone.
  for (const d of await dropCapture(deps, capture)) deps.say(`dropped ${d} left by an interrupted snapshot; starting the snapshot again`);
  if (readCapture(state)) saveCapture(state, undefined);

  const gen = beginSnapshotGeneration(state, { exportType: opts.exportType, tables: tables.map((t) => toExportedTable(t, 0)) });
  removeSnapshotFiles(deps.exportDir, (g) => g !== gen.generation);
  log.info('snapshot started', { generation: gen.generation, exportType: opts.exportType, tables: tables.length });

  await runSnapshot(deps, opts, tables, gen.generation, live ? capture : undefined, signal);
  return { status: 'exported', exportType: opts.exportType, tables: summary(state) };
}

async function dropCapture(deps: ExportSnapshotDeps, capture: CaptureId): Promise<string[]> {
  return (await deps.source.engine.changeSource?.drop(deps.source.conn, capture)) ?? [];
}

function alreadyExported(state: StateStore, prev: ExportDataRecord, wanted: ExportType): ExportSnapshotResult {
  if (prev.exportType !== wanted) {
    const fix = prev.exportType === 'snapshot-only'
      ? 'a snapshot-only export has no replication slot to stream changes from: rerun with --start-clean true to export a new snapshot with a slot'
      : `rerun with --export-type ${prev.exportType} to go on, or --start-clean true to start over`;
    throw new UserError(`the snapshot in this export dir was exported with --export-type ${prev.exportType}, not ${wanted}`, fix, 'conflict');
  }
  return { status: 'already-exported', exportType: prev.exportType, tables: summary(state) };
}

function summary(state: StateStore): ExportedTableSummary[] {
  return tableProgress(state).map((r) => ({ schema: r.schema_name, table: r.table_name, rows: r.exported_rows }));
}

function toExportedTable(t: SourceTable, chunks: number): ExportedTable {
  const cols = t.columns.filter((c) => !c.generated);
  return {
    schema: t.schema,
    table: t.table,
    columns: cols.map((c) => c.name),
    columnTypes: cols.map((c) => c.type),
    pk: [...t.pk],
    isPartitioned: t.isPartitioned,
    leaves: t.isPartitioned ? t.leaves.map((l) => ({ schema: l.schema, table: l.table })) : [],
    estimatedRows: t.estimatedRows,
    chunks,
    ...(t.copyFormat === 'binary' ? { format: 'binary' as const } : {}),
  };
}

/** Delete snapshot files (final and .tmp) whose generation `drop` says go. */
function removeSnapshotFiles(exportDir: ExportDir, drop: (generation: number) => boolean): void {
  for (const name of fs.readdirSync(exportDir.dataDir)) {
    const p = parseDataFileName(name);
    if (p && drop(p.generation)) fs.rmSync(exportDir.dataFile(name), { force: true });
  }
}

async function runSnapshot(
  deps: ExportSnapshotDeps,
  opts: ExportSnapshotOptions,
  tables: readonly SourceTable[],
  generation: number,
  capture: CaptureId | undefined,
  signal: AbortSignal,
): Promise<void> {
  const { state, log } = deps;
  const { engine, conn } = deps.source;
  const handle = await engine.snapshotSource!.begin(conn, { tables, capture, lockTimeoutMs: DEFAULTS.snapshotLockTimeoutMs, log, maxReaders: Math.max(1, opts.parallelJobs) }).catch(async (e) => {
    if (capture) await dropCaptureQuietly(deps, capture);
    throw e;
  });
  const readers: SnapshotReader[] = [];
  let completed = false;
  try {
    if (handle.start !== undefined) {
      saveCapture(state, { engine: engine.name, start: handle.start, createdAt: new Date().toISOString() });
      log.info('change capture created', { start: handle.start });
    }
    const plan = planChunks(await handle.plan(tables, DEFAULTS.snapshotChunkBytes), generation);
    recordPlan(state, generation, plan.tables, plan.chunks);
    log.info('snapshot plan', { tables: plan.tables.length, chunks: plan.chunks.length });
    readers.push(...(await handle.openReaders(Math.max(1, Math.min(opts.parallelJobs, plan.chunks.length)))));

    deps.progress.begin(plan.tables.map((t) => ({ key: tableKey(t.schema, t.table), label: displayName(t), total: t.estimatedRows })));
    await copyAllChunks(deps, handle, readers, plan, signal);
    failpoint('export.before_complete');
    markSnapshotComplete(state, generation);
    completed = true;
    deps.progress.end();
    log.info('snapshot complete', { generation });
  } finally {
    if (!completed) deps.progress.end();
    for (const r of readers) await r.close().catch(() => undefined);
    await handle.close();
    // Never leave a capture behind: this snapshot is lost, and a rerun creates a new capture anyway.
    if (!completed && capture) await dropCaptureQuietly(deps, capture);
  }
}

async function dropCaptureQuietly(deps: ExportSnapshotDeps, capture: CaptureId): Promise<void> {
  await dropCapture(deps, capture).then(
    () => saveCapture(deps.state, undefined),
    (e) => deps.log.warn('could not drop the change capture of the interrupted snapshot; the next run drops it', { err: e }),
  );
}

/** Chunk files of every table, named for this generation; the tables with their chunk counts. */
function planChunks(ranges: Map<SourceTable, ChunkRange[]>, generation: number): { tables: ExportedTable[]; chunks: PlannedChunk[] } {
  const chunks: PlannedChunk[] = [];
  const out: ExportedTable[] = [];
  for (const [t, list] of ranges) {
    list.forEach((c, n) => {
      const leaf = t.isPartitioned ? c.leaf : undefined;
      chunks.push({
        fileName: dataFileName(generation, t, leaf, n),
        schema: t.schema, table: t.table, sourceSchema: c.leaf.schema, sourceTable: c.leaf.table, chunkNo: n,
        range: c.range, estimatedBytes: c.estimatedBytes,
      });
    });
    out.push(toExportedTable(t, list.length));
  }
  return { tables: out, chunks };
}

/** Readers take pending chunks, biggest first; the first failure stops the others. */
async function copyAllChunks(
  deps: ExportSnapshotDeps,
  handle: SnapshotHandle,
  readers: SnapshotReader[],
  plan: { tables: ExportedTable[]; chunks: PlannedChunk[] },
  signal: AbortSignal,
): Promise<void> {
  const { state } = deps;
  const byKey = new Map(plan.tables.map((t) => [tableKey(t.schema, t.table), t]));
  const queue = pendingChunks(state);
  // Progress by chunks weighed by relation bytes: the planner's row estimate may be missing or stale.
  const progress = new Map(plan.tables.map((t) => {
    const key = tableKey(t.schema, t.table);
    const bytes = plan.chunks.filter((c) => tableKey(c.schema, c.table) === key).map((c) => c.estimatedBytes);
    return [key, new ChunkedTableProgress(bytes, t.estimatedRows)];
  }));
  // Tables without any chunk (an empty partitioned table) are complete at once.
  for (const [k, p] of progress) if (p.done) deps.progress.finish(k, 0);
  // A reader whose session is lost (killed, network) gets a new session on the same snapshot and copies its
  // chunk again; the file is written whole or not at all, so nothing is counted twice.
  const reconnect = new Reconnector({
    side: 'source', db: deps.source, state, commandId: 'export-data-from-source', out: deps.out ?? { warn: (l) => deps.say(`WARNING: ${l}`) },
    log: deps.log, signal, windowMs: deps.maxReconnectMs ?? DEFAULT_MAX_RECONNECT_SECONDS * 1000,
  });
  reconnect.healthy();
  const slots = readers.map((reader, i) => ({ reader, i, broken: false }));
  const copying = runPool(slots, () => queue.shift(), async (slot, chunk, stop) => {
    const key = tableKey(chunk.schema_name, chunk.table_name);
    const t = byKey.get(key)!;
    const tp = progress.get(key)!;
    const range: ChunkRange = { leaf: { schema: chunk.source_schema, table: chunk.source_table }, range: JSON.parse(chunk.range_json), estimatedBytes: chunk.estimated_bytes };
    const res = await reconnect.run(async () => {
      if (slot.broken) {
        slot.reader = readers[slot.i] = await handle.reopenReader(); // (the caller closes what `readers` holds)
        slot.broken = false;
      }
      try {
        return await slot.reader.copy(range, t.columns, deps.exportDir.dataFile(chunk.file_name), (rows, bytes) => {
          tp.read(chunk.chunk_no, rows, bytes);
          deps.progress.measure(key, tp.measure());
        }, stop, t.format);
      } catch (e) {
        if (stop.aborted) throw e;
        tp.restart(chunk.chunk_no); // copied again in full on the next session
        deps.progress.measure(key, tp.measure());
        slot.broken = true;
        await slot.reader.close().catch(() => undefined);
        throw e;
      }
    }, () => undefined);
    if (!res) return; // stopped while waiting to reconnect
    failpoint('export.chunk_after_rename');
    recordChunkDone(state, chunk.file_name, res.rows, res.bytes);
    failpoint('export.chunk_recorded');
    if (DEFAULTS.testChunkDelayMs > 0) await sleep(DEFAULTS.testChunkDelayMs, stop);
    deps.log.debug('chunk exported', { file: chunk.file_name, rows: res.rows, bytes: res.bytes });
    tp.chunkDone(chunk.chunk_no, res.rows, res.bytes);
    const m = tp.measure();
    if (tp.done) deps.progress.finish(key, m.rows);
    else deps.progress.measure(key, m);
  }, signal);
  // A copy cut short by the signal fails with the signal's reason: that is the interruption, not a failure.
  await copying.catch((e) => {
    if (!signal.aborted) throw e;
  });
  if (signal.aborted) throw new UserError('export data was interrupted before the snapshot was complete', 'rerun the same command: the snapshot starts again', 'interrupted');
}
