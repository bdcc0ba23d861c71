/**
 * Contract of every ChangeSink: changes applied with the watermark in the same transaction (a rollback
 * leaves neither), the watermark and counts survive a new session, no trigger fires for applied changes
 * (switched off for the applying session, or set aside and put back around the apply), and dropMetadata
 * removes what the sink created.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkCompactor } from '../../src/core/apply-batching.js';
import type { DataEvent } from '../../src/core/change-event.js';
import { nullLogger } from '../../src/infra/logger.js';
import { forEachEngine } from '../helpers/engine-rigs.js';

function compact(events: Omit<DataEvent, 'vsn'>[], firstVsn: number) {
  const c = new ChunkCompactor();
  events.forEach((e, i) => c.add({ ...e, vsn: firstVsn + i }));
  return c.result();
}

forEachEngine('change sink', ({ name, rig: started, tmp }) => {
  test('exactly once: data and watermark commit together, survive a new session, roll back together', async (t) => {
    const rig = started();
    const sinks = rig.engine.changeSink;
    if (!sinks) return t.diagnostic(`${name} has no change sink`);
    const db = await rig.database('target');
    await db.exec(rig.itemsDdl);
    const s = rig.schema;
    const uuid = '00000000-0000-4000-8000-0000000000d1';
    const sink = await sinks.open(db.conn, { migrationUuid: uuid, side: 'target', log: nullLogger });
    try {
      assert.equal(sink.applied.watermark, 0);
      await sink.applyChunk(compact([
        { op: 'c', schema: s, table: 'items', key: { id: '1' }, after: { id: '1', name: 'one', amount: '1.10' } },
        { op: 'c', schema: s, table: 'items', key: { id: '2' }, after: { id: '2', name: 'two', amount: '2.20' } },
        { op: 'u', schema: s, table: 'items', key: { id: '1' }, after: { id: '1', name: 'uno', amount: '1.10' } },
      ], 1));
      assert.equal(sink.openTransaction, true);
      await sink.commit(3);
      assert.equal(sink.applied.watermark, 3);
      await sink.applyChunk(compact([{ op: 'd', schema: s, table: 'items', key: { id: '2' } }], 4));
      await sink.rollback();
      assert.equal(sink.applied.watermark, 3, 'a rollback keeps the committed watermark');
    } finally {
      await sink.close();
    }
    assert.deepEqual(await db.rows(`SELECT id, name FROM ${rig.sqlPrefix}items ORDER BY id`), [{ id: '1', name: 'uno' }, { id: '2', name: 'two' }]);
    const again = await sinks.open(db.conn, { migrationUuid: uuid, side: 'target', log: nullLogger });
    try {
      assert.equal(again.applied.watermark, 3, 'the watermark is in the database');
      assert.deepEqual(again.applied.totals, { c: 2, u: 1, d: 0 });
    } finally {
      await again.close();
    }
    assert.deepEqual(await sinks.importedCounts(db.conn, uuid), [{ schema: s, table: 'items', inserts: 2, updates: 1, deletes: 0 }]);
    assert.ok((await sinks.dropMetadata(db.conn)).length >= 1);
    assert.deepEqual(await sinks.dropMetadata(db.conn), [], 'idempotent');
    assert.deepEqual(await sinks.importedCounts(db.conn, uuid), []);
  });

  test('applied changes fire no trigger: switched off for the session, or set aside and put back; checkApply says so', async (t) => {
    const rig = started();
    const sinks = rig.engine.changeSink;
    // An engine that cannot switch triggers off per session sets them aside instead (MySQL).
    const setAside = !rig.engine.capabilities.applyWithoutTriggers;
    if (!sinks || (setAside && !(sinks.suspendTriggers && sinks.restoreTriggers))) return t.diagnostic(`${name} cannot apply without triggers`);
    const db = await rig.database('source');
    await db.exec(rig.itemsDdl);
    for (const sql of rig.auditTriggerDdl) await db.exec(sql);
    assert.deepEqual(await sinks.checkApply(db.conn), { ok: true, user: db.conn.settings.user, fix: undefined });
    const migrationUuid = '00000000-0000-4000-8000-0000000000d2';
    if (setAside) {
      const { suspended, restoreSql } = await sinks.suspendTriggers!(db.conn, { migrationUuid, log: nullLogger });
      assert.deepEqual(suspended, ['audit_t']);
      assert.match(restoreSql, /audit_t/, 'the script recreates it');
    }
    const sink = await sinks.open(db.conn, { migrationUuid, side: 'source', log: nullLogger });
    try {
      await sink.applyChunk(compact([{ op: 'c', schema: rig.schema, table: 'items', key: { id: '9' }, after: { id: '9', name: 'n', amount: '0' } }], 1));
      await sink.commit(1);
    } finally {
      await sink.close();
    }
    assert.deepEqual(await db.rows(`SELECT count(*) AS n FROM ${rig.sqlPrefix}items`), [{ n: '1' }]);
    assert.deepEqual(await db.rows(`SELECT count(*) AS n FROM ${rig.sqlPrefix}audit`), [{ n: '0' }], 'the trigger did not fire');
    if (setAside) {
      assert.deepEqual(await sinks.restoreTriggers!(db.conn, { migrationUuid, log: nullLogger }), ['audit_t']);
      assert.deepEqual(await sinks.restoreTriggers!(db.conn, { migrationUuid, log: nullLogger }), [], 'a rerun does nothing');
    }
    await db.exec(`INSERT INTO ${rig.sqlPrefix}items VALUES (10, 'app', 0)`);
    assert.deepEqual(await db.rows(`SELECT count(*) AS n FROM ${rig.sqlPrefix}audit`), [{ n: '1' }], 'it fires for the application');
  });
});
