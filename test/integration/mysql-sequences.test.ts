/**
 * AUTO_INCREMENT at cutover to source (fall-back onto MariaDB): every counter ends past the ids the target
 * handed out, past the ids in its column, never back; and stays there across a server restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mysqlSequences } from '../../src/adapters/mysql/sequences.js';
import type { Conn } from '../../src/core/connection.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD, MYSQL_MIGRATION_USER } from '../helpers/mariadb-server.js';

let server: MariaDbServer;
let db: string;

const conn = (): Conn => ({
  settings: { role: 'source', host: server.host, port: server.port, user: MYSQL_MIGRATION_USER, database: db, sslMode: 'disable' },
  secret: { password: MYSQL_MIGRATION_PASSWORD },
});

const SETUP = [
  // Mixed case: PostgreSQL names its sequence in lower case.
  'CREATE TABLE `Orders` (id int AUTO_INCREMENT PRIMARY KEY, v text)',
  "INSERT INTO `Orders` (v) VALUES ('a'), ('b'), ('c')",
  // Ids 4 and 5 were handed out here and deleted: the counter is ahead of the data.
  'CREATE TABLE deleted_tail (id bigint AUTO_INCREMENT PRIMARY KEY, v text)',
  "INSERT INTO deleted_tail (v) VALUES ('a'), ('b'), ('c'), ('d'), ('e')",
  'DELETE FROM deleted_tail WHERE id > 3',
  // The target handed out up to 100; only some of those rows are still there.
  'CREATE TABLE ahead (id int AUTO_INCREMENT PRIMARY KEY, v text)',
  "INSERT INTO ahead (id, v) VALUES (10, 'x')",
  'CREATE TABLE counter_ahead (id int AUTO_INCREMENT PRIMARY KEY, v text) AUTO_INCREMENT = 500',
  'CREATE TABLE legacy (k int NOT NULL AUTO_INCREMENT, PRIMARY KEY (k)) ENGINE = MyISAM',
  'CREATE TABLE never (id int AUTO_INCREMENT PRIMARY KEY)',
];

const VALUES = [
  { schema: 'public', name: 'orders_id_seq', lastValue: '7' },
  { schema: 'public', name: 'deleted_tail_id_seq', lastValue: '2' },
  { schema: 'public', name: 'ahead_id_seq', lastValue: '100' },
  { schema: 'public', name: 'counter_ahead_id_seq', lastValue: '20' },
  { schema: 'public', name: 'legacy_k_seq', lastValue: '50' },
  { schema: 'public', name: 'never_id_seq', lastValue: null },
  { schema: 'public', name: 'gone_id_seq', lastValue: '3' },
];

const EXPECTED = [
  { name: 'orders_id_seq', setTo: '7' },
  { name: 'deleted_tail_id_seq', setTo: '5' },
  { name: 'ahead_id_seq', setTo: '100' },
  { name: 'counter_ahead_id_seq', setTo: '499' },
  { name: 'legacy_k_seq', setTo: '50' },
  { name: 'never_id_seq', skipped: 'unused' },
  { name: 'gone_id_seq', skipped: 'missing' },
];

/** The id the next insert gets, per table (inserted and deleted again, so the data stays as it was). */
async function nextIds(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [table, col] of [['Orders', 'id'], ['deleted_tail', 'id'], ['ahead', 'id'], ['counter_ahead', 'id'], ['legacy', 'k']]) {
    const r = await server.query<{ insertId: number }>(`INSERT INTO \`${table}\` () VALUES ()`, [], db);
    out[table] = Number(r.insertId);
    await server.query(`DELETE FROM \`${table}\` WHERE ${col} = ?`, [r.insertId], db);
  }
  return out;
}

before(async () => {
  server = await MariaDbServer.start();
  db = await server.createDatabase('seq');
  for (const sql of SETUP) await server.query(sql, [], db);
});

after(async () => {
  await server?.stop();
});

test('each counter goes past the target, the data and itself, never back; missing and unused said so', async () => {
  const restored = await mysqlSequences.restore!(conn(), VALUES);
  assert.deepEqual(restored.map(({ name, setTo, skipped }) => (skipped ? { name, skipped } : { name, setTo })), EXPECTED);
  assert.deepEqual(restored[0].columns, [`${db}.Orders.id`]);
  // What read() reports now is what restore set (the next cutover to target carries it on).
  const read = new Map((await mysqlSequences.read(conn(), ['public'])).map((v) => [v.name, v.lastValue]));
  assert.deepEqual([...read], [['ahead_id_seq', '100'], ['counter_ahead_id_seq', '499'], ['deleted_tail_id_seq', '5'], ['legacy_k_seq', '50'], ['never_id_seq', null], ['orders_id_seq', '7']]);
});

test('the counters survive a restart, and a rerun moves none back', async () => {
  await server.restart();
  assert.deepEqual(await nextIds(), { Orders: 8, deleted_tail: 6, ahead: 101, counter_ahead: 500, legacy: 51 });
  const again = await mysqlSequences.restore!(conn(), VALUES);
  // Each next insert above took one more id: the rerun counts it and moves nothing back.
  assert.deepEqual(again.map((r) => r.setTo ?? r.skipped), ['8', '6', '101', '500', '51', 'unused', 'missing']);
  assert.deepEqual(await nextIds(), { Orders: 9, deleted_tail: 7, ahead: 102, counter_ahead: 501, legacy: 52 });
});
