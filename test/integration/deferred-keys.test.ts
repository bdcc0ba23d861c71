/**
 * Primary keys dropped for the snapshot load and built after it (src/adapters/postgres/deferred-keys.ts) against a
 * real server: which keys may go, that a key comes back exactly as it was, that building it twice is harmless,
 * and that rows which break it give a one-line error naming the fix.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { connect } from '../../src/adapters/postgres/connection.js';
import { deferrableKeys, dropKey, restoreKey } from '../../src/adapters/postgres/deferred-keys.js';
import { DbError } from '../../src/infra/errors.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
let db: string;
let client: pg.Client;

const SCHEMA = `
  CREATE TABLE plain (id bigint PRIMARY KEY, v text);
  CREATE TABLE wide_key (a int, b text, c int, CONSTRAINT wide_key_pk PRIMARY KEY (a, b) INCLUDE (c) DEFERRABLE INITIALLY DEFERRED);
  CREATE TABLE parent (id int PRIMARY KEY);
  CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
  CREATE TABLE parted (id int, k int, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
  CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);
  CREATE TABLE grouped (id int PRIMARY KEY, v text);
  CREATE VIEW grouped_v AS SELECT id, v FROM grouped GROUP BY id;
  CREATE TABLE ident (id int PRIMARY KEY);
  ALTER TABLE ident REPLICA IDENTITY USING INDEX ident_pkey;
  CREATE TABLE keyless (id int);`;

const ALL = ['plain', 'wide_key', 'parent', 'child', 'parted', 'parted_1', 'grouped', 'ident', 'keyless'].map((table) => ({ schema: 'public', table }));

async function primaryKeys(): Promise<Record<string, string>> {
  const r = await client.query<{ t: string; def: string }>(
    `SELECT conrelid::regclass::text AS t, conname || ' ' || pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace ORDER BY 1`,
  );
  return Object.fromEntries(r.rows.map((x) => [x.t, x.def]));
}

before(async () => {
  cluster = await PgCluster.start();
  db = await cluster.createDatabase('keys');
  await cluster.query(SCHEMA, [], db);
  client = await connect(cluster.settings(db, 'target'), { password: MIGRATION_PASSWORD });
});
after(async () => {
  await client?.end();
  await cluster?.stop();
});

test('only keys nothing else depends on may be dropped: not under a foreign key, a view, a partition tree or the replica identity', async () => {
  const keys = await deferrableKeys(client, ALL);
  assert.deepEqual(keys.map((k) => k.table).sort(), ['child', 'plain', 'wide_key']);
  assert.deepEqual(keys.find((k) => k.table === 'wide_key'), {
    schema: 'public', table: 'wide_key', name: 'wide_key_pk', definition: 'PRIMARY KEY (a, b) INCLUDE (c) DEFERRABLE INITIALLY DEFERRED',
  });
});

test('a user who may only insert into a table (not its owner) loads it with its key', async () => {
  await cluster.query(`CREATE ROLE inserter LOGIN PASSWORD 'pw-inserter'; GRANT INSERT, SELECT ON plain TO inserter;
    GRANT USAGE ON SCHEMA public TO inserter; CREATE TABLE theirs (id int PRIMARY KEY); ALTER TABLE theirs OWNER TO inserter`, [], db);
  const inserter = await connect({ ...cluster.settings(db, 'target'), user: 'inserter' }, { password: 'pw-inserter' });
  try {
    const keys = await deferrableKeys(inserter, [{ schema: 'public', table: 'plain' }, { schema: 'public', table: 'theirs' }]);
    assert.deepEqual(keys.map((k) => k.table), ['theirs']);
  } finally {
    await inserter.end();
    await cluster.query('DROP TABLE theirs', [], db);
  }
});

test('a dropped key comes back exactly as it was, over the loaded rows; building it again changes nothing', async () => {
  const before = await primaryKeys();
  const keys = await deferrableKeys(client, ALL);
  for (const k of keys) await dropKey(client, k);
  const dropped = await primaryKeys();
  assert.deepEqual(Object.keys(dropped).sort(), ['grouped', 'ident', 'parent', 'parted', 'parted_1']);
  await client.query(`INSERT INTO plain SELECT g, 'v' || g FROM generate_series(1, 5000) g; INSERT INTO wide_key VALUES (1, 'x', 1), (1, 'y', 2)`);
  for (const k of keys) await restoreKey(client, k);
  for (const k of keys) await restoreKey(client, k);
  assert.deepEqual(await primaryKeys(), before);
  await client.query('TRUNCATE plain, wide_key');
});

test('rows that break the key: a one-line error naming the fix, and the key is built once they are gone', async () => {
  const [k] = await deferrableKeys(client, [{ schema: 'public', table: 'plain' }]);
  await dropKey(client, k);
  await client.query(`INSERT INTO plain VALUES (1, 'a'), (1, 'b')`);
  await assert.rejects(restoreKey(client, k), (e: unknown) => {
    assert.ok(e instanceof DbError);
    assert.match(e.message, /cannot build the primary key of "public"\."plain" \(PRIMARY KEY \(id\)\) over the loaded rows: could not create unique index .*\(Key \(id\)=\(1\) is duplicated\.\)/);
    assert.match(e.hint ?? '', /rerun import data: it builds the key again/);
    return true;
  });
  await client.query(`DELETE FROM plain WHERE v = 'b'`);
  await restoreKey(client, k);
  assert.equal((await primaryKeys())['plain'], 'plain_pkey PRIMARY KEY (id)');
});
