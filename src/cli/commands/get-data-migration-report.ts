/**
 * get data-migration-report: snapshot rows and change events per table and database, as a table, json (the
 * whole report with its time series) or html. Every run also writes reports/data-migration-report.json and
 * reports/data-migration-report.html (src/cli/report-files.ts).
 */
import { readCutover } from '../../export-dir/migration-state.js';
import { liveProcessStatuses } from '../../export-dir/process-status.js';
import type { ReportConnections } from '../../workflows/data-migration-report.js';
import { buildMigrationReport } from '../../workflows/migration-report.js';
import type { CommandContext } from '../context.js';
import { recordedEndpoint } from '../fall-back-connection.js';
import { renderDataMigrationReport } from '../render/data-migration-report.js';
import { writeReportFiles } from '../report-files.js';

export async function run(ctx: CommandContext): Promise<void> {
  const conns: ReportConnections = {};
  conns.target = await recordedEndpoint(ctx.state, ctx.options, 'target');
  // The source holds imported counts only once a fall-back stream writes to it.
  if (readCutover(ctx.state).fallBackStreamReady) conns.source = await recordedEndpoint(ctx.state, ctx.options, 'source');
  const report = await buildMigrationReport(ctx.state, conns);
  const files = writeReportFiles(ctx.exportDir, report);
  const format = ctx.options.str('output-format');
  if (format === 'json') {
    ctx.out.line(JSON.stringify(report, null, 2));
    return;
  }
  if (format === 'html') {
    ctx.out.line(`report written to ${files.html} (open it in a browser: it needs no network and no server)`);
    return;
  }
  ctx.out.line(renderDataMigrationReport(report.tables));
  ctx.out.line(`(also written to ${files.json} and ${files.html})`);
  // A process that lost its database says so here, not only as "0 events/s".
  for (const p of liveProcessStatuses(ctx.state)) {
    ctx.out.line(`${p.command.replace(/-/g, ' ')} (pid ${p.pid}) is ${p.state} since ${p.since} (attempt ${p.attempt}: ${p.lastError})`);
  }
}
