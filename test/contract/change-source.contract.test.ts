/**
 * Contract of every ChangeSource: from a capture's start, every committed change arrives in commit order as
 * the same queue events (through the real ChangeExporter and queue), positions increase, a restart from the
 * durable position neither loses nor repeats a transaction, and drop removes the capture.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CaptureId, Engine } from '../../src/adapters/engine.js';
import type { DataEvent } from '../../src/core/change-event.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { exporterPosition, QueueWriter } from '../../src/export-dir/queue.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { nullLogger } from '../../src/infra/logger.js';
import { ChangeExporter } from '../../src/workflows/change-exporter.js';
import { readQueue, transactions } from '../helpers/change-stream-fixture.js';
import { forEachEngine, type EngineDb } from '../helpers/engine-rigs.js';
import { waitFor } from '../helpers/servers.js';

/** Stream from `from` until `done` says the queue holds enough, then stop; returns the exporter's durable position. */
async function streamUntil(engine: Engine, db: EngineDb, capture: CaptureId, dir: ExportDir, state: StateStore, from: string, done: () => boolean): Promise<string> {
  const writer = QueueWriter.open(dir, state, 'source_db_exporter');
  let stream: Awaited<ReturnType<NonNullable<Engine['changeSource']>['open']>> | undefined;
  const ex = new ChangeExporter({ writer, positions: engine.positions, durable: from, log: nullLogger, warn: () => undefined, onDurable: (p) => stream?.confirm(p), groupCommitMs: 0 });
  stream = await engine.changeSource!.open(db.conn, { capture, from, log: nullLogger }, ex);
  try {
    await waitFor('the changes to reach the queue', async () => {
      if (!done()) throw new Error('not in the queue yet');
    }, 30_000);
    await ex.requestStop();
  } finally {
    await stream.close();
    writer.close();
  }
  return ex.durable;
}

forEachEngine('change source', ({ name, rig: started, tmp }) => {
  test('changes arrive as queue events in commit order; a restart resumes without loss or repeat', async (t) => {
    const rig = started();
    const changes = rig.engine.changeSource;
    if (!changes || !rig.engine.snapshotSource) return t.diagnostic(`${name} has no change source`);
    const db = await rig.database('source');
    await db.exec(rig.itemsDdl);
    const capture: CaptureId = { migrationUuid: '00000000-0000-4000-8000-0000000000c1', side: 'source' };
    const tables = await rig.engine.snapshotSource.selectTables(db.conn, { schemas: [rig.schema], live: true, capture });
    const handle = await rig.engine.snapshotSource.begin(db.conn, { tables, capture, lockTimeoutMs: 10_000, log: nullLogger, maxReaders: 2 });
    const startPos = handle.start!;
    await handle.close();
    const report = await changes.check(db.conn, tables, capture);
    assert.deepEqual(report.problems, []);

    await db.exec(`INSERT INTO ${rig.sqlPrefix}items VALUES (1, 'one', 1.10)`);
    await db.exec(`BEGIN; INSERT INTO ${rig.sqlPrefix}items VALUES (2, 'two', 2.20); UPDATE ${rig.sqlPrefix}items SET name = 'uno' WHERE id = 1; COMMIT`);
    const dir = ExportDir.open(fs.mkdtempSync(path.join(tmp(), `${name}-`)));
    const state = StateStore.open(dir.stateDb);
    try {
      const dataOf = () => transactions(readQueue(dir, state));
      const durable = await streamUntil(rig.engine, db, capture, dir, state, startPos, () => dataOf().length >= 2);
      assert.ok(rig.engine.positions.compare(startPos, durable) < 0);
      assert.equal(exporterPosition(state, 'source_db_exporter'), durable);

      await db.exec(`DELETE FROM ${rig.sqlPrefix}items WHERE id = 2`);
      // A restart from the durable position: the source may resend, the queue must not repeat.
      await streamUntil(rig.engine, db, capture, dir, state, durable, () => dataOf().length >= 3);
      const txns = dataOf();
      const summary = txns.map((x) => x.events.map((e: DataEvent) => `${e.op} ${e.table} ${JSON.stringify(e.key)} ${JSON.stringify(e.after ?? null)}`));
      assert.deepEqual(summary, [
        [`c items {"id":"1"} {"id":"1","name":"one","amount":"1.10"}`],
        [`c items {"id":"2"} {"id":"2","name":"two","amount":"2.20"}`, `u items {"id":"1"} {"id":"1","name":"uno","amount":"1.10"}`],
        [`d items {"id":"2"} null`],
      ]);
      const positions = txns.map((x) => x.pos);
      for (let i = 1; i < positions.length; i++) assert.ok(rig.engine.positions.compare(positions[i - 1], positions[i]) < 0, positions.join(' '));
    } finally {
      state.close();
    }
    // A binlog engine keeps nothing on the server for the capture: nothing to drop.
    if (rig.engine.capabilities.serverRetainsChanges) assert.ok((await changes.drop(db.conn, capture)).length >= 1);
    assert.deepEqual(await changes.drop(db.conn, capture), []);
  });

  test('prepare creates a capture that carries later writes; retained() reports it', async (t) => {
    const rig = started();
    const changes = rig.engine.changeSource;
    if (!changes) return t.diagnostic(`${name} has no change source`);
    if (!rig.engine.capabilities.serverRetainsChanges) return t.diagnostic(`${name} keeps no capture on the server: its stream starts at a snapshot's position, there is nothing to prepare`);
    const db = await rig.database('target');
    await db.exec(rig.itemsDdl);
    const capture: CaptureId = { migrationUuid: '00000000-0000-4000-8000-0000000000c2', side: 'target' };
    const created = await changes.prepare(db.conn, capture, [{ schema: rig.schema, table: 'items' }]);
    assert.ok(created.length >= 1);
    assert.deepEqual(await changes.prepare(db.conn, capture, [{ schema: rig.schema, table: 'items' }]), [], 'idempotent');
    if (rig.engine.capabilities.serverRetainsChanges) assert.ok(await changes.retained(db.conn, capture));
    await db.exec(`INSERT INTO ${rig.sqlPrefix}items VALUES (7, 'seven', 7)`);
    const dir = ExportDir.open(fs.mkdtempSync(path.join(tmp(), `${name}-fb-`)));
    const state = StateStore.open(dir.stateDb);
    try {
      await streamUntil(rig.engine, db, capture, dir, state, rig.engine.positions.origin, () => transactions(readQueue(dir, state)).length >= 1);
      assert.deepEqual(transactions(readQueue(dir, state)).map((x) => x.events.map((e) => e.key)), [[{ id: '7' }]]);
    } finally {
      state.close();
    }
    assert.ok((await changes.drop(db.conn, capture)).length >= 1);
  });
});
