/**
 * The sessions of a MySQL/MariaDB snapshot all see one state, and the binlog position they report is that
 * state's: under a steady stream of commits, both ways of opening them (one MariaDB session lock-free; several
 * under the brief global read lock MySQL 8 needs too, exercised here on MariaDB) give sessions that count the same
 * rows, and the rows committed after the position are exactly the ones the sessions do not see. Several MariaDB
 * sessions are not accepted lock-free on equal positions: this test once saw two of them, at one position, count
 * 73 and 74 rows.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openSnapshotSessions, closeSessions } from '../../src/adapters/mysql/snapshot-sessions.js';
import { binlogHead } from '../../src/adapters/mysql/binlog-status.js';
import { connect } from '../../src/adapters/mysql/connection.js';
import type { Conn } from '../../src/core/connection.js';
import { nullLogger } from '../../src/infra/logger.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD, MYSQL_MIGRATION_USER } from '../helpers/mariadb-server.js';

let server: MariaDbServer;
let conn: Conn;

before(async () => {
  server = await MariaDbServer.start({ extraArgs: ['--binlog-row-metadata=FULL'] });
  const db = await server.createDatabase('snap');
  await server.query('CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, v int)', [], db);
  conn = { settings: { role: 'source', host: server.host, port: server.port, user: MYSQL_MIGRATION_USER, database: db, sslMode: 'disable' }, secret: { password: MYSQL_MIGRATION_PASSWORD } };
});

after(() => server?.stop());

test('one MariaDB session takes no lock; several take the brief read lock', async () => {
  for (const [n, method] of [[1, 'consistent-snapshot'], [4, 'read-lock']] as const) {
    const opened = await openSnapshotSessions(conn, n, { lockTimeoutMs: 10_000, log: nullLogger });
    try {
      assert.equal(opened.method, method);
      assert.equal(opened.sessions.length, n);
      assert.ok(opened.position);
    } finally {
      await closeSessions(opened.sessions);
    }
  }
});

for (const forceReadLock of [false, true]) {
  test(`${forceReadLock ? 'read-lock' : 'lock-free'} sessions under concurrent commits see one state at their position`, async () => {
    const n = forceReadLock ? 4 : 1;
    const writer = await connect(conn);
    let stop = false;
    let commits = 0;
    const writing = (async () => {
      while (!stop) {
        await writer.query('INSERT INTO t (v) VALUES (1)');
        commits++;
      }
    })();
    while (commits < 50) await new Promise((r) => setImmediate(r));
    const opened = await openSnapshotSessions(conn, n, { lockTimeoutMs: 10_000, log: nullLogger, forceReadLock });
    try {
      assert.equal(opened.method, forceReadLock ? 'read-lock' : 'consistent-snapshot');
      assert.ok(opened.position, 'a binlog position');
      const seen = await Promise.all(opened.sessions.map(async (s) => {
        const [r] = await s.query('SELECT count(*) AS n, COALESCE(max(id), 0) AS m FROM t');
        return (r as { n: number; m: number }[])[0];
      }));
      for (const x of seen) assert.deepEqual(x, seen[0], 'every session sees the same rows');
      stop = true;
      await writing;
      // Every row past what the sessions saw was committed after their position: the binlog from there has them all.
      const head = await binlogHead(writer);
      const [later] = await writer.query('SELECT count(*) AS n FROM t WHERE id > ?', [seen[0].m]);
      const [events] = await writer.query(`SHOW BINLOG EVENTS IN '${opened.position!.file}' FROM ${opened.position!.pos}`);
      const inserts = (events as { Event_type: string }[]).filter((e) => e.Event_type === 'Write_rows_v1').length;
      assert.equal(inserts, Number((later as { n: number }[])[0].n), `rows after the snapshot = row events after ${opened.position!.file}:${opened.position!.pos} (head ${head?.pos})`);
    } finally {
      stop = true;
      await writing;
      await closeSessions(opened.sessions);
      await writer.end();
    }
  });
}
