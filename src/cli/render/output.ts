/**
 * The console channel, for people. TTY-aware: progress redraws in place on a terminal, plain lines
 * otherwise. Everything goes through redact() so a secret can never be printed by accident.
 */
import { redact } from '../../infra/logger.js';
import type { Output } from '../../workflows/ports.js';
import { renderMetricsTable } from './metrics-table.js';

export type { Output };

/** The reference tool's first-cell widths: 42 in the export table, 32 in the import one. */
const NAME_CELL = { export: 42, import: 32 } as const;

/** The spec's `Metric | Value` table of the export or import of changes. */
export function renderMetrics(kind: 'export' | 'import', rows: readonly (readonly [string, string])[]): string {
  return renderMetricsTable(rows, { nameCell: NAME_CELL[kind] });
}

export function createOutput(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  const isTTY = Boolean(stdout.isTTY);
  let lastBlockLines = 0;
  return {
    isTTY,
    line(text = '') {
      lastBlockLines = 0;
      stdout.write(redact(text) + '\n');
    },
    warn(text: string) {
      stderr.write(redact(`WARNING: ${text}`) + '\n');
    },
    metrics(kind, rows) {
      // Redrawn in place on a TTY; plain lines otherwise.
      const clean = redact(renderMetrics(kind, rows));
      if (isTTY && lastBlockLines > 0) stdout.write(`\x1b[${lastBlockLines}A\x1b[0J`);
      stdout.write(clean + '\n');
      lastBlockLines = isTTY ? clean.split('\n').length : 0;
    },
  };
}
