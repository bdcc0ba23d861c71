/**
 * node-oracledb (NJS-…) and Oracle (ORA-…) errors → DbError with a neutral kind and a one-line hint naming the
 * fix. The driver's own messages can span lines ("Help: https://…"): only their first line is kept. Messages
 * name hosts, users and services, never a password.
 */
import type { ConnSettings } from '../../core/connection.js';
import { DbError } from '../../infra/errors.js';

interface OraLikeError {
  code?: string;
  errorNum?: number;
  message?: string;
}

/** The driver's message, first line only, without the code prefix it repeats. */
export function firstLine(err: unknown): string {
  const m = (err as OraLikeError | undefined)?.message ?? String(err);
  return m.split('\n')[0].trim();
}

function codeOf(err: unknown): string | undefined {
  const e = (err ?? {}) as OraLikeError;
  if (e.code) return e.code;
  const m = /^(NJS|ORA|DPI|TNS)-\d+/.exec(e.message ?? '');
  return m?.[0];
}

const PRIVILEGE_CODES = new Set(['ORA-01031', 'ORA-00942', 'ORA-01749', 'ORA-01929', 'ORA-04043']);
const LOSS_CODES = new Set(['NJS-500', 'NJS-501', 'NJS-503', 'NJS-521', 'ORA-03113', 'ORA-03114', 'ORA-03135', 'ORA-01089', 'ORA-01092', 'ORA-00028', 'ORA-12537', 'ORA-12547']);

/** What a failed TLS handshake needs: a trusted CA (wallet, else Node.js's store) and, for verify-full, the host named. */
const TLS_FIX =
  'the server certificate must be signed by the CA in the PEM wallet of --source-ssl-root-cert or, with no wallet, by a CA Node.js trusts (add a private one with NODE_EXTRA_CA_CERTS=<CA file>); with --source-ssl-mode verify-full it must also name --source-db-host (require skips that check)';

