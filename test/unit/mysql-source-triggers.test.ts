/** Pure parts of setting MySQL triggers aside: reading SHOW GRANTS, and the restore script a DBA runs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasGlobal, hasOnDatabase, parseGrantLine, type UserGrants } from '../../src/adapters/mysql/grants.js';
import { renderRestoreSql } from '../../src/adapters/mysql/trigger-script.js';
import type { SavedTrigger } from '../../src/adapters/mysql/trigger-store.js';

const grantsOf = (lines: string[], caseInsensitive = false): UserGrants => ({
  user: "'u'@'%'",
  lines: lines.map(parseGrantLine).filter((l) => l !== undefined),
  caseInsensitive,
});

test('SHOW GRANTS lines: privileges, column lists, objects; role grants carry none', () => {
  assert.deepEqual(parseGrantLine('GRANT SELECT (`a`, `b on c`), TRIGGER ON `shop`.`orders` TO `u`@`%`'), {
    revoke: false,
    privileges: new Set(['SELECT', 'TRIGGER']),
    on: { kind: 'table', db: 'shop', table: 'orders' },
  });
  assert.deepEqual(parseGrantLine("GRANT ALL PRIVILEGES ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*AB' WITH GRANT OPTION")?.privileges, new Set(['ALL']));
  assert.deepEqual(parseGrantLine('GRANT SET_USER_ID,SYSTEM_USER ON *.* TO `u`@`%`')?.privileges, new Set(['SET_USER_ID', 'SYSTEM_USER']));
  assert.deepEqual(parseGrantLine('GRANT SET USER ON *.* TO `r2`')?.on, { kind: 'global' });
  assert.deepEqual(parseGrantLine('GRANT TRIGGER ON `we``ird db`.* TO `u`@`%`')?.on, { kind: 'db', db: 'we`ird db' });
  assert.deepEqual(parseGrantLine('GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `u`@`%`')?.on, { kind: 'other' });
  assert.equal(parseGrantLine('GRANT `r2` TO `u2`@`%`'), undefined);
  assert.equal(parseGrantLine('SET DEFAULT ROLE `r2` FOR `u2`@`%`'), undefined);
  assert.equal(parseGrantLine('REVOKE TRIGGER ON `shop`.* FROM `u`@`%`')?.revoke, true);
});

test('a privilege on a database: global, by name, by wildcard pattern; partial revokes; table grants are not enough', () => {
  assert.ok(hasOnDatabase(grantsOf(['GRANT TRIGGER ON *.* TO `u`@`%`']), 'TRIGGER', 'shop'));
  assert.ok(hasOnDatabase(grantsOf(['GRANT ALL PRIVILEGES ON `shop`.* TO `u`@`%`']), 'TRIGGER', 'shop'));
  assert.ok(hasOnDatabase(grantsOf(['GRANT TRIGGER ON `sh_p`.* TO `u`@`%`']), 'TRIGGER', 'shop'), '_ matches one character');
  assert.ok(hasOnDatabase(grantsOf(['GRANT TRIGGER ON `s%`.* TO `u`@`%`']), 'TRIGGER', 'shop'));
  assert.ok(!hasOnDatabase(grantsOf(['GRANT TRIGGER ON `sh\\_p`.* TO `u`@`%`']), 'TRIGGER', 'shop'), '\\_ is a literal underscore');
  assert.ok(hasOnDatabase(grantsOf(['GRANT TRIGGER ON `sh\\_p`.* TO `u`@`%`']), 'TRIGGER', 'sh_p'));
  assert.ok(!hasOnDatabase(grantsOf(['GRANT TRIGGER ON `Shop`.* TO `u`@`%`']), 'TRIGGER', 'shop'));
  assert.ok(hasOnDatabase(grantsOf(['GRANT TRIGGER ON `Shop`.* TO `u`@`%`'], true), 'TRIGGER', 'shop'), 'lower_case_table_names');
  assert.ok(!hasOnDatabase(grantsOf(['GRANT TRIGGER ON `shop`.`orders` TO `u`@`%`']), 'TRIGGER', 'shop'));
  assert.ok(!hasOnDatabase(grantsOf(['GRANT SELECT ON `shop`.* TO `u`@`%`']), 'TRIGGER', 'shop'));
  assert.ok(!hasOnDatabase(grantsOf(['GRANT TRIGGER ON *.* TO `u`@`%`', 'REVOKE TRIGGER ON `shop`.* FROM `u`@`%`']), 'TRIGGER', 'shop'));
  assert.ok(hasGlobal(grantsOf(['GRANT SUPER ON *.* TO `u`@`%`']), 'SUPER'));
  assert.ok(!hasGlobal(grantsOf(['GRANT ALL PRIVILEGES ON `shop`.* TO `u`@`%`']), 'SUPER'));
});

const trigger = (over: Partial<SavedTrigger>): SavedTrigger => ({
  name: 't',
  table: 'items',
  timing: 'AFTER',
  event: 'INSERT',
  order: 1,
  definer: 'root@localhost',
  sqlMode: 'STRICT_TRANS_TABLES',
  characterSetClient: 'utf8mb4',
  collationConnection: 'utf8mb4_general_ci',
  databaseCollation: 'utf8mb4_general_ci',
  statement: 'CREATE DEFINER=`root`@`localhost` TRIGGER t AFTER INSERT ON items FOR EACH ROW SET @x = 1',
  ...over,
});

test('the restore script: per trigger its character set and sql_mode, a delimiter its text lacks, in order', () => {
  const sql = renderRestoreSql('shop', 'uuid-1', [
    trigger({ name: 'a', statement: "CREATE TRIGGER a AFTER INSERT ON items FOR EACH ROW SET @x = ';;' -- ends in a comment" }),
    trigger({ name: 'b', order: 2, sqlMode: "ANSI_QUOTES", characterSetClient: 'latin1', collationConnection: 'latin1_swedish_ci' }),
    trigger({ name: 'c', order: 3, characterSetClient: 'latin1', collationConnection: 'latin1_swedish_ci', statement: "CREATE TRIGGER c AFTER INSERT ON items FOR EACH ROW SET @x = 'é'" }),
  ]);
  assert.match(sql, /mysql --comments --database=shop < this-file/);
  const blocks = sql.split('\n\n').slice(1);
  assert.deepEqual(blocks[0].split('\n').slice(1), [
    'SET NAMES utf8mb4 COLLATE utf8mb4_general_ci;',
    "SET SESSION sql_mode = 'STRICT_TRANS_TABLES';",
    'DROP TRIGGER IF EXISTS `a`;',
    'DELIMITER $$',
    "CREATE TRIGGER a AFTER INSERT ON items FOR EACH ROW SET @x = ';;' -- ends in a comment",
    '$$',
    'DELIMITER ;',
  ]);
  assert.match(blocks[1], /^SET NAMES latin1 COLLATE latin1_swedish_ci;\nSET SESSION sql_mode = 'ANSI_QUOTES';$/m, 'ASCII text goes in its own character set');
  assert.match(blocks[2], /cannot hold in that character set[\s\S]*\nSET NAMES utf8mb4;\n/, 'non-ASCII latin1 text is sent as UTF-8, and the script says so');
});
