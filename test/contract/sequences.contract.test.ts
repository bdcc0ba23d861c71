/** Contract of every SequenceSync: values read on one side are restored on the other, never moving one back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../helpers/engine-rigs.js';

forEachEngine('sequence sync', ({ name, rig: started, tmp }) => {
  test('read → restore carries the value across; never behind the data, never backwards', async (t) => {
    const rig = started();
    const from = await rig.database('source');
    const to = await rig.database('target');
    const { ddl, sequence } = rig.sequenceDdl;
    for (const db of [from, to]) await db.exec(ddl);
    for (let i = 0; i < 5; i++) await from.exec(`INSERT INTO ${rig.sqlPrefix}seqd (v) VALUES ('x')`);
    const values = await rig.engine.sequences.read(from.conn, [rig.schema]);
    const v = values.find((x) => x.name === sequence);
    assert.ok(v, `sequence ${sequence} read: ${JSON.stringify(values)}`);
    assert.equal(v.lastValue, '5');
    if (!rig.engine.sequences.restore) return t.diagnostic(`${name} does not restore sequences (no fall-back onto it yet)`);

    // The destination already holds rows beyond the exported value (written there meanwhile).
    await to.exec(`INSERT INTO ${rig.sqlPrefix}seqd (id, v) VALUES (8, 'there')`);
    const restored = await rig.engine.sequences.restore!(to.conn, values);
    assert.equal(restored.find((r) => r.name === sequence)?.setTo, '8', 'not behind the data');
    await to.exec(`INSERT INTO ${rig.sqlPrefix}seqd (v) VALUES ('next')`);
    assert.deepEqual(await to.rows(`SELECT max(id) AS m FROM ${rig.sqlPrefix}seqd`), [{ m: '9' }]);

    const again = await rig.engine.sequences.restore!(to.conn, values);
    assert.ok(Number(again.find((r) => r.name === sequence)?.setTo ?? '9') >= 9, 'a rerun never moves it back');
    await to.exec(`INSERT INTO ${rig.sqlPrefix}seqd (v) VALUES ('after')`);
    assert.deepEqual(await to.rows(`SELECT max(id) AS m FROM ${rig.sqlPrefix}seqd`), [{ m: '10' }]);
  });
});
