/**
 * Contract of every Engine: identity, positions, and which failures count as a lost connection. Runs once per
 * engine with a rig (test/helpers/engine-rigs.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nullLogger as silentLog } from '../../src/infra/logger.js';
import { forEachEngine } from '../helpers/engine-rigs.js';

forEachEngine('engine', ({ name, rig: started, tmp }) => {
  test('identity is stable for one database and differs between databases', async () => {
    const rig = started();
    const a = await rig.database('source');
    const b = await rig.database('target');
    const idA = await rig.engine.identity(a.conn);
    assert.equal(idA.dbType, rig.engine.name);
    assert.equal(idA.dbName, a.conn.settings.database);
    assert.deepEqual(await rig.engine.identity(a.conn), idA);
    const idB = await rig.engine.identity(b.conn);
    assert.notDeepEqual({ systemId: idB.systemId, dbName: idB.dbName }, { systemId: idA.systemId, dbName: idA.dbName });
  });

  test('positions: the origin is before the current position, which moves forward with writes', async (t) => {
    const rig = started();
    const changes = rig.engine.changeSource;
    if (!changes) return t.diagnostic(`${name} has no change source`);
    const db = await rig.database('source');
    await db.exec(rig.itemsDdl);
    const p1 = await changes.currentPosition(db.conn, silentLog);
    assert.ok(rig.engine.positions.compare(rig.engine.positions.origin, p1) < 0);
    assert.equal(rig.engine.positions.compare(p1, p1), 0);
    await db.exec(`INSERT INTO ${rig.sqlPrefix}items VALUES (1, 'a', 1.5)`);
    const p2 = await changes.currentPosition(db.conn, silentLog);
    assert.ok(rig.engine.positions.compare(p1, p2) < 0, `${p1} then ${p2}`);
    assert.ok(rig.engine.positions.compare(p2, p1) > 0);
  });

  test('a wrong password fails with an auth error, which is not a connection loss', async () => {
    const rig = started();
    const db = await rig.database('target');
    const wrong = { settings: db.conn.settings, secret: { password: 'not-the-password' } };
    const authErr = await rig.engine.identity(wrong).then(() => undefined, (e: unknown) => e);
    assert.ok(authErr, 'a wrong password fails');
    assert.equal((authErr as { kind?: string }).kind, 'auth', String(authErr));
    assert.equal(rig.engine.isConnectionLoss(authErr), false, String(authErr));
    assert.ok(!String((authErr as Error).message).includes('not-the-password'), 'the password is not in the message');
  });

  test('a session ended by the server is a connection loss', async (t) => {
    const rig = started();
    const db = await rig.database('target');
    const sink = rig.engine.changeSink;
    if (!sink) return t.diagnostic(`${name} has no change sink`);
    const s = await sink.open(db.conn, { migrationUuid: '00000000-0000-4000-8000-000000000001', side: 'target', log: silentLog });
    try {
      assert.ok((await rig.killSessions(db)) >= 1);
      const err = await s.commit(1).then(() => undefined, (e: unknown) => e);
      assert.ok(err, 'a commit on a killed session fails');
      assert.equal(rig.engine.isConnectionLoss(err), true, String(err));
      assert.equal(rig.engine.isTransient(err), true);
    } finally {
      await s.close().catch(() => undefined);
    }
  });
});
