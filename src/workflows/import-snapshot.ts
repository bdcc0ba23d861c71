/**
 * import data to target, snapshot part: every chunk file the exporter finished is read in batches of
 * --batch-size rows and COPYed into the target by --parallel-jobs connections, each batch committed with
 * its bookkeeping row (bulk-loader.ts), so a rerun after kill -9 neither loses nor duplicates a row.
 * Binary chunk files (a PostgreSQL source) go through a staging table where the target's column types differ.
 *
 * One worker owns a file at a time and commits its batches in order; parallelism comes from the files
 * (big tables are exported in several chunks). Chunks are importable as soon as the exporter records them
 * done, so an import may run while the export is still going: it waits for more chunks until the export
 * says the snapshot is complete.
 */
import fs from 'node:fs';
import type { BatchToLoad, Endpoint, FileImportState, SnapshotTarget, SnapshotTargetAdmin } from '../adapters/engine.js';
import { tableKey } from '../core/change-event.js';
import { parseDataFileName } from '../core/snapshot-plan.js';
import { displayName, filterTables, TablePatternError } from '../core/table-filter.js';
import { ChunkReader } from '../export-dir/chunk-reader.js';
import type { ExportDir } from '../export-dir/layout.js';
import { pidAlive, readLockPid } from '../export-dir/lock.js';
import { saveConnSettings } from '../export-dir/migration-state.js';
import { allChunks, doneChunks, readExportData, tableProgress, type ChunkRow, type ExportDataRecord, type ExportedTable } from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { InternalError, problemsError, UserError } from '../infra/errors.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';
import { runPool } from '../infra/pool.js';
import { startEarly } from '../infra/start-early.js';
import { sleep } from '../infra/shutdown.js';
import type { Output } from './ports.js';
import { DEFAULT_MAX_RECONNECT_SECONDS, Reconnector } from './reconnect.js';
import type { TableProgress } from './table-progress.js';
import { TargetBatches, type BatchSession } from './target-batches.js';
import { DEFAULTS } from '../infra/defaults.js';
import { DeferredKeys } from './deferred-keys.js';

const POLL_MS = DEFAULTS.importPollMs;
export const IMPORT_DATA_KEY = 'import_data';

export interface ImportDataRecord {
  /** Snapshot generation the import works on (see export data). */
  generation: number;
  /** Tables (tableKey) whose snapshot import finished. */
  completedTables: string[];
  /** Every exported table's snapshot is imported: changes may be applied. */
  snapshotComplete: boolean;
  completedAt?: string;
}

export interface ImportSnapshotDeps {
  target: Endpoint;
  /** Where a reconnect is announced (default: say). */
  out?: Pick<Output, 'warn'>;
  /** --max-reconnect-time in ms (default 5 minutes). */
  maxReconnectMs?: number;
  state: StateStore;
  exportDir: ExportDir;
  log: Logger;
  progress: TableProgress;
  say: (line: string) => void;
}

export interface ImportSnapshotOptions {
  parallelJobs: number;
  batchSize: number;
  tableList?: readonly string[];
  excludeTableList?: readonly string[];
  startClean: boolean;
  truncateTables: boolean;
}

export interface ImportedTableSummary {
  schema: string;
  table: string;
  imported: number;
  errored: number;
}

export interface ImportSnapshotResult {
  status: 'imported' | 'already-imported';
  exportType: ExportDataRecord['exportType'];
  tables: ImportedTableSummary[];
}

export function readImportData(state: StateStore): ImportDataRecord | undefined {
  return state.getJson<ImportDataRecord>(IMPORT_DATA_KEY);
}

function exporterAlive(exportDir: ExportDir): boolean {
  const pid = readLockPid(exportDir.lockFile('export-data-from-source'));
  return pid !== undefined && pidAlive(pid);
}

/** How long import waits for an exporter that is not running yet (scripts often start both at once). */
const EXPORT_START_GRACE_MS = DEFAULTS.exportStartGraceMs;

/** Wait for the exporter to record what it exports; refuse when no exporter shows up to do it. */
async function waitForExport(deps: ImportSnapshotDeps, signal: AbortSignal): Promise<ExportDataRecord> {
  let said = false;
  const graceEnds = Date.now() + EXPORT_START_GRACE_MS;
  for (;;) {
    const rec = readExportData(deps.state);
    if (rec) return rec;
    if (!exporterAlive(deps.exportDir) && Date.now() >= graceEnds) {
      throw new UserError('no exported snapshot in this export dir', 'run yb-voyager export data from source first (import data can also start while it runs)', 'config');
    }
    if (!said) deps.say('waiting for export data from source to start its snapshot');
    said = true;
    if (signal.aborted) throw interrupted();
    await sleep(POLL_MS, signal);
  }
}

