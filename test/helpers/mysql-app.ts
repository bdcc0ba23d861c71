/**
 * The MariaDB application the MySQL end-to-end tests migrate: a parent/child pair whose ON DELETE CASCADE never
 * reaches the binlog, orders with AUTO_INCREMENT ids, generated columns and an audit trigger whose rows do
 * reach it, and a type matrix of every value that is hard to carry exactly. `workStep` is one random
 * application transaction of the kinds that are hard to apply.
 */
import type mysql from 'mysql2/promise';
import { MariaDbServer } from './mariadb-server.js';
import { PgCluster } from './pg-cluster.js';

export const SCHEMA = [
  'CREATE TABLE parent (id int PRIMARY KEY, name varchar(40) NOT NULL)',
  'CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL, note varchar(40), CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE)',
  'CREATE TABLE orders (id bigint AUTO_INCREMENT PRIMARY KEY, customer varchar(40) NOT NULL, amount decimal(12,2) NOT NULL, status enum(\'new\',\'paid\',\'shipped\') NOT NULL DEFAULT \'new\', ' +
    // Generated columns: one PostgreSQL computes too (copied: no), one it cannot (a plain column there: copied).
    'cents bigint AS (amount * 100) STORED, label varchar(80) AS (concat(customer, \'/\', status)) STORED)',
  'CREATE TABLE audit (id bigint AUTO_INCREMENT PRIMARY KEY, order_id bigint NOT NULL, what varchar(20) NOT NULL)',
  'CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit (order_id, what) VALUES (NEW.id, \'created\')',
  `CREATE TABLE ty (id int PRIMARY KEY, u64 bigint unsigned, d65 decimal(65,30), f float, dbl double, b1 bit(1), b64 bit(64), y year,
     e enum('a','b',''), s set('x','y','z'), j json, t time(6), dt datetime(6), ts timestamp(6) NULL, dd date, vc varchar(20), tx text,
     bn binary(4), bl blob, t1 tinyint(1), ui int unsigned)`,
];

/** Rows of the type matrix: inserted for the snapshot with ids 1…n, and again through the binlog with ids 101…. */
export const TY_VALUES = [
  `18446744073709551615, 12345678901234567890123456789012345.123456789012345678901234567890, 0.1, 0.1, b'1', b'1000000000000000000000000000000000000000000000000000000000000001', 0,
   '', 'x,z', '{"k": [1, 2.50, "é"]}', '23:59:59.999999', '2024-02-29 13:14:15.123456', '2038-01-19 03:14:07.5', '1000-01-01', 'tab\there', 'line\\nbreak and \\\\ backslash 😀',
   0x61000000, 0x00ff00, 2, 4294967295`,
  `0, -99999999999999999999999999999999999.999999999999999999999999999999, -3.4e38, 1.7976931348623157e308, b'0', b'0', 2155,
   'b', '', '[]', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:01', '9999-12-31', '', NULL,
   0x00000000, '', -128, 0`,
  `NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`,
];

/** One random source transaction of the kinds that are hard to apply. */
export async function workStep(c: mysql.Connection, n: number, rnd: () => number): Promise<void> {
  const kind = Math.floor(rnd() * 7);
  await c.query('BEGIN');
  if (kind === 0) await c.query('INSERT INTO orders (customer, amount) VALUES (?, ?)', [`w${n}`, (n % 1000) / 8]);
  else if (kind === 1) await c.query("UPDATE orders SET amount = amount + 1, status = 'paid' WHERE id = ?", [1 + Math.floor(rnd() * 3000)]);
  else if (kind === 2) await c.query('DELETE FROM orders WHERE id = ?', [1 + Math.floor(rnd() * 3000)]);
  else if (kind === 3) await c.query('UPDATE child SET id = ? WHERE id = ?', [100_000 + n, 1 + Math.floor(rnd() * 800)]); // primary-key update
  else if (kind === 4) await c.query('DELETE FROM parent WHERE id = ?', [1 + Math.floor(rnd() * 200)]); // cascades on MariaDB only
  else if (kind === 5) {
    await c.query('INSERT IGNORE INTO parent VALUES (?, ?)', [1000 + n, `np${n}`]);
    await c.query('INSERT INTO child VALUES (?, ?, ?)', [200_000 + n, 1000 + n, 'fresh']);
  } else await c.query('UPDATE parent SET name = CONCAT(name, \'+\') WHERE id = ?', [1 + Math.floor(rnd() * 200)]);
  await c.query('COMMIT');
}

/** The application tables compared row by row (the type matrix is compared on its own). */
export const TABLE_COLUMNS: Record<string, string[]> = {
  parent: ['id', 'name'],
  child: ['id', 'parent_id', 'note'],
  orders: ['id', 'customer', 'amount', 'status', 'cents', 'label'],
  audit: ['id', 'order_id', 'what'],
};

export interface MigrationPair {
  mariadb: MariaDbServer;
  sourceDb: string;
  pg: PgCluster;
  targetDb: string;
}

/** A private MariaDB (full row metadata in its binlog) and PostgreSQL, each with a database `shop`; SCHEMA on MariaDB. */
export async function startMigrationPair(): Promise<MigrationPair> {
  const [mariadb, pg] = await Promise.all([MariaDbServer.start({ extraArgs: ['--binlog-row-metadata=FULL'] }), PgCluster.start()]);
  const sourceDb = await mariadb.createDatabase('shop');
  const targetDb = await pg.createDatabase('shop');
  for (const ddl of SCHEMA) await mariadb.query(ddl, [], sourceDb);
  return { mariadb, sourceDb, pg, targetDb };
}

/** Every row of `table` as text on both sides, in key order. */
export async function sideBySide(p: MigrationPair, table: string, cols: string[]): Promise<{ source: string[]; target: string[] }> {
  const s = await p.mariadb.query<Record<string, unknown>[]>(`SELECT ${cols.map((c) => `CAST(${c} AS CHAR) AS ${c}`).join(', ')} FROM ${table} ORDER BY id`, [], p.sourceDb);
  const t = await p.pg.query(`SELECT ${cols.map((c) => `${c}::text AS ${c}`).join(', ')} FROM public.${table} ORDER BY id`, [], p.targetDb);
  const line = (r: Record<string, unknown>) => cols.map((c) => (r[c] === null ? '∅' : String(r[c]))).join('|');
  return { source: s.map(line), target: t.rows.map(line) };
}
