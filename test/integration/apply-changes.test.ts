import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Row } from '../../src/core/change-event.js';
import { runChangeApply, TO_TARGET } from '../../src/workflows/apply-changes.js';
import { ApplyRig, c, capturingLogger, commit, d, u, type NewQueueEvent } from '../helpers/apply-rig.js';
import { applyEvent, mulberry32, type Model } from '../helpers/change-model.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';
import { TYPE_ROWS, TYPES_DDL } from '../helpers/type-fixtures.js';
import { postgresEngine } from '../../src/adapters/postgres/engine.js';

let cluster: PgCluster;
before(async () => {
  cluster = await PgCluster.start();
});
after(async () => {
  await cluster?.stop();
});

const KEY = ['k_num', 'k_txt', 'k_ts'];
const pickKey = (r: Row) => Object.fromEntries(KEY.map((k) => [k, r[k]]));

test('type fidelity: every value of the fidelity list goes through insert, update (with a key move) and delete bit-exact', async () => {
  const source = await cluster.createDatabase('src');
  const rig = await ApplyRig.create(cluster);
  try {
    for (const db of [source, rig.db]) await cluster.query(TYPES_DDL, [], db);
    await cluster.query(TYPE_ROWS, [], source);
    // What the exporter would have sent: every value as the source's text output.
    const inserted = (await cluster.query<Row>('SELECT * FROM ty', [], source)).rows;
    const events: NewQueueEvent[] = inserted.map((r) => ({ op: 'c', schema: 'public', table: 'ty', key: pickKey(r), after: r }));
    events.push(commit());
    // Row 1 takes row 2's values (and a new key); row 2 is deleted; row 3 gets row 1's old values.
    const [r1, r2] = inserted;
    await cluster.query(`UPDATE ty SET (n, n2, f8, f4, i8, ts, tstz, d, t, ttz, iv, b, arr, arr2, j, jb, e, dom, comp, r, tr, bv, bt, m, ip, cid, mac, tsv, uid, s, vc, ch, bo, pt)
      = (SELECT n, n2, f8, f4, i8, ts, tstz, d, t, ttz, iv, b, arr, arr2, j, jb, e, dom, comp, r, tr, bv, bt, m, ip, cid, mac, tsv, uid, s, vc, ch, bo, pt FROM ty WHERE k_num = $1), k_ts = '2030-01-01 00:00:00.000001+00'
      WHERE k_num = 1.5`, [r2.k_num], source);
    const moved = (await cluster.query<Row>(`SELECT * FROM ty WHERE k_num = 1.5`, [], source)).rows[0];
    events.push({ op: 'u', schema: 'public', table: 'ty', key: pickKey(r1), after: moved });
    await cluster.query(`DELETE FROM ty WHERE k_num = $1`, [r2.k_num], source);
    events.push({ op: 'd', schema: 'public', table: 'ty', key: pickKey(r2) });
    await cluster.query(`UPDATE ty SET (n, n2, f8, f4, tstz, b, arr2, j, s, comp) = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) WHERE k_num = 42`,
      [r1.n, r1.n2, r1.f8, r1.f4, r1.tstz, r1.b, r1.arr2, r1.j, r1.s, r1.comp], source);
    const r3 = (await cluster.query<Row>(`SELECT * FROM ty WHERE k_num = 42`, [], source)).rows[0];
    events.push({ op: 'u', schema: 'public', table: 'ty', key: pickKey(r3), after: r3 });
    events.push(commit());
    rig.push(events);
    await rig.drain();
    const dump = `SELECT x::text AS r FROM ty x ORDER BY k_num, k_txt, k_ts`;
    const want = (await cluster.query<{ r: string }>(dump, [], source)).rows.map((x) => x.r);
    const got = (await cluster.query<{ r: string }>(dump, [], rig.db)).rows.map((x) => x.r);
    assert.equal(want.length, 2);
    assert.deepEqual(got, want);
    // Spot checks that the comparison is not vacuous.
    const all = got.join('\n');
    for (const needle of ['NaN', 'Infinity', '-Infinity', 'infinity', '9' + '8'.repeat(998) + '.5', '\\x00ff0000', 'tab\there\nnewline', 'é 😀']) {
      assert.ok(all.includes(needle), `target rows contain ${JSON.stringify(needle)}`);
    }
  } finally {
    rig.close();
  }
});

