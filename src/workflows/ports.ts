/**
 * What workflows tell people, through interfaces the CLI implements (src/cli/render): workflows never
 * import the CLI. Per-table snapshot progress has its own port (table-progress.ts).
 */

/** The console channel. Every text is redacted by the implementation before it is shown. */
export interface Output {
  readonly isTTY: boolean;
  line(text?: string): void;
  warn(text: string): void;
  /** The spec's `Metric | Value` table of a streaming command, redrawn in place on a terminal. */
  metrics(kind: 'export' | 'import', rows: readonly (readonly [string, string])[]): void;
}
