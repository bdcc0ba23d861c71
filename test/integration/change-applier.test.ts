import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, test } from 'node:test';
import { ChangeApplier } from '../../src/adapters/postgres/change-applier.js';
import { connect } from '../../src/adapters/postgres/connection.js';
import { loadTableInfo, oneEvent, textArray } from '../../src/adapters/postgres/change-sql.js';
import { CHANNELS_TABLE } from '../../src/adapters/postgres/event-metadata.js';
import { corkForThisTick } from '../../src/adapters/postgres/tick-cork.js';
import { compactChunk } from '../../src/core/apply-batching.js';
import type { QueueEvent } from '../../src/core/change-event.js';
import { UserError } from '../../src/infra/errors.js';
import { nullLogger } from '../../src/infra/logger.js';
import { ApplyRig, c, commit, d, u, type NewQueueEvent } from '../helpers/apply-rig.js';
import { mulberry32, randomWorkload, applyEvent, type Model } from '../helpers/change-model.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
before(async () => {
  cluster = await PgCluster.start();
});
after(async () => {
  await cluster?.stop();
});

/** An apply session on `db` for migration number `n` (its own watermark row). */
const openApplier = (db: string, n: number) =>
  ChangeApplier.open(cluster.settings(db, 'target'), { password: MIGRATION_PASSWORD }, { migrationUuid: `00000000-0000-0000-0000-00000000000${n}`, side: 'target', log: nullLogger });

/** Table t of `db`, its rows in key order as text. */
async function tRows(db: string): Promise<string> {
  return (await cluster.query<{ r: string }>("SELECT string_agg(t::text, ' ' ORDER BY id) AS r FROM t", [], db)).rows[0].r;
}

async function rows(rig: ApplyRig, sql: string): Promise<string[]> {
  return (await rig.sql<{ r: string }>(`SELECT t::text AS r FROM (${sql}) t`)).map((x) => x.r);
}

/** Send group `first`, then `second` before the first one's reply is back (asserted); both as sendGroup returns them. */
async function sendTwo(applier: ChangeApplier, first: [QueueEvent[], number], second: [QueueEvent[], number]) {
  const a = await applier.sendGroup(compactChunk(first[0]), first[1]);
  let aSettled = false;
  a.committed.then(() => (aSettled = true), () => (aSettled = true));
  const b = await applier.sendGroup(compactChunk(second[0]), second[1]);
  assert.equal(aSettled, false, 'the second group was sent before the first one\'s reply');
  return { a, b };
}

/** What a new apply session of migration `n` finds in `db`: the watermark and totals committed. */
async function storedState(db: string, n: number) {
  const again = await openApplier(db, n);
  try {
    return again.applied;
  } finally {
    await again.close();
  }
}

test('primary-key moves in a cycle, unique swaps between rows, a unique value freed and retaken: exact, through the ordered fallback', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql(`CREATE TABLE t (id int PRIMARY KEY, email text UNIQUE, v text)`);
    await rig.sql(`INSERT INTO t VALUES (1, 'a@x', 'one'), (2, 'b@x', 'two'), (3, 'c@x', 'three'), (4, 'd@x', 'four')`);
    rig.push([
      // Keys rotate 1→5 (temporary), 2→1, 5→2: one source transaction.
      u('t', { id: '1' }, { id: '5', email: 'a@x', v: 'one' }), u('t', { id: '2' }, { id: '1', email: 'b@x', v: 'two' }), u('t', { id: '5' }, { id: '2', email: 'a@x', v: 'one' }),
      commit(),
      // Unique emails swapped between rows 3 and 4 through a temporary value.
      u('t', { id: '3' }, { id: '3', email: 'tmp', v: 'three' }), u('t', { id: '4' }, { id: '4', email: 'c@x', v: 'four' }), u('t', { id: '3' }, { id: '3', email: 'd@x', v: 'three' }),
      commit(),
      // A unique value freed by one row and taken by a new one.
      u('t', { id: '1' }, { id: '1', email: 'gone', v: 'two' }), c('t', { id: '6', email: 'b@x', v: 'six' }),
      commit(),
    ]);
    const r = await rig.drain();
    assert.equal(r.runEvents, 8);
    assert.ok(rig.logged.some((l) => l.startsWith('set-based apply hit a constraint')), 'the cycle needed the ordered fallback');
    assert.deepEqual(await rows(rig, 'SELECT * FROM t ORDER BY id'), ['(1,gone,two)', '(2,a@x,one)', '(3,d@x,three)', '(4,c@x,four)', '(6,b@x,six)']);
  } finally {
    rig.close();
  }
});