function interrupted(): UserError {
  return new UserError('import data was interrupted', 'rerun the same command: it resumes where it stopped', 'interrupted');
}

export async function importSnapshot(deps: ImportSnapshotDeps, opts: ImportSnapshotOptions, signal: AbortSignal): Promise<ImportSnapshotResult> {
  const { state, log } = deps;
  const uuid = state.migration().uuid;
  const { engine, conn } = deps.target;
  const bulk = engine.snapshotTarget;
  if (!bulk) throw new UserError(`importing a snapshot into ${engine.displayName} is not supported`, 'see docs/import-data.md for the supported targets');
  // Two sessions of their own: opened at once, the identity checked first (startEarly).
  const opening = startEarly(() => bulk.open(conn));
  try {
    state.bindDatabase('target', await engine.identity(conn));
  } catch (e) {
    await opening.then((admin) => admin.close(), () => undefined);
    throw e;
  }
  saveConnSettings(state, conn.settings);
  const admin = await opening;
  try {
    const rec = await waitForExport(deps, signal);
    if ((opts.tableList?.length || opts.excludeTableList?.length) && rec.exportType === 'snapshot-and-changes') {
      throw new UserError('--table-list and --exclude-table-list are not supported in a live migration (snapshot-and-changes)', 'drop them; choose the tables when exporting instead');
    }
    const tables = selectTables(rec.tables, opts);
    const prior = readImportData(state);
    const done = new Set(prior?.generation === rec.generation ? prior.completedTables : []);
    if (!opts.startClean && tables.every((t) => done.has(tableKey(t.schema, t.table)))) {
      return { status: 'already-imported', exportType: rec.exportType, tables: await summary(admin, uuid, tables) };
    }
    await admin.ensureMetadata();
    const missing = await admin.missingTables(tables);
    if (missing.length) throw problemsError('the target is missing what the import needs', missing, 'create the schema on the target first (yb-voyager import schema)');
    const staged = await stagedTables(admin, tables, log);
    if (opts.startClean) await startClean(deps, admin, uuid, tables, opts.truncateTables);
    const imported = await admin.importedByFile(uuid);
    const withBatches = await checkResumable(state, admin, imported, rec, tables);
    // (A table counts as imported only once its key is built: see runImport.)
    const keys = new DeferredKeys(state, log);
    // Tables none of whose rows are loaded yet (so empty: checked above) may load without their primary key.
    const fresh = tables.filter((t) => !withBatches.has(tableKey(t.schema, t.table)) && (opts.startClean || !done.has(tableKey(t.schema, t.table))));
    const deferred = await keys.defer(admin, fresh);
    if (deferred) deps.say(`the primary keys of ${deferred} table(s) are built once their rows are loaded (faster than maintaining them during the load)`);
    state.modifyJson<ImportDataRecord>(IMPORT_DATA_KEY, (cur) =>
      cur?.generation === rec.generation ? cur : { generation: rec.generation, completedTables: [], snapshotComplete: false });

    await runImport(deps, bulk, opts, uuid, rec, tables, imported, staged, keys, signal);
    state.modifyJson<ImportDataRecord>(IMPORT_DATA_KEY, (cur) => {
      const completed = new Set([...(cur?.completedTables ?? []), ...tables.map((t) => tableKey(t.schema, t.table))]);
      const all = (readExportData(state)?.tables ?? []).every((t) => completed.has(tableKey(t.schema, t.table)));
      return { generation: rec.generation, completedTables: [...completed], snapshotComplete: all, completedAt: all ? new Date().toISOString() : undefined };
    });
    // (A fresh session: the target may have restarted during the import.)
    return { status: 'imported', exportType: rec.exportType, tables: await summary(await bulk.open(conn), uuid, tables, true) };
  } finally {
    await admin.close();
  }
}

type Stage = NonNullable<BatchToLoad['stage']>;

/**
 * Binary chunk files load straight only into columns of the source's types: tables whose target columns differ
 * (a column widened on the target, say) go through a staging table (bulk loader), keyed by tableKey.
 */
async function stagedTables(admin: SnapshotTargetAdmin, tables: ExportedTable[], log: Logger): Promise<Map<string, Stage>> {
  const binary = tables.filter((t) => t.format === 'binary');
  const types = await admin.columnTypes(binary);
  const staged = new Map<string, Stage>();
  binary.forEach((t, i) => {
    if (types[i].every((type, k) => type === t.columnTypes[k])) return;
    staged.set(tableKey(t.schema, t.table), { sourceTypes: t.columnTypes, targetTypes: types[i] });
    log.info('target column types differ from the source: binary chunks load through a staging table', { table: displayName(t), source: t.columnTypes, target: types[i] });
  });
  return staged;
}

