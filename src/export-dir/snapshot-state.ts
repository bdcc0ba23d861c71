/**
 * Typed access to the snapshot's records in meta.db, shared by export data (writer) and import data,
 * the change streamer and get data-migration-report (readers):
 *
 *  kv 'export_data'     what was exported and how: export type, snapshot generation and status, and per table
 *                       the columns (types), primary key, partitioning and chunk count.
 *  kv 'capture'         the change capture the snapshot created: its engine and the position the change
 *                       stream starts at (no gap, no overlap with the snapshot).
 *  snapshot_tables      per table: estimated and exported rows, chunks done.
 *  snapshot_chunks      per chunk file: its range (the source engine's JSON), status, rows and bytes.
 *
 * A chunk is recorded 'done' only after its file is complete, fsynced and renamed to its final name: an
 * importer may take it from that moment on.
 */
import type { CopyFormat } from '../core/copy-binary.js';
import type { StateStore } from './state-store.js';

export type ExportType = 'snapshot-only' | 'snapshot-and-changes';

export interface ExportedTable {
  schema: string;
  table: string;
  /** Columns copied, in order (generated columns are left out: the target computes them). */
  columns: string[];
  columnTypes: string[];
  /** Primary-key columns, in key order; [] when the table has none. */
  pk: string[];
  isPartitioned: boolean;
  /** Leaf partitions read for a partitioned table (their rows are imported through the root). */
  leaves: { schema: string; table: string }[];
  estimatedRows: number;
  chunks: number;
  /** The chunk files' format; absent: COPY text (also every export dir written before binary chunks existed). */
  format?: CopyFormat;
}

export interface ExportDataRecord {
  exportType: ExportType;
  /** Increases each time the snapshot starts over; chunk files carry it in their names. */
  generation: number;
  snapshotStatus: 'running' | 'complete';
  startedAt: string;
  completedAt?: string;
  tables: ExportedTable[];
}

export interface CaptureRecord {
  /** The engine whose position `start` is. */
  engine: string;
  /** Where the snapshot was taken on the change stream: streaming starts here (no gap, no overlap). */
  start: string;
  createdAt?: string;
}

export interface ChunkRow {
  file_name: string;
  generation: number;
  schema_name: string;
  table_name: string;
  source_schema: string;
  source_table: string;
  chunk_no: number;
  /** The source engine's chunk range, as JSON. */
  range_json: string;
  estimated_bytes: number;
  status: 'pending' | 'done';
  rows: number | null;
  bytes: number | null;
  done_at: string | null;
}

export interface TableProgressRow {
  schema_name: string;
  table_name: string;
  estimated_rows: number;
  exported_rows: number;
  chunks_total: number;
  chunks_done: number;
}

export const EXPORT_DATA_KEY = 'export_data';
export const CAPTURE_KEY = 'capture';

export function readExportData(state: StateStore): ExportDataRecord | undefined {
  return state.getJson<ExportDataRecord>(EXPORT_DATA_KEY);
}

export function readCapture(state: StateStore): CaptureRecord | undefined {
  return state.getJson<CaptureRecord>(CAPTURE_KEY);
}

export function saveCapture(state: StateStore, rec: CaptureRecord | undefined): void {
  state.update(() => {
    if (rec) state.setJson(CAPTURE_KEY, rec);
    else state.deleteKey(CAPTURE_KEY);
  });
}

/**
 * Start a new snapshot generation: forget every table and chunk of the previous one and record the new
 * export (status running) in one transaction. Returns the new generation.
 */
export function beginSnapshotGeneration(state: StateStore, rec: Omit<ExportDataRecord, 'generation' | 'snapshotStatus' | 'startedAt'>): ExportDataRecord {
  return state.update(() => {
    const prev = readExportData(state);
    const next: ExportDataRecord = { ...rec, generation: (prev?.generation ?? 0) + 1, snapshotStatus: 'running', startedAt: new Date().toISOString() };
    state.db.exec('DELETE FROM snapshot_chunks; DELETE FROM snapshot_tables;');
    state.setJson(EXPORT_DATA_KEY, next);
    return next;
  });
}