test('set-based apply hits a unique conflict only inside one table: that table goes one by one, the chunk still commits once', async () => {
  const db = await cluster.createDatabase('fb');
  await cluster.query(`CREATE TABLE t (id int PRIMARY KEY, k int UNIQUE); INSERT INTO t VALUES (1, 10), (2, 20); CREATE TABLE other (id int PRIMARY KEY)`, [], db);
  const applier = await openApplier(db, 1);
  try {
    let vsn = 0;
    const ev = (e: NewQueueEvent) => ({ ...e, vsn: ++vsn }) as QueueEvent;
    const events = [
      ev({ op: 'u', schema: 'public', table: 't', key: { id: '1' }, after: { id: '1', k: '30' } }),
      ev({ op: 'u', schema: 'public', table: 't', key: { id: '2' }, after: { id: '2', k: '10' } }),
      ev({ op: 'u', schema: 'public', table: 't', key: { id: '1' }, after: { id: '1', k: '20' } }),
      ev({ op: 'c', schema: 'public', table: 'other', key: { id: '1' }, after: { id: '1' } }),
      ev({ op: 'commit', pos: '0/1' }),
    ];
    await applier.applyChunk(compactChunk(events));
    await applier.commit(5);
    assert.equal(applier.fallbackEvents, 3, 'only the conflicting table is re-applied one by one');
    assert.equal(await tRows(db), '(1,20) (2,10)');
    const o = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM other', [], db);
    assert.equal(o.rows[0].n, '1');
    assert.deepEqual(applier.applied, { watermark: 5, totals: { c: 1, u: 3, d: 0 } });
  } finally {
    await applier.close();
  }
});

test('applyGroup (one round trip): a bad value rolls back the whole group and names the table; a unique swap falls back to one by one after the rolled-back attempt', async () => {
  const db = await cluster.createDatabase('grp');
  await cluster.query(`CREATE TABLE t (id int PRIMARY KEY, k int UNIQUE); INSERT INTO t VALUES (1, 10), (2, 20); CREATE TABLE other (id int PRIMARY KEY)`, [], db);
  const applier = await openApplier(db, 3);
  try {
    let vsn = 0;
    const ev = (e: NewQueueEvent) => ({ ...e, vsn: ++vsn }) as QueueEvent;
    const bad = [
      ev({ op: 'c', schema: 'public', table: 'other', key: { id: '1' }, after: { id: '1' } }),
      ev({ op: 'c', schema: 'public', table: 't', key: { id: '3' }, after: { id: '3', k: 'not a number' } }),
      ev({ op: 'commit', pos: '0/1' }),
    ];
    await assert.rejects(applier.applyGroup(compactChunk(bad), 3), (e: unknown) => e instanceof Error && /public"?\."?t/.test(e.message) && /not a number/.test(e.message));
    assert.equal(applier.openTransaction, false);
    const o = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM other', [], db);
    assert.equal(o.rows[0].n, '0', 'the other table of the failed group is not committed either');
    assert.equal(applier.applied.watermark, 0);

    const swap = [
      ev({ op: 'c', schema: 'public', table: 'other', key: { id: '1' }, after: { id: '1' } }),
      ev({ op: 'u', schema: 'public', table: 't', key: { id: '1' }, after: { id: '1', k: '30' } }),
      ev({ op: 'u', schema: 'public', table: 't', key: { id: '2' }, after: { id: '2', k: '10' } }),
      ev({ op: 'u', schema: 'public', table: 't', key: { id: '1' }, after: { id: '1', k: '20' } }),
      ev({ op: 'commit', pos: '0/2' }),
    ];
    await applier.applyGroup(compactChunk(swap), 8);
    assert.equal(applier.fallbackEvents, 3);
    assert.equal(await tRows(db), '(1,20) (2,10)');
    assert.deepEqual(applier.applied, { watermark: 8, totals: { c: 1, u: 3, d: 0 } });
  } finally {
    await applier.close();
  }
});

