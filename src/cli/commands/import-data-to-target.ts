/**
 * import data to target: the snapshot (waiting for chunks while export data still runs), then, for a live
 * migration, the change events.
 */
import { importChangesToTarget, resumeTargetImporterCutover } from '../../workflows/fall-back.js';
import { importSnapshot } from '../../workflows/import-snapshot.js';
import { UserError } from '../../infra/errors.js';
import { engineFor } from '../../adapters/registry.js';
import { endpointFromOptions } from '../connection-options.js';
import { importParallelJobs } from '../parallel-jobs.js';
import type { CommandContext } from '../context.js';
import { renderImportSummary } from '../render/snapshot-summary.js';
import { createTableProgress } from '../render/table-progress.js';
import { DEFAULT_MAX_RECONNECT_SECONDS } from '../../workflows/reconnect.js';

export async function run(ctx: CommandContext): Promise<void> {
  const o = ctx.options;
  const batchSize = o.int('batch-size') ?? 100000;
  const givenJobs = o.int('parallel-jobs');
  if (batchSize < 1) throw new UserError(`--batch-size ${batchSize} is not a positive number of rows`, 'use --batch-size 100000 (the default) or another positive number');
  if (givenJobs !== undefined && givenJobs < 1) throw new UserError(`--parallel-jobs ${givenJobs} is not a positive number`, 'use --parallel-jobs 4 or another positive number (the default: 4, or fewer on a target with fewer CPUs on this machine)');
  if (o.bool('truncate-tables') && !o.bool('start-clean')) {
    throw new UserError('--truncate-tables only works together with --start-clean', 'add --start-clean true, or drop --truncate-tables');
  }
  const target = await endpointFromOptions(o, 'target');
  const { jobs: parallelJobs, why } = importParallelJobs(o, target.conn.settings);
  ctx.log.info('snapshot import sessions', { parallelJobs, why });
  const maxReconnectSeconds = o.int('max-reconnect-time') ?? DEFAULT_MAX_RECONNECT_SECONDS;
  const fallBack = {
    exportDir: ctx.exportDir, state: ctx.state, log: ctx.log, out: ctx.out, signal: ctx.signal, maxReconnectMs: maxReconnectSeconds * 1000,
    sourceOmitsCascades: async () => !(await engineFor(ctx.state.migration().source?.dbType ?? 'postgresql')).capabilities.cascadesInStream,
  };
  const restart = { configFile: o.str('config-file'), logLevel: o.str('log-level'), maxReconnectSeconds };
  // A rerun after this importer completed the cutover: go straight to what follows (export data from target).
  if (await resumeTargetImporterCutover(fallBack, target, restart)) return;
  const progress = createTableProgress(ctx.out, o.bool('disable-pb') ?? false, { verb: 'imported', rate: true });
  const result = await importSnapshot(
    { target, state: ctx.state, exportDir: ctx.exportDir, log: ctx.log, progress, say: (l) => ctx.out.line(l), out: ctx.out, maxReconnectMs: fallBack.maxReconnectMs },
    {
      parallelJobs,
      batchSize,
      tableList: o.list('table-list'),
      excludeTableList: o.list('exclude-table-list'),
      startClean: o.bool('start-clean') ?? false,
      truncateTables: o.bool('truncate-tables') ?? false,
    },
    ctx.signal,
  );
  ctx.out.line(result.status === 'already-imported' ? 'the snapshot was already imported by an earlier run' : 'snapshot imported');
  ctx.out.line(renderImportSummary(result.tables));
  if (result.exportType === 'snapshot-and-changes') {
    ctx.out.line('applying the streamed changes');
    // Until the cutover marker; then (fall-back) this process carries on as export data from target.
    await importChangesToTarget(fallBack, target, restart);
  }
}
