/**
 * get data-migration-report: per table, one row per database (source, target) with snapshot rows and
 * change events exported and imported, and the resulting row count (the reference tool's formula):
 *   source FINAL_ROW_COUNT = exported snapshot + exported inserts + imported inserts − exported deletes − imported deletes
 *   target FINAL_ROW_COUNT = imported snapshot + imported inserts + exported inserts − imported deletes − exported deletes
 *
 * Exported counts come from meta.db; imported ones from the metadata schema of the database written to
 * (so the report needs that database's password).
 */
import type { Endpoint } from '../adapters/engine.js';
import type { ExporterRole } from '../core/change-event.js';
import { qualified } from '../core/sql-names.js';
import { readExportData, tableProgress } from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { UserError } from '../infra/errors.js';

export interface ChangeCounts {
  inserts: number;
  updates: number;
  deletes: number;
}

export interface ReportRow {
  table_name: string;
  db_type: 'source' | 'target';
  exported_snapshot_rows: number;
  imported_snapshot_rows: number;
  errored_imported_snapshot_rows: number;
  exported_inserts: number;
  exported_updates: number;
  exported_deletes: number;
  imported_inserts: number;
  imported_updates: number;
  imported_deletes: number;
  final_row_count: number;
}

export interface ReportConnections {
  source?: Endpoint;
  target?: Endpoint;
}

type CountsByTable = Map<string, ChangeCounts>;
const key = (schema: string, table: string) => `${schema}\u0000${table}`;
const ZERO: ChangeCounts = { inserts: 0, updates: 0, deletes: 0 };

/** Change events an exporter role wrote to the queue, per table (meta.db). */
export function exportedChangeCounts(state: StateStore, role: ExporterRole): CountsByTable {
  const rows = state.db
    .prepare('SELECT schema_name AS s, table_name AS t, inserts AS i, updates AS u, deletes AS d FROM exported_event_counts WHERE exporter_role = ?')
    .all(role) as { s: string; t: string; i: number; u: number; d: number }[];
  return new Map(rows.map((r) => [key(r.s, r.t), { inserts: r.i, updates: r.u, deletes: r.d }]));
}

/** Change events applied to a database, per table, from its metadata schema. */
export async function importedChangeCounts(db: Endpoint | undefined, migrationUuid: string): Promise<CountsByTable> {
  if (!db?.engine.changeSink) return new Map();
  const rows = await db.engine.changeSink.importedCounts(db.conn, migrationUuid);
  return new Map(rows.map((r) => [key(r.schema, r.table), { inserts: r.inserts, updates: r.updates, deletes: r.deletes }]));
}

export async function buildDataMigrationReport(state: StateStore, conns: ReportConnections): Promise<ReportRow[]> {
  const exportRec = readExportData(state);
  if (!exportRec) throw new UserError('nothing was exported in this export dir yet', 'run yb-voyager export data from source first', 'config');
  const uuid = state.migration().uuid;
  const exportedRows = new Map(tableProgress(state).map((r) => [key(r.schema_name, r.table_name), r.exported_rows]));
  const { target, source } = conns;
  const importedSnapshot = new Map((await importedSnapshotRows(target, uuid)).map((r) => [key(r.schema, r.table), r.rows]));
  const exportedFromSource = exportedChangeCounts(state, 'source_db_exporter');
  const exportedFromTarget = exportedChangeCounts(state, 'target_db_exporter_fb');
  const importedToTarget = await importedChangeCounts(target, uuid);
  const importedToSource = await importedChangeCounts(source, uuid);
  const rows: ReportRow[] = [];
  for (const t of exportRec.tables) {
    const k = key(t.schema, t.table);
    const name = qualified(t.schema, t.table);
    const exS = exportedFromSource.get(k) ?? ZERO;
    const imS = importedToSource.get(k) ?? ZERO;
    const snapshot = exportedRows.get(k) ?? 0;
    rows.push({
      table_name: name, db_type: 'source',
      exported_snapshot_rows: snapshot, imported_snapshot_rows: 0, errored_imported_snapshot_rows: 0,
      exported_inserts: exS.inserts, exported_updates: exS.updates, exported_deletes: exS.deletes,
      imported_inserts: imS.inserts, imported_updates: imS.updates, imported_deletes: imS.deletes,
      final_row_count: snapshot + exS.inserts + imS.inserts - exS.deletes - imS.deletes,
    });
    if (!conns.target) continue;
    const exT = exportedFromTarget.get(k) ?? ZERO;
    const imT = importedToTarget.get(k) ?? ZERO;
    const imported = importedSnapshot.get(k) ?? 0;
    rows.push({
      table_name: name, db_type: 'target',
      exported_snapshot_rows: 0, imported_snapshot_rows: imported, errored_imported_snapshot_rows: 0,
      exported_inserts: exT.inserts, exported_updates: exT.updates, exported_deletes: exT.deletes,
      imported_inserts: imT.inserts, imported_updates: imT.updates, imported_deletes: imT.deletes,
      final_row_count: imported + imT.inserts + exT.inserts - imT.deletes - exT.deletes,
    });
  }
  return rows;
}

/** Snapshot rows imported into the target, per table, from its batch bookkeeping. */
async function importedSnapshotRows(target: Endpoint | undefined, uuid: string): Promise<{ schema: string; table: string; rows: number }[]> {
  if (!target?.engine.snapshotTarget) return [];
  const admin = await target.engine.snapshotTarget.open(target.conn);
  try {
    return await admin.importedRowsByTable(uuid);
  } finally {
    await admin.close();
  }
}