/** Forget the snapshot entirely (--start-clean). */
export function clearSnapshotState(state: StateStore): void {
  state.update(() => {
    state.db.exec('DELETE FROM snapshot_chunks; DELETE FROM snapshot_tables;');
    state.db.prepare('DELETE FROM kv WHERE key IN (?, ?)').run(EXPORT_DATA_KEY, CAPTURE_KEY);
  });
}

export interface PlannedChunk {
  fileName: string;
  schema: string;
  table: string;
  sourceSchema: string;
  sourceTable: string;
  chunkNo: number;
  /** The source engine's range; opaque here. */
  range: unknown;
  estimatedBytes: number;
}

/** Record the chunk plan and the final table list (with chunk counts) of the running generation. */
export function recordPlan(state: StateStore, generation: number, tables: ExportedTable[], chunks: PlannedChunk[]): void {
  state.update(() => {
    const cur = readExportData(state);
    if (!cur || cur.generation !== generation) throw new Error(`snapshot generation ${generation} is no longer current`);
    const insTable = state.db.prepare(
      'INSERT INTO snapshot_tables (schema_name, table_name, estimated_rows, chunks_total) VALUES (?, ?, ?, ?)',
    );
    for (const t of tables) insTable.run(t.schema, t.table, t.estimatedRows, t.chunks);
    const insChunk = state.db.prepare(
      `INSERT INTO snapshot_chunks (file_name, generation, schema_name, table_name, source_schema, source_table, chunk_no,
         range_json, estimated_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const c of chunks) {
      insChunk.run(c.fileName, generation, c.schema, c.table, c.sourceSchema, c.sourceTable, c.chunkNo, JSON.stringify(c.range ?? null), c.estimatedBytes);
    }
    state.setJson(EXPORT_DATA_KEY, { ...cur, tables });
  });
}

/** A chunk file is complete and durable under its final name: record it, and add its rows to its table. */
export function recordChunkDone(state: StateStore, fileName: string, rows: number, bytes: number): void {
  state.update(() => {
    const r = state.db
      .prepare(`UPDATE snapshot_chunks SET status = 'done', rows = ?, bytes = ?, done_at = ? WHERE file_name = ? AND status = 'pending'`)
      .run(rows, bytes, new Date().toISOString(), fileName);
    if (r.changes !== 1) throw new Error(`chunk ${fileName} is not pending in the state store`);
    state.db
      .prepare(
        `UPDATE snapshot_tables SET exported_rows = exported_rows + ?, chunks_done = chunks_done + 1
         WHERE (schema_name, table_name) = (SELECT schema_name, table_name FROM snapshot_chunks WHERE file_name = ?)`,
      )
      .run(rows, fileName);
  });
}

export function markSnapshotComplete(state: StateStore, generation: number): ExportDataRecord {
  return state.modifyJson<ExportDataRecord>(EXPORT_DATA_KEY, (cur) => {
    if (!cur || cur.generation !== generation) throw new Error(`snapshot generation ${generation} is no longer current`);
    return { ...cur, snapshotStatus: 'complete', completedAt: new Date().toISOString() };
  });
}

export function pendingChunks(state: StateStore): ChunkRow[] {
  return state.db.prepare(`SELECT * FROM snapshot_chunks WHERE status = 'pending' ORDER BY estimated_bytes DESC, file_name`).all() as ChunkRow[];
}

/** Chunks an importer may take: complete files of the current generation, in the order they were finished. */
export function doneChunks(state: StateStore): ChunkRow[] {
  return state.db.prepare(`SELECT * FROM snapshot_chunks WHERE status = 'done' ORDER BY done_at, file_name`).all() as ChunkRow[];
}

export function allChunks(state: StateStore): ChunkRow[] {
  return state.db.prepare('SELECT * FROM snapshot_chunks ORDER BY schema_name, table_name, chunk_no, file_name').all() as ChunkRow[];
}

export function tableProgress(state: StateStore): TableProgressRow[] {
  return state.db.prepare('SELECT * FROM snapshot_tables ORDER BY schema_name, table_name').all() as TableProgressRow[];
}
