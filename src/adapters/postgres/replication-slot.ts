/**
 * The publication and logical slot of a live migration, created so that the snapshot and the change
 * stream meet exactly: publication first (a slot only decodes publications that existed when the change was
 * written), then `CREATE_REPLICATION_SLOT … LOGICAL pgoutput (SNAPSHOT 'export')` on a replication
 * connection. The exported snapshot lives only while that connection stays idle: every snapshot worker must
 * import it before the connection runs anything else or closes.
 */
import type pg from 'pg';
import type { ConnSecret, ConnSettings } from '../../core/connection.js';
import { connect, qualified, quoteIdent } from './connection.js';
import { mapQueryError } from './errors.js';
import { displayName } from '../../core/table-filter.js';
import { DbError } from '../../infra/errors.js';
import { sleep } from '../../infra/shutdown.js';

export interface SlotWithSnapshot {
  slotName: string;
  consistentLsn: string;
  snapshotName: string;
  /** The idle replication connection that keeps the snapshot alive; close it once every worker imported it. */
  holder: pg.Client;
}

/** Problems that stop a live migration before anything is created, each with the exact fix. */
export async function liveMigrationProblems(
  client: pg.Client,
  ownSlot: string,
  tables: readonly { schema: string; table: string; owned: boolean }[],
): Promise<string[]> {
  const problems: string[] = [];
  let r: pg.QueryResult;
  try {
    r = await client.query(
      `SELECT current_setting('wal_level') AS wal_level, current_user AS usr,
              (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS can_replicate,
              (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_super,
              current_setting('max_replication_slots')::int AS max_slots,
              (SELECT count(*) FROM pg_replication_slots WHERE slot_name <> $1) AS used_slots,
              current_setting('max_wal_senders')::int AS max_senders,
              (SELECT count(*) FROM pg_stat_replication) AS used_senders,
              has_database_privilege(current_database(), 'CREATE') AS can_create, current_database() AS db`,
      [ownSlot],
    );
  } catch (e) {
    throw mapQueryError(e, 'checking the source for a live migration');
  }
  const s = r.rows[0] as Record<string, string>;
  if (s.wal_level !== 'logical') {
    problems.push(`wal_level is ${s.wal_level}: set wal_level = logical in postgresql.conf (ALTER SYSTEM SET wal_level = logical) and restart the source server`);
  }
  if (s.can_replicate !== 't') problems.push(`user ${s.usr} lacks the REPLICATION attribute: run ALTER ROLE ${quoteIdent(s.usr)} WITH REPLICATION as a superuser`);
  if (Number(s.max_slots) - Number(s.used_slots) < 1) {
    problems.push(`no free replication slot (max_replication_slots = ${s.max_slots}, ${s.used_slots} in use): raise max_replication_slots and restart the server, or drop an unused slot with SELECT pg_drop_replication_slot('<name>')`);
  }
  if (Number(s.max_senders) - Number(s.used_senders) < 1) {
    problems.push(`no free WAL sender (max_wal_senders = ${s.max_senders}, all in use): raise max_wal_senders and restart the server`);
  }
  if (s.is_super !== 't') {
    if (s.can_create !== 't') problems.push(`user ${s.usr} cannot create a publication in this database: run GRANT CREATE ON DATABASE ${quoteIdent(s.db)} TO ${quoteIdent(s.usr)}`);
    for (const t of tables.filter((x) => !x.owned)) {
      const name = displayName(t);
      problems.push(`user ${s.usr} does not own ${name} and so cannot publish it: run ALTER TABLE ${name} OWNER TO ${quoteIdent(s.usr)} (or to a role ${s.usr} is a member of)`);
    }
  }
  return problems;
}

/**
 * Create the slot and export its snapshot. The returned `holder` must stay idle until every worker ran
 * SET TRANSACTION SNAPSHOT, then be closed (closing ends the exported snapshot, not the slot).
 */
export async function createSlotWithSnapshot(settings: ConnSettings, secret: ConnSecret, slotName: string): Promise<SlotWithSnapshot> {
  const holder = await connect(settings, secret, { replication: 'database', applicationName: 'yb-voyager snapshot' });
  try {
    // PostgreSQL 15 syntax; 14 and older only know the unparenthesised EXPORT_SNAPSHOT form.
    const version = Number((await holder.query('SHOW server_version_num')).rows[0].server_version_num);
    const sql = version >= 150000
      ? `CREATE_REPLICATION_SLOT ${quoteIdent(slotName)} LOGICAL pgoutput (SNAPSHOT 'export')`
      : `CREATE_REPLICATION_SLOT ${quoteIdent(slotName)} LOGICAL pgoutput EXPORT_SNAPSHOT`;
    const r = await holder.query(sql);
    const row = r.rows[0] as { slot_name: string; consistent_point: string; snapshot_name: string };
    return { slotName: row.slot_name, consistentLsn: row.consistent_point, snapshotName: row.snapshot_name, holder };
  } catch (e) {
    await holder.end().catch(() => undefined);
    const code = (e as { code?: string }).code;
    if (code === '53400') {
      throw new DbError('config', `cannot create replication slot ${slotName}: ${(e as Error).message}`, 'raise max_replication_slots and restart the source server, or drop an unused slot', code, e);
    }
    throw mapQueryError(e, `creating replication slot ${slotName}`);
  }
}
