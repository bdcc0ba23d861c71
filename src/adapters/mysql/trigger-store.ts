/**
 * The source's triggers as read from the server, and the copy kept in the metadata database while they are
 * set aside for fall-back. A row is 'suspended' from the moment it is saved until its trigger is back; while
 * suspended the saved copy is the truth (a rerun never overwrites it with what it finds live), afterwards
 * the live trigger is (a later suspend saves it afresh).
 */
import type mysql from 'mysql2/promise';
import { quoteMyIdent, rows } from './connection.js';
import { METADATA_DB } from './metadata-db.js';

/** Everything CREATE TRIGGER depends on besides the database's default collation, which it cannot set. */
export interface SavedTrigger {
  readonly name: string;
  readonly table: string;
  /** BEFORE / AFTER. */
  readonly timing: string;
  /** INSERT / UPDATE / DELETE. */
  readonly event: string;
  /** Position among the triggers of the same table, timing and event (ACTION_ORDER, from 1). */
  readonly order: number;
  /** user@host, as information_schema shows it. */
  readonly definer: string;
  readonly sqlMode: string;
  readonly characterSetClient: string;
  readonly collationConnection: string;
  readonly databaseCollation: string;
  /** SHOW CREATE TRIGGER's statement: the original text, with its DEFINER clause. */
  readonly statement: string;
}

const TABLE = `${quoteMyIdent(METADATA_DB)}.\`saved_triggers\``;

// utf8mb4_bin: trigger names that differ only in case are different triggers.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  migration_uuid VARCHAR(64) NOT NULL,
  trigger_name VARCHAR(64) NOT NULL,
  database_name VARCHAR(64) NOT NULL,
  table_name VARCHAR(64) NOT NULL,
  action_timing VARCHAR(6) NOT NULL,
  event_manipulation VARCHAR(6) NOT NULL,
  action_order INT NOT NULL,
  definer VARCHAR(400) NOT NULL,
  sql_mode VARCHAR(2000) NOT NULL,
  character_set_client VARCHAR(64) NOT NULL,
  collation_connection VARCHAR(64) NOT NULL,
  database_collation VARCHAR(64) NOT NULL,
  create_statement LONGTEXT NOT NULL,
  state VARCHAR(10) NOT NULL,
  saved_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  restored_at TIMESTAMP(6) NULL,
  PRIMARY KEY (migration_uuid, trigger_name)
) ENGINE=InnoDB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;

const COLUMNS = `trigger_name AS name, table_name AS \`table\`, action_timing AS timing, event_manipulation AS event,
  action_order AS \`order\`, definer, sql_mode AS sqlMode, character_set_client AS characterSetClient,
  collation_connection AS collationConnection, database_collation AS databaseCollation, create_statement AS statement`;

/** Restore order: per table, timing and event, by position (recreating appends, so this rebuilds the order). */
const ORDER = 'ORDER BY table_name, action_timing, event_manipulation, action_order, trigger_name';

/** The metadata database must exist (ensureMetadataDb). */
export async function ensureTriggerStore(conn: mysql.Connection): Promise<void> {
  await conn.query(CREATE_TABLE);
}

async function storeExists(conn: mysql.Connection): Promise<boolean> {
  const r = await rows(conn, `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'saved_triggers'`, [METADATA_DB]);
  return r.length > 0;
}

