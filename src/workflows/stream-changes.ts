/**
 * Live change export: stream the slot's changes (pgoutput) into the on-disk queue until SIGINT/SIGTERM or a
 * cutover, with the spec's metrics table every ~10 s and the WAL the slot retains in the log every ~30 s.
 * Exactly-once across kill -9 comes from ChangeExporter (see change-exporter.ts) and ReplicationStream
 * (confirms only what the queue made durable).
 *
 * Parametrised by side: 'source' is export data from source (role source_db_exporter, the slot the snapshot
 * created); 'target' is the fall-back stream of export data from target (role target_db_exporter_fb).
 */
import type pg from 'pg';
import { renderMetricsTable } from '../cli/render/metrics-table.js';
import type { Output } from '../cli/render/output.js';
import type { ConnSecret, ConnSettings } from '../core/connection.js';
import { connect } from '../adapters/postgres/connection.js';
import { mapQueryError } from '../adapters/postgres/errors.js';
import { assertStreamingPrerequisites, checkStreamingPrerequisites } from '../adapters/postgres/guardrails.js';
import { formatLsn, parseLsn } from '../adapters/postgres/lsn.js';
import { PgOutputTranslator, type StreamedTable } from '../adapters/postgres/pgoutput-events.js';
import { ReplicationStream, slotRetainedWal } from '../adapters/postgres/replication-stream.js';
import type { ExporterRole } from '../core/change-event.js';
import { publicationName, slotName } from '../core/names.js';
import type { ExportDir } from '../export-dir/layout.js';
import { exportedEventTotal, exporterPosition, exportRate, QueueWriter } from '../export-dir/queue.js';
import { readExportData, readPgReplication } from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import type { Logger } from '../infra/logger.js';
import { ChangeExporter, DEFAULT_GROUP_COMMIT_MS } from './change-exporter.js';
import { cutoverStopPosition, exporterCutoverDeps, exporterCutoverRequested, finishExporterCutover } from './cutover-export.js';

export type Side = 'source' | 'target';

export interface StreamChangesDeps {
  settings: ConnSettings;
  secret: ConnSecret;
  state: StateStore;
  exportDir: ExportDir;
  log: Logger;
  out: Output;
  /** Which database this process streams from; 'source' unless it is the fall-back stream. */
  side?: Side;
  /** Tuning and tests. */
  metricsIntervalMs?: number;
  walReportIntervalMs?: number;
  groupCommitMs?: number;
}

const ROLE: Record<Side, ExporterRole> = { source: 'source_db_exporter', target: 'target_db_exporter_fb' };

export async function streamChanges(deps: StreamChangesDeps, signal: AbortSignal): Promise<void> {
  const side = deps.side ?? 'source';
  const role = ROLE[side];
  const { log, out, state } = deps;
  const { slot, publication, consistentLsn } = replicationObjects(state, side);
  const tables = streamedTables(state);

  let admin: pg.Client | undefined = await connect(deps.settings, deps.secret, { applicationName: 'yb-voyager change export monitor' });
  try {
    const report = await checkStreamingPrerequisites(admin, tables ?? [], { needNewSlot: false, slotName: slot }).catch((e) => {
      throw mapQueryError(e, `checking the ${side} database before streaming`);
    });
    for (const w of report.warnings) {
      log.warn(w);
      out.warn(w);
    }
    assertStreamingPrerequisites(report, side);
  } catch (e) {
    await admin.end().catch(() => undefined);
    throw e;
  }
  if (signal.aborted) {
    await admin.end().catch(() => undefined);
    return;
  }

  // Start from the slot: the server resends from its confirmed position, which may be behind the queue (a
  // crash between our commit and the confirmation); ChangeExporter skips what the queue already holds.
  const saved = exporterPosition(state, role);
  const durableLsn = saved ? parseLsn(saved) : consistentLsn ? parseLsn(consistentLsn) : 0n;
  const writer = QueueWriter.open(deps.exportDir, state, role);
  let stream: ReplicationStream | undefined;
  const exporter = new ChangeExporter({
    writer,
    translator: new PgOutputTranslator(tables),
    durableLsn,
    log,
    warn: (t) => out.warn(t),
    onDurable: (lsn) => stream?.confirm(lsn),
    groupCommitMs: deps.groupCommitMs,
  });
  const timers: NodeJS.Timeout[] = [];
  const onAbort = () => {
    log.info('stop requested: finishing the current source transaction');
    void exporter.requestStop('signal');
  };
  try {
    stream = await ReplicationStream.open(deps.settings, deps.secret, { slot, publication, startLsn: 0n, confirmedLsn: durableLsn, log }, {
      onData: (frame, offset) => exporter.onData(frame, offset),
      onKeepalive: (walEnd) => exporter.onKeepalive(walEnd),
    });
    log.info('streaming changes', { side, slot, publication, durable: formatLsn(durableLsn), resumed: saved !== undefined });
    out.line(`streaming changes from the ${side} (slot ${slot}) into ${deps.exportDir.queueDir}`);

    const showMetrics = () => out.block(renderMetricsTable(exportMetricRows(state, role, writer.runEvents), { nameCell: 42 }));
    const reportWal = async () => {
      try {
        admin ??= await connect(deps.settings, deps.secret, { applicationName: 'yb-voyager change export monitor' });
        const s = await slotRetainedWal(admin, slot);
        if (s) log.info('replication slot retains WAL on the server', { slot, retainedBytes: s.retainedBytes, retainedMB: Math.round(s.retainedBytes / 1048576), confirmedFlush: s.confirmedFlush });
      } catch (e) {
        log.warn('could not read the WAL the replication slot retains', { err: e });
        await admin?.end().catch(() => undefined);
        admin = undefined;
      }
    };
    showMetrics();
    void reportWal();
    timers.push(setInterval(() => exporter.tick(), Math.max(5, Math.floor((deps.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS) / 2))));
    timers.push(setInterval(showMetrics, deps.metricsIntervalMs ?? 10_000));
    timers.push(setInterval(() => void reportWal(), deps.walReportIntervalMs ?? 30_000));
    const checkCutover = cutoverWatch(deps, side, exporter);
    timers.push(setInterval(() => void checkCutover().catch((e) => log.warn('cutover check failed; retrying', { err: e })), 1000));

    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    await Promise.race([stream.done, exporter.whenStopped]);
    for (const t of timers) clearInterval(t);
    await stream.close();
    showMetrics();
    log.info('change export stopped', {
      reason: exporter.stopped,
      durable: formatLsn(exporter.durableLsn),
      eventsThisRun: writer.runEvents,
      skippedTransactions: exporter.skippedTransactions,
    });
    await writer.drain(); // (a stop waits for its commit; this only makes it explicit)
    if (exporter.stopped === 'position') {
      await afterCutoverStop(deps, side, writer);
      return;
    }
    writer.close();
    out.line(`change export stopped at ${side} position ${formatLsn(exporter.durableLsn)}; rerun the same command to resume`);
  } catch (e) {
    // Whatever was appended but not committed is dropped on the next open and resent by the server.
    writer.close();
    throw e;
  } finally {
    for (const t of timers) clearInterval(t);
    signal.removeEventListener('abort', onAbort);
    await stream?.close().catch(() => undefined);
    await admin?.end().catch(() => undefined);
  }
}