test('groups sent ahead (sendGroup): the second goes before the first is answered, both commit in order with their counts; makeDurable waits for both', async () => {
  const db = await cluster.createDatabase('ahead');
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY, k int UNIQUE)', [], db);
  const applier = await openApplier(db, 6);
  try {
    const ins = (vsn: number, id: number) => ({ vsn, op: 'c', schema: 'public', table: 't', key: { id: String(id) }, after: { id: String(id), k: String(id * 10) } }) as QueueEvent;
    const { a, b } = await sendTwo(
      applier,
      [[ins(1, 1), ins(2, 2), { vsn: 3, op: 'commit', pos: '0/1' }], 3],
      [[ins(4, 3), { vsn: 5, op: 'u', schema: 'public', table: 't', key: { id: '1' }, after: { id: '1', k: '11' } }, { vsn: 6, op: 'commit', pos: '0/2' }], 6],
    );
    const durable = applier.makeDurable();
    await Promise.all([a.committed, b.committed, durable]);
    assert.equal(await tRows(db), '(1,11) (2,20) (3,30)');
    assert.deepEqual(applier.applied, { watermark: 6, totals: { c: 3, u: 1, d: 0 } });
  } finally {
    await applier.close();
  }
  assert.deepEqual(await storedState(db, 6), { watermark: 6, totals: { c: 3, u: 1, d: 0 } }, 'the database holds both groups\' watermark and counts');
});

test('a group sent ahead of one that hits a constraint: both roll back (the watermark guard), then both are applied again in order, exactly once', async () => {
  const db = await cluster.createDatabase('aheadswap');
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY, k int UNIQUE); INSERT INTO t VALUES (1, 10), (2, 20)', [], db);
  const applier = await openApplier(db, 7);
  try {
    const upd = (vsn: number, id: string, k: string) => ({ vsn, op: 'u', schema: 'public', table: 't', key: { id }, after: { id, k } }) as QueueEvent;
    // A unique swap through a temporary value: set-based, the two updates collide.
    const swap = [upd(1, '1', '30'), upd(2, '2', '10'), upd(3, '1', '20'), { vsn: 4, op: 'commit', pos: '0/1' } as QueueEvent];
    // Depends on the swap: k = 10 is free again only once row 2 has moved on from it.
    const next = [upd(5, '2', '11'), { vsn: 6, op: 'c', schema: 'public', table: 't', key: { id: '3' }, after: { id: '3', k: '10' } } as QueueEvent, { vsn: 7, op: 'commit', pos: '0/2' } as QueueEvent];
    const { a, b } = await sendTwo(applier, [swap, 4], [next, 7]);
    await Promise.all([a.committed, b.committed]);
    assert.ok(applier.fallbackEvents >= 3, 'the swap went one by one');
    assert.equal(await tRows(db), '(1,20) (2,11) (3,10)');
    assert.deepEqual(applier.applied, { watermark: 7, totals: { c: 1, u: 4, d: 0 } });
    // Sending ahead resumes once both have settled.
    const c3 = await applier.sendGroup(compactChunk([upd(8, '3', '12'), { vsn: 9, op: 'commit', pos: '0/3' } as QueueEvent]), 9);
    await c3.committed;
    assert.equal(await tRows(db), '(1,20) (2,11) (3,12)');
  } finally {
    await applier.close();
  }
  assert.deepEqual(await storedState(db, 7), { watermark: 9, totals: { c: 1, u: 5, d: 0 } }, 'each group counted once');
});

test('a group sent ahead of one that fails for good: neither commits, both report the first one\'s error; the session then applies the next group', async () => {
  const db = await cluster.createDatabase('aheadbad');
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY, k int)', [], db);
  const applier = await openApplier(db, 8);
  try {
    const bad = [{ vsn: 1, op: 'c', schema: 'public', table: 't', key: { id: '1' }, after: { id: '1', k: 'not a number' } } as QueueEvent, { vsn: 2, op: 'commit', pos: '0/1' } as QueueEvent];
    const fine = [{ vsn: 3, op: 'c', schema: 'public', table: 't', key: { id: '2' }, after: { id: '2', k: '2' } } as QueueEvent, { vsn: 4, op: 'commit', pos: '0/2' } as QueueEvent];
    const { a, b } = await sendTwo(applier, [bad, 2], [fine, 4]);
    const notANumber = (e: unknown) => e instanceof Error && /not a number/.test(e.message);
    await assert.rejects(a.committed, notANumber);
    await assert.rejects(b.committed, notANumber);
    assert.equal((await cluster.query<{ n: string }>('SELECT count(*) AS n FROM t', [], db)).rows[0].n, '0', 'nothing of either group is committed');
    assert.equal(applier.applied.watermark, 0);
    const c3 = await applier.sendGroup(compactChunk(fine), 4);
    await c3.committed;
    assert.deepEqual(applier.applied, { watermark: 4, totals: { c: 1, u: 0, d: 0 } });
  } finally {
    await applier.close();
  }
});

