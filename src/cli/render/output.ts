/**
 * The console channel, for people. TTY-aware: progress redraws in place on a terminal, plain lines
 * otherwise. Everything goes through redact() so a secret can never be printed by accident.
 */
import { redact } from '../../infra/logger.js';

export interface Output {
  readonly isTTY: boolean;
  line(text?: string): void;
  warn(text: string): void;
  /** Redraw a block in place on a TTY (metrics tables); plain lines otherwise. */
  block(text: string): void;
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
    block(text: string) {
      const clean = redact(text);
      if (isTTY && lastBlockLines > 0) stdout.write(`\x1b[${lastBlockLines}A\x1b[0J`);
      stdout.write(clean + '\n');
      lastBlockLines = isTTY ? clean.split('\n').length : 0;
    },
  };
}