test('exactly once: watermark and counts commit with the data; a rerun applies nothing twice and continues', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql('CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, v text)');
    const batch1: NewQueueEvent[] = [];
    for (let i = 1; i <= 300; i++) batch1.push(c('a', { id: String(i), v: 'x' }), c('b', { id: String(i), v: 'y' }), commit());
    for (let i = 1; i <= 100; i++) batch1.push(u('a', { id: String(i) }, { id: String(i), v: 'x2' }), d('b', { id: String(i) }), commit());
    rig.push(batch1);
    const r1 = await rig.drain({ maxGroupEvents: 200, maxGroupMs: 100, maxChunkEvents: 1000 });
    assert.equal(r1.runEvents, 800);
    const meta = await rig.sql<{ v: string; i: string; u: string; d: string }>(
      'SELECT last_applied_vsn AS v, num_inserts AS i, num_updates AS u, num_deletes AS d FROM ybvoyager_metadata.ybvoyager_import_data_event_channels_metainfo');
    assert.deepEqual(meta, [{ v: String(r1.watermark), i: '600', u: '100', d: '100' }]);
    const perTable = await rig.sql('SELECT table_name, total_events, num_inserts, num_updates, num_deletes FROM ybvoyager_metadata.ybvoyager_imported_event_count_by_table ORDER BY 1');
    assert.deepEqual(perTable, [
      { table_name: 'a', total_events: '400', num_inserts: '300', num_updates: '100', num_deletes: '0' },
      { table_name: 'b', total_events: '400', num_inserts: '300', num_updates: '0', num_deletes: '100' },
    ]);
    const last = rig.out.blocks[rig.out.blocks.length - 1];
    assert.match(last, /\| Total Imported events +\| +800 \|/);
    assert.match(last, /\| Events Imported in this Run +\| +800 \|/);
    assert.match(last, /\| Remaining Events +\| +0 \|/);
    assert.match(last, /\| Estimated Time to catch up +\| +0s \|/);
    // Finished segments are recorded done for this consumer (the queue rotated at 64 KiB).
    const done = rig.state.db.prepare(`SELECT count(*) AS n FROM queue_consumers WHERE consumer = 'target_db_importer'`).get() as { n: number };
    const closed = rig.state.db.prepare('SELECT count(*) AS n FROM queue_segments WHERE closed = 1').get() as { n: number };
    assert.ok(closed.n >= 1 && done.n === closed.n, `closed ${closed.n}, done ${done.n}`);

    // A rerun over the same queue: nothing is applied again.
    const r2 = await rig.drain();
    assert.equal(r2.runEvents, 0);
    assert.deepEqual(await rig.sql('SELECT count(*) AS a, (SELECT count(*) FROM b) AS b FROM a'), [{ a: '300', b: '200' }]);
    // And it continues with what comes next.
    rig.push([d('a', { id: '300' }), commit()]);
    const r3 = await rig.drain();
    assert.equal(r3.runEvents, 1);
    const last3 = rig.out.blocks[rig.out.blocks.length - 1];
    assert.match(last3, /\| Total Imported events +\| +801 \|/);
    assert.match(last3, /\| Events Imported in this Run +\| +1 \|/);
  } finally {
    rig.close();
  }
});

test('a huge source transaction is applied in chunks (savepoints) inside one target transaction, conflicts included', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql('CREATE TABLE h (id int PRIMARY KEY, u int UNIQUE, v text)');
    const rnd = mulberry32(7);
    const model: Model = { h: {} };
    const events: NewQueueEvent[] = [];
    let vsn = 0;
    const add = (e: NewQueueEvent) => {
      assert.equal(applyEvent(model, { ...(e as object), vsn: ++vsn } as never), undefined);
      events.push(e);
    };
    for (let i = 1; i <= 400; i++) add(c('h', { id: String(i), u: String(i), v: 'a' }));
    // Unique swaps late in the transaction (in a later chunk): rows i and i+1 exchange u through a temporary value.
    for (let i = 1; i <= 300; i += 2) {
      const a = String(i), b = String(i + 1);
      add(u('h', { id: a }, { id: a, u: String(-i), v: 'b' }));
      add(u('h', { id: b }, { id: b, u: a, v: 'b' }));
      add(u('h', { id: a }, { id: a, u: b, v: 'b' }));
    }
    for (let i = 0; i < 50; i++) add(d('h', { id: String(1 + Math.floor(rnd() * 400)) }));
    events.push(commit());
    rig.push(events);
    await rig.drain({ maxGroupEvents: 100, maxGroupMs: 100, maxChunkEvents: 128 });
    const got = await rig.sql<{ id: string; u: string; v: string }>('SELECT id, u, v FROM h ORDER BY id');
    const want = Object.values(model.h).sort((x, y) => Number(x.id) - Number(y.id)).map((r) => ({ id: r.id, u: r.u, v: r.v }));
    assert.deepEqual(got, want);
    assert.ok(rig.logged.some((l) => l.startsWith('set-based apply hit a constraint')));
  } finally {
    rig.close();
  }
});