test('a group over several tables, one missing on the target: one line naming it, nothing committed; once it exists the same group applies', async () => {
  const db = await cluster.createDatabase('missing');
  await cluster.query('CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, v text)', [], db);
  const applier = await openApplier(db, 5);
  try {
    let vsn = 0;
    const ev = (e: NewQueueEvent) => ({ ...e, vsn: ++vsn }) as QueueEvent;
    const group = ['a', 'gone', 'b'].map((table) => ev({ op: 'c', schema: 'public', table, key: { id: '1' }, after: { id: '1', v: table } }));
    group.push(ev({ op: 'commit', pos: '0/1' }));
    // The tables' descriptions are asked for together; the missing one is reported, not a later symptom.
    await assert.rejects(applier.applyGroup(compactChunk(group), vsn), (e: unknown) =>
      e instanceof UserError && e.kind === 'not-found' && /table "public"\."gone" does not exist in the target database, but changes to it are queued/.test(e.message));
    assert.equal(applier.openTransaction, false);
    assert.equal((await cluster.query<{ n: string }>('SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) AS n', [], db)).rows[0].n, '0');

    await cluster.query('CREATE TABLE gone (id int PRIMARY KEY, v text)', [], db);
    await applier.applyGroup(compactChunk(group), vsn); // the failed description is not cached
    const r = await cluster.query<{ r: string }>("SELECT string_agg(v, ' ' ORDER BY v) AS r FROM (SELECT v FROM a UNION ALL SELECT v FROM b UNION ALL SELECT v FROM gone) x", [], db);
    assert.equal(r.rows[0].r, 'a b gone');
    assert.equal(applier.applied.watermark, vsn);
  } finally {
    await applier.close();
  }
});

test('a user who may not SET session_replication_role: the apply session is refused in one line naming the grant (its set-up statements travel together)', async () => {
  const db = await cluster.createDatabase('norole');
  await cluster.query(`CREATE ROLE apply_plain LOGIN PASSWORD 'pw3'`, [], db);
  await assert.rejects(
    ChangeApplier.open({ ...cluster.settings(db, 'target'), user: 'apply_plain' }, { password: 'pw3' }, { migrationUuid: '00000000-0000-0000-0000-000000000004', side: 'target', log: nullLogger }),
    (e: unknown) => e instanceof UserError && e.kind === 'privilege' && /apply_plain' may not SET session_replication_role on the target/.test(e.message) && /GRANT/.test(e.hint ?? ''),
  );
});

test('text[] parameters go in binary array format: NULLs, empty strings, quotes, backslashes, braces and multi-byte text arrive as they were', async () => {
  const db = await cluster.createDatabase('arr');
  const client = await connect(cluster.settings(db, 'target'), { password: MIGRATION_PASSWORD });
  try {
    const values = ['plain', null, '', 'a "quoted" {braced}, with\\backslash', 'é😀€ NULL', 'x'.repeat(70_000)];
    const r = await client.query<{ n: string; v: string | null }>({ text: 'SELECT ord::text AS n, v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, ord) ORDER BY ord', values: [textArray(values)] });
    assert.deepEqual(r.rows.map((x) => x.v), values);
  } finally {
    await client.end();
  }
});

