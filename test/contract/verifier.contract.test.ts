/**
 * Contract of every TableVerifier: key ranges partition a table exactly; equal rows give equal digests on two
 * databases, a changed value or a missing row does not; row hashes come in key order; rows() gives each
 * column's canonical text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyRange, VerifyTable } from '../../src/adapters/engine.js';
import { forEachEngine } from '../helpers/engine-rigs.js';

forEachEngine('table verifier', ({ name, rig: started }) => {
  test('ranges partition the table; digests tell equal from different; rows in key order', async (t) => {
    const rig = started();
    if (!rig.engine.verifier) return t.diagnostic(`${name} has no verifier`);
    const [a, b] = [await rig.database('source'), await rig.database('target')];
    for (const db of [a, b]) {
      await db.exec(rig.itemsDdl);
      for (let i = 1; i <= 25; i++) await db.exec(`INSERT INTO ${rig.sqlPrefix}items VALUES (${i}, 'n${i}', ${i}.5)`);
    }
    const table: VerifyTable = { schema: rig.schema, table: 'items', columns: ['id', 'name', 'amount'], key: ['id'], keyTypes: ['integer'] };
    const [sa, sb] = [await rig.engine.verifier.open(a.conn), await rig.engine.verifier.open(b.conn)];
    try {
      const splits = await sa.splitKeys(table, 10);
      assert.deepEqual(splits, [['10'], ['20']]);
      const ranges: KeyRange[] = [{ upTo: splits[0] }, { after: splits[0], upTo: splits[1] }, { after: splits[1] }];
      assert.ok(sa.digests.includes('md5-sum60'), 'the digest every engine has');
      for (const algorithm of sa.digests) {
        const rows = await Promise.all(ranges.map((r) => sa.chunkDigest(table, r, algorithm)));
        assert.deepEqual(rows.map((r) => r.rows), [10, 10, 5], 'every row in exactly one range');
        for (const r of ranges) assert.equal((await sa.chunkDigest(table, r, algorithm)).digest, (await sb.chunkDigest(table, r, algorithm)).digest);
      }

      await b.exec(`UPDATE ${rig.sqlPrefix}items SET name = 'changed' WHERE id = 15`);
      await b.exec(`DELETE FROM ${rig.sqlPrefix}items WHERE id = 22`);
      for (const algorithm of sa.digests) {
        const digests = async (s: typeof sa) => Promise.all(ranges.map(async (r) => (await s.chunkDigest(table, r, algorithm)).digest));
        const [da, db] = [await digests(sa), await digests(sb)];
        assert.deepEqual(da.map((d, i) => d === db[i]), [true, false, false], `${algorithm}: only the ranges holding the changes differ`);
      }

      const hashes = await sb.rowHashes(table, ranges[1]);
      assert.deepEqual(hashes.map((h) => h.key), [['11'], ['12'], ['13'], ['14'], ['15'], ['16'], ['17'], ['18'], ['19'], ['20']]);
      const other = await sa.rowHashes(table, ranges[1]);
      assert.deepEqual(hashes.map((h, i) => h.hash === other[i].hash), hashes.map((h) => h.key[0] !== '15'));
      const got = await sb.rows(table, [['15'], ['22']]);
      assert.deepEqual([...got], [[JSON.stringify(['15']), ['15', 'changed', '15.50']]], 'a missing key has no row');
    } finally {
      await Promise.all([sa.close(), sb.close()]);
    }
  });
});
