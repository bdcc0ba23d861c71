/**
 * The snapshot's COPY-out reader against a real server: its output is byte for byte what pg-copy-streams
 * reads, also when the server's bytes arrive cut at every possible place (through a proxy that forwards them
 * in pieces of a few bytes); server errors, notices in the middle of the data and a failing sink.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { connect } from '../../src/adapters/postgres/connection.js';
import { copyOut } from '../../src/adapters/postgres/copy-out.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
let db: string;
const secret = { password: MIGRATION_PASSWORD };

/** Rows of very different widths (0 to ~3000 bytes), with characters COPY escapes, and NULLs. */
const ROWS_SQL = `SELECT g, CASE WHEN g % 13 = 0 THEN NULL ELSE repeat(chr(65 + g % 26), (g * 37) % 3001) END, E'tab\\there\\nnewline' || g
  FROM generate_series(1, 3000) g`;

before(async () => {
  cluster = await PgCluster.start();
  db = await cluster.createDatabase('copyout');
  // A notice every 500 rows arrives between CopyData messages (skipped, as pg-copy-streams skips them).
  await cluster.query(`CREATE FUNCTION noisy(n int) RETURNS int LANGUAGE plpgsql AS $$
    BEGIN IF n % 500 = 0 THEN RAISE NOTICE 'row %', n; END IF; RETURN n; END $$`, [], db);
});
after(async () => {
  await cluster?.stop();
});

async function viaCopyStreams(client: pg.Client, sql: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of client.query(copyStreams.to(sql)) as AsyncIterable<Buffer>) parts.push(b);
  return Buffer.concat(parts);
}

async function viaCopyOut(client: pg.Client, sql: string): Promise<{ data: Buffer; rows: number; pieces: number }> {
  const parts: Buffer[] = [];
  const r = await copyOut(client, sql, async (b) => {
    parts.push(Buffer.from(b));
  });
  const data = Buffer.concat(parts);
  assert.equal(r.bytes, data.length);
  return { data, rows: r.rows, pieces: parts.length };
}

/** A TCP proxy to the cluster that forwards the server's bytes in pieces of 1 to 7 bytes, one per event-loop turn. */
async function slicingProxy(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(cluster.port, cluster.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let chain = Promise.resolve();
    let size = 0;
    upstream.on('data', (buf: Buffer) => {
      chain = chain.then(async () => {
        for (let i = 0; i < buf.length; ) {
          size = (size % 7) + 1;
          client.write(buf.subarray(i, i + size));
          i += size;
          await new Promise((r) => setImmediate(r));
        }
      });
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

test('the output is what pg-copy-streams reads, in large pieces; the session goes on working', async () => {
  const client = await connect(cluster.settings(db), secret);
  try {
    const sql = `COPY (${ROWS_SQL}) TO STDOUT`;
    const expected = await viaCopyStreams(client, sql);
    const got = await viaCopyOut(client, sql);
    assert.equal(got.rows, 3000);
    assert.ok(got.data.equals(expected), 'same bytes');
    assert.ok(got.pieces < 10, `handed out in ${got.pieces} pieces`);
    assert.equal((await client.query('SELECT 41 + 1 AS n')).rows[0].n, '42');
  } finally {
    await client.end();
  }
});

test('bytes cut anywhere (message headers too) and notices between rows: the same output', async () => {
  const proxy = await slicingProxy();
  const client = await connect({ ...cluster.settings(db), port: proxy.port }, secret);
  try {
    const sql = `COPY (SELECT noisy(g), repeat(chr(65 + g % 26), (g * 37) % 301), E'a\\tb' FROM generate_series(1, 1200) g) TO STDOUT`;
    const direct = await connect(cluster.settings(db), secret);
    let expected: Buffer;
    try {
      expected = await viaCopyStreams(direct, sql);
    } finally {
      await direct.end();
    }
    const got = await viaCopyOut(client, sql);
    assert.equal(got.rows, 1200);
    assert.ok(got.data.equals(expected), 'same bytes');
    assert.equal((await client.query('SELECT 41 + 1 AS n')).rows[0].n, '42');
  } finally {
    await client.end();
    await proxy.close();
  }
});

test('an error the server raises mid-copy rejects with its code; the session goes on working', async () => {
  const client = await connect(cluster.settings(db), secret);
  try {
    await assert.rejects(
      copyOut(client, 'COPY (SELECT 1 / (g - 2500), repeat($$x$$, 200) FROM generate_series(1, 3000) g) TO STDOUT', async () => undefined),
      (e: { code?: string }) => e.code === '22012',
    );
    assert.equal((await client.query('SELECT 41 + 1 AS n')).rows[0].n, '42');
  } finally {
    await client.end();
  }
});

test('a failing sink rejects with its error', async () => {
  const client = await connect(cluster.settings(db), secret);
  try {
    await assert.rejects(copyOut(client, `COPY (${ROWS_SQL}) TO STDOUT`, async () => {
      throw new Error('disk full');
    }), /disk full/);
  } finally {
    await client.end();
  }
});

test('the session killed mid-copy: the copy rejects instead of waiting forever', async () => {
  const client = await connect(cluster.settings(db), secret);
  const pid = (await client.query<{ p: string }>('SELECT pg_backend_pid() AS p')).rows[0].p;
  let killed = false;
  try {
    await assert.rejects(copyOut(client, 'COPY (SELECT g, repeat($$x$$, 500) FROM generate_series(1, 2000000) g) TO STDOUT', async () => {
      if (killed) return;
      killed = true;
      await cluster.query('SELECT pg_terminate_backend($1)', [pid]);
    }));
    assert.ok(killed, 'the copy had started');
  } finally {
    await client.end().catch(() => undefined);
  }
});