test('makeDurable(): one synchronous write of the same watermark after commits that did not wait for the WAL flush; none when nothing was committed since', async () => {
  const db = await cluster.createDatabase('durable');
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY, v int)', [], db);
  const ins = (vsn: number, id: string) => ({ vsn, op: 'c', schema: 'public', table: 't', key: { id }, after: { id, v: id } }) as QueueEvent;
  const watermarkRow = async () =>
    (await cluster.query<{ w: string; x: string }>(`SELECT last_applied_vsn::text AS w, xmin::text AS x FROM ${CHANNELS_TABLE} WHERE migration_uuid = $1`, ['00000000-0000-0000-0000-000000000005'], db)).rows[0];
  const a = await openApplier(db, 5);
  try {
    await a.applyChunk(compactChunk([ins(1, '1'), { vsn: 2, op: 'commit', pos: '0/1' }]));
    await a.commit(2);
    const committed = await watermarkRow();
    const written = (await cluster.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l', [], db)).rows[0].l;
    await a.makeDurable();
    const flushed = (await cluster.query<{ ok: boolean }>('SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS ok', [written], db)).rows[0].ok;
    assert.ok(flushed, 'the WAL is flushed past every commit made before');
    const durable = await watermarkRow();
    assert.equal(durable.w, '2', 'the watermark stays where it was');
    assert.notEqual(durable.x, committed.x, 'written again, by a transaction of its own');
    await a.makeDurable();
    assert.equal((await watermarkRow()).x, durable.x, 'nothing committed since: no write');
    assert.deepEqual(a.applied, { watermark: 2, totals: { c: 1, u: 0, d: 0 } });
  } finally {
    await a.close();
  }
});

test('two appliers of one migration: the second to commit finds the watermark moved, and nothing of its group is committed (the COMMIT sent with the watermark rolls back)', async () => {
  const db = await cluster.createDatabase('wmc');
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY, v int)', [], db);
  const open = () => openApplier(db, 2);
  const ins = (vsn: number, id: string) => ({ vsn, op: 'c', schema: 'public', table: 't', key: { id }, after: { id, v: id } }) as QueueEvent;
  const a = await open();
  const b = await open();
  try {
    await a.applyChunk(compactChunk([ins(1, '1'), { vsn: 2, op: 'commit', pos: '0/1' }]));
    await b.applyChunk(compactChunk([ins(1, '2'), { vsn: 2, op: 'commit', pos: '0/1' }]));
    await a.commit(2);
    await assert.rejects(b.commit(2), (e: unknown) => e instanceof UserError && e.kind === 'conflict' && /no longer 0: another process is applying/.test(e.message));
    assert.equal(b.openTransaction, false);
    // The session goes on: a later group of the first applier commits behind the conflict.
    await a.applyChunk(compactChunk([ins(3, '3'), { vsn: 4, op: 'commit', pos: '0/2' }]));
    await a.commit(4);
  } finally {
    await a.close();
    await b.close();
  }
  const t = await cluster.query<{ r: string }>("SELECT string_agg(id::text, ',' ORDER BY id) AS r FROM t", [], db);
  assert.equal(t.rows[0].r, '1,3', "the second applier's row is not there");
  const again = await open();
  try {
    assert.deepEqual(again.applied, { watermark: 4, totals: { c: 2, u: 0, d: 0 } });
  } finally {
    await again.close();
  }
});

test('property: random workloads applied compacted+set-based equal the same events applied one by one (real tables)', async () => {
  const rig = await ApplyRig.create(cluster);
  const client = await connect(rig.settings, { password: MIGRATION_PASSWORD });
  try {
    for (const name of ['t', 'o', 'seq_t', 'seq_o']) await rig.sql(`CREATE TABLE ${name} (id int PRIMARY KEY, u int UNIQUE, v text, big text)`);
    const rnd = mulberry32(20240607);
    const model: Model = { t: {}, o: {} };
    for (let round = 0; round < 12; round++) {
      // Each round continues from the state the previous rounds left, on both sides.
      const { initial, events, withCommits } = randomWorkload(rnd, 150 + Math.floor(rnd() * 150));
      if (round === 0) {
        for (const tbl of ['t', 'o']) {
          for (const r of Object.values(initial[tbl])) {
            for (const name of [tbl, `seq_${tbl}`]) await rig.sql(`INSERT INTO ${name} VALUES ($1, $2, $3, $4)`, [r.id, r.u, r.v, r.big]);
          }
        }
        Object.assign(model, structuredClone(initial));
      } else {
        // Later rounds start from the generator's own initial state: replace both sides with it.
        for (const tbl of ['t', 'o']) {
          for (const name of [tbl, `seq_${tbl}`]) {
            await rig.sql(`TRUNCATE ${name}`);
            for (const r of Object.values(initial[tbl])) await rig.sql(`INSERT INTO ${name} VALUES ($1, $2, $3, $4)`, [r.id, r.u, r.v, r.big]);
          }
        }
        Object.assign(model, structuredClone(initial));
      }
      for (const e of events) assert.equal(applyEvent(model, e), undefined);
      // One by one, as the source did, into seq_*.
      const infos = { t: await loadTableInfo(client, 'public', 'seq_t', 'target'), o: await loadTableInfo(client, 'public', 'seq_o', 'target') };
      for (const e of events) {
        const q = oneEvent(infos[e.table as 't' | 'o'], ['id'], e);
        if (q) await client.query(q);
      }
      // Compacted and set-based, through the queue, in groups of random size.
      rig.push(withCommits.map(({ vsn: _v, ...rest }) => rest as never));
      await rig.drain({ maxGroupEvents: 5 + Math.floor(rnd() * 80), maxGroupMs: 100, maxChunkEvents: 1000 });
      for (const tbl of ['t', 'o']) {
        const got = await rows(rig, `SELECT id, u, v, big FROM ${tbl} ORDER BY id`);
        const seq = await rows(rig, `SELECT id, u, v, big FROM seq_${tbl} ORDER BY id`);
        assert.deepEqual(got, seq, `round ${round} table ${tbl}`);
        assert.equal(got.length, Object.keys(model[tbl]).length);
      }
    }
    // Both paths ran: set-based groups, and groups that conflicted and went one by one.
    const fallbacks = rig.logged.filter((l) => l.startsWith('set-based apply hit a constraint')).length;
    assert.ok(fallbacks > 0, 'the ordered fallback was exercised');
  } finally {
    await client.end();
    rig.close();
  }
});

