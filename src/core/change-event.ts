/**
 * The one normalised event type of the change queue (pgcopydb's idea: data events and control events in
 * one stream). Values are the source's text representation, or null; they are never interpreted.
 */
import type { SequenceValue } from './cutover.js';

export type Row = Record<string, string | null>;

/** Who wrote an event: the forward stream, or the fall-back stream after cutover to target. */
export type ExporterRole = 'source_db_exporter' | 'target_db_exporter_fb';

export interface DataEvent {
  vsn: number;
  op: 'c' | 'u' | 'd';
  /** Schema and table as named on the exporting side (partition roots, not leaves). */
  schema: string;
  table: string;
  /**
   * Primary-key values identifying the row before the change (for 'u' and 'd'); for 'c' the new key.
   * A key update is a 'u' whose `after` carries different key values.
   */
  key: Row;
  /** New values. For 'u' only the columns present: unchanged TOASTed columns are absent, never null. */
  after?: Row;
  /** Old values when the source sent them (REPLICA IDENTITY FULL); informational. */
  before?: Row;
}

/** End of one source transaction: a target transaction may end here and the source is in a real state. */
export interface CommitEvent {
  vsn: number;
  op: 'commit';
  /** Source position of the commit (PostgreSQL: end LSN), for restart and lag. */
  pos: string;
  /** Source commit time (ISO), for lag measurement. */
  ts?: string;
}

/** In-band cutover marker: every event before it must be applied before the cutover completes. */
export interface MarkerEvent {
  vsn: number;
  op: 'cutover.target' | 'cutover.source';
  /** The exporting side's sequences when the marker was written: the importer restores them (in-band, so it never waits). */
  sequences?: SequenceValue[];
}

export type QueueEvent = DataEvent | CommitEvent | MarkerEvent;

export function isDataEvent(e: QueueEvent): e is DataEvent {
  return e.op === 'c' || e.op === 'u' || e.op === 'd';
}

export function tableKey(schema: string, table: string): string {
  return `${JSON.stringify(schema)}.${JSON.stringify(table)}`;
}
