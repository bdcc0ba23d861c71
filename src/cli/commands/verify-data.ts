/** verify data: the databases this migration recorded, compared row by row (src/workflows/verify-data.ts). */
import fs from 'node:fs';
import { UserError } from '../../infra/errors.js';
import type { TableProgress } from '../../workflows/table-progress.js';
import { verifyData } from '../../workflows/verify-data.js';
import type { CommandContext } from '../context.js';
import { persistedConnection } from '../fall-back-connection.js';
import { createTableProgress } from '../render/table-progress.js';
import { renderVerifyReport } from '../render/verify-report.js';

export async function run(ctx: CommandContext): Promise<void> {
  const o = ctx.options;
  const source = await persistedConnection(ctx.state, o, 'source');
  const target = await persistedConnection(ctx.state, o, 'target');
  const json = o.str('output-format') === 'json';
  // json: stdout carries the document and nothing else.
  const progress: TableProgress = json
    ? { begin() {}, advance() {}, setTotal() {}, measure() {}, finish() {}, end() {} }
    : createTableProgress(ctx.out, o.bool('disable-pb') ?? false, { verb: 'verified', rate: true });
  const result = await verifyData(
    { source, target, state: ctx.state, log: ctx.log, progress, say: (l) => (json ? ctx.log.info(l) : ctx.out.line(l)) },
    {
      tableList: o.list('table-list'),
      excludeTableList: o.list('exclude-table-list'),
      parallelJobs: o.int('parallel-jobs') ?? 4,
      recheckMs: (o.int('recheck-time') ?? 60) * 1000,
    },
    ctx.signal,
  );
  const file = ctx.exportDir.reportFile('verify-data.json');
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  ctx.log.info('verify data', { identical: result.identical, tables: result.tables.length, report: file });
  if (json) ctx.out.line(JSON.stringify(result, null, 2));
  else {
    ctx.out.line(renderVerifyReport(result));
    ctx.out.line(`(also written to ${file})`);
  }
  if (!result.identical) {
    const bad = result.tables.filter((t) => t.verdict === 'different');
    throw new UserError(
      `${bad.length} table(s) differ: ${bad.map((t) => `${t.schema}.${t.table} (${t.differenceCount})`).join(', ')}`,
      `see the rows listed above and ${file}`,
      'mismatch',
    );
  }
  if (!json) ctx.out.line(`every table is identical on source and target (${result.tables.length} tables)`);
}
