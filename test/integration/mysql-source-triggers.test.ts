/**
 * The source's triggers set aside for fall-back onto MariaDB and put back exactly as they were: their order
 * within a table, timing and event (made with FOLLOWS/PRECEDES), DEFINER, sql_mode, character set and
 * multi-statement bodies with comments. Idempotent, safe against kill -9 at every step, refused when they
 * could not be put back, and the saved script recreates them with the real `mysql` client.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import mysql from 'mysql2/promise';
import { checkTriggerPrivileges, restoreTriggers, suspendedTriggers, suspendTriggers } from '../../src/adapters/mysql/source-triggers.js';
import type { Conn } from '../../src/core/connection.js';
import { nullLogger } from '../../src/infra/logger.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD, MYSQL_MIGRATION_USER } from '../helpers/mariadb-server.js';

let server: MariaDbServer;
let db: string;
let original: Record<string, unknown>[];
let restoreSql = '';
const UUID = '00000000-0000-4000-8000-0000000000a1';
const log = nullLogger;

const TABLES = ['CREATE TABLE items (id int PRIMARY KEY, name varchar(40))', 'CREATE TABLE audit (seq int AUTO_INCREMENT PRIMARY KEY, id int, note varchar(80))'];

/** As root, one session (sql_mode set for one trigger stays in it). Firing order of the AFTER INSERT ones: zero, first, second. */
const TRIGGERS = [
  "CREATE TRIGGER t_first AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (id, note) VALUES (NEW.id, 'first')",
  "CREATE TRIGGER t_second AFTER INSERT ON items FOR EACH ROW FOLLOWS t_first INSERT INTO audit (id, note) VALUES (NEW.id, 'second')",
  "CREATE TRIGGER t_zero AFTER INSERT ON items FOR EACH ROW PRECEDES t_first INSERT INTO audit (id, note) VALUES (NEW.id, 'zero')",
  "CREATE DEFINER = `app`@`%` TRIGGER t_definer BEFORE DELETE ON items FOR EACH ROW INSERT INTO audit (id, note) VALUES (OLD.id, CONCAT('deleted as ', CURRENT_USER()))",
  `CREATE TRIGGER t_block AFTER UPDATE ON items FOR EACH ROW BEGIN
  -- two rows per update; the second counts this item's rows so far
  DECLARE n INT;
  INSERT INTO audit (id, note) VALUES (NEW.id, 'block; one');
  SELECT COUNT(*) INTO n FROM audit WHERE id = NEW.id; /* this item's */
  INSERT INTO audit (id, note) VALUES (NEW.id, CONCAT('block two of ', n)); # a hash comment
END`,
  // Parses only under NO_BACKSLASH_ESCAPES, where '\' is a one-character string.
  "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES'",
  "CREATE TRIGGER t_mode BEFORE UPDATE ON items FOR EACH ROW SET NEW.name = CONCAT(NEW.name, '\\')",
];
const ALL = ['t_block', 't_definer', 't_first', 't_latin1', 't_mode', 't_second', 't_zero'];

const conn = (database = db, user = MYSQL_MIGRATION_USER, password = MYSQL_MIGRATION_PASSWORD): Conn => ({
  settings: { role: 'source', host: server.host, port: server.port, user, database, sslMode: 'disable' },
  secret: { password },
});

async function admin<T>(database: string, fn: (a: mysql.Connection) => Promise<T>): Promise<T> {
  const a = await server.connectAdmin(database);
  try {
    return await fn(a);
  } finally {
    await a.end();
  }
}

/** Everything information_schema and SHOW CREATE TRIGGER say about each trigger, but when it was created. */
async function triggersOf(database: string): Promise<Record<string, unknown>[]> {
  return admin(database, async (a) => {
    const [list] = await a.query<mysql.RowDataPacket[]>(
      `SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, ACTION_STATEMENT, DEFINER, SQL_MODE,
              CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION
         FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME`,
      [database],
    );
    const out = [];
    for (const t of list) {
      const [[shown]] = await a.query<mysql.RowDataPacket[]>(`SHOW CREATE TRIGGER \`${t.TRIGGER_NAME}\``);
      const { Created: _created, ...rest } = shown;
      out.push({ ...t, show: rest });
    }
    return out;
  });
}

/** One insert, update and delete of item `id`: what the triggers made of its name, and what they wrote, in firing order. */
async function fireRound(id: number): Promise<{ inserted: string; updated: string; notes: string[] }> {
  return admin(db, async (a) => {
    const name = async () => String((await a.query<mysql.RowDataPacket[]>('SELECT name FROM items WHERE id = ?', [id]))[0][0].name);
    await a.query("INSERT INTO items VALUES (?, 'n')", [id]);
    const inserted = await name();
    await a.query("UPDATE items SET name = 'u' WHERE id = ?", [id]);
    const updated = await name();
    await a.query('DELETE FROM items WHERE id = ?', [id]);
    const [notes] = await a.query<mysql.RowDataPacket[]>('SELECT note FROM audit WHERE id = ? ORDER BY seq', [id]);
    return { inserted, updated, notes: notes.map((n) => String(n.note)) };
  });
}

