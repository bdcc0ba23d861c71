/**
 * Summary tables printed when a snapshot export or import ends (the reference tool's columns):
 *   export: SCHEMA | TABLE | ROW COUNT
 *   import: SCHEMA | TABLE | IMPORTED ROW COUNT | ERRORED ROW COUNT
 */
import Table from 'cli-table3';

/** No rule between body rows: one line per table stays readable with hundreds of tables. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function render(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] }, chars: COMPACT });
  for (const r of rows) t.push(r.map(String));
  return t.toString();
}

export function renderExportSummary(rows: readonly { schema: string; table: string; rows: number }[]): string {
  return render(['SCHEMA', 'TABLE', 'ROW COUNT'], rows.map((r) => [r.schema, r.table, r.rows]));
}

export function renderImportSummary(rows: readonly { schema: string; table: string; imported: number; errored: number }[]): string {
  return render(['SCHEMA', 'TABLE', 'IMPORTED ROW COUNT', 'ERRORED ROW COUNT'], rows.map((r) => [r.schema, r.table, r.imported, r.errored]));
}
