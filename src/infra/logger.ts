/**
 * Structured log file per command (logs/<command-id>.log), JSON lines. Redaction happens at the sink:
 * every registered secret and anything shaped like `password=…` is masked before a byte is written.
 */
import fs from 'node:fs';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const secrets = new Set<string>();

/** Register a value that must never appear in logs, files or messages. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 1) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('***');
    // Log lines are JSON: a secret with quotes or backslashes appears there escaped.
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) out = out.split(escaped).join('***');
  }
  return (
    out
      // password=x, password: x, PGPASSWORD=x, and JSON "password":"x" (quotes kept so a JSON line stays JSON;
      // a value already masked, like the option log's "*** (env)", is left as it is).
      .replace(/(password["']?\s*[=:]\s*)(?!["']?\*\*\*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&"'}]+)/gi, (_m, key: string, value: string) =>
        `${key}${value.startsWith('"') ? '"***"' : value.startsWith("'") ? "'***'" : '***'}`,
      )
      // Credentials inside a URL: postgres://user:secret@host, mysql://…
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@')
  );
}

export interface Logger {
  trace(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  readonly level: LogLevel;
  close(): void;
}

class FileLogger implements Logger {
  private fd: number | undefined;
  constructor(
    path: string | undefined,
    readonly level: LogLevel,
  ) {
    if (path) this.fd = fs.openSync(path, 'a', 0o600);
  }
  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (this.fd === undefined || LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(this.level)) return;
    const line = JSON.stringify({ t: new Date().toISOString(), level, pid: process.pid, msg, ...fields }, errorReplacer);
    fs.writeSync(this.fd, redact(line) + '\n');
  }
  trace(m: string, f?: Record<string, unknown>) { this.write('trace', m, f); }
  debug(m: string, f?: Record<string, unknown>) { this.write('debug', m, f); }
  info(m: string, f?: Record<string, unknown>) { this.write('info', m, f); }
  warn(m: string, f?: Record<string, unknown>) { this.write('warn', m, f); }
  error(m: string, f?: Record<string, unknown>) { this.write('error', m, f); }
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function createLogger(path: string | undefined, level: LogLevel): Logger {
  return new FileLogger(path, level);
}

/** A logger that drops everything: for commands that ran before an export dir exists, and for unit tests. */
export const nullLogger: Logger = createLogger(undefined, 'error');
