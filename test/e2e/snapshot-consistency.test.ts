/**
 * One snapshot across every worker and chunk, while the source keeps changing: transfers move money
 * between accounts (updates move row versions to other blocks, so ctid chunks are put to the test),
 * delete accounts into others and open new ones, and every transaction writes a ledger row. On the target,
 * each account's balance must equal what the ledger rows present there say, and the total must be intact:
 * the accounts table and the ledger table, chunk by chunk, saw exactly the same transactions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, startCli } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

const ACCOUNTS = 30000;
const env = {
  SOURCE_DB_PASSWORD: MIGRATION_PASSWORD, TARGET_DB_PASSWORD: MIGRATION_PASSWORD,
  YB_VOYAGER_SNAPSHOT_CHUNK_BYTES: '262144', YB_VOYAGER_TEST_CHUNK_DELAY_MS: '40',
};
const SCHEMA = `
  CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, pad text);
  CREATE TABLE ledger (seq bigserial PRIMARY KEY, from_id int, to_id int, amount bigint, opened boolean, closed boolean);`;

let source: PgCluster;
let target: PgCluster;
let sdb: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-consistency-'));

before(async () => {
  [source, target] = await Promise.all([PgCluster.start(), PgCluster.start()]);
  sdb = await source.createDatabase('cons_src');
  await source.query(`${SCHEMA} INSERT INTO accounts SELECT g, 1000, repeat('p', 200) FROM generate_series(1, ${ACCOUNTS}) g;`, [], sdb);
});

after(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

class Skip extends Error {}

/** Transactions that keep the invariant, until stop() is called. Returns how many committed. */
async function workload(): Promise<{ stop: () => Promise<number> }> {
  let running = true;
  let committed = 0;
  let nextId = Number((await source.query(`SELECT max(id) + 1 AS n FROM accounts`, [], sdb)).rows[0].n);
  const loops = [0, 1].map(async (w) => {
    const c = await source.connectAdmin(sdb);
    try {
      let i = 0;
      while (running) {
        i++;
        const a = 1 + ((i * 7919 + w * 104729) % ACCOUNTS);
        const b = 1 + ((i * 15485863 + w) % ACCOUNTS);
        await c.query('BEGIN');
        // Every statement must hit its row; when one does not (an account closed earlier), roll back,
        // so the source itself always keeps the invariant.
        const hit = async (sql: string, params: unknown[]) => {
          const r = await c.query(sql, params);
          if (r.rowCount !== 1) throw new Skip();
          return r;
        };
        try {
          if (i % 17 === 0) {
            // Open a new account funded from a.
            const id = nextId++;
            await hit(`UPDATE accounts SET balance = balance - 10 WHERE id = $1`, [a]);
            await hit(`INSERT INTO accounts VALUES ($1, 10, repeat('n', 200))`, [id]);
            await hit(`INSERT INTO ledger (from_id, to_id, amount, opened) VALUES ($1, $2, 10, true)`, [a, id]);
          } else if (i % 29 === 0 && a !== b) {
            // Close account a into b.
            const r = await hit(`DELETE FROM accounts WHERE id = $1 RETURNING balance`, [a]);
            await hit(`UPDATE accounts SET balance = balance + $2 WHERE id = $1`, [b, r.rows[0].balance]);
            await hit(`INSERT INTO ledger (from_id, to_id, amount, closed) VALUES ($1, $2, $3, true)`, [a, b, r.rows[0].balance]);
          } else if (a !== b) {
            await hit(`UPDATE accounts SET balance = balance - 3 WHERE id = $1`, [a]);
            await hit(`UPDATE accounts SET balance = balance + 3 WHERE id = $1`, [b]);
            await hit(`INSERT INTO ledger (from_id, to_id, amount) VALUES ($1, $2, 3)`, [a, b]);
          }
          await c.query('COMMIT');
          committed++;
        } catch (e) {
          await c.query('ROLLBACK');
          if (!(e instanceof Skip) && !/deadlock|could not serialize/.test(String(e))) throw e;
        }
      }
    } finally {
      await c.end();
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return committed;
    },
  };
}

async function assertConsistent(cluster: PgCluster, tdb: string): Promise<void> {
  const r = await cluster.query<{ total: string; bad: string; accounts: string; ledger: string }>(
    `WITH moves AS (
       SELECT from_id AS id, -amount AS delta FROM ledger UNION ALL SELECT to_id, amount FROM ledger
     ), expected AS (
       SELECT id, sum(delta) AS delta FROM moves GROUP BY id
     )
     SELECT (SELECT sum(balance) FROM accounts) AS total,
            (SELECT count(*) FROM accounts a LEFT JOIN expected e USING (id)
              WHERE a.balance <> (CASE WHEN a.id <= ${ACCOUNTS} THEN 1000 ELSE 0 END) + coalesce(e.delta, 0)) AS bad,
            (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM ledger) AS ledger`,
    [], tdb,
  );
  const row = r.rows[0];
  assert.equal(row.total, String(ACCOUNTS * 1000), 'money is neither created nor lost');
  assert.equal(row.bad, '0', 'every balance matches the ledger rows of the same snapshot');
  const closed = await cluster.query<{ n: string }>(`SELECT count(*) AS n FROM ledger l JOIN accounts a ON a.id = l.from_id WHERE l.closed`, [], tdb);
  assert.equal(closed.rows[0].n, '0', 'no account closed in the snapshot survives in it');
  assert.ok(Number(row.ledger) > 0, 'transactions committed before the snapshot are in it');
}

for (const exportType of ['snapshot-only', 'snapshot-and-changes'] as const) {
  test(`${exportType}: every chunk of every table sees the same snapshot while the source changes`, async () => {
    const dir = path.join(tmp, exportType);
    fs.mkdirSync(dir);
    const load = await workload();
    await new Promise((r) => setTimeout(r, 200)); // the workload is running before the snapshot starts
    const args = ['export', 'data', '--export-dir', dir, ...source.flags('source', sdb), '--parallel-jobs', '4', '--export-type', exportType];
    if (exportType === 'snapshot-only') {
      const r = await runCli(args, { env });
      assert.equal(r.code, 0, r.stderr);
    } else {
      const cli = startCli(args, { env });
      await cli.waitForLine(/streaming changes from the source/, { timeoutMs: 90_000 });
      await cli.stop('SIGTERM');
    }
    const txs = await load.stop();
    await assertConsistent(source, sdb); // the workload itself keeps the invariant
    assert.ok(txs > 50, `the workload committed ${txs} transactions`);
    const files = fs.readdirSync(path.join(dir, 'data')).filter((f) => f.startsWith('public.accounts-'));
    assert.ok(files.length >= 8, `accounts is exported in several chunks (${files.length})`);

    const tdb = await target.createDatabase('cons_tgt');
    await target.query(SCHEMA, [], tdb);
    const importArgs = ['import', 'data', '--export-dir', dir, ...target.flags('target', tdb), '--parallel-jobs', '4'];
    if (exportType === 'snapshot-only') {
      const r = await runCli(importArgs, { env });
      assert.equal(r.code, 0, r.stderr);
    } else {
      // After the snapshot the importer applies streamed changes: whole source transactions, so the
      // invariant holds whatever it has applied when stopped.
      const cli = startCli(importArgs, { env });
      await cli.waitForLine(/applying the streamed changes/, { timeoutMs: 90_000 });
      await cli.stop('SIGTERM');
      await source.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots`);
    }
    await assertConsistent(target, tdb);
  });
}