const FIRED = { inserted: 'né', updated: 'u\\', notes: ['zero', 'first', 'second', 'block; one', 'block two of 4', 'deleted as app@%'] };

before(async () => {
  server = await MariaDbServer.start();
  db = await server.createDatabase('trg');
  await server.query("CREATE USER 'app'@'%' IDENTIFIED BY 'App#1'");
  await server.query(`GRANT SELECT, INSERT, TRIGGER ON \`${db}\`.* TO 'app'@'%'`);
  await admin(db, async (a) => {
    for (const sql of [...TABLES, ...TRIGGERS]) await a.query(sql);
  });
  // Created by the migration user over a latin1 session: its text must reach the server in latin1 again.
  const latin1 = await mysql.createConnection({ host: server.host, port: server.port, user: MYSQL_MIGRATION_USER, password: MYSQL_MIGRATION_PASSWORD, database: db, charset: 'LATIN1_SWEDISH_CI' });
  await latin1.query("CREATE TRIGGER t_latin1 BEFORE INSERT ON items FOR EACH ROW SET NEW.name = CONCAT(NEW.name, 'é')");
  await latin1.end();
  original = await triggersOf(db);
  assert.deepEqual(original.map((t) => [t.TRIGGER_NAME, t.ACTION_ORDER]), [['t_block', 1], ['t_definer', 1], ['t_first', 2], ['t_latin1', 1], ['t_mode', 1], ['t_second', 3], ['t_zero', 1]]);
  assert.equal(original.find((t) => t.TRIGGER_NAME === 't_latin1')?.CHARACTER_SET_CLIENT, 'latin1');
  assert.deepEqual(await fireRound(1), FIRED, 'what the triggers do before anything is touched');
  // mysql2 follows SET character_set_client only when the server reports it (session tracking, on by
  // default): off here, so the latin1 trigger proves its text is sent in latin1 either way.
  await server.query("SET GLOBAL session_track_system_variables = ''");
});

after(async () => {
  await server?.stop();
});

test('privileges: each missing one named with its GRANT; setting aside is refused, nothing dropped', async () => {
  await server.query("CREATE USER 'narrow'@'%' IDENTIFIED BY 'Narrow#1'");
  await server.query(`GRANT SELECT ON \`${db}\`.* TO 'narrow'@'%'`);
  const narrow = conn(db, 'narrow', 'Narrow#1');
  assert.deepEqual((await checkTriggerPrivileges(narrow)).fixes, [`GRANT TRIGGER ON \`${db}\`.* TO 'narrow'@'%'`]);

  await server.query(`GRANT TRIGGER ON \`${db}\`.* TO 'narrow'@'%'`);
  const noSetUser = await checkTriggerPrivileges(narrow);
  assert.deepEqual(noSetUser.fixes, ["GRANT SET USER ON *.* TO 'narrow'@'%'"]);
  assert.match(noSetUser.problems[0], /`t_definer` \(definer app@%\)/);
  await assert.rejects(suspendTriggers(narrow, { migrationUuid: UUID, log }), (e: Error & { kind?: string }) => e.kind === 'privilege' && /GRANT SET USER ON \*\.\* TO 'narrow'@'%'/.test(e.message));
  assert.deepEqual(await triggersOf(db), original, 'nothing dropped');

  await server.query("GRANT SET USER ON *.* TO 'narrow'@'%'");
  assert.deepEqual(await checkTriggerPrivileges(narrow), { problems: [], fixes: [] });

  // Through a default role (MariaDB lists the current role's grants with the user's).
  await server.query("CREATE USER 'viarole'@'%' IDENTIFIED BY 'Role#1'");
  await server.query('CREATE ROLE trigger_keeper');
  await server.query(`GRANT TRIGGER ON \`${db.replace(/_/g, '\\_')}\`.* TO trigger_keeper`);
  await server.query("GRANT SET USER ON *.* TO trigger_keeper");
  await server.query("GRANT trigger_keeper TO 'viarole'@'%'");
  await server.query("SET DEFAULT ROLE trigger_keeper FOR 'viarole'@'%'");
  assert.deepEqual(await checkTriggerPrivileges(conn(db, 'viarole', 'Role#1')), { problems: [], fixes: [] });
});

test('suspend saves every trigger and drops them: changes fire nothing; a rerun does nothing', async () => {
  const r = await suspendTriggers(conn(), { migrationUuid: UUID, log });
  assert.deepEqual([...r.suspended].sort(), ALL);
  restoreSql = r.restoreSql;
  assert.deepEqual(await triggersOf(db), []);
  assert.deepEqual((await suspendedTriggers(conn(), UUID)).sort(), ALL);
  assert.deepEqual(await fireRound(2), { inserted: 'n', updated: 'u', notes: [] }, 'no trigger fires');

  const again = await suspendTriggers(conn(), { migrationUuid: UUID, log });
  assert.deepEqual(again, { suspended: [], restoreSql }, 'a rerun keeps what was saved first');
});

