/**
 * Checks that the source can stream changes, before a slot is created (export data from source) and
 * before streaming starts (every rerun). Every problem is collected and reported at once, one line each,
 * with the exact fix, so a user fixes everything in one round.
 */
import type pg from 'pg';
import { problemsError } from '../../infra/errors.js';
import { qualified, quoteIdent } from './connection.js';

export interface GuardrailTable {
  schema: string;
  table: string;
}

export interface GuardrailOptions {
  /** True before the slot exists: a free replication slot is needed. */
  needNewSlot: boolean;
  /** True before the publication exists: CREATE on the database and table ownership are needed. */
  needPublication?: boolean;
  /** The migration's slot, when it should already exist. */
  slotName?: string;
}

export interface GuardrailReport {
  problems: string[];
  warnings: string[];
}

interface ServerRow {
  wal_level: string;
  max_slots: number;
  used_slots: number;
  max_senders: number;
  used_senders: number;
  rolsuper: unknown;
  rolreplication: unknown;
  user: string;
  db: string;
  can_create: unknown;
}

interface TableRow {
  nspname: string;
  relname: string;
  relkind: string;
  relpersistence: string;
  relreplident: string;
  has_pk: unknown;
  has_ident_index: unknown;
  owned: unknown;
  /** Lists as raw text: leaves one per line, columns comma-separated. */
  leaves_without_identity: string | null;
  lo_columns: string | null;
}

const KIND_NAMES: Record<string, string> = { v: 'a view', m: 'a materialized view', f: 'a foreign table', S: 'a sequence', c: 'a composite type' };
const bool = (v: unknown) => v === true || v === 't';

export async function checkStreamingPrerequisites(client: pg.Client, tables: readonly GuardrailTable[], o: GuardrailOptions): Promise<GuardrailReport> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const raw = (
    await client.query(`
      SELECT current_setting('wal_level') AS wal_level,
             current_setting('max_replication_slots')::int AS max_slots,
             (SELECT count(*) FROM pg_replication_slots)::int AS used_slots,
             current_setting('max_wal_senders')::int AS max_senders,
             -- A WAL sender still holding our own slot (a killed previous run) does not count: it goes away.
             (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'
                 AND pid IS DISTINCT FROM (SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1))::int AS used_senders,
             r.rolsuper, r.rolreplication, current_user AS user, current_database() AS db,
             has_database_privilege(current_database(), 'CREATE') AS can_create
        FROM pg_roles r WHERE r.rolname = current_user`, [o.slotName ?? ''])
  ).rows[0] as Record<string, unknown>;
  const s: ServerRow = {
    ...(raw as unknown as ServerRow),
    max_slots: Number(raw.max_slots),
    used_slots: Number(raw.used_slots),
    max_senders: Number(raw.max_senders),
    used_senders: Number(raw.used_senders),
  };
  const superuser = bool(s.rolsuper);
  const user = quoteIdent(s.user);

  if (s.wal_level !== 'logical') {
    problems.push(`wal_level is ${s.wal_level}; run ALTER SYSTEM SET wal_level = logical; as a superuser (or set it in postgresql.conf) and restart the server`);
  }
  if (!superuser && !bool(s.rolreplication)) {
    const rds = (await client.query(`SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication'`)).rows.length > 0;
    problems.push(
      rds
        ? `user ${s.user} may not stream changes; run GRANT rds_replication TO ${user}; as the master user`
        : `user ${s.user} has neither the REPLICATION attribute nor SUPERUSER; run ALTER ROLE ${user} WITH REPLICATION; as a superuser`,
    );
  }
  let slotExists = false;
  if (o.slotName) {
    // SELECT *: wal_status only exists from PostgreSQL 13 on.
    const r = await client.query('SELECT * FROM pg_replication_slots WHERE slot_name = $1', [o.slotName]);
    slotExists = r.rows.length > 0;
    if (!slotExists && !o.needNewSlot) {
      problems.push(`replication slot ${o.slotName} of this migration does not exist on the source (dropped?); changes since then cannot be recovered: start over with export data from source --start-clean true`);
    } else if (slotExists && r.rows[0].wal_status === 'lost') {
      problems.push(`replication slot ${o.slotName} lost the WAL it needed (max_slot_wal_keep_size); start over with export data from source --start-clean true, and raise max_slot_wal_keep_size`);
    }
  }
  if (o.needNewSlot && !slotExists && s.used_slots >= s.max_slots) {
    problems.push(`all ${s.max_slots} replication slots are in use; raise max_replication_slots (ALTER SYSTEM SET max_replication_slots = ${s.max_slots + 1}; then restart) or drop an unused slot with SELECT pg_drop_replication_slot('<name>')`);
  }
  if (s.used_senders >= s.max_senders) {
    problems.push(`all ${s.max_senders} WAL senders are busy; raise max_wal_senders (ALTER SYSTEM SET max_wal_senders = ${s.max_senders + 1}; then restart) or stop an idle replication client`);
  }
  if (o.needPublication && !superuser && !bool(s.can_create)) {
    problems.push(`user ${s.user} cannot create the publication; run GRANT CREATE ON DATABASE ${quoteIdent(s.db)} TO ${user}; as a superuser`);
  }

  const t = await tableStreamingProblems(client, tables, { needPublication: o.needPublication });
  problems.push(...t.problems);
  warnings.push(...t.warnings);
  return { problems, warnings };
}

