/**
 * Live change export: stream a database's changes (its engine's change source) into the on-disk queue until
 * SIGINT/SIGTERM or a cutover, with the spec's metrics table every ~10 s and what the capture retains on the
 * server in the log every ~30 s. Exactly-once across kill -9 comes from ChangeExporter (change-exporter.ts)
 * and the change source confirming only what the queue made durable.
 *
 * Parametrised by side: 'source' is export data from source (role source_db_exporter, the capture the
 * snapshot created); 'target' is the fall-back stream of export data from target (role target_db_exporter_fb).
 */
import type { CaptureId, CaptureStream, ChangeSource, Endpoint, StreamedTable } from '../adapters/engine.js';
import type { ExporterRole } from '../core/change-event.js';
import type { ExportDir } from '../export-dir/layout.js';
import { assertLocksHeld } from '../export-dir/lock.js';
import { exportedEventTotal, exporterPosition, exportRate, QueueWriter } from '../export-dir/queue.js';
import { readCapture, readExportData } from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { problemsError, UserError } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { ChangeExporter, type StopReason } from './change-exporter.js';
import { cutoverStopPosition, exporterCutoverDeps, exporterCutoverRequested, finishExporterCutover } from './cutover-export.js';
import type { Output } from './ports.js';
import { DEFAULT_MAX_RECONNECT_SECONDS, Reconnector } from './reconnect.js';

export type Side = 'source' | 'target';

export interface StreamChangesDeps {
  /** The database streamed from. */
  db: Endpoint;
  state: StateStore;
  exportDir: ExportDir;
  log: Logger;
  out: Output;
  /** Which database this process streams from; 'source' unless it is the fall-back stream. */
  side?: Side;
  /** --max-reconnect-time in ms (default 5 minutes). */
  maxReconnectMs?: number;
  /** The check before streaming, when the caller started it early (streamingCheck). */
  check?: Promise<StreamingCheck>;
  /** Tuning and tests. */
  metricsIntervalMs?: number;
  walReportIntervalMs?: number;
  groupCommitMs?: number;
}

const ROLE: Record<Side, ExporterRole> = { source: 'source_db_exporter', target: 'target_db_exporter_fb' };
const COMMAND_ID: Record<Side, string> = { source: 'export-data-from-source', target: 'export-data-from-target' };

export async function streamChanges(deps: StreamChangesDeps, signal: AbortSignal): Promise<void> {
  const side = deps.side ?? 'source';
  const role = ROLE[side];
  const { log, out, state } = deps;
  const capture = captureOf(state, side);
  const tables = streamedTables(state);

  const report = await (deps.check ?? streamingCheck(deps.db, state, side));
  for (const w of report.warnings) {
    log.warn(w);
    out.warn(w);
  }
  if (report.problems.length) throw problemsError(`the ${side} database is not ready to stream changes`, report.problems);
  if (signal.aborted) return;

  const reconnect = new Reconnector({
    side, db: deps.db, state, commandId: COMMAND_ID[side], out, log, signal,
    windowMs: deps.maxReconnectMs ?? DEFAULT_MAX_RECONNECT_SECONDS * 1000,
  });
  const run = { events: 0 };
  const stopped = await reconnect.run(() => streamSession(deps, side, capture, tables, reconnect, run, signal), () => 'signal' as const);
  if (stopped === 'position') {
    // Idempotent: a connection lost in the middle is retried like a lost stream.
    await reconnect.run(() => finishExporterCutover(exporterCutoverDeps(deps, side)), () => undefined);
    return;
  }
  out.line(`change export stopped at ${side} position ${exporterPosition(state, role) ?? '(none yet)'}; rerun the same command to resume`);
}

export type StreamingCheck = Awaited<ReturnType<ChangeSource['check']>>;

/**
 * The check streamChanges runs first (problems and warnings). Started early only where nothing before the
 * stream changes the streamed tables (a snapshot already complete).
 */
export function streamingCheck(db: Endpoint, state: StateStore, side: Side = 'source'): Promise<StreamingCheck> {
  const { engine, conn } = db;
  if (!engine.changeSource) throw new UserError(`streaming changes from ${engine.displayName} is not supported`, 'use --export-type snapshot-only');
  return engine.changeSource.check(conn, streamedTables(state), captureOf(state, side));
}

function captureOf(state: StateStore, side: Side): CaptureId {
  return { migrationUuid: state.migration().uuid, side };
}

/**
 * One connection's worth of streaming: from the durable position until a signal, the cutover stop position,
 * or a failure. Whatever was appended but not committed is dropped when the next session opens the queue
 * (and resent by the source).
 */
