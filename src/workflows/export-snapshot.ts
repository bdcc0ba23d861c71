/**
 * export data from source, snapshot part: every selected table copied under ONE snapshot by parallel
 * workers into chunk files in data/.
 *
 *  snapshot-and-changes: publication, then a logical slot that exports its snapshot; the slot's consistent
 *    point is recorded so the change stream starts exactly where the snapshot ends.
 *  snapshot-only: a snapshot exported by a plain REPEATABLE READ transaction; no slot ever exists.
 *
 * An exported snapshot dies with the process that holds it, so an interrupted snapshot cannot be resumed:
 * the next run starts a new generation (new slot, new files) after dropping what the old one left. Once a
 * snapshot is complete, a rerun does not export again.
 */
import fs from 'node:fs';
import type pg from 'pg';
import type { ConnSecret, ConnSettings } from '../core/connection.js';
import { connect, quoteIdent } from '../adapters/postgres/connection.js';
import { databaseIdentity } from '../adapters/postgres/database-identity.js';
import { mapQueryError } from '../adapters/postgres/errors.js';
import {
  createPublication, createSlotWithSnapshot, dropSlotAndPublication, liveMigrationProblems, type SlotWithSnapshot,
} from '../adapters/postgres/replication-slot.js';
import {
  closeQuietly, copyChunkToFile, copyOutSql, EXACT_TEXT_SETTINGS, exportPlainSnapshot, lockTables, openSnapshotSession,
  type SnapshotSession,
} from '../adapters/postgres/snapshot-reader.js';
import { blockSize, listTables, relationBlocks, resolveSchemas, type CatalogTable } from '../adapters/postgres/table-catalog.js';
import { tableStreamingProblems } from '../adapters/postgres/guardrails.js';
import { tableKey } from '../core/change-event.js';
import { publicationName, slotName } from '../core/names.js';
import { ctidPredicate, dataFileName, parseDataFileName, planCtidRanges } from '../core/snapshot-plan.js';
import { displayName, filterTables, TablePatternError } from '../core/table-filter.js';
import type { ExportDir } from '../export-dir/layout.js';
import { saveConnSettings } from '../export-dir/migration-state.js';
import { exportedEventTotal } from '../export-dir/queue.js';
import {
  beginSnapshotGeneration, clearSnapshotState, markSnapshotComplete, pendingChunks, readExportData, readPgReplication,
  recordChunkDone, recordPlan, savePgReplication, tableProgress, type ExportDataRecord, type ExportedTable, type ExportType,
  type PlannedChunk,
} from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { UserError } from '../infra/errors.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';
import { sleep } from '../infra/shutdown.js';
import type { TableProgress } from './table-progress.js';

/** Tables bigger than this are split into several chunk files (env for tests and tuning). */
export const CHUNK_BYTES = Number(process.env.YB_VOYAGER_SNAPSHOT_CHUNK_BYTES ?? 128 * 1024 * 1024);
const LOCK_TIMEOUT_MS = Number(process.env.YB_VOYAGER_SNAPSHOT_LOCK_TIMEOUT_MS ?? 60_000);
/** Tests only: a pause after each chunk, so an import can be seen overlapping a running export. */
const TEST_CHUNK_DELAY_MS = Number(process.env.YB_VOYAGER_TEST_CHUNK_DELAY_MS ?? 0);

