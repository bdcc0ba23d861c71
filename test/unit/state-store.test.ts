/** meta.db: schema migrations, the transactional read-modify-write helper, the migration record and its bound databases. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { StateStore, STATE_SCHEMA_VERSION, type DbIdentity, type MigrationRecord } from '../../src/export-dir/state-store.js';
import { UserError } from '../../src/infra/errors.js';

let dir: string;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-state-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const newDb = () => path.join(dir, `meta${++n}.db`);

test('a new store is migrated to the current schema version; reopening does not redo the steps', () => {
  const f = newDb();
  const s1 = StateStore.open(f);
  const v = s1.db.prepare('SELECT version FROM schema_version').all() as { version: number }[];
  assert.deepEqual(v, [{ version: STATE_SCHEMA_VERSION }]);
  s1.setJson('k', { a: 1 });
  s1.close();
  const s2 = StateStore.open(f); // would fail on CREATE TABLE kv if the steps ran again
  assert.deepEqual(s2.getJson('k'), { a: 1 });
  assert.equal((s2.db.prepare('SELECT count(*) AS c FROM schema_version').get() as { c: number }).c, 1);
  s2.close();
});

test('an older store gets only the missing steps', () => {
  const f = newDb();
  const raw = new Database(f);
  raw.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE command_log (id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, pid INTEGER NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, exit_code INTEGER);
    INSERT INTO kv VALUES ('kept', '"yes"');`);
  raw.close();
  const s = StateStore.open(f);
  assert.equal(s.getJson('kept'), 'yes');
  assert.equal((s.db.prepare('SELECT version FROM schema_version').get() as { version: number }).version, STATE_SCHEMA_VERSION);
  s.close();
});

test('a store written by a newer version is refused with the fix named', () => {
  const f = newDb();
  StateStore.open(f).close();
  const raw = new Database(f);
  raw.prepare('UPDATE schema_version SET version = ?').run(STATE_SCHEMA_VERSION + 5);
  raw.close();
  assert.throws(() => StateStore.open(f), (e: unknown) => e instanceof UserError && e.kind === 'conflict' && /newer yb-voyager/.test(e.oneLine()));
});

test('updateUnsynced: commits without waiting for the disk, then the connection is back to synchronous commits (a throw too); flushWal fsyncs the WAL', async () => {
  const s = StateStore.open(newDb());
  const level = () => s.db.pragma('synchronous', { simple: true });
  assert.equal(level(), 2, 'FULL by default');
  let inside: unknown;
  s.updateUnsynced(() => {
    inside = level();
    s.setJson('k', 1);
  });
  assert.equal(inside, 1, 'NORMAL inside');
  assert.equal(level(), 2);
  assert.throws(() => s.updateUnsynced(() => {
    s.setJson('k', 2);
    throw new Error('boom');
  }), /boom/);
  assert.equal(level(), 2);
  assert.equal(s.getJson('k'), 1, 'the failed transaction rolled back');
  await s.flushWal();
  await s.flushWal(); // the WAL file stays open between calls
  s.close();
});

test('modifyJson: the function sees the current value; a throw inside leaves the record unchanged', () => {
  const s = StateStore.open(newDb());
  assert.equal(s.modifyJson<number>('counter', (c) => (c ?? 0) + 1), 1);
  assert.equal(s.modifyJson<number>('counter', (c) => (c ?? 0) + 1), 2);
  assert.throws(() => s.modifyJson<number>('counter', () => { throw new Error('boom'); }), /boom/);
  assert.equal(s.getJson('counter'), 2);
  s.close();
});

test('modifyJson from several processes at once loses no update', async () => {
  const f = newDb();
  StateStore.open(f).close();
  const mod = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/export-dir/state-store.js');
  const script = `const { StateStore } = await import(${JSON.stringify(mod)});
    const s = StateStore.open(${JSON.stringify(f)});
    for (let i = 0; i < 100; i++) s.modifyJson('counter', (c) => (c ?? 0) + 1);
    s.close();`;
  const codes = await Promise.all(
    Array.from({ length: 4 }, () => new Promise<number | null>((resolve) => {
      const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
      c.once('exit', (code) => resolve(code));
    })),
  );
  assert.deepEqual(codes, [0, 0, 0, 0]);
  const s = StateStore.open(f);
  assert.equal(s.getJson("counter"), 400);
  s.close();
});

const source: DbIdentity = { dbType: 'postgresql', systemId: '7300000000000000001', dbName: 'shop', host: 'db1', port: 5432 };

test('the migration record: created once with a UUID, stable across reopen', () => {
  const f = newDb();
  const s1 = StateStore.open(f);
  const m = s1.migration();
  assert.match(m.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  s1.close();
  const s2 = StateStore.open(f);
  assert.equal(s2.migration().uuid, m.uuid);
  s2.close();
});

test('bindDatabase: the same database again is fine (a new host name is recorded); another one is refused with the fix', () => {
  const s = StateStore.open(newDb());
  s.bindDatabase('source', source);
  s.bindDatabase('source', { ...source, host: 'db1.internal', port: 6432 });
  const rec = s.getJson<MigrationRecord>('migration')!;
  assert.equal(rec.source?.host, 'db1.internal');
  assert.equal(rec.source?.port, 6432);

  for (const other of [{ ...source, systemId: '7300000000000000999' }, { ...source, dbName: 'other' }, { ...source, dbType: 'mysql' }]) {
    assert.throws(
      () => s.bindDatabase('source', other),
      (e: unknown) =>
        e instanceof UserError &&
        e.kind === 'conflict' &&
        e.message.includes("database 'shop' on db1.internal:6432") &&
        /use a new, empty --export-dir/.test(e.oneLine()),
    );
  }
  assert.deepEqual(s.getJson<MigrationRecord>('migration')!.source, { ...source, host: 'db1.internal', port: 6432 }, 'a refused bind changes nothing');
  s.bindDatabase('target', { ...source, systemId: '42', dbName: 'yugabyte' }); // the target is bound separately
  s.close();
});

test('bindDatabase: a database dropped and created again (same name, new oid) is another database', () => {
  const s = StateStore.open(newDb());
  s.bindDatabase('source', source); // recorded by an earlier version: no oid
  s.bindDatabase('source', { ...source, dbOid: '16384' });
  assert.equal(s.getJson<MigrationRecord>('migration')!.source?.dbOid, '16384', 'the oid is recorded once known');
  assert.throws(() => s.bindDatabase('source', { ...source, dbOid: '16999' }), (e: unknown) => e instanceof UserError && e.kind === 'conflict');
  s.bindDatabase('source', { ...source, dbOid: '16384' });
  s.close();
});

test('an ended migration refuses further commands', () => {
  const s = StateStore.open(newDb());
  s.assertNotEnded();
  s.modifyJson<MigrationRecord>('migration', (m) => ({ ...m!, ended: true }));
  assert.throws(() => s.assertNotEnded(), (e: unknown) => e instanceof UserError && /has ended.*new, empty --export-dir/.test(e.oneLine()));
  s.close();
});

test('the command log records start, end and exit code', () => {
  const s = StateStore.open(newDb());
  const id = s.logCommandStart('export-schema');
  s.logCommandEnd(id, 3);
  const row = s.db.prepare('SELECT command, pid, exit_code, ended_at IS NOT NULL AS ended FROM command_log WHERE id = ?').get(id);
  assert.deepEqual(row, { command: 'export-schema', pid: process.pid, exit_code: 3, ended: 1 });
  s.close();
});
