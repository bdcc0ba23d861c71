/**
 * kill -9 of the change exporter at several moments (failpoints and a plain kill) while a workload of many
 * small transactions, key updates and large transactions runs on the source; reruns; then the queue must
 * hold every source change exactly once, in commit order.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { connect } from '../../src/adapters/postgres/connection.js';
import type { DataEvent } from '../../src/core/change-event.js';
import { currentLsn, lsnValue, readQueue, setupStreamingSource, transactions, waitForPosition } from '../helpers/change-stream-fixture.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'stream-changes-runner.js');
const BULK_ROWS = 10_000;

let cluster: PgCluster;
before(async () => { cluster = await PgCluster.start(); });
after(async () => { await cluster?.stop(); });

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runners still alive: a failing test kills them, or they would keep this test process from exiting. */
const running = new Set<ChildProcess>();

function startRunner(exportDir: string, settings: object, failpoints?: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, YB_VOYAGER_FAILPOINTS: failpoints ?? '' };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [RUNNER, exportDir, JSON.stringify(settings)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  return { child, output: () => out, exited };
}

/** Wait for the run to kill itself at its failpoint; a safety net kills it if the point is never reached. */
async function untilKilled(run: Run, safetyMs = 20_000): Promise<void> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), safetyMs);
  const r = await run.exited;
  clearTimeout(timer);
  assert.equal(r.signal, 'SIGKILL', `expected a kill -9, got ${JSON.stringify(r)}\n${run.output()}`);
  assert.match(run.output(), /failpoint .* hit/, 'killed by its failpoint, not by the safety net');
}

