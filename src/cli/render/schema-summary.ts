/**
 * Summaries printed when export schema and import schema end:
 *   export: FILE | OBJECT TYPE | COUNT
 *   import: STEP | APPLIED | ALREADY APPLIED | EXISTED | FAILED
 */
import Table from 'cli-table3';
import type { ExportSchemaResult } from '../../workflows/export-schema.js';
import type { ImportSchemaResult } from '../../workflows/import-schema.js';

function render(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) t.push(r.map(String));
  return t.toString();
}

export function renderExportSchemaSummary(r: ExportSchemaResult): string {
  const rows: (string | number)[][] = [];
  for (const f of r.files) for (const [type, n] of f.counts) rows.push([f.file, type, n]);
  return render(['FILE', 'OBJECT TYPE', 'COUNT'], rows);
}

export function renderImportSchemaSummary(r: ImportSchemaResult): string {
  return render(['STEP', 'APPLIED', 'ALREADY APPLIED', 'EXISTED', 'FAILED'], r.steps.map((s) => [s.step, s.applied, s.skipped, s.existed, s.failed]));
}
