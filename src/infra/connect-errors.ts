/**
 * What every engine's driver reports the same way: the network between us and a server, and the SSL files named
 * by flags. One wording for all engines, each naming the flag to check.
 */
import fs from 'node:fs';
import { DbError } from './errors.js';

export interface Reached {
  readonly role: 'source' | 'target';
  readonly host: string;
  readonly port: number;
}

/** A socket-level failure to reach the server as a DbError naming the flags to check; undefined for other errors. */
export function socketError(code: string | undefined, s: Reached, err: unknown): DbError | undefined {
  const f = `--${s.role}-db`;
  const where = `${s.host}:${s.port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new DbError('connect', `cannot connect to the ${s.role} database at ${where}: connection refused`, `check ${f}-host and ${f}-port, and that the server is running and listening there`, code, err);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DbError('connect', `cannot resolve the ${s.role} host '${s.host}'`, `check ${f}-host`, code, err);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new DbError('connect', `the ${s.role} database at ${where} is unreachable (${code})`, `check ${f}-host, ${f}-port and firewalls between here and the server`, code, err);
  }
  return undefined;
}

/** Read an SSL file named by --<role>-ssl-<flag>; a missing or unreadable file is the user's to fix, so say which flag. */
export function readSslFile(role: 'source' | 'target', flag: 'root-cert' | 'cert' | 'key', file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new DbError('connect', `cannot read --${role}-ssl-${flag} ${file} (${code})`, `check the path given to --${role}-ssl-${flag}`);
  }
}
