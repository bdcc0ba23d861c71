/**
 * AUTO_INCREMENT across a cutover. MySQL has no sequences: each AUTO_INCREMENT column becomes an identity
 * column on PostgreSQL, whose sequence is named `<table>_<column>_seq`. At cutover to target the counters are
 * read here and restored there (the target also looks at its own data, so a stale counter cannot hurt).
 * Writing counters back (cutover to source, fall-back) belongs to the MySQL fall-back work.
 */
import type { SequenceValue } from '../../core/cutover.js';
import { UserError } from '../../infra/errors.js';
import type { SequenceSync } from '../engine.js';
import { rows, withConnection } from './connection.js';
import { mapQueryError } from './errors.js';

/** The PostgreSQL sequence an identity column gets by default (what import schema creates). */
export function identitySequenceName(table: string, column: string): string {
  return `${table}_${column}_seq`;
}

export const mysqlSequences: SequenceSync = {
  async read(c, schemas) {
    return withConnection(c, async (conn) => {
      try {
        const r = await rows<{ s: string; t: string; col: string; next: string | null }>(
          conn,
          `SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS t, c.COLUMN_NAME AS col, CAST(t.AUTO_INCREMENT AS CHAR) AS next
             FROM information_schema.TABLES t
             JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.EXTRA LIKE '%auto_increment%'
            WHERE t.TABLE_SCHEMA IN (?) AND t.TABLE_TYPE = 'BASE TABLE'
            ORDER BY 1, 2`,
          [schemas],
        );
        return r.map((x): SequenceValue => ({
          schema: x.s,
          name: identitySequenceName(x.t, x.col),
          // AUTO_INCREMENT is the next value; 1 (or NULL) means none was handed out yet.
          lastValue: x.next === null || BigInt(x.next) <= 1n ? null : (BigInt(x.next) - 1n).toString(),
        }));
      } catch (e) {
        throw mapQueryError(e, 'reading AUTO_INCREMENT counters');
      }
    });
  },
  async restore() {
    throw new UserError('restoring AUTO_INCREMENT counters on MySQL/MariaDB is part of fall-back onto MySQL, which is not supported yet', 'use initiate cutover to target without --prepare-for-fall-back');
  },
};