function selectTables(all: ExportedTable[], opts: ImportSnapshotOptions): ExportedTable[] {
  try {
    const f = filterTables(all, opts.tableList, opts.excludeTableList);
    if (f.unmatchedIncludes.length) {
      throw new UserError(`--table-list entr${f.unmatchedIncludes.length > 1 ? 'ies' : 'y'} ${f.unmatchedIncludes.map((p) => p.entry).join(', ')} match no exported table`, 'name tables that export data exported (see the summary it printed)');
    }
    return f.selected;
  } catch (e) {
    if (e instanceof TablePatternError) throw new UserError(e.message, 'quote names with double quotes: "Schema"."Table"');
    throw e;
  }
}

async function startClean(deps: ImportSnapshotDeps, admin: SnapshotTargetAdmin, uuid: string, tables: ExportedTable[], truncate: boolean): Promise<void> {
  if (truncate) {
    await admin.truncate(tables);
    deps.say(`truncated ${tables.length} target table(s)`);
  } else {
    const full = await admin.nonEmptyTables(tables);
    if (full.length) {
      throw new UserError(
        `--start-clean: target table(s) ${full.map(displayName).join(', ')} already hold rows`,
        'add --truncate-tables true to empty them first, or empty them yourself',
        'conflict',
      );
    }
  }
  const n = await admin.deleteBatches(uuid, tables);
  deps.state.update(() => deps.state.deleteKey(IMPORT_DATA_KEY));
  deps.log.info('start-clean: import bookkeeping removed', { batches: n, truncated: truncate });
}

/**
 * Refuse what cannot be resumed: rows of an abandoned snapshot, or rows that were there before us. Returns the
 * tables (tableKey) some of whose rows this import has loaded.
 */
async function checkResumable(state: StateStore, admin: SnapshotTargetAdmin, imported: Map<string, FileImportState>, rec: ExportDataRecord, tables: ExportedTable[]): Promise<Set<string>> {
  const stale = [...imported.keys()].filter((f) => parseDataFileName(f)?.generation !== rec.generation);
  if (stale.length) {
    throw new UserError(
      'the target holds rows of an earlier snapshot of this migration (export data started its snapshot again since)',
      'rerun import data with --start-clean true --truncate-tables true',
      'conflict',
    );
  }
  const tablesWithBatches = new Set<string>();
  for (const c of allChunks(state)) if (imported.has(c.file_name)) tablesWithBatches.add(tableKey(c.schema_name, c.table_name));
  const full = await admin.nonEmptyTables(tables.filter((t) => !tablesWithBatches.has(tableKey(t.schema, t.table))));
  if (full.length) {
    throw new UserError(
      `target table(s) ${full.map(displayName).join(', ')} already hold rows this import did not write`,
      'rerun with --start-clean true --truncate-tables true to empty them, or empty them yourself',
      'conflict',
    );
  }
  return tablesWithBatches;
}

async function summary(admin: SnapshotTargetAdmin, uuid: string, tables: readonly { schema: string; table: string }[], close = false): Promise<ImportedTableSummary[]> {
  const rows = await admin.importedRowsByTable(uuid).finally(() => (close ? admin.close() : undefined));
  return tables.map((t) => ({
    schema: t.schema,
    table: t.table,
    imported: rows.find((r) => r.schema === t.schema && r.table === t.table)?.rows ?? 0,
    errored: 0,
  }));
}

