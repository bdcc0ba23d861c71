/**
 * The cutover state machine, persisted in meta.db (kv 'cutover'). Explicit steps per direction, each set
 * once by the process that did it, so any process can be killed and rerun and continue where it stopped:
 *
 *   to target: requested → exporterDone (source streamed to the request-time position, marker written,
 *              slot + publication dropped) → importerDone (everything before the marker applied, sequences
 *              restored on the target) → [fall-back] fallBackStreamReady (target publication + slot created)
 *              → COMPLETED
 *   to source: requested → exporterDone (target marker written, target slot + publication dropped)
 *              → importerDone (applied, sequences restored on the source) → COMPLETED
 */
export type CutoverStatus = 'NOT_INITIATED' | 'INITIATED' | 'COMPLETED';
export type Direction = 'toTarget' | 'toSource';

export interface SequenceValue {
  schema: string;
  name: string;
  /** last_value as text (bigint), or null when the sequence was never used. */
  lastValue: string | null;
}

export interface DirectionState {
  requestedAt?: string;
  /** Source position current when the cutover was requested: the exporter streams at least up to it. */
  stopPosition?: string;
  exporterDone?: boolean;
  markerVsn?: number;
  /** Sequence values read from the exporting side when the marker was written. */
  sequences?: SequenceValue[];
  importerDone?: boolean;
  completedAt?: string;
}

export interface CutoverState {
  prepareForFallBack?: boolean;
  toTarget: DirectionState;
  /** Set by the target importer once the target's publication and slot exist (fall-back only). */
  fallBackStreamReady?: boolean;
  toSource: DirectionState;
}

export const EMPTY_CUTOVER: CutoverState = { toTarget: {}, toSource: {} };

export function statusOf(state: CutoverState, direction: Direction): CutoverStatus {
  const d = state[direction];
  if (!d.requestedAt) return 'NOT_INITIATED';
  const done = d.exporterDone && d.importerDone && (direction === 'toSource' || !state.prepareForFallBack || state.fallBackStreamReady);
  return done ? 'COMPLETED' : 'INITIATED';
}

export type RequestResult = { changed: boolean; state: CutoverState; message: string };

/** `initiate cutover to target`: idempotent; a second request only reports. */
export function requestCutoverToTarget(state: CutoverState, prepareForFallBack: boolean, now: string): RequestResult {
  if (state.toTarget.requestedAt) {
    if (state.prepareForFallBack !== prepareForFallBack) {
      return { changed: false, state, message: `cutover to target was already initiated at ${state.toTarget.requestedAt} with --prepare-for-fall-back ${state.prepareForFallBack}; it cannot be changed now` };
    }
    return { changed: false, state, message: `cutover to target is already initiated (at ${state.toTarget.requestedAt}); check progress with: yb-voyager cutover status` };
  }
  return {
    changed: true,
    state: { ...state, prepareForFallBack, toTarget: { ...state.toTarget, requestedAt: now } },
    message: 'cutover to target initiated; watch it with: yb-voyager cutover status',
  };
}

/** `initiate cutover to source`: only after a COMPLETED cutover to target with fall-back. */
export function requestCutoverToSource(state: CutoverState, now: string): RequestResult | { error: string; hint: string } {
  if (!state.prepareForFallBack) {
    return { error: 'cutover to source needs a cutover to target with fall-back', hint: 'run yb-voyager initiate cutover to target --prepare-for-fall-back true first' };
  }
  if (statusOf(state, 'toTarget') !== 'COMPLETED') {
    return { error: 'cutover to target has not completed yet', hint: 'wait until yb-voyager cutover status shows source → target COMPLETED' };
  }
  if (state.toSource.requestedAt) {
    return { changed: false, state, message: `cutover to source is already initiated (at ${state.toSource.requestedAt}); check progress with: yb-voyager cutover status` };
  }
  return {
    changed: true,
    state: { ...state, toSource: { ...state.toSource, requestedAt: now } },
    message: 'cutover to source initiated; watch it with: yb-voyager cutover status',
  };
}

/** Mark a step done, stamping completion when it makes the direction COMPLETED. */
export function markStep(state: CutoverState, direction: Direction, step: Partial<DirectionState>, now: string): CutoverState {
  const next: CutoverState = { ...state, [direction]: { ...state[direction], ...step } };
  if (statusOf(next, direction) === 'COMPLETED' && !next[direction].completedAt) next[direction] = { ...next[direction], completedAt: now };
  return next;
}

export function markFallBackReady(state: CutoverState, now: string): CutoverState {
  const next = { ...state, fallBackStreamReady: true };
  if (statusOf(next, 'toTarget') === 'COMPLETED' && !next.toTarget.completedAt) next.toTarget = { ...next.toTarget, completedAt: now };
  return next;
}
