import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DataEvent } from '../../src/core/change-event.js';
import { createLogger } from '../../src/infra/logger.js';
import { streamChanges } from '../../src/workflows/stream-changes.js';
import {
  captureOutput, currentLsn, dataEvents, readQueue, setupStreamingSource, transactions, waitForPosition, type StreamingSource,
} from '../helpers/change-stream-fixture.js';
import { PgCluster } from '../helpers/pg-cluster.js';
import { makeSslCerts } from '../helpers/ssl-certs.js';
import { postgresEngine } from '../../src/adapters/postgres/engine.js';
import { waitFor } from '../helpers/servers.js';

let cluster: PgCluster;
before(async () => { cluster = await PgCluster.start(); });
after(async () => { await cluster?.stop(); });

/** Run the exporter in-process until `work` is done and everything up to then is durable, then stop it. */
async function streamWhile(src: StreamingSource, work: () => Promise<void>) {
  const out = captureOutput();
  const log = createLogger(src.exportDir.logFile('stream-test'), 'debug');
  const ac = new AbortController();
  const running = streamChanges({ db: { engine: postgresEngine, conn: { settings: src.settings, secret: src.secret } }, state: src.state, exportDir: src.exportDir, log, out, metricsIntervalMs: 500 }, ac.signal);
  running.catch(() => undefined); // observed below; a failure must not count as unhandled meanwhile
  try {
    await work();
    const lsn = await currentLsn(src.sql);
    await src.sql.query(`SELECT pg_logical_emit_message(false, 'test', 'nudge')`);
    await Promise.race([waitForPosition(src.state, lsn), running.then(() => { throw new Error('exporter stopped early'); })]);
  } finally {
    ac.abort();
    await running;
    log.close();
  }
  return out;
}

test('streams inserts, updates, deletes, key updates, unchanged TOAST, partitions and REPLICA IDENTITY FULL in commit order', async () => {
  const src = await setupStreamingSource(cluster, `
    CREATE TABLE items (id int PRIMARY KEY, v int, note text);
    CREATE TABLE docs (id int PRIMARY KEY, big text, n int);
    CREATE TABLE parts (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
    CREATE TABLE parts_a PARTITION OF parts FOR VALUES IN ('a');
    CREATE TABLE parts_b PARTITION OF parts FOR VALUES IN ('b');
    CREATE TABLE "Mixed Case" ("Id" int PRIMARY KEY, val text) ;
    ALTER TABLE "Mixed Case" REPLICA IDENTITY FULL;
    CREATE TABLE not_exported (id int PRIMARY KEY);
  `, [
    { table: 'items', pk: ['id'] }, { table: 'docs', pk: ['id'] }, { table: 'parts', pk: ['id', 'region'] }, { table: 'Mixed Case', pk: ['Id'] },
  ], { publishExtra: ['not_exported'] });
  try {
    // Incompressible, so it is stored out of line (TOASTed) and an update of another column leaves it unsent.
    const big = (await src.sql.query(`SELECT string_agg(md5(random()::text), '') AS s FROM generate_series(1, 400)`)).rows[0].s as string;
    const out = await streamWhile(src, async () => {
      const q = (s: string, p: unknown[] = []) => src.sql.query(s, p);
      await q(`INSERT INTO items VALUES (1, 10, 'a'), (2, 20, NULL)`);
      await q(`BEGIN; UPDATE items SET v = 11 WHERE id = 1; DELETE FROM items WHERE id = 2; COMMIT`);
      await q(`UPDATE items SET id = 100 WHERE id = 1`);
      await q(`INSERT INTO docs VALUES (1, $1, 0)`, [big]);
      await q(`UPDATE docs SET n = 1 WHERE id = 1`);
      await q(`INSERT INTO parts VALUES (1, 'a', 1)`);
      await q(`UPDATE parts SET region = 'b' WHERE id = 1`);
      await q(`INSERT INTO "Mixed Case" VALUES (1, 'x')`);
      await q(`UPDATE "Mixed Case" SET val = 'y' WHERE "Id" = 1`);
      await q(`DELETE FROM "Mixed Case" WHERE "Id" = 1`);
      await q(`INSERT INTO not_exported VALUES (1)`);
      await q(`TRUNCATE docs`);
    });
    const events = readQueue(src.exportDir, src.state);
    const txns = transactions(events);
    const positions = txns.map((t) => t.pos);
    assert.deepEqual([...positions].sort((a, b) => Number(lsnCmp(a, b))), positions, 'commit order');
    const strip = (e: DataEvent) => ({ op: e.op, table: e.table, key: e.key, after: e.after, before: e.before });
    const d = dataEvents(events).map(strip);
    assert.deepEqual(d.slice(0, 5), [
      { op: 'c', table: 'items', key: { id: '1' }, after: { id: '1', v: '10', note: 'a' }, before: undefined },
      { op: 'c', table: 'items', key: { id: '2' }, after: { id: '2', v: '20', note: null }, before: undefined },
      { op: 'u', table: 'items', key: { id: '1' }, after: { id: '1', v: '11', note: 'a' }, before: undefined },
      { op: 'd', table: 'items', key: { id: '2' }, after: undefined, before: undefined },
      { op: 'u', table: 'items', key: { id: '1' }, after: { id: '100', v: '11', note: 'a' }, before: undefined },
    ]);
    assert.equal(txns[1].events.length, 2, 'one source transaction, one queue transaction');
    const docs = d.filter((e) => e.table === 'docs');
    assert.equal(docs[0].after!.big, big);
    assert.deepEqual(docs[1], { op: 'u', table: 'docs', key: { id: '1' }, after: { id: '1', n: '1' }, before: undefined }, 'unchanged TOAST column absent, not null');
    const parts = d.filter((e) => e.table === 'parts');
    assert.ok(parts.length >= 2 && parts.every((e) => e.table === 'parts'), 'partition changes carry the root name');
    assert.deepEqual(parts[parts.length - 1].after, { id: '1', region: 'b', v: '1' });
    const mixed = d.filter((e) => e.table === 'Mixed Case');
    assert.deepEqual(mixed.map((e) => [e.op, e.key]), [['c', { Id: '1' }], ['u', { Id: '1' }], ['d', { Id: '1' }]], 'FULL identity: key is the primary key only');
    assert.deepEqual(mixed[1].before, { Id: '1', val: 'x' });
    assert.ok(!d.some((e) => e.table === 'not_exported'), 'tables outside the export list are ignored');
    assert.ok(out.warnings.some((w) => /TRUNCATE of public\.docs/.test(w)), 'truncate warns');
    assert.ok(out.blocks.some((b) => /Total Exported Events\s+\|\s+\d+ \|/.test(b)), 'metrics table printed');
    const counts = src.state.db.prepare(`SELECT table_name, inserts, updates, deletes FROM exported_event_counts WHERE table_name = 'items'`).get();
    assert.deepEqual({ ...(counts as object) }, { table_name: 'items', inserts: 2, updates: 2, deletes: 1 });
    const slot = await src.sql.query(`SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1`, [src.slot]);
    assert.ok(lsnCmp(slot.rows[0].c, positions[positions.length - 1]) >= 0n, 'the durable position was confirmed to the server');
  } finally {
    await src.cleanup();
  }
});