export interface ExportSnapshotDeps {
  settings: ConnSettings;
  secret: ConnSecret;
  state: StateStore;
  exportDir: ExportDir;
  log: Logger;
  progress: TableProgress;
  /** One-line notices for people (the console). */
  say: (line: string) => void;
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

export async function exportSnapshot(deps: ExportSnapshotDeps, opts: ExportSnapshotOptions, signal: AbortSignal): Promise<ExportSnapshotResult> {
  const { state, log } = deps;
  const uuid = state.migration().uuid;
  const slot = slotName(uuid, 'source');
  const publication = publicationName(uuid, 'source');
  const coordinator = await connect(deps.settings, deps.secret, { applicationName: 'yb-voyager export data', sessionSetup: EXACT_TEXT_SETTINGS });
  try {
    state.bindDatabase('source', await databaseIdentity(coordinator, deps.settings));
    saveConnSettings(state, deps.settings);

    const prev = readExportData(state);
    if (opts.startClean) {
      if (exportedEventTotal(state, ['source_db_exporter']) > 0) {
        throw new UserError(
          'changes of this migration were already streamed into the export dir; --start-clean cannot restart the snapshot under them',
          'end this migration (yb-voyager end migration) and start a new one with a new, empty --export-dir',
          'conflict',
        );
      }
      const dropped = await dropSlotAndPublication(coordinator, slot, publication);
      if (dropped.slot) deps.say(`dropped replication slot ${slot} of the previous run`);
      clearSnapshotState(state);
      removeSnapshotFiles(deps.exportDir, () => true);
      log.info('start-clean: previous snapshot state, files, slot and publication removed');
    } else if (prev?.snapshotStatus === 'complete') {
      return alreadyExported(state, prev, opts.exportType);
    }

    const tables = await selectTables(coordinator, opts, opts.exportType, slot, deps.settings.user);
    // Whatever an interrupted run left on the source cannot be reused: its snapshot is gone.
    const dropped = await dropSlotAndPublication(coordinator, slot, publication);
    if (dropped.slot) deps.say(`dropped replication slot ${slot} left by an interrupted snapshot; starting the snapshot again`);
    if (readPgReplication(state)) savePgReplication(state, undefined);

    const exported: ExportedTable[] = tables.map((t) => toExportedTable(t, 0));
    const gen = beginSnapshotGeneration(state, { exportType: opts.exportType, tables: exported });
    removeSnapshotFiles(deps.exportDir, (g) => g !== gen.generation);
    log.info('snapshot started', { generation: gen.generation, exportType: opts.exportType, tables: tables.length });

    await runSnapshot(deps, opts, coordinator, tables, gen.generation, { slot, publication }, signal);
    return { status: 'exported', exportType: opts.exportType, tables: summary(state) };
  } finally {
    await closeQuietly(coordinator);
  }
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

function toExportedTable(t: CatalogTable, chunks: number): ExportedTable {
  const cols = t.columns.filter((c) => !c.generated);
  return {
    schema: t.schema,
    table: t.table,
    columns: cols.map((c) => c.name),
    columnTypes: cols.map((c) => c.type),
    pk: t.pk,
    isPartitioned: t.isPartitioned,
    leaves: t.isPartitioned ? t.leaves.map((l) => ({ schema: l.schema, table: l.table })) : [],
    estimatedRows: t.estimatedRows,
    chunks,
  };
}

/** The tables to export, after every guardrail; all problems are reported at once. */
async function selectTables(client: pg.Client, opts: ExportSnapshotOptions, exportType: ExportType, slot: string, user: string): Promise<CatalogTable[]> {
  const problems: string[] = [];
  const { found, missing } = await resolveSchemas(client, opts.schemas.length ? opts.schemas : ['public']);
  for (const m of missing) problems.push(`schema ${m} does not exist in the source database (check --source-db-schema)`);
  const catalog = await listTables(client, found);
  let selected: CatalogTable[] = [];
  try {
    const f = filterTables(catalog, opts.tableList, opts.excludeTableList);
    selected = f.selected;
    for (const p of f.unmatchedIncludes) {
      problems.push(`--table-list entry ${p.entry} matches no table in schema(s) ${found.join(', ') || '(none)'} (unquoted names match case-insensitively; "Quoted" ones exactly)`);
    }
  } catch (e) {
    if (e instanceof TablePatternError) problems.push(e.message);
    else throw e;
  }
  if (!problems.length && !selected.length) problems.push(`no table to export in schema(s) ${found.join(', ')} (check --source-db-schema, --table-list and --exclude-table-list)`);
  for (const t of selected) {
    const unreadable = [...(t.canSelect ? [] : [t]), ...t.leaves.filter((l) => !l.canSelect && (l.schema !== t.schema || l.table !== t.table))];
    for (const u of unreadable) problems.push(`no SELECT privilege on ${displayName(u)}: run GRANT SELECT ON ${displayName(u)} TO ${quoteIdent(user)}`);
  }
  if (exportType === 'snapshot-and-changes' && selected.length) problems.push(...(await liveMigrationProblems(client, slot, selected)));
  // Tables the change stream could not handle (no key or replica identity, UNLOGGED, views…): refuse before the slot exists.
  if (exportType === 'snapshot-and-changes' && selected.length) problems.push(...(await tableStreamingProblems(client, selected)).problems);
  if (problems.length) {
    throw new UserError(problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join(' | ')}`, undefined, 'config');
  }
  return selected;
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
  coordinator: pg.Client,
  tables: CatalogTable[],
  generation: number,
  names: { slot: string; publication: string },
  signal: AbortSignal,
): Promise<void> {
  const { state, log } = deps;
  const live = opts.exportType === 'snapshot-and-changes';
  /** The idle replication connection that keeps the slot's snapshot importable. */
  let holder: pg.Client | undefined;
  const sessions: SnapshotSession[] = [];
  let completed = false;
  try {
    let snapshotName: string;
    if (live) {
      await createPublication(coordinator, names.publication, tables);
      failpoint('export.after_publication');
      const slot: SlotWithSnapshot = await createSlotWithSnapshot(deps.settings, deps.secret, names.slot);
      holder = slot.holder;
      snapshotName = slot.snapshotName;
      savePgReplication(state, {
        slotName: slot.slotName, publicationName: names.publication, consistentLsn: slot.consistentLsn,
        snapshotName, createdAt: new Date().toISOString(),
      });
      log.info('replication slot created', { slot: slot.slotName, consistentLsn: slot.consistentLsn, snapshotName });
      failpoint('export.after_slot');
      await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await coordinator.query(`SET TRANSACTION SNAPSHOT '${snapshotName}'`).catch((e) => { throw mapQueryError(e, 'importing the slot snapshot'); });
    } else {
      snapshotName = await exportPlainSnapshot(coordinator);
    }
    await lockTables(coordinator, tables, LOCK_TIMEOUT_MS);
    // Sizes are measured under the locks, so no rewrite can move rows between the ranges.
    const plan = await planChunks(coordinator, tables, generation);
    recordPlan(state, generation, plan.tables, plan.chunks);
    log.info('snapshot plan', { tables: plan.tables.length, chunks: plan.chunks.length });
    const jobs = Math.max(1, Math.min(opts.parallelJobs, plan.chunks.length));
    for (let i = 0; i < jobs; i++) sessions.push(await openSnapshotSession(deps.settings, deps.secret, snapshotName));
    // Every worker holds the snapshot now; the replication connection may run its next command (close).
    await holder?.end().catch(() => undefined);
    holder = undefined;

    deps.progress.begin(plan.tables.map((t) => ({ key: tableKey(t.schema, t.table), label: displayName(t), total: t.estimatedRows })));
    await copyAllChunks(deps, sessions, plan.tables, signal);
    failpoint('export.before_complete');
    markSnapshotComplete(state, generation);
    completed = true;
    deps.progress.end();
    log.info('snapshot complete', { generation });
  } finally {
    if (!completed) deps.progress.end();
    for (const s of sessions) await s.close();
    await holder?.end().catch(() => undefined);
    if (!completed && live) {
      // Never leave a slot behind: this snapshot is lost, and a rerun creates a new slot anyway.
      const c = await connect(deps.settings, deps.secret).catch(() => undefined);
      if (c) {
        await dropSlotAndPublication(c, names.slot, names.publication).then(
          () => savePgReplication(state, undefined),
          (e) => log.warn('could not drop the slot of the interrupted snapshot; the next run drops it', { err: e }),
        );
        await c.end().catch(() => undefined);
      }
    }
  }
}

async function planChunks(client: pg.Client, tables: CatalogTable[], generation: number): Promise<{ tables: ExportedTable[]; chunks: PlannedChunk[] }> {
  const bs = await blockSize(client);
  const blocksPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / bs));
  const blocks = await relationBlocks(client, tables.flatMap((t) => t.leaves.map((l) => l.oid)));
  const chunks: PlannedChunk[] = [];
  const out: ExportedTable[] = [];
  for (const t of tables) {
    let n = 0;
    for (const leaf of t.leaves) {
      const relBlocks = blocks.get(leaf.oid) ?? 0;
      for (const r of planCtidRanges(relBlocks, blocksPerChunk)) {
        chunks.push({
          fileName: dataFileName(generation, t, t.isPartitioned ? leaf : undefined, n),
          schema: t.schema, table: t.table, sourceSchema: leaf.schema, sourceTable: leaf.table, chunkNo: n,
          fromBlock: r.fromBlock, toBlock: r.toBlock,
          estimatedBytes: ((r.toBlock ?? Math.max(relBlocks, r.fromBlock)) - r.fromBlock) * bs,
        });
        n++;
      }
    }
    out.push(toExportedTable(t, n));
  }
  return { tables: out, chunks };
}

/** Workers take pending chunks, biggest first; the first failure stops the others. */
async function copyAllChunks(deps: ExportSnapshotDeps, sessions: SnapshotSession[], tables: ExportedTable[], signal: AbortSignal): Promise<void> {
  const { state } = deps;
  const byKey = new Map(tables.map((t) => [tableKey(t.schema, t.table), t]));
  const queue = pendingChunks(state);
  const remaining = new Map<string, number>();
  for (const t of tables) remaining.set(tableKey(t.schema, t.table), t.chunks);
  // Tables without any chunk (an empty partitioned table) are complete at once.
  for (const [k, n] of remaining) if (n === 0) deps.progress.finish(k, 0);
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const rowsSoFar = new Map<string, number>();
  const worker = async (session: SnapshotSession) => {
    for (;;) {
      if (stop.signal.aborted) return;
      const chunk = queue.shift();
      if (!chunk) return;
      const key = tableKey(chunk.schema_name, chunk.table_name);
      const t = byKey.get(key)!;
      const sql = copyOutSql({ schema: chunk.source_schema, table: chunk.source_table }, t.columns, ctidPredicate({ fromBlock: chunk.from_block, toBlock: chunk.to_block }));
      const res = await copyChunkToFile(session.client, sql, deps.exportDir.dataFile(chunk.file_name), (n) => deps.progress.advance(key, n), stop.signal);
      failpoint('export.chunk_after_rename');
      recordChunkDone(state, chunk.file_name, res.rows, res.bytes);
      failpoint('export.chunk_recorded');
      if (TEST_CHUNK_DELAY_MS > 0) await sleep(TEST_CHUNK_DELAY_MS, stop.signal);
      deps.log.debug('chunk exported', { file: chunk.file_name, rows: res.rows, bytes: res.bytes });
      rowsSoFar.set(key, (rowsSoFar.get(key) ?? 0) + res.rows);
      const left = remaining.get(key)! - 1;
      remaining.set(key, left);
      if (left === 0) deps.progress.finish(key, rowsSoFar.get(key)!);
    }
  };
  try {
    const results = await Promise.allSettled(sessions.map((s) => worker(s).catch((e) => {
      stop.abort(e);
      throw e;
    })));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (signal.aborted) throw new UserError('export data was interrupted before the snapshot was complete', 'rerun the same command: the snapshot starts again', 'interrupted');
    if (failed) throw failed.reason;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
