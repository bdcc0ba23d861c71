/**
 * AUTO_INCREMENT across a cutover. MySQL has no sequences: each AUTO_INCREMENT column becomes an identity
 * column on PostgreSQL, whose sequence is named `<table>_<column>_seq`. At cutover to target the counters are
 * read here and restored there (the target also looks at its own data, so a stale counter cannot hurt).
 * Writing counters back (restore: cutover to source, fall-back) belongs to the MySQL fall-back work.
 */
import type { SequenceValue } from '../../core/cutover.js';
import type { SequenceSync } from '../engine.js';
import { rows, withConnection } from './connection.js';
import { mapQueryError } from './errors.js';
import { pgName, TARGET_SCHEMA } from './names.js';

/** The PostgreSQL sequence an identity column gets by default (what import schema creates). */
export function identitySequenceName(table: string, column: string): string {
  return `${table}_${column}_seq`;
}

export const mysqlSequences: SequenceSync = {
  /** `schemas` are the seam's names (public): a MySQL connection reads its own database. */
  async read(c) {
    return withConnection(c, async (conn) => {
      try {
        const r = await rows<{ t: string; col: string; next: string | null }>(
          conn,
          `SELECT t.TABLE_NAME AS t, c.COLUMN_NAME AS col, CAST(t.AUTO_INCREMENT AS CHAR) AS next
             FROM information_schema.TABLES t
             JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.EXTRA LIKE '%auto_increment%'
            WHERE t.TABLE_SCHEMA = ? AND t.TABLE_TYPE = 'BASE TABLE'
            ORDER BY 1, 2`,
          [c.settings.database],
        );
        return r.map((x): SequenceValue => ({
          schema: TARGET_SCHEMA,
          name: identitySequenceName(pgName(x.t), pgName(x.col)),
          // AUTO_INCREMENT is the next value; 1 (or NULL) means none was handed out yet.
          lastValue: x.next === null || BigInt(x.next) <= 1n ? null : (BigInt(x.next) - 1n).toString(),
        }));
      } catch (e) {
        throw mapQueryError(e, 'reading AUTO_INCREMENT counters');
      }
    });
  },
};