test('a 100k-row single-transaction update streams as one transaction', async () => {
  const src = await setupStreamingSource(cluster, `CREATE TABLE big (id int PRIMARY KEY, v int, pad text)`, [{ table: 'big', pk: ['id'] }]);
  try {
    await streamWhile(src, async () => {
      await src.sql.query(`INSERT INTO big SELECT g, 0, repeat('x', 50) FROM generate_series(1, 100000) g`);
      await src.sql.query(`UPDATE big SET v = v + 1`);
      await src.sql.query(`INSERT INTO big VALUES (0, 0, 'after')`);
    });
    const txns = transactions(readQueue(src.exportDir, src.state));
    assert.equal(txns.length, 3);
    assert.equal(txns[1].events.length, 100_000);
    assert.ok(txns[1].events.every((e) => e.op === 'u' && e.after!.v === '1'));
    assert.equal(new Set(txns[1].events.map((e) => e.key.id)).size, 100_000);
    assert.deepEqual(txns[2].events.map((e) => e.key), [{ id: '0' }]);
  } finally {
    await src.cleanup();
  }
});

function lsnCmp(a: string, b: string): bigint {
  const v = (l: string) => { const [h, lo] = l.split('/'); return (BigInt('0x' + h) << 32n) | BigInt('0x' + lo); };
  return v(a) - v(b);
}

test('a replication connection the server drops: the export reconnects by itself and loses nothing', async () => {
  const src = await setupStreamingSource(cluster, `CREATE TABLE t (id int PRIMARY KEY)`, [{ table: 't', pk: ['id'] }]);
  try {
    const out = captureOutput();
    const ac = new AbortController();
    const deps = { db: { engine: postgresEngine, conn: { settings: src.settings, secret: src.secret } }, state: src.state, exportDir: src.exportDir, log: createLogger(undefined, 'info'), out };
    const running = streamChanges(deps, ac.signal);
    running.catch(() => undefined);
    await src.sql.query(`INSERT INTO t VALUES (1)`);
    await waitForPosition(src.state, await currentLsn(src.sql));
    await src.sql.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1`, [src.slot]);
    await src.sql.query(`INSERT INTO t VALUES (2)`);
    await src.sql.query(`INSERT INTO t VALUES (3)`);
    await waitFor('the reconnected stream to pass the inserts', async () => {
      if (!out.warnings.some((w) => /^reconnected to the source database/.test(w))) throw new Error('not reconnected yet');
      if (dataEvents(readQueue(src.exportDir, src.state)).length < 3) throw new Error('not in the queue yet');
    });
    ac.abort();
    await running;
    assert.ok(out.warnings.some((w) => /^lost the connection to the source database \(.*\): reconnecting \(attempt 1, next in [\d.]+ s\)$/.test(w)), out.warnings.join('\n'));
    assert.deepEqual(dataEvents(readQueue(src.exportDir, src.state)).map((e) => e.key.id), ['1', '2', '3'], 'each change exactly once');
  } finally {
    await src.cleanup();
  }
});

test('with --max-reconnect-time 0 a dropped replication connection stops the export with a rerun hint; the rerun resumes without loss', async () => {
  const src = await setupStreamingSource(cluster, `CREATE TABLE t (id int PRIMARY KEY)`, [{ table: 't', pk: ['id'] }]);
  try {
    const deps = { db: { engine: postgresEngine, conn: { settings: src.settings, secret: src.secret } }, state: src.state, exportDir: src.exportDir, log: createLogger(undefined, 'info'), out: captureOutput(), maxReconnectMs: 0 };
    const running = streamChanges(deps, new AbortController().signal);
    running.catch(() => undefined);
    await src.sql.query(`INSERT INTO t VALUES (1)`);
    await waitForPosition(src.state, await currentLsn(src.sql));
    await src.sql.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1`, [src.slot]);
    await assert.rejects(running, (e: Error & { hint?: string }) => /could not reconnect within 0 s \(--max-reconnect-time\)/.test(e.message) && /rerun the same command/.test(e.hint ?? ''));
    await src.sql.query(`INSERT INTO t VALUES (2)`);
    await streamWhile(src, async () => { await src.sql.query(`INSERT INTO t VALUES (3)`); });
    assert.deepEqual(dataEvents(readQueue(src.exportDir, src.state)).map((e) => e.key.id), ['1', '2', '3']);
  } finally {
    await src.cleanup();
  }
});

