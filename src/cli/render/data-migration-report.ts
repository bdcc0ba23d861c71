/**
 * The `get data-migration-report` table: the reference tool's columns, one row per table and database.
 */
import Table from 'cli-table3';

/** No rule between body rows: one line per table stays readable with hundreds of tables. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
import type { ReportRow } from '../../workflows/data-migration-report.js';

export const REPORT_HEADER = [
  'TABLE', 'DB_TYPE', 'EXPORTED SNAPSHOT_ROWS', 'IMPORTED SNAPSHOT_ROWS', 'ERRORED-IMPORTED SNAPSHOT_ROWS',
  'EXPORTED INSERTS', 'EXPORTED UPDATES', 'EXPORTED DELETES', 'IMPORTED INSERTS', 'IMPORTED UPDATES', 'IMPORTED DELETES',
  'FINAL_ROW_COUNT',
] as const;

export function renderDataMigrationReport(rows: readonly ReportRow[]): string {
  const t = new Table({ head: [...REPORT_HEADER], style: { head: [], border: [] }, chars: COMPACT });
  for (const r of rows) {
    t.push([
      r.table_name, r.db_type, r.exported_snapshot_rows, r.imported_snapshot_rows, r.errored_imported_snapshot_rows,
      r.exported_inserts, r.exported_updates, r.exported_deletes, r.imported_inserts, r.imported_updates, r.imported_deletes,
      r.final_row_count,
    ].map(String));
  }
  return t.toString();
}
