/**
 * The source's triggers during fall-back onto MySQL/MariaDB. No session there can apply changes without
 * firing triggers, and the changes coming back from the target already carry what the target's triggers
 * did, so the source's triggers are set aside while they are applied: saved in the metadata database (in
 * one transaction, before anything is dropped), then dropped; and put back, exactly as they were, when the
 * application returns to the source (cutover to source, or end migration before the metadata goes).
 *
 * kill -9 safe at every point: suspend drops in reverse order and restore creates in order, so the triggers
 * of each table/timing/event still present are always the first ones of their saved order, and a rerun of
 * either finishes the job with the order intact (a recreated trigger goes last among its group's).
 */
import type mysql from 'mysql2/promise';
import type { Conn } from '../../core/connection.js';
import { DbError, problemsError } from '../../infra/errors.js';
import { failpoint } from '../../infra/failpoints.js';
import type { Logger } from '../../infra/logger.js';
import { connect, quoteMyIdent, rows, withConnection } from './connection.js';
import { isConnectionLoss, mapQueryError } from './errors.js';
import { ensureMetadataDb } from './metadata-db.js';
import { triggerPrivilegeProblems } from './trigger-privileges.js';
import { isUtf8Family, renderRestoreSql } from './trigger-script.js';
import { ensureTriggerStore, liveTriggerNames, markRestored, readLiveTriggers, readSuspended, saveSuspended, type SavedTrigger } from './trigger-store.js';

export { checkTriggerPrivileges } from './trigger-privileges.js';

export interface TriggerOptions {
  migrationUuid: string;
  log: Logger;
}

/**
 * Save every trigger of the connection's database, then drop them. Returns the triggers this call dropped
 * (none on a rerun that finds the job done) and the script that recreates every trigger still set aside.
 * Refuses, dropping nothing, when the user could not put them all back.
 */
export async function suspendTriggers(c: Conn, o: TriggerOptions): Promise<{ suspended: string[]; restoreSql: string }> {
  const db = c.settings.database;
  return withConnection(c, async (conn) => {
    const { problems } = await step('checking the privileges on the triggers', () => triggerPrivilegeProblems(conn, db, o.migrationUuid));
    if (problems.length) throw problemsError(`cannot set the triggers of database ${quoteMyIdent(db)} aside for fall-back`, problems, 'grant what is shown, then rerun', 'privilege');
    const saved = await step('saving the triggers of the source database', async () => {
      await ensureMetadataDb(conn);
      await ensureTriggerStore(conn);
      return saveSuspended(conn, o.migrationUuid, db, await readLiveTriggers(conn, db));
    });
    failpoint('mysql-triggers.after-save');
    const live = await step('listing the triggers', () => liveTriggerNames(conn, db));
    const dropped: string[] = [];
    for (const t of [...saved].reverse()) {
      if (!live.has(t.name)) continue;
      await step(`dropping trigger ${t.name} (it is saved; a rerun carries on)`, () => conn.query(`DROP TRIGGER IF EXISTS ${quoteMyIdent(db)}.${quoteMyIdent(t.name)}`));
      dropped.unshift(t.name);
      failpoint('mysql-triggers.after-drop');
    }
    o.log.info('source triggers set aside', { database: db, dropped, saved: saved.map((t) => t.name) });
    return { suspended: dropped, restoreSql: renderRestoreSql(db, o.migrationUuid, saved) };
  });
}

