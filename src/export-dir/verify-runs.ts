/**
 * The verdicts of every `verify data` run of this migration (the latest first), kept in meta.db so the
 * migration report can show them beside the cutover timeline. The full differences stay in
 * reports/verify-data.json; this keeps the per-table verdicts only.
 */
import type { StateStore } from './state-store.js';

export interface VerifyRunTable {
  schema: string;
  table: string;
  verdict: 'identical' | 'different';
  sourceRows: number;
  targetRows: number;
  differenceCount: number;
}

export interface VerifyRun {
  startedAt: string;
  finishedAt: string;
  identical: boolean;
  /** Changes were streaming while it ran. */
  live: boolean;
  /** Where the migration stood: before any cutover, after the cutover to target, or after the one back. */
  phase: 'before cutover' | 'after cutover to target' | 'after cutover to source';
  tables: VerifyRunTable[];
}

/** Enough history for a migration's checks; older runs drop off. */
const KEPT_RUNS = 20;

export function recordVerifyRun(state: StateStore, run: VerifyRun): void {
  state.modifyJson<VerifyRun[]>('verify_runs', (cur) => [run, ...(cur ?? [])].slice(0, KEPT_RUNS));
}

export function verifyRuns(state: StateStore): VerifyRun[] {
  return state.getJson<VerifyRun[]>('verify_runs') ?? [];
}
