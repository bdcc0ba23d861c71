import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MariaDbServer, MYSQL_MIGRATION_USER } from '../helpers/mariadb-server.js';

let server: MariaDbServer;
before(async () => { server = await MariaDbServer.start(); });
after(async () => { await server?.stop(); });

test('private MariaDB: the migration user logs in over TCP with its password; binlog is on, ROW, full images', async () => {
  const db = await server.createDatabase('rig');
  const conn = await server.connectMigrationUser(db);
  try {
    const [rows] = await conn.query(
      `SELECT @@global.binlog_format AS fmt, @@global.log_bin AS log_bin, @@global.binlog_row_image AS image,
              @@global.server_id AS server_id, CURRENT_USER() AS who, DATABASE() AS db, VERSION() AS version`,
    );
    const r = (rows as Record<string, unknown>[])[0];
    assert.equal(r.fmt, 'ROW');
    assert.equal(Number(r.log_bin), 1, 'log_bin=ON');
    assert.equal(r.image, 'FULL');
    assert.ok(Number(r.server_id) > 0);
    assert.match(String(r.who), new RegExp(`^${MYSQL_MIGRATION_USER}@`));
    assert.equal(r.db, db);
    assert.match(String(r.version), /MariaDB/);
  } finally {
    await conn.end();
  }
});

test('a committed write reaches the binary log as a row event', async () => {
  const db = await server.createDatabase('binlog');
  await server.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))', [], db);
  const conn = await server.connectMigrationUser(db);
  try {
    const [logs] = await conn.query('SHOW BINARY LOGS');
    const last = (logs as { Log_name: string }[]).at(-1)!.Log_name;
    await conn.query("INSERT INTO t VALUES (1, 'a')");
    const [events] = await conn.query(`SHOW BINLOG EVENTS IN '${last}'`);
    const types = (events as { Event_type: string }[]).map((e) => e.Event_type);
    assert.ok(types.includes('Write_rows_v1') || types.includes('Write_rows'), `row events in ${types.join(',')}`);
  } finally {
    await conn.end();
  }
});

test('a wrong password is refused (the server really checks it)', async () => {
  const mysql = (await import('mysql2/promise')).default;
  await assert.rejects(
    mysql.createConnection({ host: server.host, port: server.port, user: MYSQL_MIGRATION_USER, password: 'wrong' }),
    (e: { code?: string }) => e.code === 'ER_ACCESS_DENIED_ERROR',
  );
});
