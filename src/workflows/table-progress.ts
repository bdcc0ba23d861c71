/**
 * What snapshot workflows tell the console about per-table progress. The CLI renders it as progress bars
 * on a terminal and as plain lines otherwise (src/cli/render/table-progress.ts). A bar reaches 100% only
 * when its table is finished, whatever the totals said before.
 */
import type { ProgressMeasure } from '../core/export-progress.js';

export type { ProgressMeasure };

export interface TableProgressItem {
  /** Stable key of the table (see tableKey in core/change-event.ts). */
  key: string;
  /** How people read the name: schema.table. */
  label: string;
  /** Expected rows (an estimate while exporting; 0 when unknown). */
  total: number;
  /** Rows already done by an earlier run. */
  done?: number;
}

export interface TableProgress {
  begin(items: readonly TableProgressItem[]): void;
  /** `rows` more rows of this table are done (progress is rows against the total). */
  advance(key: string, rows: number): void;
  /** A better estimate of the total (the exporter finished more of the table). */
  setTotal(key: string, total: number): void;
  /** Where this table is, measured by the caller (the export measures by chunks and bytes, not by rows). */
  measure(key: string, m: ProgressMeasure): void;
  /** The table is complete with `rows` rows. */
  finish(key: string, rows: number): void;
  end(): void;
}
