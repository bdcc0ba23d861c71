/**
 * The MySQL/MariaDB change sink and other sessions: a row lock held by another session (the open transaction
 * is replayed, the caller never sees it), and checkApply on users with and without the privileges fall-back
 * needs (direct grants, and grants through a default role that holds another role).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FIX_PREFIX } from '../../src/adapters/mysql/apply-privileges.js';
import { MySqlChangeApplier } from '../../src/adapters/mysql/change-applier.js';
import { mysqlChangeSink } from '../../src/adapters/mysql/change-sink.js';
import { ChunkCompactor } from '../../src/core/apply-batching.js';
import type { DataEvent } from '../../src/core/change-event.js';
import type { Conn } from '../../src/core/connection.js';
import { DbError } from '../../src/infra/errors.js';
import { nullLogger } from '../../src/infra/logger.js';
import { capturingLogger } from '../helpers/apply-rig.js';
import { poll } from '../helpers/live-rig.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD, MYSQL_MIGRATION_USER } from '../helpers/mariadb-server.js';

let my: MariaDbServer;
before(async () => {
  my = await MariaDbServer.start();
});
after(async () => {
  await my?.stop();
});

const conn = (database: string, user = MYSQL_MIGRATION_USER, password = MYSQL_MIGRATION_PASSWORD): Conn => ({
  settings: { role: 'source', host: my.host, port: my.port, user, database, sslMode: 'disable' },
  secret: { password },
});

let vsn = 0;
function chunk(events: Omit<DataEvent, 'vsn'>[]) {
  const c = new ChunkCompactor();
  for (const e of events) c.add({ ...e, vsn: ++vsn });
  return c.result();
}

test('a lock wait timeout: the open transaction (earlier chunks too) is rolled back and replayed until the lock is free', async () => {
  const db = await my.createDatabase('locks');
  await my.query('CREATE TABLE k (id INT PRIMARY KEY, v INT); INSERT INTO k VALUES (1, 1); CREATE TABLE other (id INT PRIMARY KEY)', [], db);
  const logged: string[] = [];
  // The session takes the global value when it connects: its lock waits last 1 s.
  await my.query('SET GLOBAL innodb_lock_wait_timeout = 1');
  let sink: MySqlChangeApplier;
  try {
    sink = await MySqlChangeApplier.open(conn(db), { migrationUuid: '00000000-0000-4000-8000-0000000001f1', side: 'source', log: capturingLogger(logged) });
  } finally {
    await my.query('SET GLOBAL innodb_lock_wait_timeout = 50');
  }
  const blocker = await my.connectAdmin(db);
  try {
    await sink.applyChunk(chunk([{ op: 'c', schema: 'public', table: 'other', key: { id: '1' }, after: { id: '1' } }]));
    await blocker.query('START TRANSACTION');
    await blocker.query('SELECT * FROM k WHERE id = 1 FOR UPDATE');
    const applying = sink.applyChunk(chunk([{ op: 'u', schema: 'public', table: 'k', key: { id: '1' }, after: { id: '1', v: '2' } }]));
    applying.catch(() => undefined);
    await poll('the applier to hit the lock and replay', async () => (logged.some((l) => l.startsWith('lock conflict on the source')) ? true : undefined), 30_000, 20);
    await blocker.query('ROLLBACK');
    await applying;
    await sink.commit(vsn);
    assert.ok(sink.replays >= 1);
  } finally {
    await sink.close();
    await blocker.end();
  }
  assert.deepEqual(await my.query('SELECT id, v FROM k', [], db), [{ id: 1, v: 2 }]);
  assert.deepEqual(await my.query('SELECT id FROM other', [], db), [{ id: 1 }], 'the earlier chunk was replayed once, not lost or doubled');
});

const PREFIX = FIX_PREFIX;

test('checkApply names every missing GRANT at once; once they are run, that user can apply and clean up', async () => {
  const db = await my.createDatabase('grants');
  await my.query('CREATE TABLE k (id INT PRIMARY KEY, v INT); INSERT INTO k VALUES (1, 1)', [], db);
  await my.query(`CREATE USER 'limited'@'%' IDENTIFIED BY 'pw1'; GRANT SELECT, INSERT ON \`${db}\`.* TO 'limited'@'%'`);
  const limited = conn(db, 'limited', 'pw1');
  const r = await mysqlChangeSink.checkApply(limited);
  assert.deepEqual(r, {
    ok: false,
    user: 'limited',
    fix: `${PREFIX}GRANT UPDATE, DELETE ON \`${db}\`.* TO 'limited'@'%'; GRANT ALL PRIVILEGES ON \`ybvoyager_metadata\`.* TO 'limited'@'%'; GRANT TRIGGER ON \`${db}\`.* TO 'limited'@'%';`,
  });
  const uuid = '00000000-0000-4000-8000-0000000001f2';
  await assert.rejects(mysqlChangeSink.open(limited, { migrationUuid: uuid, side: 'source', log: nullLogger }), (e: unknown) => e instanceof DbError && e.kind === 'privilege');

  await my.query(r.fix!.slice(PREFIX.length));
  assert.deepEqual(await mysqlChangeSink.checkApply(limited), { ok: true, user: 'limited', fix: undefined });
  const sink = await mysqlChangeSink.open(limited, { migrationUuid: uuid, side: 'source', log: nullLogger });
  try {
    await sink.applyChunk(chunk([
      { op: 'u', schema: 'public', table: 'k', key: { id: '1' }, after: { id: '1', v: '5' } },
      { op: 'c', schema: 'public', table: 'k', key: { id: '2' }, after: { id: '2', v: '2' } },
      { op: 'd', schema: 'public', table: 'k', key: { id: '2' } },
    ]));
    await sink.commit(vsn);
  } finally {
    await sink.close();
  }
  assert.deepEqual(await my.query('SELECT id, v FROM k', [], db), [{ id: 1, v: 5 }]);
  assert.deepEqual(await mysqlChangeSink.importedCounts(limited, uuid), [{ schema: 'public', table: 'k', inserts: 1, updates: 1, deletes: 1 }]);
  assert.deepEqual(await mysqlChangeSink.dropMetadata(limited), ['database ybvoyager_metadata']);
});

test('checkApply counts privileges of the default role (and the roles it holds), not of a role left inactive', async () => {
  const db = await my.createDatabase('roles');
  await my.query(`CREATE ROLE meta_writer; GRANT ALL PRIVILEGES ON \`ybvoyager_metadata\`.* TO meta_writer;
    CREATE ROLE fallback_writer; GRANT SELECT, INSERT, UPDATE, DELETE, TRIGGER ON \`${db}\`.* TO fallback_writer; GRANT meta_writer TO fallback_writer;
    CREATE USER 'viarole'@'%' IDENTIFIED BY 'pw2'; GRANT SELECT ON \`${db}\`.* TO 'viarole'@'%';
    GRANT fallback_writer TO 'viarole'@'%'; SET DEFAULT ROLE fallback_writer FOR 'viarole'@'%'`);
  assert.deepEqual(await mysqlChangeSink.checkApply(conn(db, 'viarole', 'pw2')), { ok: true, user: 'viarole', fix: undefined });
  await my.query(`SET DEFAULT ROLE NONE FOR 'viarole'@'%'`);
  const r = await mysqlChangeSink.checkApply(conn(db, 'viarole', 'pw2'));
  assert.equal(r.ok, false);
  assert.match(r.fix ?? '', /GRANT INSERT, UPDATE, DELETE ON `roles_\w+`\.\* TO 'viarole'@'%'; GRANT ALL PRIVILEGES ON `ybvoyager_metadata`\.\* TO 'viarole'@'%'; GRANT TRIGGER ON `roles_\w+`/);
  assert.deepEqual(await mysqlChangeSink.checkApply(conn(db)), { ok: true, user: MYSQL_MIGRATION_USER, fix: undefined }, 'ALL PRIVILEGES ON *.*');
});