test('a cutover marker inside a source transaction is refused; SIGINT commits what is complete and stops', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql('CREATE TABLE m (id int PRIMARY KEY)');
    rig.push([c('m', { id: '1' }), commit(), c('m', { id: '2' })]);
    rig.push([{ op: 'cutover.target' }]);
    const deps = { db: { engine: postgresEngine, conn: { settings: rig.settings, secret: { password: MIGRATION_PASSWORD } } }, state: rig.state, exportDir: rig.dir, log: capturingLogger([]), out: rig.out };
    await assert.rejects(runChangeApply(deps, TO_TARGET, new AbortController().signal), /marker .* inside a source transaction/);
    // Everything up to the last complete transaction was committed before the refusal.
    assert.deepEqual(await rig.sql('SELECT id FROM m'), [{ id: '1' }]);

    const rig2 = await ApplyRig.create(cluster);
    try {
      await rig2.sql('CREATE TABLE m (id int PRIMARY KEY)');
      const evs: NewQueueEvent[] = [];
      for (let i = 1; i <= 50; i++) evs.push(c('m', { id: String(i) }), commit());
      evs.push(c('m', { id: '1000' })); // an incomplete transaction at the end
      rig2.push(evs);
      const ac = new AbortController();
      const deps2 = { ...deps, state: rig2.state, exportDir: rig2.dir, db: { engine: postgresEngine, conn: { settings: rig2.settings, secret: { password: MIGRATION_PASSWORD } } } };
      const run = runChangeApply(deps2, TO_TARGET, ac.signal);
      // Stop once everything complete is applied (the applier then waits for the rest of the open transaction).
      for (let i = 0; i < 200; i++) {
        const n = await rig2.sql<{ n: string }>('SELECT count(*) AS n FROM m');
        if (n[0].n === '50') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      ac.abort();
      const r = await run;
      assert.equal(r.stoppedBy, 'signal');
      assert.deepEqual(await rig2.sql('SELECT count(*) AS n, max(id) AS m FROM m'), [{ n: '50', m: '50' }]);
    } finally {
      rig2.close();
    }
  } finally {
    rig.close();
  }
});

test('import schema can run beside the applier: no lock of ours outlives a group', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql('CREATE TABLE p (id int PRIMARY KEY, v text)');
    const deps = { db: { engine: postgresEngine, conn: { settings: rig.settings, secret: { password: MIGRATION_PASSWORD } } }, state: rig.state, exportDir: rig.dir, log: capturingLogger([]), out: rig.out };
    const ac = new AbortController();
    const run = runChangeApply(deps, TO_TARGET, ac.signal);
    let next = 1;
    const feed = setInterval(() => {
      const evs: NewQueueEvent[] = [];
      for (let i = 0; i < 200; i++, next++) evs.push(c('p', { id: String(next), v: `v${next}` }), commit());
      rig.push(evs);
    }, 20);
    try {
      await new Promise((r) => setTimeout(r, 300));
      // What import schema --post-snapshot-import does: build indexes and add triggers while changes stream.
      // lock_timeout makes a lock held by the applier for long fail this test instead of hanging it.
      await rig.sql(`SET lock_timeout = '5s'; CREATE INDEX p_v ON p (v)`);
      const client = await cluster.connectAdmin(rig.db);
      try {
        await client.query(`SET lock_timeout = '5s'`);
        await client.query('CREATE INDEX CONCURRENTLY p_v2 ON p (v, id)');
      } finally {
        await client.end();
      }
    } finally {
      clearInterval(feed);
    }
    rig.push([{ op: 'cutover.target' }]);
    const r = await run;
    assert.equal(r.stoppedBy, 'marker');
    const n = await rig.sql<{ n: string }>('SELECT count(*) AS n FROM p');
    assert.equal(Number(n[0].n), next - 1);
    const valid = await rig.sql(`SELECT count(*) AS n FROM pg_index WHERE indrelid = 'p'::regclass AND indisvalid`);
    assert.deepEqual(valid, [{ n: '3' }]);
  } finally {
    rig.close();
  }
});

