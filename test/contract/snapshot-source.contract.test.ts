/**
 * Contract of every SnapshotSource: the tables it selects, one consistent snapshot read by several readers
 * into COPY text files, and (with capture) a start position from which the change stream continues.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CaptureId } from '../../src/adapters/engine.js';
import { nullLogger } from '../../src/infra/logger.js';
import { forEachEngine } from '../helpers/engine-rigs.js';

forEachEngine('snapshot source', ({ name, rig: started, tmp }) => {
  test('selectTables: columns and key of each table; every problem at once for unknown names', async (t) => {
    const rig = started();
    const snapshots = rig.engine.snapshotSource;
    if (!snapshots) return t.diagnostic(`${name} has no snapshot source`);
    const db = await rig.database('source');
    await db.exec(rig.itemsDdl);
    const capture: CaptureId = { migrationUuid: '00000000-0000-4000-8000-00000000000a', side: 'source' };
    const [items] = await snapshots.selectTables(db.conn, { schemas: [rig.schema], live: false, capture });
    assert.deepEqual([items.schema, items.table], [rig.schema, 'items']);
    assert.deepEqual(items.columns.map((c) => c.name), ['id', 'name', 'amount']);
    assert.deepEqual([...items.pk], ['id']);
    await assert.rejects(
      snapshots.selectTables(db.conn, { schemas: [rig.schema, 'no_such_schema'], tableList: ['nope'], live: false, capture }),
      (e: Error) => /no_such_schema/.test(e.message) && /nope/.test(e.message),
    );
  });

  test('one snapshot for every reader: later writes are not in the files; capture start set and dropped', async (t) => {
    const rig = started();
    const snapshots = rig.engine.snapshotSource;
    if (!snapshots) return t.diagnostic(`${name} has no snapshot source`);
    const db = await rig.database('source');
    await db.exec(rig.itemsDdl);
    await db.exec(`INSERT INTO ${rig.sqlPrefix}items VALUES (1, 'tab\there', 10.50), (2, NULL, -3.25), (3, 'back\\slash', 0.00)`);
    const capture: CaptureId = { migrationUuid: '00000000-0000-4000-8000-00000000000b', side: 'source' };
    const live = Boolean(rig.engine.changeSource);
    const tables = await snapshots.selectTables(db.conn, { schemas: [rig.schema], live, capture });
    const handle = await snapshots.begin(db.conn, { tables, capture: live ? capture : undefined, lockTimeoutMs: 10_000, log: nullLogger, maxReaders: 2 });
    try {
      if (live) assert.ok(handle.start && rig.engine.positions.compare(rig.engine.positions.origin, handle.start) < 0, 'a start position');
      else assert.equal(handle.start, undefined);
      const plan = await handle.plan(tables, 1 << 20);
      const chunks = [...plan.values()].flat();
      assert.ok(chunks.length >= 1);
      JSON.parse(JSON.stringify(chunks.map((c) => c.range))); // ranges survive meta.db (JSON)
      const readers = await handle.openReaders(2);
      await db.exec(`INSERT INTO ${rig.sqlPrefix}items VALUES (4, 'late', 1)`);
      await db.exec(`UPDATE ${rig.sqlPrefix}items SET name = 'changed' WHERE id = 1`);
      let rows = 0;
      const text: string[] = [];
      for (const [i, c] of chunks.entries()) {
        const file = path.join(tmp(), `${name}.${i}.copy`);
        const r = await readers[i % readers.length].copy(c, ['id', 'name', 'amount'], file, () => undefined, new AbortController().signal);
        rows += r.rows;
        assert.equal(r.bytes, fs.statSync(file).size);
        text.push(fs.readFileSync(file, 'utf8'));
      }
      for (const r of readers) await r.close();
      assert.equal(rows, 3);
      assert.deepEqual(text.join('').split('\n').filter(Boolean).sort(), ['1\ttab\\there\t10.50', '2\t\\N\t-3.25', '3\tback\\\\slash\t0.00']);
    } finally {
      await handle.close();
    }
    if (live) {
      const dropped = await rig.engine.changeSource!.drop(db.conn, capture);
      // A binlog engine keeps nothing on the server for a capture.
      if (rig.engine.capabilities.serverRetainsChanges) assert.ok(dropped.length >= 1, 'the capture existed');
      assert.deepEqual(await rig.engine.changeSource!.drop(db.conn, capture), [], 'drop is idempotent');
    }
  });
});