/**
 * Per table: a key the stream can identify rows by (primary key, or REPLICA IDENTITY FULL / USING INDEX;
 * partitioned tables per leaf), logged (not UNLOGGED), a real table, and (before the publication exists)
 * owned by the user. Export data from source calls this before it creates the slot.
 */
export async function tableStreamingProblems(client: pg.Client, tables: readonly GuardrailTable[], o: { needPublication?: boolean } = {}): Promise<GuardrailReport> {
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!tables.length) return { problems, warnings };
  const who = (await client.query(`SELECT rolsuper, current_user AS user FROM pg_roles WHERE rolname = current_user`)).rows[0] as { rolsuper: unknown; user: string };
  const superuser = bool(who.rolsuper);
  const r = await client.query(
    `SELECT n.nspname, c.relname, c.relkind::text AS relkind, c.relpersistence::text AS relpersistence, c.relreplident::text AS relreplident,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS has_ident_index,
            pg_has_role(c.relowner, 'USAGE') AS owned,
            CASE WHEN c.relkind = 'p' THEN (
              SELECT string_agg('"' || replace(ln.nspname, '"', '""') || '"."' || replace(l.relname, '"', '""') || '"', E'\n')
                FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid JOIN pg_namespace ln ON ln.oid = l.relnamespace
               WHERE t.isleaf AND (l.relreplident = 'n'
                  OR (l.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = l.oid AND i.indisprimary))
                  OR (l.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = l.oid AND i.indisreplident))))
            END AS leaves_without_identity,
            (SELECT string_agg(quote_ident(a.attname), ', ') FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND (t.typname = 'lo' OR a.atttypid = 'oid'::regtype)) AS lo_columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN unnest($1::text[], $2::text[]) AS want(s, t) ON want.s = n.nspname AND want.t = c.relname`,
    [tables.map((t) => t.schema), tables.map((t) => t.table)],
  );
  const found = new Map((r.rows as TableRow[]).map((row) => [`${row.nspname}\u0000${row.relname}`, row]));
  for (const t of tables) {
    const row = found.get(`${t.schema}\u0000${t.table}`);
    const name = qualified(t.schema, t.table);
    if (!row) {
      problems.push(`table ${name} does not exist on the source; remove it from --table-list`);
      continue;
    }
    problems.push(...tableProblems(row, name, superuser, o, who.user));
    if (row.lo_columns) {
      warnings.push(`${name} has large-object reference column(s) ${row.lo_columns}: only the oid is streamed, never the object's contents`);
    }
  }
  return { problems, warnings };
}

function tableProblems(row: TableRow, name: string, superuser: boolean, o: { needPublication?: boolean }, user: string): string[] {
  const out: string[] = [];
  if (row.relkind !== 'r' && row.relkind !== 'p') {
    return [`${name} is ${KIND_NAMES[row.relkind] ?? `a relation of kind '${row.relkind}'`}, which has no changes to stream; remove it from --table-list`];
  }
  if (row.relpersistence === 'u') out.push(`${name} is UNLOGGED: its changes never reach the WAL and cannot be streamed; run ALTER TABLE ${name} SET LOGGED;`);
  if (row.relpersistence === 't') out.push(`${name} is a temporary table and cannot be streamed; remove it from --table-list`);
  const noPk = `${name} has no primary key, so its updates and deletes cannot identify rows; add a primary key (ALTER TABLE ${name} ADD PRIMARY KEY (<columns>);) or run ALTER TABLE ${name} REPLICA IDENTITY FULL;`;
  // A partitioned table's changes are logged by its leaf partitions, with the leaves' replica identity.
  if (row.relkind === 'p') {
    // (checked below, per leaf)
  } else if (row.relreplident === 'n') {
    out.push(`${name} has REPLICA IDENTITY NOTHING, so its updates and deletes cannot be streamed; run ALTER TABLE ${name} REPLICA IDENTITY ${bool(row.has_pk) ? 'DEFAULT' : 'FULL'};`);
  } else if (row.relreplident === 'd' && !bool(row.has_pk)) {
    out.push(noPk);
  } else if (row.relreplident === 'i' && !bool(row.has_ident_index)) {
    out.push(`${name} has REPLICA IDENTITY USING INDEX but the index is gone; run ALTER TABLE ${name} REPLICA IDENTITY ${bool(row.has_pk) ? 'DEFAULT' : 'FULL'};`);
  }
  for (const leaf of row.leaves_without_identity ? row.leaves_without_identity.split('\n') : []) {
    out.push(`partition ${leaf} of ${name} has no primary key or replica identity; run ALTER TABLE ${leaf} REPLICA IDENTITY FULL; (or add a primary key to ${name})`);
  }
  if (o.needPublication && !superuser && !bool(row.owned)) {
    out.push(`user ${user} does not own ${name}, which adding it to the publication needs; run ALTER TABLE ${name} OWNER TO ${quoteIdent(user)}; (or grant the owner role to ${user})`);
  }
  return out;
}

/** Throw one error listing every problem (one line each, with its fix). */
export function assertStreamingPrerequisites(report: GuardrailReport, side: 'source' | 'target' = 'source'): void {
  if (report.problems.length) throw problemsError(`the ${side} database is not ready to stream changes`, report.problems);
}
