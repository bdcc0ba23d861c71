/**
 * What snapshot workflows tell the console about per-table progress. The CLI renders it as progress bars
 * on a terminal and as plain lines otherwise (src/cli/render/table-progress.ts).
 */
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
  /** `rows` more rows of this table are done. */
  advance(key: string, rows: number): void;
  /** A better estimate of the total (the exporter finished more of the table). */
  setTotal(key: string, total: number): void;
  /** The table is complete with `rows` rows. */
  finish(key: string, rows: number): void;
  end(): void;
}