test('restore puts them back exactly as they were; they fire again; a rerun does nothing', async () => {
  const created = await restoreTriggers(conn(), { migrationUuid: UUID, log });
  assert.deepEqual([...created].sort(), ALL);
  assert.deepEqual(await triggersOf(db), original);
  assert.deepEqual(await fireRound(3), FIRED);
  assert.deepEqual(await restoreTriggers(conn(), { migrationUuid: UUID, log }), []);
  assert.deepEqual(await suspendedTriggers(conn(), UUID), []);
  assert.deepEqual(await triggersOf(db), original);
});

test('the saved script, run by the mysql client on a fresh copy of the tables, recreates them (twice over)', async () => {
  const fresh = await server.createDatabase('fresh');
  await admin(fresh, async (a) => {
    for (const sql of TABLES) await a.query(sql);
  });
  const expected = original.map((t) => {
    if (t.TRIGGER_NAME !== 't_latin1') return t;
    // The script is UTF-8: a latin1 trigger with non-ASCII text is created from UTF-8 (the script says so).
    const utf8 = { CHARACTER_SET_CLIENT: 'utf8mb4', COLLATION_CONNECTION: 'utf8mb4_general_ci' };
    const show = t.show as Record<string, unknown>;
    return { ...t, ...utf8, show: { ...show, character_set_client: utf8.CHARACTER_SET_CLIENT, collation_connection: utf8.COLLATION_CONNECTION } };
  });
  assert.match(restoreSql, /character_set_client latin1/);
  for (let run = 1; run <= 2; run++) {
    const r = spawnSync('mysql', ['--no-defaults', '--comments', '--protocol=TCP', `--host=${server.host}`, `--port=${server.port}`, `--user=${MYSQL_MIGRATION_USER}`, `--password=${MYSQL_MIGRATION_PASSWORD}`, `--database=${fresh}`], { input: restoreSql, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(await triggersOf(fresh), expected, `run ${run}`);
  }
});

/** Run suspend or restore in a child process that kills itself (kill -9) at a failpoint. */
function crashAt(fn: 'suspendTriggers' | 'restoreTriggers', failpoint: string, migrationUuid: string): void {
  const mod = new URL('../../src/adapters/mysql/source-triggers.js', import.meta.url).href;
  const logger = new URL('../../src/infra/logger.js', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(mod)}); const { nullLogger } = await import(${JSON.stringify(logger)});
    await m.${fn}(JSON.parse(process.env.YBV_TEST_CONN), { migrationUuid: ${JSON.stringify(migrationUuid)}, log: nullLogger });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, YB_VOYAGER_FAILPOINTS: failpoint, YBV_TEST_CONN: JSON.stringify(conn()) }, encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', `the child reached ${failpoint}: ${r.stderr}`);
}

const liveNames = async () => (await triggersOf(db)).map((t) => t.TRIGGER_NAME);

test('kill -9 while setting aside and while putting back: a rerun finishes the job, order intact', async () => {
  const uuid = '00000000-0000-4000-8000-0000000000a2';
  crashAt('suspendTriggers', 'mysql-triggers.after-save', uuid);
  assert.deepEqual(await liveNames(), ALL, 'saved, nothing dropped yet');
  assert.deepEqual((await suspendedTriggers(conn(), uuid)).sort(), ALL);

  // Restore order is AFTER INSERT (zero, first, second), AFTER UPDATE, BEFORE DELETE/INSERT/UPDATE; drops go backwards.
  crashAt('suspendTriggers', 'mysql-triggers.after-drop@5', uuid);
  assert.deepEqual(await liveNames(), ['t_first', 't_zero'], 'the first two of their group are left');
  // Straight to restore after the partial drop: t_second must land after them again.
  assert.deepEqual([...(await restoreTriggers(conn(), { migrationUuid: uuid, log }))].sort(), ['t_block', 't_definer', 't_latin1', 't_mode', 't_second']);
  assert.deepEqual(await triggersOf(db), original);

  assert.deepEqual((await suspendTriggers(conn(), { migrationUuid: uuid, log })).suspended, ['t_zero', 't_first', 't_second', 't_block', 't_definer', 't_latin1', 't_mode']);
  crashAt('restoreTriggers', 'mysql-triggers.after-create@2', uuid);
  assert.deepEqual(await liveNames(), ['t_first', 't_zero'], 'created in order, the first two are back');
  assert.deepEqual([...(await restoreTriggers(conn(), { migrationUuid: uuid, log }))].sort(), ['t_block', 't_definer', 't_latin1', 't_mode', 't_second']);
  assert.deepEqual(await triggersOf(db), original);
  assert.deepEqual(await suspendedTriggers(conn(), uuid), []);
  assert.deepEqual(await fireRound(4), FIRED);
});
