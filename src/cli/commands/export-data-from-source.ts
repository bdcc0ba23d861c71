/**
 * export data from source: the snapshot, then (snapshot-and-changes) the change stream from the slot the
 * snapshot created.
 */
import type { ExportType } from '../../export-dir/snapshot-state.js';
import { assertCanStreamChanges, exportSnapshot } from '../../workflows/export-snapshot.js';
import { afterSourceChangeExport, recordFallBackCapability, resumeSourceExporterCutover } from '../../workflows/fall-back.js';
import { DEFAULT_MAX_RECONNECT_SECONDS } from '../../workflows/reconnect.js';
import { streamChanges, streamingCheck } from '../../workflows/stream-changes.js';
import { readExportData } from '../../export-dir/snapshot-state.js';
import { startEarly } from '../../infra/start-early.js';
import { endpointFromOptions } from '../connection-options.js';
import type { CommandContext } from '../context.js';
import { renderExportSummary } from '../render/snapshot-summary.js';
import { createTableProgress } from '../render/table-progress.js';

export async function run(ctx: CommandContext): Promise<void> {
  const o = ctx.options;
  const source = await endpointFromOptions(o, 'source');
  const exportType = o.str('export-type') as ExportType;
  const maxReconnectSeconds = o.int('max-reconnect-time') ?? DEFAULT_MAX_RECONNECT_SECONDS;
  const fallBack = { exportDir: ctx.exportDir, state: ctx.state, log: ctx.log, out: ctx.out, signal: ctx.signal, maxReconnectMs: maxReconnectSeconds * 1000 };
  const restart = { configFile: o.str('config-file'), logLevel: o.str('log-level'), maxReconnectSeconds };
  const live = exportType === 'snapshot-and-changes';
  const startClean = o.bool('start-clean') ?? false;
  if (live) {
    assertCanStreamChanges(source.engine);
    // A rerun after the cutover began (crash, kill -9): finish it and go on; never export or stream again.
    if (await resumeSourceExporterCutover(fallBack, source, restart)) return;
  }
  // The source round trips before the stream do not depend on each other: they overlap, and are taken in order.
  // The first goes alone, the others once it got in: a wrong password is one failed login, not one per check.
  const capability = live && source.engine.changeSink ? startEarly(() => source.engine.changeSink!.checkApply(source.conn)) : undefined;
  const identity = startEarly(async () => {
    await capability;
    return source.engine.identity(source.conn, ctx.log);
  });
  // (Only on a complete snapshot: a snapshot still to export creates the capture the check looks at.)
  const check = live && !startClean && readExportData(ctx.state)?.snapshotStatus === 'complete'
    ? startEarly(async () => {
      await (capability ?? identity);
      return streamingCheck(source, ctx.state);
    })
    : undefined;
  if (live) await recordFallBackCapability(fallBack, source, capability);
  const progress = createTableProgress(ctx.out, o.bool('disable-pb') ?? false, { verb: 'exported', rate: false });
  const result = await exportSnapshot(
    { source, identity, state: ctx.state, exportDir: ctx.exportDir, log: ctx.log, progress, say: (l) => ctx.out.line(l), out: ctx.out, maxReconnectMs: fallBack.maxReconnectMs },
    {
      exportType,
      schemas: o.list('source-db-schema') ?? [],
      tableList: o.list('table-list'),
      excludeTableList: o.list('exclude-table-list'),
      parallelJobs: o.int('parallel-jobs') ?? 4,
      startClean,
    },
    ctx.signal,
  );
  if (result.status === 'already-exported') {
    ctx.out.line('the snapshot was already exported by an earlier run (use --start-clean true to export it again)');
  } else {
    ctx.out.line(`snapshot exported to ${ctx.exportDir.dataDir}`);
  }
  ctx.out.line(renderExportSummary(result.tables));
  if (live) {
    await streamChanges({ db: source, check, state: ctx.state, exportDir: ctx.exportDir, log: ctx.log, out: ctx.out, maxReconnectMs: fallBack.maxReconnectMs }, ctx.signal);
    // Stopped for the cutover to target: with fall-back this process carries on as import data to source.
    await afterSourceChangeExport(fallBack, source, restart);
  }
}