/** Put back every saved trigger that is missing, exactly as it was, then mark them restored. Returns what was recreated. */
export async function restoreTriggers(c: Conn, o: TriggerOptions): Promise<string[]> {
  const db = c.settings.database;
  return withConnection(c, async (conn) => {
    const { triggers, databases } = await step('reading the saved triggers', () => readSuspended(conn, o.migrationUuid));
    if (!triggers.length) return [];
    if (databases.some((d) => d !== db)) {
      throw new DbError('config', `the triggers saved for this migration belong to database ${databases.map(quoteMyIdent).join(', ')}, not ${quoteMyIdent(db)}`, 'connect to the database the migration reads (--source-db-name) and rerun');
    }
    const live = await step('listing the triggers', () => liveTriggerNames(conn, db));
    const sessions = new Map<string, mysql.Connection>();
    const created: string[] = [];
    try {
      for (const t of triggers) {
        if (live.has(t.name)) continue;
        await recreate(await sessionFor(c, conn, sessions, t.characterSetClient), t, conn, db, o.migrationUuid);
        created.push(t.name);
        failpoint('mysql-triggers.after-create');
      }
    } finally {
      for (const s of sessions.values()) await s.end().catch(() => s.destroy());
    }
    await step('marking the triggers restored', () => markRestored(conn, o.migrationUuid, triggers.map((t) => t.name)));
    const [{ collation }] = await step('reading the database collation', () =>
      rows<{ collation: string }>(conn, 'SELECT DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [db]));
    const otherCollation = triggers.filter((t) => t.databaseCollation !== collation).map((t) => t.name);
    if (otherCollation.length) o.log.warn('triggers recreated under another database collation than they had', { collation, triggers: otherCollation });
    o.log.info('source triggers put back', { database: db, created });
    return created;
  });
}

/** The migration's triggers saved and not yet put back (end migration restores them before dropping the metadata). */
export async function suspendedTriggers(c: Conn, migrationUuid: string): Promise<string[]> {
  return withConnection(c, (conn) => step('reading the saved triggers', async () => (await readSuspended(conn, migrationUuid)).triggers.map((t) => t.name)));
}

/**
 * A session whose statements reach the server in `charset`: the trigger records the session's
 * character_set_client, and its text must mean there what it meant when it was created.
 */
async function sessionFor(c: Conn, conn: mysql.Connection, open: Map<string, mysql.Connection>, charset: string): Promise<mysql.Connection> {
  const key = isUtf8Family(charset) ? 'utf8' : charset.toLowerCase();
  let s = open.get(key);
  if (!s) {
    const [row] = await step('reading the character sets', () => rows<{ id: number }>(conn, "SELECT ID AS id FROM information_schema.COLLATIONS WHERE CHARACTER_SET_NAME = ? AND IS_DEFAULT = 'Yes'", [charset]));
    s = await connect(c, key === 'utf8' || !row ? {} : { collationId: Number(row.id) });
    open.set(key, s);
  }
  return s;
}

async function recreate(s: mysql.Connection, t: SavedTrigger, conn: mysql.Connection, db: string, migrationUuid: string): Promise<void> {
  try {
    await s.query('SET SESSION sql_mode = ?', [t.sqlMode]);
    await s.query('SET character_set_client = ?, collation_connection = ?', [t.characterSetClient, t.collationConnection]);
    await s.query(t.statement);
  } catch (e) {
    if (isConnectionLoss(e)) throw mapQueryError(e, `recreating trigger ${t.name}`);
    const err = e as { errno?: number; message?: string };
    if (err.errno === 1227 || err.errno === 1142) {
      const { fixes } = await triggerPrivilegeProblems(conn, db, migrationUuid).catch(() => ({ fixes: [] as string[] }));
      throw new DbError('privilege', `cannot recreate trigger ${quoteMyIdent(t.name)} (definer ${t.definer}): ${err.message}`, fixes.length ? `${fixes.join('; ')}, then rerun` : 'grant the missing privilege to the migration user, then rerun', undefined, e);
    }
    throw new DbError('data', `cannot recreate trigger ${quoteMyIdent(t.name)} on ${quoteMyIdent(t.table)}: ${err.message ?? String(e)}`, 'fix the cause (the trigger\'s statement is kept in the metadata database until it is back) and rerun', undefined, e);
  }
}

/** Run one step, its driver errors mapped to a one-line DbError naming it. */
async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapQueryError(e, what);
  }
}
