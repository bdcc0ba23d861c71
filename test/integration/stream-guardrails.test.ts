import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '../../src/adapters/postgres/connection.js';
import { assertStreamingPrerequisites, checkStreamingPrerequisites } from '../../src/adapters/postgres/guardrails.js';
import { UserError } from '../../src/infra/errors.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

let logical: PgCluster;
let replicaOnly: PgCluster;
before(async () => {
  [logical, replicaOnly] = await Promise.all([PgCluster.start(), PgCluster.start({ extraConf: { wal_level: 'replica', max_replication_slots: 1 } })]);
});
after(async () => {
  await Promise.all([logical?.stop(), replicaOnly?.stop()]);
});

test('every table problem is reported at once, each with its exact fix; ready tables pass', async () => {
  const db = await logical.createDatabase('guard');
  const c = await connect(logical.settings(db), { password: MIGRATION_PASSWORD });
  try {
    await c.query(`
      CREATE TABLE ok_pk (id int PRIMARY KEY, v text);
      CREATE TABLE ok_full (v text); ALTER TABLE ok_full REPLICA IDENTITY FULL;
      CREATE TABLE ok_index (code text NOT NULL, v text); CREATE UNIQUE INDEX ok_index_code ON ok_index (code);
      ALTER TABLE ok_index REPLICA IDENTITY USING INDEX ok_index_code;
      CREATE TABLE no_pk (v text);
      CREATE TABLE "Nothing Here" (id int PRIMARY KEY); ALTER TABLE "Nothing Here" REPLICA IDENTITY NOTHING;
      CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY);
      CREATE VIEW a_view AS SELECT 1 AS x;
      CREATE TABLE p (id int, r text) PARTITION BY LIST (r);
      CREATE TABLE p_a PARTITION OF p FOR VALUES IN ('a');
      CREATE TABLE blobs (id int PRIMARY KEY, doc oid);
    `);
    const tables = ['ok_pk', 'ok_full', 'ok_index', 'no_pk', 'Nothing Here', 'scratch', 'a_view', 'p', 'blobs', 'missing'].map((table) => ({ schema: 'public', table }));
    const report = await checkStreamingPrerequisites(c, tables, { needNewSlot: true });
    const p = report.problems;
    const about = (name: string) => p.filter((l) => l.includes(name));
    assert.deepEqual(about('ok_'), [], 'tables with a key or a replica identity are fine');
    assert.deepEqual(about('"public"."no_pk"'), [`"public"."no_pk" has no primary key, so its updates and deletes cannot identify rows; add a primary key (ALTER TABLE "public"."no_pk" ADD PRIMARY KEY (<columns>);) or run ALTER TABLE "public"."no_pk" REPLICA IDENTITY FULL;`]);
    assert.match(about('Nothing Here')[0], /REPLICA IDENTITY NOTHING.*ALTER TABLE "public"\."Nothing Here" REPLICA IDENTITY DEFAULT;/);
    assert.match(about('scratch')[0], /UNLOGGED.*ALTER TABLE "public"\."scratch" SET LOGGED;/);
    assert.match(about('a_view')[0], /is a view.*remove it from --table-list/);
    const part = about('"public"."p"');
    assert.equal(part.length, 1, part.join('\n'));
    assert.match(part[0], /partition "public"\."p_a" of "public"\."p" has no primary key or replica identity; run ALTER TABLE "public"\."p_a" REPLICA IDENTITY FULL;/);
    assert.match(about('missing')[0], /does not exist on the source/);
    assert.equal(p.length, 6, p.join('\n'));
    assert.deepEqual(report.warnings.map((w) => w.replace(/:.*/, '')), ['"public"."blobs" has large-object reference column(s) doc']);

    assert.throws(() => assertStreamingPrerequisites(report), (e) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.kind, 'config');
      assert.match(e.message, /not ready to stream changes \(6 problems\)/);
      assert.equal(e.message.split('\n  - ').length, 7, 'one line per problem');
      return true;
    });
    assert.doesNotThrow(() => assertStreamingPrerequisites({ problems: [], warnings: ['x'] }));
  } finally {
    await c.end();
  }
});

test('server problems: wal_level, replication privilege, no free slot, missing slot of this migration', async () => {
  const db = await replicaOnly.createDatabase('guard');
  await replicaOnly.query(`SELECT pg_create_physical_replication_slot('someone_else')`);
  await replicaOnly.query(`CREATE ROLE plain LOGIN PASSWORD 'plain-pw'`);
  const c = await connect({ ...replicaOnly.settings(db), user: 'plain' }, { password: 'plain-pw' });
  try {
    const fresh = await checkStreamingPrerequisites(c, [], { needNewSlot: true, needPublication: true });
    assert.deepEqual(fresh.problems, [
      'wal_level is replica; run ALTER SYSTEM SET wal_level = logical; as a superuser (or set it in postgresql.conf) and restart the server',
      'user plain has neither the REPLICATION attribute nor SUPERUSER; run ALTER ROLE "plain" WITH REPLICATION; as a superuser',
      'all 1 replication slots are in use; raise max_replication_slots (ALTER SYSTEM SET max_replication_slots = 2; then restart) or drop an unused slot with SELECT pg_drop_replication_slot(\'<name>\')',
      `user plain cannot create the publication; run GRANT CREATE ON DATABASE "${db}" TO "plain"; as a superuser`,
    ]);
    const rerun = await checkStreamingPrerequisites(c, [], { needNewSlot: false, slotName: 'voyager_gone' });
    assert.match(rerun.problems.join('\n'), /replication slot voyager_gone of this migration does not exist on the source/);
  } finally {
    await c.end();
  }
});