test('partitioned tables: a row whose partition key changes moves to the other partition', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql(`CREATE TABLE m (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
      CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu'); CREATE TABLE m_us PARTITION OF m FOR VALUES IN ('us');
      INSERT INTO m VALUES (1, 'eu', 'a'), (2, 'us', 'b')`);
    rig.push([
      u('m', { id: '1', region: 'eu' }, { id: '1', region: 'us', v: 'a2' }),
      c('m', { id: '3', region: 'eu', v: 'c' }, ['id', 'region']),
      commit(),
      u('m', { id: '2', region: 'us' }, { id: '2', region: 'eu', v: 'b2' }),
      d('m', { id: '3', region: 'eu' }),
      commit(),
    ]);
    await rig.drain();
    assert.deepEqual(await rows(rig, `SELECT tableoid::regclass::text, id, v FROM m ORDER BY id`), ['(m_us,1,a2)', '(m_eu,2,b2)']);
  } finally {
    rig.close();
  }
});

test('triggers and foreign keys do not fire; cascaded deletes arrive as events and apply; identity ALWAYS and generated columns', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql(`CREATE TABLE audit (what text);
      CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (TG_OP); RETURN NULL; END $$;
      CREATE TABLE parent (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text, name_len int GENERATED ALWAYS AS (length(name)) STORED);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE);
      CREATE TRIGGER parent_note AFTER INSERT OR UPDATE OR DELETE ON parent FOR EACH ROW EXECUTE FUNCTION note();
      CREATE TRIGGER child_note AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW EXECUTE FUNCTION note();`);
    rig.push([
      // The child arrives before its parent (as with a deferred FK on the source): no FK check fires.
      c('child', { id: '10', parent_id: '1' }), c('parent', { id: '1', name: 'alpha' }), c('parent', { id: '2', name: 'beta' }), c('child', { id: '20', parent_id: '2' }),
      commit(),
      u('parent', { id: '2' }, { id: '2', name: 'beta-2' }),
      commit(),
      // ON DELETE CASCADE on the source: the parent delete and the cascaded child delete are both events.
      d('parent', { id: '1' }), d('child', { id: '10' }),
      commit(),
    ]);
    await rig.drain();
    assert.deepEqual(await rows(rig, 'SELECT id, name, name_len FROM parent ORDER BY id'), ['(2,beta-2,6)']);
    assert.deepEqual(await rows(rig, 'SELECT * FROM child ORDER BY id'), ['(20,2)']);
    assert.deepEqual(await rows(rig, 'SELECT * FROM audit'), [], 'no trigger fired');
    // The identity sequence was not advanced by the apply (values came from the source).
    assert.deepEqual(await rows(rig, `SELECT last_value, is_called FROM parent_id_seq`), ['(1,f)']);
  } finally {
    rig.close();
  }
});

