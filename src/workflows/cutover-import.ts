/**
 * The importer's half of a cutover (DESIGN.md §3). Called when the apply loop reaches the cutover marker
 * with everything before it applied and committed:
 *
 *  1. restore the sequences on the database being applied to, from the values that travelled with the
 *     marker (never behind the data there);
 *  2. cutover to target with fall-back only: create the target's change capture (publication and slot) —
 *     after everything forward is applied, so it carries only the application's new target writes;
 *  3. pass the marker: the watermark moves past it and the apply session closes (the last write of the old
 *     direction);
 *  4. mark importerDone (and the fall-back stream ready) in one step, which makes the cutover COMPLETED (once the
 *     exporter is done too): the application may now write.
 *
 * Idempotent: sequence restore never moves a sequence back, the capture is created if missing.
 */
import type { Endpoint } from '../adapters/engine.js';
import type { MarkerEvent } from '../core/change-event.js';
import { markFallBackReady, markStep, statusOf, type Direction } from '../core/cutover.js';
import { modifyCutover, readCutover } from '../export-dir/migration-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { InternalError } from '../infra/errors.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';
import type { Side } from './cutover-export.js';

/** What a cutover means for the importer applying to `side`. */
export const IMPORTER_CUTOVER: Record<Side, { direction: Direction; marker: MarkerEvent['op'] }> = {
  target: { direction: 'toTarget', marker: 'cutover.target' },
  source: { direction: 'toSource', marker: 'cutover.source' },
};

export interface ImporterCutoverDeps {
  state: StateStore;
  log: Logger;
  say: (line: string) => void;
  /** The database this importer applies to. */
  side: Side;
  db: Endpoint;
  /** The migrated tables as named on this side: the fall-back publication lists exactly these. */
  tables: () => Promise<readonly { schema: string; table: string }[]>;
  /** Schema on this side for a schema of the exporting side (identity by default). */
  mapSchema?: (schema: string) => string;
}

export type ImporterCutoverOutcome =
  /** Cutover done; with fall-back this process carries on as `export data from target`. */
  { carryOnAsFallBackExporter: boolean };

/** True once this importer has done all of its cutover work (a rerun goes straight to what comes next). */
export function importerCutoverDone(state: StateStore, side: Side): boolean {
  const c = readCutover(state);
  const d = c[IMPORTER_CUTOVER[side].direction];
  if (!d.importerDone) return false;
  return side === 'source' || !c.prepareForFallBack || Boolean(c.fallBackStreamReady);
}

export function importerCarriesOn(state: StateStore, side: Side): boolean {
  return side === 'target' && Boolean(readCutover(state).prepareForFallBack);
}

/**
 * The importer's cutover steps. `passMarker` (from the apply loop) ends the old direction's writes — the
 * watermark past the marker, the apply session closed — and runs before the step that makes the cutover
 * COMPLETED: from then on the application owns the database and nothing of the old direction writes there.
 */
export async function finishImporterCutover(
  deps: ImporterCutoverDeps,
  marker: (Pick<MarkerEvent, 'op' | 'sequences'> & { vsn?: number }) | undefined,
  passMarker?: () => Promise<void>,
): Promise<ImporterCutoverOutcome> {
  const { direction, marker: expected } = IMPORTER_CUTOVER[deps.side];
  if (marker && marker.op !== expected) throw new InternalError(`the ${deps.side} importer met a ${marker.op} marker; it expects ${expected}`);
  const { engine, conn } = deps.db;
  let state = readCutover(deps.state);
  const withFallBack = deps.side === 'target' && Boolean(state.prepareForFallBack);
  if (!state[direction].importerDone) {
    const sequences = marker?.sequences ?? state[direction].sequences;
    if (!sequences) throw new InternalError(`cutover ${direction}: no sequence values came with the marker nor are recorded`);
    if (!engine.sequences.restore) throw new InternalError(`cutover ${direction}: ${engine.displayName} cannot have its sequences restored, yet the cutover moves the application to it`);
    const restored = await engine.sequences.restore(conn, sequences, { mapSchema: deps.mapSchema });
    const set = restored.filter((r) => r.setTo !== undefined);
    const missing = restored.filter((r) => r.skipped === 'missing');
    deps.log.info('sequences restored', { direction, restored });
    deps.say(`restored ${set.length} sequence(s) on the ${deps.side}${missing.length ? `; not found here: ${missing.map((m) => `${m.schema}.${m.name}`).join(', ')}` : ''}`);
    failpoint('cutover.importer.after-sequences');
    // Before COMPLETED: the application's first write on the source must fire its triggers again.
    const recreated = deps.side === 'source' ? ((await engine.changeSink?.restoreTriggers?.(conn, { migrationUuid: deps.state.migration().uuid, log: deps.log })) ?? []) : [];
    if (recreated.length) deps.say(`recreated ${recreated.length} trigger(s) on the source, as they were: ${recreated.join(', ')}`);
  }
  if (withFallBack && !state.fallBackStreamReady) await prepareFallBackStream(deps);
  if (passMarker) {
    // A run that dies after passing the marker never reads it again: the rerun finds the marker recorded here
    // (the exporter records the same values, possibly later) and the watermark at it (fall-back.ts).
    if (marker?.vsn !== undefined) {
      const { vsn, sequences = [] } = marker;
      modifyCutover(deps.state, (cur) => (cur[direction].markerVsn !== undefined && cur[direction].sequences ? cur : { ...cur, [direction]: { ...cur[direction], markerVsn: vsn, sequences } }));
    }
    await passMarker();
    failpoint('cutover.importer.after-passing-marker');
  }
  state = modifyCutover(deps.state, (cur) => {
    const now = new Date().toISOString();
    const next = markStep(cur, direction, { importerDone: true }, now);
    return withFallBack ? markFallBackReady(next, now) : next;
  });
  if (statusOf(state, direction) === 'COMPLETED') {
    failpoint('cutover.importer.after-completed');
    deps.say(direction === 'toTarget'
      ? `cutover to target COMPLETED: the application may now write to the target${state.prepareForFallBack ? '; its changes stream back to the source' : ''}`
      : 'cutover to source COMPLETED: the application may now write to the source');
  }
  return { carryOnAsFallBackExporter: importerCarriesOn(deps.state, deps.side) };
}

async function prepareFallBackStream(deps: ImporterCutoverDeps): Promise<void> {
  const { engine, conn } = deps.db;
  if (!engine.changeSource) throw new InternalError(`${engine.displayName} cannot stream changes back: fall-back was allowed without a change source`);
  const tables = await deps.tables();
  if (!tables.length) throw new InternalError('no migrated tables known: cannot create the fall-back change capture');
  const created = await engine.changeSource.prepare(conn, { migrationUuid: deps.state.migration().uuid, side: 'target' }, tables);
  for (const c of created) deps.say(`created ${c} on the target`);
}
