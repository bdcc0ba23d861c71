/**
 * The files every data migration report leaves in reports/: data-migration-report.json (the per-table rows, the
 * reference tool's shape) and data-migration-report.html (the whole report as one page with charts).
 */
import fs from 'node:fs';
import type { ExportDir } from '../export-dir/layout.js';
import type { MigrationReport } from '../workflows/migration-report.js';
import { renderMigrationReportHtml } from './render/migration-report-html.js';

export function writeReportFiles(exportDir: ExportDir, report: MigrationReport): { json: string; html: string } {
  const json = exportDir.reportFile('data-migration-report.json');
  const html = exportDir.reportFile('data-migration-report.html');
  fs.writeFileSync(json, JSON.stringify(report.tables, null, 2) + '\n');
  fs.writeFileSync(html, renderMigrationReportHtml(report));
  return { json, html };
}