export function mapConnectError(err: unknown, s: ConnSettings, target: string): DbError {
  if (err instanceof DbError) return err;
  const code = codeOf(err);
  const msg = firstLine(err);
  const where = `the Oracle database (${target})`;
  const mk = (kind: ConstructorParameters<typeof DbError>[0], message: string, hint: string) => new DbError(kind, message, hint, code, err);
  // The socket's own failure (ECONNREFUSED…) is on a later line of the driver's message.
  const full = (err as OraLikeError | undefined)?.message ?? '';
  if (/ECONNREFUSED/.test(full)) return mk('connect', `cannot connect to ${where} at ${s.host}:${s.port}: connection refused`, 'check --source-db-host and --source-db-port (default 1521), and that the listener is running');
  if (/ENOTFOUND|EAI_AGAIN/.test(full)) return mk('connect', `cannot resolve the Oracle host '${s.host}'`, 'check --source-db-host');
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(full)) return mk('connect', `${where} at ${s.host}:${s.port} is unreachable (${msg})`, 'check --source-db-host, --source-db-port and firewalls between here and the listener');
  switch (code) {
    case 'NJS-516':
      return mk('config', `no directory holding tnsnames.ora was found for --oracle-tns-alias (${msg})`, 'set TNS_ADMIN to the directory of tnsnames.ora, or --oracle-home to the home whose network/admin holds it');
    case 'NJS-517':
      return mk('config', `the TNS alias is not in tnsnames.ora (${msg})`, 'check --oracle-tns-alias, or point TNS_ADMIN / --oracle-home at the tnsnames.ora that defines it');
    case 'NJS-520':
      return mk('config', `tnsnames.ora is missing (${msg})`, 'set TNS_ADMIN to the directory of tnsnames.ora, or --oracle-home to the home whose network/admin holds it');
    case 'ORA-01017':
      return mk('auth', `${where} refused user '${s.user}': invalid user name or password`, `check --source-db-user and --source-db-password (or SOURCE_DB_PASSWORD)`);
    case 'ORA-28000':
      return mk('auth', `the account '${s.user}' on ${where} is locked`, `ALTER USER ${s.user} ACCOUNT UNLOCK as a DBA, then rerun`);
    case 'ORA-28001':
      return mk('auth', `the password of '${s.user}' on ${where} has expired`, `set a new password (ALTER USER ${s.user} IDENTIFIED BY …) and pass it with --source-db-password`);
    case 'ORA-01045':
      return mk('privilege', `user '${s.user}' lacks CREATE SESSION on ${where}`, `GRANT CREATE SESSION TO ${s.user} (see docs/oracle.md)`);
    case 'NJS-518':
    case 'ORA-12514':
      return mk('not-found', `the listener at ${s.host}:${s.port} does not know the service (${msg})`, 'check --source-db-name (the service name: SELECT value FROM v$parameter WHERE name = \'service_names\'), or use --oracle-db-sid');
    case 'NJS-519':
    case 'ORA-12505':
      return mk('not-found', `the listener at ${s.host}:${s.port} does not know the SID (${msg})`, 'check --oracle-db-sid, or use --source-db-name with the service name');
    case 'NJS-511':
    case 'ORA-12541':
      return mk('connect', `cannot connect to ${where} at ${s.host}:${s.port}: connection refused`, 'check --source-db-host and --source-db-port (default 1521), and that the listener is running');
    case 'NJS-510':
    case 'ORA-12170':
      return mk('connect', `connecting to ${where} at ${s.host}:${s.port} timed out`, 'check --source-db-host, --source-db-port and firewalls between here and the listener');
    case 'NJS-503':
      return mk('connect', `cannot connect to ${where} at ${s.host}:${s.port} (${msg})`, 'check --source-db-host and --source-db-port (default 1521), and that the listener is running');
    case 'NJS-500':
    case 'NJS-521':
      return mk('connect', `the connection to ${where} was closed during the handshake (${msg})`, 'check that --source-db-host/--source-db-port reach an Oracle listener (TCPS listeners need --source-ssl-mode require)');
    case 'NJS-505':
    case 'NJS-506':
    case 'NJS-507':
    case 'NJS-508':
      return mk('connect', `TLS with ${where} failed (${msg})`, TLS_FIX);
    case 'NJS-116':
      return mk('auth', `user '${s.user}' has only a 10G password verifier, which thin mode cannot use (${msg})`, `reset the password of ${s.user} so the server creates an 11G/12C verifier`);
    case 'NJS-533':
    case 'NJS-532':
    case 'NJS-531':
      return mk('connect', `${where} requires Native Network Encryption, which thin mode does not support`, 'use TLS (TCPS) on the listener instead, or relax SQLNET.ENCRYPTION_SERVER to accepted');
  }
  return mk('connect', `cannot connect to ${where}: ${msg}`, 'check the --source-db-*, --oracle-* and --source-ssl-* flags');
}

/** Errors of a statement (not of the connection). */
export function mapQueryError(err: unknown, what: string): DbError {
  if (err instanceof DbError) return err;
  const code = codeOf(err);
  const msg = firstLine(err);
  if (code && PRIVILEGE_CODES.has(code)) {
    return new DbError('privilege', `${what}: ${msg}`, 'grant the migration user SELECT on the schema\'s tables and SELECT_CATALOG_ROLE (see docs/oracle.md, "Prepare the source")', code, err);
  }
  if (code === 'ORA-01555') return new DbError('data', `${what}: ${msg}`, 'the undo needed for the snapshot was overwritten: raise UNDO_RETENTION (and the undo tablespace) and rerun with --start-clean true', code, err);
  if (code === 'ORA-08181' || code === 'ORA-01466') return new DbError('data', `${what}: ${msg}`, 'a table changed its definition or the SCN is out of range: rerun export data with --start-clean true', code, err);
  if (isConnectionLoss(err)) return new DbError('connect', `${what}: lost the connection (${msg})`, 'rerun the command', code, err);
  return new DbError('data', `${what}: ${msg}`, 'see the log file for the statement; fix the cause and rerun', code, err);
}

export function isConnectionLoss(e: unknown): boolean {
  if (e instanceof DbError) return e.kind === 'connect' || (e.cause !== undefined && e.cause !== e && isConnectionLoss(e.cause));
  const code = codeOf(e);
  return code !== undefined && LOSS_CODES.has(code);
}

/** A connection loss, a deadlock (ORA-00060) or a serialization failure (ORA-08177). */
export function isTransient(e: unknown): boolean {
  if (isConnectionLoss(e)) return true;
  const code = codeOf(e instanceof DbError ? e.cause : e);
  return code === 'ORA-00060' || code === 'ORA-08177';
}