async function runImport(
  deps: ImportSnapshotDeps,
  bulk: SnapshotTarget,
  opts: ImportSnapshotOptions,
  uuid: string,
  rec: ExportDataRecord,
  tables: ExportedTable[],
  imported: Map<string, FileImportState>,
  staged: Map<string, Stage>,
  keys: DeferredKeys,
  signal: AbortSignal,
): Promise<void> {
  const { state, log, progress } = deps;
  /** Per file, what the target holds (re-read after the run: see reimportLostBatches). */
  let held = imported;
  const selected = new Map(tables.map((t) => [tableKey(t.schema, t.table), t]));
  const taken = new Map<string, ChunkRow>();
  const queue: ChunkRow[] = [];
  /** Chunks being loaded, per table. */
  const loading = new Map<string, number>();
  const importedRows = new Map<string, number>();
  for (const c of doneChunks(state)) {
    const k = tableKey(c.schema_name, c.table_name);
    importedRows.set(k, (importedRows.get(k) ?? 0) + (imported.get(c.file_name)?.rows ?? 0));
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const finishedTables = new Set<string>();
  const filesFinished = new Map<string, number>();

  const totals = () => new Map(tableProgress(state).map((r) => [tableKey(r.schema_name, r.table_name), r]));
  const initial = totals();
  progress.begin(tables.map((t) => {
    const k = tableKey(t.schema, t.table);
    const tp = initial.get(k);
    const exportedAll = tp !== undefined && tp.chunks_done === tp.chunks_total;
    const total = exportedAll ? tp.exported_rows : Math.max(tp?.exported_rows ?? 0, t.estimatedRows);
    return { key: k, label: displayName(t), total, done: importedRows.get(k) ?? 0 };
  }));

  /**
   * Tables whose every chunk is exported and imported are finished: their primary key built if it was dropped for
   * the load (meanwhile other sessions go on loading), then reported.
   */
  const reportFinished = async () => {
    const loaded: string[] = [];
    for (const [k, tp] of totals()) {
      if (finishedTables.has(k) || !selected.has(k)) continue;
      if (tp.chunks_done < tp.chunks_total) {
        progress.setTotal(k, Math.max(tp.exported_rows, tp.estimated_rows));
      } else if ((filesFinished.get(k) ?? 0) === tp.chunks_total) {
        finishedTables.add(k);
        loaded.push(k);
      }
    }
    for (const k of loaded) {
      const key = keys.dropped(selected.get(k)!);
      // On a session of its own, through a target restart like the batches (a build cut short is rolled back).
      if (key) await batches.withAdmin((admin) => keys.build(admin, key), () => undefined);
      if (stop.signal.aborted) return;
      progress.finish(k, importedRows.get(k) ?? 0);
    }
  };
  const fileFinished = (c: ChunkRow) => {
    const k = tableKey(c.schema_name, c.table_name);
    filesFinished.set(k, (filesFinished.get(k) ?? 0) + 1);
  };

  /** Next chunk to import, waiting for the exporter when needed; undefined when everything is done. */
  const nextChunk = async (): Promise<ChunkRow | undefined> => {
    for (;;) {
      if (stop.signal.aborted) return undefined;
      const cur = readExportData(state);
      if (!cur || cur.generation !== rec.generation) {
        throw new UserError('export data started its snapshot again while this import was running', 'rerun import data with --start-clean true --truncate-tables true', 'conflict');
      }
      if (!queue.length) {
        // Refill only when dry: reading every done chunk is O(chunks), so not once per chunk.
        const fresh = doneChunks(state).filter((c) => !taken.has(c.file_name) && selected.has(tableKey(c.schema_name, c.table_name)));
        fresh.sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0));
        for (const c of fresh) {
          taken.set(c.file_name, c);
          queue.push(c);
        }
      }
      // The biggest chunk of a table no other worker is loading, if any: sessions inserting into one table (its
      // heap and indexes) at once cost the target ~15% more CPU per row than one session loading it
      // (bench/snapshot-import-bench.ts); the biggest chunks first still, so the last file to finish is a small one.
      // Without indexes too: two sessions sharing the biggest table from the start, its key built after the load,
      // cost the target 13–30% more CPU (same bench, 2026-12-07).
      const at = Math.max(0, queue.findIndex((q) => !loading.has(tableKey(q.schema_name, q.table_name))));
      const c = queue.splice(at, 1)[0];
      if (c) {
        const k = tableKey(c.schema_name, c.table_name);
        loading.set(k, (loading.get(k) ?? 0) + 1);
        return c;
      }
      if (cur.snapshotStatus === 'complete') return undefined;
      if (!exporterAlive(deps.exportDir)) {
        throw new UserError('export data from source stopped before its snapshot was complete', 'rerun export data from source (it starts the snapshot again), then rerun import data with --start-clean true --truncate-tables true', 'config');
      }
      await sleep(POLL_MS, stop.signal);
    }
  };

  // A target restart or a killed session must not fail the batch it was in: it is loaded again on a new
  // session (the bookkeeping row makes a batch that did commit a no-op).
  const reconnect = new Reconnector({
    side: 'target', db: deps.target, state, commandId: 'import-data-to-target', out: deps.out ?? { warn: (l) => deps.say(`WARNING: ${l}`) },
    log, signal: stop.signal, windowMs: deps.maxReconnectMs ?? DEFAULT_MAX_RECONNECT_SECONDS * 1000,
  });
  const batches = new TargetBatches(bulk, deps.target, reconnect, log, stop.signal);

  /** `again`: a file imported before whose batches the target lost; progress has counted them already. */
  const importChunk = async (session: BatchSession, c: ChunkRow, again = false) => {
    const k = tableKey(c.schema_name, c.table_name);
    const t = selected.get(k)!;
    const st = held.get(c.file_name) ?? { rows: 0, lastBatch: 0 };
    const expected = c.rows ?? 0;
    if (st.rows > expected) throw new InternalError(`target holds ${st.rows} rows of data/${c.file_name}, which has ${expected}`);
    if (st.rows === expected) {
      if (!again) fileFinished(c);
      return;
    }
    const reader = await ChunkReader.open(deps.exportDir.dataFile(c.file_name), t.format);
    const format = t.format === 'binary' ? { format: t.format, stage: staged.get(k) } : {};
    let counted = 0;
    let resync = false;
    try {
      await reader.skipRows(st.rows);
      let batchNumber = st.lastBatch;
      while (await reader.hasMore()) {
        if (stop.signal.aborted) return;
        batchNumber++;
        const mark = reader.mark();
        const batch = { migrationUuid: uuid, fileName: c.file_name, batchNumber, schema: t.schema, table: t.table, columns: t.columns, firstLine: mark.rows + 1, ...format };
        const outcome = await batches.load(session, batch, reader, mark, opts.batchSize);
        if (outcome === 'stopped') return;
        if (outcome === 'resync') {
          resync = true;
          break;
        }
        while (DEFAULTS.testBatchPauseFile && fs.existsSync(DEFAULTS.testBatchPauseFile) && !stop.signal.aborted) await sleep(50, stop.signal);
        const rows = reader.rowsRead - mark.rows;
        if (again) continue;
        counted += rows;
        importedRows.set(k, (importedRows.get(k) ?? 0) + rows);
        progress.advance(k, rows);
      }
      if (resync) {
        const all = await batches.held(uuid);
        if (!all) return; // stopped by a signal
        const now = all.get(c.file_name) ?? { rows: 0, lastBatch: 0 };
        // Rows counted but not held (lost with the server) are counted again when they are loaded again.
        const lost = st.rows + counted - now.rows;
        if (!again && lost > 0) {
          importedRows.set(k, (importedRows.get(k) ?? 0) - lost);
          progress.advance(k, -lost);
        }
        held.set(c.file_name, now);
        await reader.close();
        return importChunk(session, c, again);
      }
      if (reader.rowsRead !== expected) {
        throw new InternalError(`data/${c.file_name} holds ${reader.rowsRead} rows but export data recorded ${expected}`);
      }
      if (!again) fileFinished(c);
      failpoint('import.file_done');
    } finally {
      await reader.close();
    }
  };

  /**
   * The database says what it holds, not our memory: a commit acknowledged before a restart can still be
   * lost (an asynchronous replica promoted, synchronous_commit = off). Files the target holds fewer rows of
   * than they have are imported again from where its bookkeeping says they stop, until none is short.
   */
  const reimportLostBatches = async () => {
    for (let round = 1; ; round++) {
      const now = await batches.held(uuid);
      if (!now) return; // stopped by a signal
      const short = [...taken.values()].filter((c) => (now.get(c.file_name)?.rows ?? 0) < (c.rows ?? 0));
      if (!short.length) return;
      if (round > 3) throw new InternalError(`the target keeps losing committed batches of ${short.map((c) => c.file_name).join(', ')}`);
      log.warn('the target lost batches it had committed (a restart or failover); importing them again', { files: short.map((c) => c.file_name) });
      deps.say(`the target lost ${short.length} file(s)' worth of committed batches across a restart; importing them again`);
      held = now;
      await runPool(batches.sessions, () => short.shift(), (session, c) => importChunk(session, c, true), stop.signal);
    }
  };

  try {
    const sessions = await batches.open(Math.max(1, opts.parallelJobs));
    await runPool(sessions, nextChunk, async (session, c) => {
      const k = tableKey(c.schema_name, c.table_name);
      try {
        await importChunk(session, c);
      } catch (e) {
        stop.abort(e); // also ends a worker waiting for the exporter in nextChunk
        throw e;
      } finally {
        loading.set(k, loading.get(k)! - 1);
        if (!loading.get(k)) loading.delete(k);
      }
      await reportFinished();
    });
    if (signal.aborted) throw interrupted();
    await reimportLostBatches();
    if (signal.aborted) throw interrupted();
    await reportFinished();
    log.info('snapshot import complete', { files: taken.size });
  } finally {
    progress.end();
    signal.removeEventListener('abort', onAbort);
    await batches.close();
  }
}