/** Many small transactions: insert a row, bump the previous one, sometimes delete or re-key one, sometimes a big update. */
class Workload {
  i = 0;
  transactions = 0;
  private stopped = false;
  private done: Promise<void> | undefined;
  constructor(private readonly sql: pg.Client) {}
  start(): void {
    this.done = (async () => {
      const q = (s: string, p: unknown[] = []) => this.sql.query(s, p);
      while (!this.stopped) {
        const i = ++this.i;
        await q('BEGIN');
        await q('INSERT INTO w VALUES ($1, 0)', [i]);
        if (i > 1) await q('UPDATE w SET v = v + 1 WHERE id = $1', [i - 1]);
        if (i % 5 === 0) await q('DELETE FROM w WHERE id = $1', [i - 3]);
        if (i % 7 === 0) await q('UPDATE w SET id = id + 1000000 WHERE id = $1', [i - 2]);
        if (i % 300 === 0) await q('UPDATE bulk SET v = v + 1');
        await q('COMMIT');
        this.transactions++;
      }
    })();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

test('kill -9 of the exporter at failpoints and at random, reruns: every change exactly once, in commit order', async () => {
  const src = await setupStreamingSource(cluster, `
    CREATE TABLE w (id bigint PRIMARY KEY, v int NOT NULL);
    CREATE TABLE bulk (id int PRIMARY KEY, v int NOT NULL);
    INSERT INTO bulk SELECT g, 0 FROM generate_series(1, ${BULK_ROWS}) g;
  `, [{ table: 'w', pk: ['id'] }, { table: 'bulk', pk: ['id'] }]);
  const workSql = await connect(src.settings, src.secret);
  const work = new Workload(workSql);
  try {
    work.start();
    // 1. dies mid-stream after appending (uncommitted bytes in the segment file)
    await untilKilled(startRunner(src.root, src.settings, 'stream-changes.after-append@3000'));
    // 2. dies after a durable commit, before confirming it upstream: the server resends, we must skip
    await untilKilled(startRunner(src.root, src.settings, 'stream-changes.after-commit-before-ack@5'));
    // 3. dies deep in the backlog, most likely inside a large transaction (most events are bulk updates)
    await untilKilled(startRunner(src.root, src.settings, 'stream-changes.after-append@25000'));
    // 4. a plain kill -9 at an arbitrary moment
    const r4 = startRunner(src.root, src.settings);
    await new Promise((r) => setTimeout(r, 1500));
    r4.child.kill('SIGKILL');
    await r4.exited;
    // 5. runs to the end: the workload stops, the exporter catches up, SIGTERM stops it cleanly
    const r5 = startRunner(src.root, src.settings);
    await new Promise((r) => setTimeout(r, 500));
    await work.stop();
    const lsn = await currentLsn(src.sql);
    await src.sql.query(`SELECT pg_logical_emit_message(false, 'test', 'nudge')`);
    await waitForPosition(src.state, lsn, 60_000);
    r5.child.kill('SIGTERM');
    const end = await r5.exited;
    assert.equal(end.code, 0, r5.output());
    assert.match(r5.output(), /change export stopped at source position/);

    const events = readQueue(src.exportDir, src.state);
    const txns = transactions(events);
    // Commit order, and no transaction twice: commit positions strictly increase through the whole queue.
    for (let k = 1; k < txns.length; k++) {
      assert.ok(lsnValue(txns[k].pos) > lsnValue(txns[k - 1].pos), `commit positions must strictly increase (${txns[k - 1].pos} then ${txns[k].pos})`);
    }
    const bulkTxns = Math.floor(work.i / 300);
    assert.equal(txns.length, work.transactions, 'one queue transaction per source transaction');
    assert.equal(txns.filter((t) => t.events.some((e) => e.table === 'bulk')).length, bulkTxns);
    for (const t of txns.filter((x) => x.events.some((e) => e.table === 'bulk'))) {
      assert.equal(t.events.filter((e) => e.table === 'bulk').length, BULK_ROWS, 'a large transaction arrives whole');
    }
    const vsns = events.map((e) => e.vsn);
    assert.ok(vsns.every((v, k) => k === 0 || v === vsns[k - 1] + 1), 'vsn has no gaps or repeats');

    // Replay the queue: inserts must be new, updates and deletes must find their row, and the result must
    // equal the source row for row. Each row's value only ever goes up by one per update.
    const rows = new Map<string, number>();
    const replay = (e: DataEvent) => {
      const id = e.key.id!;
      if (e.op === 'c') {
        assert.ok(!rows.has(`${e.table}:${id}`), `insert of existing ${e.table} ${id}`);
        rows.set(`${e.table}:${id}`, Number(e.after!.v));
      } else if (e.op === 'u') {
        const before = rows.get(`${e.table}:${id}`);
        assert.ok(before !== undefined, `update of missing ${e.table} ${id}`);
        const v = Number(e.after!.v);
        const newId = e.after!.id!;
        if (newId === id) assert.equal(v, before + 1, `${e.table} ${id}: v must go ${before} → ${before + 1}, got ${v}`);
        rows.delete(`${e.table}:${id}`);
        rows.set(`${e.table}:${newId}`, v);
      } else {
        assert.ok(rows.delete(`${e.table}:${id}`), `delete of missing ${e.table} ${id}`);
      }
    };
    for (let k = 1; k <= BULK_ROWS; k++) rows.set(`bulk:${k}`, 0); // rows that existed before the slot
    for (const t of txns) for (const e of t.events) replay(e);
    const source = await src.sql.query(`SELECT 'w:' || id AS k, v FROM w UNION ALL SELECT 'bulk:' || id, v FROM bulk`);
    assert.equal(rows.size, source.rows.length);
    for (const r of source.rows) assert.equal(rows.get(r.k), Number(r.v), `row ${r.k}`);

    const log = fs.readFileSync(src.exportDir.logFile('stream-changes-runner'), 'utf8');
    assert.match(log, /skipped a transaction already in the queue/, 'the restart after a commit that was never confirmed skipped resent transactions');
    const slot = await src.sql.query(`SELECT active FROM pg_replication_slots WHERE slot_name = $1`, [src.slot]);
    assert.equal(slot.rows[0].active, 'f', 'the clean stop released the slot');
  } finally {
    for (const c of running) c.kill('SIGKILL');
    await work.stop().catch(() => undefined);
    await workSql.end().catch(() => undefined);
    await src.cleanup();
  }
});