async function streamSession(
  deps: StreamChangesDeps,
  side: Side,
  capture: CaptureId,
  tables: StreamedTable[] | undefined,
  reconnect: Reconnector,
  run: { events: number },
  signal: AbortSignal,
): Promise<StopReason> {
  const { log, out, state } = deps;
  const { engine, conn } = deps.db;
  const role = ROLE[side];
  // Opened first: it may take back transactions an OS crash left out of meta.db, and their position.
  const writer = QueueWriter.open(deps.exportDir, state, role);
  // The source resends from its confirmed position, which may be behind the queue (a crash between our
  // commit and the confirmation); ChangeExporter skips what the queue already holds.
  const saved = exporterPosition(state, role);
  const from = saved ?? (side === 'source' ? readCapture(state)?.start : undefined) ?? engine.positions.origin;
  let stream: CaptureStream | undefined;
  const exporter = new ChangeExporter({
    writer,
    positions: engine.positions,
    durable: from,
    log,
    warn: (t) => out.warn(t),
    onDurable: (pos) => stream?.confirm(pos),
    groupCommitMs: deps.groupCommitMs,
  });
  const timers: NodeJS.Timeout[] = [];
  const onAbort = () => {
    log.info('stop requested: finishing the current source transaction');
    void exporter.requestStop('signal');
  };
  const showMetrics = () => out.metrics('export', exportMetricRows(state, role, run.events + writer.runEvents));
  try {
    stream = await engine.changeSource!.open(conn, { capture, from, tables, log }, exporter);
    reconnect.healthy();
    log.info('streaming changes', { side, durable: from, resumed: saved !== undefined });
    out.line(`streaming changes from the ${side} into ${deps.exportDir.queueDir}`);

    const reportRetained = async () => {
      try {
        const r = await engine.changeSource!.retained(conn, capture);
        if (r) log.info('the change capture retains data on the server', { retainedBytes: r.bytes, retainedMB: Math.round(r.bytes / 1048576), ...r.detail });
      } catch (e) {
        log.warn('could not read what the change capture retains on the server', { err: e });
      }
    };
    showMetrics();
    void reportRetained();
    timers.push(setInterval(showMetrics, deps.metricsIntervalMs ?? 10_000));
    timers.push(setInterval(() => void reportRetained(), deps.walReportIntervalMs ?? 30_000));
    const checkCutover = cutoverWatch(deps, side, exporter);
    timers.push(setInterval(() => void checkCutover().catch((e) => log.warn('cutover check failed; retrying', { err: e })), 1000));
    // The process must not outlive its migration (export dir or lock removed): stop at a boundary, then fail.
    let orphaned: unknown;
    timers.push(setInterval(() => {
      try {
        assertLocksHeld();
      } catch (e) {
        orphaned ??= e;
        void exporter.requestStop('signal');
      }
    }, 1000));

    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    await Promise.race([stream.done, exporter.whenStopped]);
    for (const t of timers) clearInterval(t);
    await stream.close();
    showMetrics();
    log.info('change export stopped', {
      reason: exporter.stopped,
      durable: exporter.durable,
      eventsThisRun: run.events + writer.runEvents,
      skippedTransactions: exporter.skippedTransactions,
    });
    await writer.drain(); // (a stop waits for its commit; this only makes it explicit)
    writer.close();
    if (orphaned) throw orphaned;
    return exporter.stopped ?? 'signal';
  } catch (e) {
    // The stream first: what it still delivers must not reach a closed writer.
    await stream?.close().catch(() => undefined);
    writer.close();
    throw e;
  } finally {
    run.events += writer.runEvents;
    for (const t of timers) clearInterval(t);
    signal.removeEventListener('abort', onAbort);
    await stream?.close().catch(() => undefined);
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

/** The exported tables with their primary keys; undefined (every published table) before a snapshot recorded them. */
function streamedTables(state: StateStore): StreamedTable[] | undefined {
  return readExportData(state)?.tables.map((t) => ({ schema: t.schema, table: t.table, pk: t.pk }));
}

// ---- Cutover hooks ----------------------------------------------------------------------------------------
// The stream stops for a cutover in three steps: exporterCutoverRequested() turns true; cutoverStopPosition()
// yields the position the stream must pass (persisted, so a rerun stops at the same place); the exporter
// stops at the first transaction boundary past it with everything before it durable; then finishExporterCutover()
// runs with the replication connection closed and the queue writer still open (write the marker with it,
// close the segment, drop slot and publication, mark the step done).

/** A check every second: once a cutover is requested, tell the exporter where to stop. */
function cutoverWatch(deps: StreamChangesDeps, side: Side, exporter: ChangeExporter): () => Promise<void> {
  let busy = false;
  let armed = false;
  return async () => {
    if (busy || armed || exporter.stopped || !exporterCutoverRequested(deps.state, side)) return;
    busy = true;
    try {
      const stop = await cutoverStopPosition(exporterCutoverDeps(deps, side));
      if (stop !== undefined) {
        armed = true;
        deps.log.info('cutover: the stream stops once it has passed the stop position', { stop });
        exporter.stopWhenPassed(stop);
      }
    } finally {
      busy = false;
    }
  };
}