/** The spec's export metrics rows. */
export function exportMetricRows(state: StateStore, role: ExporterRole, eventsThisRun: number): [string, string][] {
  return [
    ['Total Exported Events', String(exportedEventTotal(state, [role]))],
    ['Total Exported Events (Current Run)', String(eventsThisRun)],
    ['Export Rate(Last 3 min)', `${Math.round(exportRate(state, role, 180))}/sec`],
    ['Export Rate(Last 10 min)', `${Math.round(exportRate(state, role, 600))}/sec`],
  ];
}

function replicationObjects(state: StateStore, side: Side): { slot: string; publication: string; consistentLsn?: string } {
  if (side === 'source') {
    const rec = readPgReplication(state);
    if (rec) return { slot: rec.slotName, publication: rec.publicationName, consistentLsn: rec.consistentLsn };
  }
  const uuid = state.migration().uuid;
  return { slot: slotName(uuid, side), publication: publicationName(uuid, side) };
}

/** The exported tables with their primary keys; undefined (every published table) before a snapshot recorded them. */
function streamedTables(state: StateStore): StreamedTable[] | undefined {
  return readExportData(state)?.tables.map((t) => ({ schema: t.schema, table: t.table, pk: t.pk }));
}

// ---- Cutover hooks ----------------------------------------------------------------------------------------
// The stream stops for a cutover in three steps: exporterCutoverRequested() turns true; cutoverStopLsn()
// yields the position the stream must pass (persisted, so a rerun stops at the same place); the exporter
// stops at the first transaction boundary past it with everything before it durable; then afterCutoverStop()
// runs with the replication connection closed and the queue writer still open (write the marker with it,
// close the segment, drop slot and publication, mark the step done).

/** The position the stream must pass before it stops for the cutover. */
async function cutoverStopLsn(deps: StreamChangesDeps, side: Side): Promise<bigint | undefined> {
  const stop = await cutoverStopPosition(exporterCutoverDeps(deps, side));
  return stop === undefined ? undefined : parseLsn(stop);
}

/** A check every second: once a cutover is requested, tell the exporter where to stop. */
function cutoverWatch(deps: StreamChangesDeps, side: Side, exporter: ChangeExporter): () => Promise<void> {
  let busy = false;
  let armed = false;
  return async () => {
    if (busy || armed || exporter.stopped || !exporterCutoverRequested(deps.state, side)) return;
    busy = true;
    try {
      const stop = await cutoverStopLsn(deps, side);
      if (stop !== undefined) {
        armed = true;
        deps.log.info('cutover: the stream stops once it has passed the stop position', { stop: formatLsn(stop) });
        exporter.stopWhenPassed(stop);
      }
    } finally {
      busy = false;
    }
  };
}

async function afterCutoverStop(deps: StreamChangesDeps, side: Side, writer: QueueWriter): Promise<void> {
  await finishExporterCutover(exporterCutoverDeps(deps, side), writer);
}
