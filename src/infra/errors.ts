/**
 * Typed errors. Everything below main.ts throws one of these; main.ts alone maps them to exit codes.
 * Messages are one line, say what went wrong and (in `hint`) what to do next. They never carry secrets.
 */

export type ErrorKind =
  | 'usage' // wrong flag, missing argument, bad config file
  | 'config' // the environment is not prepared (wal_level, privileges, missing schema…)
  | 'auth' // wrong password
  | 'connect' // host unreachable, refused, TLS failure
  | 'not-found' // unknown database, schema, table
  | 'privilege' // permission denied
  | 'conflict' // another instance, different migration in this export dir
  | 'data' // a row or statement the target refused
  | 'mismatch' // verify data found rows that differ
  | 'interrupted' // SIGINT/SIGTERM
  | 'internal';

export const EXIT_CODES: Record<ErrorKind, number> = {
  usage: 2,
  config: 3,
  auth: 4,
  connect: 5,
  'not-found': 6,
  privilege: 7,
  conflict: 8,
  data: 9,
  mismatch: 10,
  interrupted: 130,
  internal: 70,
};

export class VoyagerError extends Error {
  readonly kind: ErrorKind;
  readonly hint?: string;
  constructor(kind: ErrorKind, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.hint = hint;
    this.name = new.target.name;
  }
  /** The one line a user sees. */
  oneLine(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

/** Something the user can fix: a flag, a config value, a prepared database. */
export class UserError extends VoyagerError {
  constructor(message: string, hint?: string, kind: ErrorKind = 'usage') {
    super(kind, message, hint);
  }
}

/** Every problem found at once: one line for one, a numbered list (one problem per line, each with its fix) for several. */
export function problemsError(subject: string, problems: readonly string[], hint = 'fix each problem as shown, then rerun the same command', kind: ErrorKind = 'config'): UserError {
  if (problems.length === 1) return new UserError(`${subject}: ${problems[0]}`, hint, kind);
  return new UserError(`${subject} (${problems.length} problems):\n  - ${problems.join('\n  - ')}\n`, hint, kind);
}

/** A database refused or failed; `kind` is neutral across engines. `sqlState` kept for callers that branch on it. */
export class DbError extends VoyagerError {
  readonly sqlState?: string;
  constructor(kind: ErrorKind, message: string, hint?: string, sqlState?: string, cause?: unknown) {
    super(kind, message, hint, { cause });
    this.sqlState = sqlState;
  }
}

export class InternalError extends VoyagerError {
  constructor(message: string, cause?: unknown) {
    super('internal', message, 'this is a bug in yb-voyager; rerun with --log-level debug and report the log', { cause });
  }
}

export class NotImplementedError extends VoyagerError {
  constructor(command: string) {
    super('usage', `'${command}' is not implemented yet in this version of yb-voyager`, 'see README.md for the commands available now');
  }
}

export function exitCodeFor(err: unknown): number {
  return err instanceof VoyagerError ? EXIT_CODES[err.kind] : EXIT_CODES.internal;
}

/**
 * File-system and SQLite failures the user can fix (permissions, a full disk, a busy or damaged meta.db)
 * become UserErrors with a hint; anything else is returned unchanged.
 */
export function normalizeError(err: unknown): unknown {
  if (err instanceof VoyagerError || err === null || typeof err !== 'object') return err;
  const e = err as NodeJS.ErrnoException;
  const on = e.path ? ` on ${e.path}` : '';
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return new UserError(`permission denied${on}`, 'check the owner and permissions of the export dir and of the files named by flags', 'config');
    case 'ENOSPC':
    case 'SQLITE_FULL':
      return new UserError(`no space left on device${on}`, 'free space on the export dir\'s file system (archive changes removes applied segments), then rerun', 'config');
    case 'EROFS':
    case 'SQLITE_READONLY':
      return new UserError(`read-only file system${on}`, 'put the export dir on a writable file system', 'config');
    case 'EMFILE':
    case 'ENFILE':
      return new UserError('too many open files', 'raise the limit (ulimit -n 65536) or lower --parallel-jobs', 'config');
    case 'SQLITE_BUSY':
      return new UserError('the state store metainfo/meta.db stayed locked by another process for 30 s', 'check for a hung yb-voyager process on this export dir and rerun', 'conflict');
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return new UserError('the state store metainfo/meta.db is damaged', 'restore the export dir from a backup or start over with a new --export-dir', 'config');
    case 'SQLITE_CANTOPEN':
      return new UserError('cannot open the state store metainfo/meta.db', 'check the permissions of <export-dir>/metainfo', 'config');
  }
  return err;
}

/**
 * A change sink found its applied-changes watermark moved under it: another process applies this migration's
 * changes to the same database. Every sink reports it the same way.
 */
export function watermarkConflict(side: string, expected: number): UserError {
  return new UserError(
    `the applied-changes watermark in the ${side} database is no longer ${expected}: another process is applying this migration's changes`,
    'stop the other import (only one may run per migration) and rerun',
    'conflict',
  );
}
