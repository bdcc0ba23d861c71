/**
 * get data-migration-report: snapshot rows and change events per table and database, as a table or json;
 * the json is also written to reports/data-migration-report.json.
 */
import fs from 'node:fs';
import { readCutover } from '../../export-dir/migration-state.js';
import { buildDataMigrationReport, type ReportConnections } from '../../workflows/data-migration-report.js';
import type { CommandContext } from '../context.js';
import { recordedEndpoint } from '../fall-back-connection.js';
import { renderDataMigrationReport } from '../render/data-migration-report.js';
import { liveProcessStatuses } from '../../export-dir/process-status.js';

export async function run(ctx: CommandContext): Promise<void> {
  const conns: ReportConnections = {};
  conns.target = await recordedEndpoint(ctx.state, ctx.options, 'target');
  // The source holds imported counts only once a fall-back stream writes to it.
  if (readCutover(ctx.state).fallBackStreamReady) conns.source = await recordedEndpoint(ctx.state, ctx.options, 'source');
  const rows = await buildDataMigrationReport(ctx.state, conns);
  const json = JSON.stringify(rows, null, 2);
  const file = ctx.exportDir.reportFile('data-migration-report.json');
  fs.writeFileSync(file, json + '\n');
  if (ctx.options.str('output-format') === 'json') ctx.out.line(json);
  else {
    ctx.out.line(renderDataMigrationReport(rows));
    ctx.out.line(`(also written to ${file})`);
    // A process that lost its database says so here, not only as "0 events/s".
    for (const p of liveProcessStatuses(ctx.state)) {
      ctx.out.line(`${p.command.replace(/-/g, ' ')} (pid ${p.pid}) is ${p.state} since ${p.since} (attempt ${p.attempt}: ${p.lastError})`);
    }
  }
}
