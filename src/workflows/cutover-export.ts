/**
 * The exporter's half of a cutover (DESIGN.md §3). The forward exporter (export data from source) does it
 * for cutover to target, the fall-back exporter (export data from target) for cutover to source:
 *
 *  1. once the cutover is requested: read the exporting database's current position once and persist it
 *     as the stop position (every transaction the application committed before the request is before it);
 *  2. the stream goes on until it has passed that position at a transaction boundary (ChangeExporter's
 *     stopWhenPassed);
 *  3. then, with the stream closed: read the sequences, append the in-band marker (carrying them), commit,
 *     close the segment; record markerVsn + sequences; drop the change capture (a slot left on a database
 *     we no longer read retains WAL until its disk fills); mark exporterDone.
 *
 * Each step is persisted and idempotent: a process killed at any point and rerun finishes correctly (a
 * marker already in the queue is found there, never written twice; a slot already gone is fine).
 */
import type { Endpoint } from '../adapters/engine.js';
import type { ExporterRole, MarkerEvent } from '../core/change-event.js';
import { markStep, type Direction, type SequenceValue } from '../core/cutover.js';
import type { ExportDir } from '../export-dir/layout.js';
import { modifyCutover, readCutover } from '../export-dir/migration-state.js';
import { markSegmentClosed, QueueWriter } from '../export-dir/queue.js';
import { lastCommittedEvent } from '../export-dir/queue-tail.js';
import type { StateStore } from '../export-dir/state-store.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';
import { migratedSchemas } from './migrated-tables.js';

export type Side = 'source' | 'target';

/** What a cutover means for the exporter streaming from `side`. */
export const EXPORTER_CUTOVER: Record<Side, { direction: Direction; marker: MarkerEvent['op']; role: ExporterRole }> = {
  source: { direction: 'toTarget', marker: 'cutover.target', role: 'source_db_exporter' },
  target: { direction: 'toSource', marker: 'cutover.source', role: 'target_db_exporter_fb' },
};

export interface ExporterCutoverDeps {
  exportDir: ExportDir;
  state: StateStore;
  log: Logger;
  say: (line: string) => void;
  /** The database this exporter streams from. */
  side: Side;
  db: Endpoint;
  /** Schemas (on the exporting side) whose sequences travel with the marker. */
  schemas: readonly string[];
}

/** The deps for the exporter streaming from `side`, from what the stream loop has at hand. */
export function exporterCutoverDeps(
  d: { db: Endpoint; state: StateStore; exportDir: ExportDir; log: Logger; out: { line(text: string): void } },
  side: Side,
): ExporterCutoverDeps {
  return {
    exportDir: d.exportDir,
    state: d.state,
    log: d.log,
    say: (l) => d.out.line(l),
    side,
    db: d.db,
    schemas: migratedSchemas(d.state),
  };
}

/** True once a cutover that the exporter streaming from `side` must carry out has been requested. */
export function exporterCutoverRequested(state: StateStore, side: Side): boolean {
  return Boolean(readCutover(state)[EXPORTER_CUTOVER[side].direction].requestedAt);
}

/** True once this exporter has finished its part of the cutover (the stream must not start again). */
export function exporterCutoverDone(state: StateStore, side: Side): boolean {
  return Boolean(readCutover(state)[EXPORTER_CUTOVER[side].direction].exporterDone);
}

/**
 * True when the marker is already in the queue: a rerun must skip streaming (anything it streamed now would
 * land after the marker and never be applied) and go straight to finishExporterCutover().
 */
export function exporterMarkerWritten(deps: Pick<ExporterCutoverDeps, 'exportDir' | 'state' | 'side'>): boolean {
  return findMarker(deps) !== undefined;
}

/**
 * Undefined while no cutover is requested. Otherwise the stop position, read from the exporting database
 * the first time and persisted, so a rerun stops at the same place.
 */
export async function cutoverStopPosition(deps: ExporterCutoverDeps): Promise<string | undefined> {
  const { direction } = EXPORTER_CUTOVER[deps.side];
  const d = readCutover(deps.state)[direction];
  if (!d.requestedAt) return undefined;
  if (d.stopPosition) return d.stopPosition;
  const position = await deps.db.engine.changeSource!.currentPosition(deps.db.conn, deps.log);
  const next = modifyCutover(deps.state, (cur) => (cur[direction].stopPosition ? cur : { ...cur, [direction]: { ...cur[direction], stopPosition: position } }));
  const stop = next[direction].stopPosition!;
  deps.log.info('cutover requested: streaming up to the position current at the request', { direction, stopPosition: stop });
  deps.say(`cutover requested: exporting every change up to ${deps.side} position ${stop}`);
  failpoint('cutover.exporter.after-stop-position');
  return stop;
}

function findMarker(deps: Pick<ExporterCutoverDeps, 'exportDir' | 'state' | 'side'>): { event: MarkerEvent; segmentNo: number } | undefined {
  const { role, marker } = EXPORTER_CUTOVER[deps.side];
  const last = lastCommittedEvent(deps.exportDir, deps.state, role);
  if (!last || last.event.op !== marker) return undefined;
  return { event: last.event as MarkerEvent, segmentNo: last.segment.segment_no };
}

/**
 * Steps 3…: call with the replication stream closed (it holds the slot) and its queue writer closed or
 * passed in. Safe to call again at any point.
 */
export async function finishExporterCutover(deps: ExporterCutoverDeps, writer?: QueueWriter): Promise<void> {
  const { direction, marker, role } = EXPORTER_CUTOVER[deps.side];
  if (readCutover(deps.state)[direction].exporterDone) {
    writer?.close();
    return;
  }
  const { engine, conn } = deps.db;
  let found = findMarker(deps);
  if (!found) {
    const sequences = await engine.sequences.read(conn, deps.schemas);
    const w = writer ?? QueueWriter.open(deps.exportDir, deps.state, role);
    const vsn = w.append({ op: marker, sequences });
    w.commit();
    failpoint('cutover.exporter.after-marker');
    w.closeSegment();
    found = { event: { vsn, op: marker, sequences }, segmentNo: -1 };
    deps.say(`wrote the cutover marker (vsn ${vsn}) after the last change; ${sequences.length} sequence value(s) travel with it`);
  } else {
    // A previous run wrote the marker and may have died before closing its segment.
    writer?.close();
    markSegmentClosed(deps.state, found.segmentNo);
  }
  const markerVsn = found.event.vsn;
  const sequences: SequenceValue[] = found.event.sequences ?? [];
  modifyCutover(deps.state, (cur) => ({ ...cur, [direction]: { ...cur[direction], markerVsn, sequences } }));
  failpoint('cutover.exporter.after-record-marker');

  const dropped = await engine.changeSource!.drop(conn, { migrationUuid: deps.state.migration().uuid, side: deps.side });
  for (const d of dropped) deps.say(`dropped ${d} on the ${deps.side}`);
  modifyCutover(deps.state, (cur) => markStep(cur, direction, { exporterDone: true }, new Date().toISOString()));
  deps.log.info('exporter finished its part of the cutover', { direction, markerVsn });
  deps.say(`export from the ${deps.side} is complete for the cutover`);
}