/** Names of the triggers database `db` has now. */
export async function liveTriggerNames(conn: mysql.Connection, db: string): Promise<Set<string>> {
  const r = await rows<{ n: string }>(conn, 'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db]);
  return new Set(r.map((x) => x.n));
}

/** Every trigger of `db` with its exact CREATE statement (information_schema lists only those the user holds TRIGGER on). */
export async function readLiveTriggers(conn: mysql.Connection, db: string): Promise<SavedTrigger[]> {
  const list = await rows<{ name: string; table: string; timing: string; event: string; order: string | number; definer: string }>(
    conn,
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS \`table\`, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event,
            ACTION_ORDER AS \`order\`, DEFINER AS definer
       FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?
      ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    [db],
  );
  const out: SavedTrigger[] = [];
  for (const t of list) {
    let shown: Record<string, string>[];
    try {
      shown = await rows<Record<string, string>>(conn, `SHOW CREATE TRIGGER ${quoteMyIdent(db)}.${quoteMyIdent(t.name)}`);
    } catch (e) {
      if ((e as { errno?: number }).errno === 1360) continue; // dropped since it was listed
      throw e;
    }
    const s = shown[0];
    out.push({
      ...t,
      order: Number(t.order),
      sqlMode: s.sql_mode,
      statement: s['SQL Original Statement'],
      characterSetClient: s.character_set_client,
      collationConnection: s.collation_connection,
      databaseCollation: s['Database Collation'],
    });
  }
  return out;
}

/**
 * Save `live` for the migration in one transaction and return every suspended row, in restore order. A
 * trigger already saved as suspended keeps its first copy; one created since joins after its group's saved
 * ones (it was created after them).
 */
export async function saveSuspended(conn: mysql.Connection, migrationUuid: string, db: string, live: readonly SavedTrigger[]): Promise<SavedTrigger[]> {
  await conn.beginTransaction();
  try {
    const saved = await rows<Pick<SavedTrigger, 'name' | 'table' | 'timing' | 'event' | 'order'> & { state: string }>(
      conn,
      `SELECT trigger_name AS name, table_name AS \`table\`, action_timing AS timing, event_manipulation AS event, action_order AS \`order\`, state
         FROM ${TABLE} WHERE migration_uuid = ? FOR UPDATE`,
      [migrationUuid],
    );
    const group = (t: Pick<SavedTrigger, 'table' | 'timing' | 'event'>) => JSON.stringify([t.table, t.timing, t.event]);
    const suspended = saved.filter((s) => s.state === 'suspended');
    const lastOfGroup = new Map<string, number>();
    for (const s of suspended) lastOfGroup.set(group(s), Math.max(lastOfGroup.get(group(s)) ?? 0, Number(s.order)));
    const kept = new Set(suspended.map((s) => s.name));
    for (const t of live) {
      if (kept.has(t.name)) continue;
      const order = (lastOfGroup.get(group(t)) ?? 0) + t.order;
      await conn.query(
        `REPLACE INTO ${TABLE} (migration_uuid, trigger_name, database_name, table_name, action_timing, event_manipulation, action_order,
           definer, sql_mode, character_set_client, collation_connection, database_collation, create_statement, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'suspended')`,
        [migrationUuid, t.name, db, t.table, t.timing, t.event, order, t.definer, t.sqlMode, t.characterSetClient, t.collationConnection, t.databaseCollation, t.statement],
      );
    }
    await conn.commit();
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  }
  return (await readSuspended(conn, migrationUuid)).triggers;
}

/** The migration's triggers saved and not yet put back, in restore order, and the database they belong to. */
export async function readSuspended(conn: mysql.Connection, migrationUuid: string): Promise<{ triggers: SavedTrigger[]; databases: string[] }> {
  if (!(await storeExists(conn))) return { triggers: [], databases: [] };
  const r = await rows<SavedTrigger & { database: string }>(
    conn,
    `SELECT ${COLUMNS}, database_name AS \`database\` FROM ${TABLE} WHERE migration_uuid = ? AND state = 'suspended' ${ORDER}`,
    [migrationUuid],
  );
  const triggers = r.map(({ database: _db, ...t }) => ({ ...t, order: Number(t.order) }));
  return { triggers, databases: [...new Set(r.map((x) => x.database))] };
}

export async function markRestored(conn: mysql.Connection, migrationUuid: string, names: readonly string[]): Promise<void> {
  if (!names.length) return;
  await conn.query(`UPDATE ${TABLE} SET state = 'restored', restored_at = CURRENT_TIMESTAMP(6) WHERE migration_uuid = ? AND trigger_name IN (?) AND state = 'suspended'`, [migrationUuid, names]);
}
