/**
 * AUTO_INCREMENT across a cutover. MySQL has no sequences: each AUTO_INCREMENT column becomes an identity
 * column on PostgreSQL, whose sequence is named `<table>_<column>_seq`. At cutover to target the counters are
 * read here and restored there. At cutover to source (fall-back) the target's sequences come back: each
 * counter is moved past every id the target handed out meanwhile, past the ids in the column (the applied
 * rows raise InnoDB's counter, but a row deleted afterwards does not hold it up), and never back.
 *
 * The server itself is no help in keeping it from going back: ALTER TABLE … AUTO_INCREMENT accepts any value
 * above MAX(col) (it silently uses MAX+1 below that), lower than the current counter too. So the current
 * value is read first and is one of the candidates. MariaDB 10.2.4+ and MySQL 8 persist the counter across
 * restarts; older servers recompute it as MAX+1 at start-up, which loses ids handed out and deleted.
 */
import type mysql from 'mysql2/promise';
import type { SequenceValue } from '../../core/cutover.js';
import type { SequenceRestore, SequenceSync } from '../engine.js';
import { quoteMyIdent, rows, withConnection } from './connection.js';
import { mapQueryError } from './errors.js';
import { pgName, TARGET_SCHEMA } from './names.js';

/** The PostgreSQL sequence an identity column gets by default (what import schema creates). */
export function identitySequenceName(table: string, column: string): string {
  return `${table}_${column}_seq`;
}

interface Counter {
  table: string;
  column: string;
  /** AUTO_INCREMENT: the next value to be handed out (1 or null: none yet). */
  next: bigint | null;
}

/**
 * The AUTO_INCREMENT columns of the connection's database with their counters. MySQL 8 answers
 * information_schema.TABLES from cached statistics unless told not to (MariaDB has no such cache).
 */
async function counters(conn: mysql.Connection, db: string, table?: string): Promise<Counter[]> {
  await conn.query('SET SESSION information_schema_stats_expiry = 0').catch((e: { errno?: number }) => {
    if (e.errno !== 1193) throw e; // unknown variable: MariaDB
  });
  const r = await rows<{ t: string; col: string; next: string | null }>(
    conn,
    `SELECT t.TABLE_NAME AS t, c.COLUMN_NAME AS col, CAST(t.AUTO_INCREMENT AS CHAR) AS next
       FROM information_schema.TABLES t
       JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.EXTRA LIKE '%auto_increment%'
      WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE' ${table === undefined ? '' : 'AND t.TABLE_NAME = ?'}
      ORDER BY 1, 2`,
    table === undefined ? [db] : [db, table],
  );
  return r.map((x) => ({ table: x.t, column: x.col, next: x.next === null ? null : BigInt(x.next) }));
}

async function restoreOne(conn: mysql.Connection, db: string, k: Counter, lastValue: string | null): Promise<bigint | undefined> {
  const table = `${quoteMyIdent(db)}.${quoteMyIdent(k.table)}`;
  const [{ m }] = await rows<{ m: string | null }>(conn, `SELECT CAST(MAX(${quoteMyIdent(k.column)}) AS CHAR) AS m FROM ${table}`);
  // Each candidate is the next value to hand out; the furthest wins. 1 or less: nothing was handed out.
  const candidates = [lastValue === null ? null : BigInt(lastValue) + 1n, m === null ? null : BigInt(m) + 1n, k.next];
  const next = candidates.reduce<bigint | null>((a, b) => (b !== null && b > 1n && (a === null || b > a) ? b : a), null);
  if (next === null) return undefined;
  if (next !== k.next) {
    await conn.query(`ALTER TABLE ${table} AUTO_INCREMENT = ${next.toString()}`);
    const [now] = await counters(conn, db, k.table);
    // A server that kept a lower value (a MAX+1 below it is impossible: MAX was read just now) is a bug to report, not to hide.
    if (!now || now.next === null || now.next < next) throw new Error(`AUTO_INCREMENT of ${k.table} is ${now?.next} after setting it to ${next}`);
  }
  return next;
}

/** Each value to its table's counter (case-insensitively on the table, as pgName lower-cases it). */
async function restoreCounters(conn: mysql.Connection, db: string, values: readonly SequenceValue[], o: { mapSchema?: (schema: string) => string }): Promise<SequenceRestore[]> {
  const byName = new Map<string, Counter[]>();
  for (const k of await counters(conn, db)) {
    const name = identitySequenceName(pgName(k.table), pgName(k.column));
    byName.set(name, [...(byName.get(name) ?? []), k]);
  }
  const out: SequenceRestore[] = [];
  for (const v of values) {
    const schema = o.mapSchema ? o.mapSchema(v.schema) : v.schema;
    const matches = byName.get(v.name.toLowerCase()) ?? [];
    if (!matches.length) out.push({ schema, name: v.name, skipped: 'missing', columns: [] });
    for (const k of matches) {
      const columns = [`${db}.${k.table}.${k.column}`];
      try {
        const next = await restoreOne(conn, db, k, v.lastValue);
        out.push(next === undefined ? { schema, name: v.name, skipped: 'unused', columns } : { schema, name: v.name, setTo: (next - 1n).toString(), columns });
      } catch (e) {
        throw mapQueryError(e, `setting AUTO_INCREMENT of ${k.table}.${k.column} (for sequence ${v.name})`);
      }
    }
  }
  return out;
}

export const mysqlSequences: SequenceSync = {
  /** `schemas` are the seam's names (public): a MySQL connection reads its own database. */
  async read(c) {
    return withConnection(c, async (conn) => {
      try {
        return (await counters(conn, c.settings.database)).map((k): SequenceValue => ({
          schema: TARGET_SCHEMA,
          name: identitySequenceName(pgName(k.table), pgName(k.column)),
          // AUTO_INCREMENT is the next value; 1 (or NULL) means none was handed out yet.
          lastValue: k.next === null || k.next <= 1n ? null : (k.next - 1n).toString(),
        }));
      } catch (e) {
        throw mapQueryError(e, 'reading AUTO_INCREMENT counters');
      }
    });
  },
  /** `setTo` is the last value handed out, as on PostgreSQL: the next insert gets setTo + 1. */
  restore: (c, values, o = {}) => withConnection(c, (conn) => restoreCounters(conn, c.settings.database, values, o)),
};
