/**
 * The saved triggers as a script for the `mysql`/`mariadb` client, so a DBA can put them back without this
 * tool (and keep them with the migration's backups). Each trigger is dropped if present and created again,
 * in order: a trigger without FOLLOWS/PRECEDES goes last among those of its table, timing and event, so
 * running the list in saved order rebuilds the original order whatever already exists. Before each one the
 * session takes the trigger's own sql_mode and character set, which CREATE TRIGGER records with it.
 */
import { quoteMyIdent } from './connection.js';
import type { SavedTrigger } from './trigger-store.js';

/** Character sets whose text a UTF-8 file carries as it is. */
const UTF8_FAMILY = new Set(['utf8mb4', 'utf8mb3', 'utf8', 'ascii']);

export function isUtf8Family(charset: string): boolean {
  return UTF8_FAMILY.has(charset.toLowerCase());
}

/** The script for `triggers` (in restore order) of database `db`, as UTF-8 text. */
export function renderRestoreSql(db: string, migrationUuid: string, triggers: readonly SavedTrigger[]): string {
  const out = [
    `-- The triggers of database ${quoteMyIdent(db)} that yb-voyager set aside (migration ${migrationUuid}) while`,
    '-- the target\'s changes are applied to this database during fall-back. To put them back by hand, run:',
    `--   mysql --comments --database=${shellWord(db)} < this-file`,
    '-- (--comments keeps the comments inside trigger bodies; the client strips them otherwise) as a user with',
    '-- TRIGGER on the database and, for definers other than itself, SET USER (MariaDB) / SET_USER_ID (MySQL).',
    '-- Rerunnable: each trigger is dropped if present and created again, in the order listed.',
    `-- ${triggers.length} trigger(s).`,
  ];
  triggers.forEach((t, i) => {
    // A UTF-8 file cannot hold text in another character set: such a trigger is read as UTF-8 instead.
    const exact = isUtf8Family(t.characterSetClient) || /^[\x00-\x7f]*$/.test(t.statement);
    const delimiter = pickDelimiter(t.statement);
    out.push(
      '',
      `-- ${i + 1}. ${quoteMyIdent(t.name)}: ${t.timing} ${t.event} ON ${quoteMyIdent(t.table)}, position ${t.order}, definer ${t.definer}`,
      ...(exact
        ? [`SET NAMES ${t.characterSetClient} COLLATE ${t.collationConnection};`]
        : [
            `-- It was created with character_set_client ${t.characterSetClient} (collation_connection ${t.collationConnection}); its text`,
            '-- has characters outside ASCII that this UTF-8 file cannot hold in that character set, so it is created',
            '-- from UTF-8: the same text, but character_set_client and collation_connection differ.',
            'SET NAMES utf8mb4;',
          ]),
      `SET SESSION sql_mode = '${t.sqlMode.replace(/'/g, "''")}';`,
      `DROP TRIGGER IF EXISTS ${quoteMyIdent(t.name)};`,
      `DELIMITER ${delimiter}`,
      // The delimiter on a line of its own: a body may end in a -- comment.
      t.statement,
      delimiter,
      'DELIMITER ;',
    );
  });
  return out.join('\n') + '\n';
}

/** A delimiter that occurs nowhere in the statement. */
function pickDelimiter(statement: string): string {
  for (const d of [';;', '$$', '//', '$$$$', ';;;;']) if (!statement.includes(d)) return d;
  for (let n = 1; ; n++) if (!statement.includes(`$ybv${n}$`)) return `$ybv${n}$`;
}

function shellWord(s: string): string {
  return /^[\w.-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
