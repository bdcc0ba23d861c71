/**
 * N sessions that all read one consistent state of the database, and the binlog position of that state, so
 * the change stream starts exactly where the snapshot ends (research: shared/reference/mysql-source.md §1).
 *
 *  MariaDB, one session: START TRANSACTION WITH CONSISTENT SNAPSHOT and `binlog_snapshot_file/position`, which
 *    MariaDB keeps consistent with that transaction's view. No lock.
 *  Several sessions (and MySQL 8, which has no binlog_snapshot_*): a brief FLUSH TABLES WITH READ LOCK on a
 *    separate session while the sessions open their snapshots and the position is read, then UNLOCK TABLES.
 *    Writes stall only for that moment; on MariaDB without RELOAD, one lock-free session instead. (Several
 *    MariaDB sessions that report the same binlog_snapshot_position do not always share one view: under a steady
 *    insert load two of four such sessions counted 73 and 74 rows, test/integration/mysql-snapshot-sessions.test.ts.
 *    So equal positions are not taken as proof.)
 */
import type mysql from 'mysql2/promise';
import type { Conn } from '../../core/connection.js';
import { DbError } from '../../infra/errors.js';
import type { Logger } from '../../infra/logger.js';
import { binlogHead } from './binlog-status.js';
import { connect, rows } from './connection.js';
import { serverFlavor } from './database-identity.js';
import { mapQueryError } from './errors.js';
import type { BinlogPosition } from './positions.js';

const SNAPSHOT_SESSION_SETUP = [
  // Slow writers of chunk files must not make the server drop the connection mid-result.
  'SET SESSION net_write_timeout = 3600',
  'SET SESSION net_read_timeout = 3600',
  'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ',
];

export interface SnapshotSessions {
  sessions: mysql.Connection[];
  /** The binlog position of the state they read (undefined when the binlog is off). */
  position?: BinlogPosition;
  /** How they were opened, for the log. */
  method: 'consistent-snapshot' | 'read-lock';
}

async function openSession(c: Conn): Promise<mysql.Connection> {
  return connect(c, { sessionSetup: SNAPSHOT_SESSION_SETUP });
}

async function startSnapshot(conn: mysql.Connection): Promise<void> {
  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
}

async function mariaDbSnapshotPosition(conn: mysql.Connection): Promise<BinlogPosition | undefined> {
  const r = await rows<{ Variable_name: string; Value: string }>(conn, "SHOW STATUS LIKE 'binlog_snapshot_%'");
  const v = new Map(r.map((x) => [x.Variable_name.toLowerCase(), x.Value]));
  const file = v.get('binlog_snapshot_file');
  return file ? { file, pos: Number(v.get('binlog_snapshot_position')) } : undefined;
}

export function closeSessions(sessions: readonly mysql.Connection[]): Promise<void> {
  return Promise.all(sessions.map((s) => s.end().catch(() => s.destroy()))).then(() => undefined);
}

/** One MariaDB session on a consistent snapshot, with its binlog position; no lock. */
async function oneLockFree(c: Conn): Promise<SnapshotSessions> {
  const session = await openSession(c);
  try {
    await startSnapshot(session);
    return { sessions: [session], position: await mariaDbSnapshotPosition(session), method: 'consistent-snapshot' };
  } catch (e) {
    await closeSessions([session]);
    throw e;
  }
}

async function underReadLock(c: Conn, n: number, lockTimeoutMs: number): Promise<SnapshotSessions> {
  const locker = await connect(c);
  const sessions: mysql.Connection[] = [];
  try {
    await locker.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(lockTimeoutMs / 1000))}`);
    try {
      await locker.query('FLUSH TABLES WITH READ LOCK');
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (errno === 1227) {
        throw new DbError('privilege', `a consistent snapshot on this server needs a brief global read lock, which the migration user may not take (${(e as Error).message})`, `GRANT RELOAD ON *.* TO ${c.settings.user}`, String(errno), e);
      }
      if (errno === 1205) {
        throw new DbError('config', 'the global read lock for the snapshot waited too long behind running statements', 'rerun when long queries or transactions on the source have finished (SHOW PROCESSLIST shows them)', String(errno), e);
      }
      throw mapQueryError(e, 'taking the global read lock for the snapshot');
    }
    sessions.push(...(await Promise.all(Array.from({ length: n }, () => openSession(c)))));
    await Promise.all(sessions.map(startSnapshot));
    const position = await binlogHead(locker);
    await locker.query('UNLOCK TABLES');
    return { sessions, position, method: 'read-lock' };
  } catch (e) {
    await closeSessions(sessions);
    throw e;
  } finally {
    await locker.end().catch(() => locker.destroy());
  }
}

/** Open `n` sessions on one consistent state (see the file comment). */
export async function openSnapshotSessions(c: Conn, n: number, o: { lockTimeoutMs: number; log: Logger; forceReadLock?: boolean }): Promise<SnapshotSessions> {
  const probe = await connect(c);
  let flavor: 'mariadb' | 'mysql';
  try {
    flavor = (await serverFlavor(probe)).flavor;
  } finally {
    await probe.end().catch(() => probe.destroy());
  }
  if (flavor === 'mariadb' && n === 1 && !o.forceReadLock) return oneLockFree(c);
  try {
    return await underReadLock(c, n, o.lockTimeoutMs);
  } catch (e) {
    // MariaDB without RELOAD: one session, consistent by itself, rather than several that might not be.
    if (flavor !== 'mariadb' || !(e instanceof DbError) || e.kind !== 'privilege') throw e;
    o.log.warn('the migration user may not take the brief global read lock (GRANT RELOAD): the snapshot is read by one session', { sessions: n });
    return oneLockFree(c);
  }
}
