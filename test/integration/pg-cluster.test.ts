import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '../../src/adapters/postgres/connection.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
before(async () => { cluster = await PgCluster.start(); });
after(async () => { await cluster?.stop(); });

test('private cluster: logical WAL, SCRAM login of the migration user over TCP', async () => {
  const db = await cluster.createDatabase('rig');
  const client = await connect(cluster.settings(db), { password: MIGRATION_PASSWORD });
  try {
    const r = await client.query(`SELECT current_setting('wal_level') AS wal, current_user AS u, (SELECT rolpassword LIKE 'SCRAM-SHA-256%' FROM pg_authid WHERE rolname = current_user) AS scram`);
    assert.deepEqual(r.rows[0], { wal: 'logical', u: 'ybvoyager', scram: 't' });
  } finally {
    await client.end();
  }
});