test('updates that leave a TOASTed column out never touch it; an explicit NULL does', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql(`CREATE TABLE doc (id int PRIMARY KEY, title text, body text)`);
    await rig.sql(`INSERT INTO doc SELECT i, 't' || i, (SELECT string_agg(md5(j::text || i), '') FROM generate_series(1, 4000) j) FROM generate_series(1, 3) i`);
    const before = await rows(rig, 'SELECT id, md5(body) FROM doc ORDER BY id');
    rig.push([
      u('doc', { id: '1' }, { id: '1', title: 'new1' }),
      commit(),
      u('doc', { id: '1' }, { id: '1', title: 'newer1' }), u('doc', { id: '2' }, { id: '2', title: 'new2', body: null }),
      commit(),
      // A key move of a row whose big value was not sent: the value moves with the row.
      u('doc', { id: '3' }, { id: '30', title: 'moved' }),
      commit(),
    ]);
    await rig.drain();
    const after = await rows(rig, 'SELECT id, title, md5(body) FROM doc ORDER BY id');
    assert.equal(after[0], before[0].replace('(1,', '(1,newer1,'));
    assert.equal(after[1], '(2,new2,)');
    assert.equal(after[2], before[2].replace('(3,', '(30,moved,'));
  } finally {
    rig.close();
  }
});

test('a table without a primary key (REPLICA IDENTITY FULL): rows matched by all values, NULLs and json included, one duplicate at a time', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql(`CREATE TABLE nk (a int, b text, j json) PARTITION BY RANGE (a);
      CREATE TABLE nk_lo PARTITION OF nk FOR VALUES FROM (MINVALUE) TO (100); CREATE TABLE nk_hi PARTITION OF nk FOR VALUES FROM (100) TO (MAXVALUE)`);
    const row = (a: string, b: string | null, j: string) => ({ a, b, j });
    const all = ['a', 'b', 'j'];
    rig.push([
      c('nk', row('1', null, '{"x": 1}'), all), c('nk', row('1', null, '{"x": 1}'), all), c('nk', row('1', null, '{"x": 1}'), all),
      c('nk', row('200', 'z', '[]'), all), c('nk', row('2', 'y', '{}'), all),
      commit(),
      // Delete one of three identical rows; update another one of them (moving it across partitions).
      d('nk', row('1', null, '{"x": 1}')),
      u('nk', row('1', null, '{"x": 1}'), row('150', 'moved', '{"x": 1}')),
      d('nk', row('2', 'y', '{}')),
      u('nk', row('200', 'z', '[]'), row('200', null, '[1]')),
      commit(),
    ]);
    await rig.drain();
    assert.deepEqual(await rows(rig, 'SELECT tableoid::regclass::text AS p, a, b, j::text FROM nk ORDER BY a, b'), [
      '(nk_lo,1,,"{""x"": 1}")', '(nk_hi,150,moved,"{""x"": 1}")', '(nk_hi,200,,[1])',
    ]);
  } finally {
    rig.close();
  }
});

test('statements sent in one tick leave in one socket write, and the session uncorks after it', async () => {
  const db = await cluster.createDatabase('tickcork');
  const client = await connect(cluster.settings(db, 'target'), { password: MIGRATION_PASSWORD }, { pipeline: true });
  try {
    const socket = (client as unknown as { connection: { stream: net.Socket } }).connection.stream;
    const writes: number[] = [];
    const sock = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const [write, writev] = [sock._write.bind(socket), sock._writev.bind(socket)];
    sock._write = (...a) => (writes.push(1), write(...a));
    sock._writev = (chunks, ...a) => (writes.push((chunks as unknown[]).length), writev(chunks, ...a));
    const round = () => {
      corkForThisTick(client);
      return Promise.all([client.query('SELECT 1 AS a'), client.query({ text: 'SELECT $1::int AS a', values: [2] }), client.query('SELECT 3 AS a')]);
    };
    const first = await round();
    assert.deepEqual(first.map((r) => r.rows[0].a), ['1', '2', '3']);
    assert.equal(writes.length, 1, `one write for the tick's three statements (writes of ${writes.join(', ')} messages)`);
    assert.ok(writes[0] > 3, 'the one write carries every protocol message of the three statements');
    writes.length = 0;
    assert.deepEqual((await round()).map((r) => r.rows[0].a), ['1', '2', '3'], 'the next tick is sent too');
    assert.equal(writes.length, 1);
    writes.length = 0;
    await Promise.all([client.query('SELECT 4'), client.query('SELECT 5')]); // not corked
    assert.equal(writes.length, 2, 'without the cork each statement is a write of its own');
  } finally {
    await client.end();
  }
});