test('values keep the snapshot copy format whatever the source database\'s DateStyle, TimeZone, IntervalStyle or bytea_output', async () => {
  const src = await setupStreamingSource(cluster, `CREATE TABLE fmt (id int PRIMARY KEY, d date, ts timestamptz, iv interval, f float8, b bytea, m money)`, [{ table: 'fmt', pk: ['id'] }]);
  try {
    await src.sql.query(`ALTER DATABASE "${src.db}" SET DateStyle = 'SQL, DMY'`);
    await src.sql.query(`ALTER DATABASE "${src.db}" SET TimeZone = 'Asia/Kolkata'`);
    await src.sql.query(`ALTER DATABASE "${src.db}" SET IntervalStyle = 'sql_standard'`);
    await src.sql.query(`ALTER DATABASE "${src.db}" SET bytea_output = 'escape'`);
    await src.sql.query(`ALTER DATABASE "${src.db}" SET extra_float_digits = 0`);
    await streamWhile(src, async () => {
      await src.sql.query(`INSERT INTO fmt VALUES (1, '2026-11-22', '2026-11-22 10:11:12.123456+00', '1 day 02:03:04', 0.1, '\\x00ff', 12.34)`);
    });
    const row = dataEvents(readQueue(src.exportDir, src.state)).find((e: DataEvent) => e.table === 'fmt')!;
    assert.deepEqual(row.after, {
      id: '1', d: '2026-11-22', ts: '2026-11-22 10:11:12.123456+00', iv: '1 day 02:03:04', f: '0.1', b: '\\x00ff', m: '$12.34',
    });
  } finally {
    await src.cleanup();
  }
});

test('over SSL (sslmode require) a burst of 20,000 transactions arrives complete and in commit order', async () => {
  const certs = makeSslCerts();
  const sslCluster = await PgCluster.start({ ssl: certs.serverSsl() });
  const src = await setupStreamingSource(sslCluster, `CREATE TABLE burst (id int PRIMARY KEY, v text)`, [{ table: 'burst', pk: ['id'] }], { sslMode: 'require' });
  try {
    let encrypted: unknown;
    await streamWhile(src, async () => {
      // Escapes, multi-byte characters and NULLs go through the direct line writer; one row per transaction.
      await src.sql.query(`DO $$ BEGIN FOR i IN 1..20000 LOOP
          INSERT INTO burst VALUES (i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'r"' || i || E'\\t€\\\\' END); COMMIT; END LOOP; END $$`);
      // The slot's active_pid is momentarily empty while the walsender hands over: wait for the row, not a moment.
      encrypted = await waitFor('the replication connection in pg_stat_ssl', async () => {
        const row = (await src.sql.query(`SELECT s.ssl FROM pg_stat_ssl s JOIN pg_replication_slots r ON r.active_pid = s.pid WHERE r.slot_name = $1`, [src.slot])).rows[0];
        if (!row) throw new Error('the slot has no active walsender right now');
        return row.ssl;
      });
    });
    assert.ok(encrypted === true || encrypted === 't', `the replication connection was not encrypted (${String(encrypted)})`);
    const txns = transactions(readQueue(src.exportDir, src.state));
    assert.equal(txns.length, 20000);
    txns.forEach((t, i) => {
      const id = i + 1;
      assert.deepEqual(t.events.map((e) => [e.op, e.key, e.after]), [['c', { id: String(id) }, { id: String(id), v: id % 7 === 0 ? null : `r"${id}\t€\\` }]]);
    });
  } finally {
    await src.cleanup();
    await sslCluster.stop();
    certs.cleanup();
  }
});