test('a lost connection (backend terminated, as when the target restarts) reconnects and resumes from the watermark', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql('CREATE TABLE r (id int PRIMARY KEY, n int NOT NULL)');
    const deps = { db: { engine: postgresEngine, conn: { settings: rig.settings, secret: { password: MIGRATION_PASSWORD } } }, state: rig.state, exportDir: rig.dir, log: capturingLogger(rig.logged), out: rig.out, onMarker: async () => 'stop' as const };
    const ac = new AbortController();
    const run = runChangeApply(deps, TO_TARGET, ac.signal);
    let next = 0;
    let terminated = 0;
    for (let round = 0; round < 30; round++) {
      const evs: NewQueueEvent[] = [];
      for (let i = 0; i < 100; i++, next++) evs.push(c('r', { id: String(next), n: '0' }), u('r', { id: String(next) }, { id: String(next), n: '1' }), commit());
      rig.push(evs);
      if (round % 10 === 5) {
        const k = await rig.sql<{ n: string }>(`SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name LIKE 'yb-voyager apply changes%' AND datname = current_database()`);
        terminated += Number(k[0].n);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
    rig.push([{ op: 'cutover.target' }]);
    const r = await run;
    assert.equal(r.stoppedBy, 'marker');
    assert.ok(terminated >= 1, 'the applying session was terminated at least once');
    assert.ok(rig.logged.some((l) => l.startsWith('lost the connection; reconnecting')));
    assert.ok(rig.out.lines.some((l) => /^WARNING: lost the connection to the target database \(.*\): reconnecting \(attempt 1, next in [\d.]+ s\)$/.test(l)), rig.out.lines.join('\n'));
    assert.deepEqual(await rig.sql('SELECT count(*) AS n, min(n) AS lo, max(n) AS hi FROM r'), [{ n: String(next), lo: '1', hi: '1' }]);
    const meta = await rig.sql('SELECT num_inserts AS i, num_updates AS u FROM ybvoyager_metadata.ybvoyager_import_data_event_channels_metainfo');
    assert.deepEqual(meta, [{ i: String(next), u: String(next) }]);
  } finally {
    rig.close();
  }
});

test('an idle applier whose session is terminated reconnects at once, not when the next events arrive', async () => {
  const rig = await ApplyRig.create(cluster);
  try {
    await rig.sql('CREATE TABLE idle (id int PRIMARY KEY)');
    const deps = { db: { engine: postgresEngine, conn: { settings: rig.settings, secret: { password: MIGRATION_PASSWORD } } }, state: rig.state, exportDir: rig.dir, log: capturingLogger(rig.logged), out: rig.out, onMarker: async () => 'stop' as const };
    const run = runChangeApply(deps, TO_TARGET, new AbortController().signal);
    rig.push([c('idle', { id: '1' }), commit()]);
    const applySessions = `SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'yb-voyager apply changes%' AND datname = current_database()`;
    const until = async (what: string, ok: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 60_000; !(await ok()); await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${rig.out.lines.join('\n')}`);
      }
    };
    await until('the first event applied', async () => (await rig.sql('SELECT 1 FROM idle')).length === 1);
    const [before] = await rig.sql<{ pid: number }>(applySessions);
    await rig.sql('SELECT pg_terminate_backend($1)', [before.pid]);
    // No event follows: only the applier's own notice of the loss can bring a new session.
    await until('a new apply session', async () => (await rig.sql<{ pid: number }>(applySessions)).some((s) => s.pid !== before.pid));
    assert.ok(rig.out.lines.some((l) => /lost the connection to the target database .*reconnecting \(attempt 1/.test(l)), rig.out.lines.join('\n'));
    rig.push([c('idle', { id: '2' }), commit(), { op: 'cutover.target' }]);
    assert.equal((await run).stoppedBy, 'marker');
    assert.deepEqual(await rig.sql('SELECT id FROM idle ORDER BY id'), [{ id: '1' }, { id: '2' }]);
  } finally {
    rig.close();
  }
});
