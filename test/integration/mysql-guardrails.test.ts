/**
 * A MariaDB that is not prepared for a live migration: every problem is reported at once by export data, each
 * with the exact statement that fixes it, and nothing is left behind (no snapshot files, no capture). Then
 * the same server, fixed as the messages say, passes; a resume after its binlog was purged is refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, startCli } from '../helpers/cli.js';
import { MariaDbServer, MYSQL_MIGRATION_PASSWORD } from '../helpers/mariadb-server.js';

let server: MariaDbServer;
let db: string;
const dirs: string[] = [];

before(async () => {
  // The defaults a DBA meets: MIXED binlog, no row metadata, logs kept a few hours.
  server = await MariaDbServer.start({ extraArgs: ['--binlog-format=MIXED', '--binlog-row-image=MINIMAL', '--binlog-expire-logs-seconds=3600'] });
  db = await server.createDatabase('guard');
  await server.query('CREATE TABLE keyed (id int PRIMARY KEY, v text)', [], db);
  await server.query('CREATE TABLE keyless (v text)', [], db);
  await server.query('CREATE TABLE old_engine (id int PRIMARY KEY) ENGINE=MyISAM', [], db);
  await server.query("CREATE USER IF NOT EXISTS 'narrow'@'%' IDENTIFIED BY 'Narrow#1'", []);
  await server.query(`GRANT SELECT ON \`${db}\`.* TO 'narrow'@'%'`, []);
});

after(async () => {
  await server?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function exportDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-my-guard-'));
  dirs.push(d);
  return d;
}

const exportData = (dir: string, user: string, password: string, extra: string[] = []) =>
  runCli(['export', 'data', 'from', 'source', '--export-dir', dir, ...server.flags(db).map((f) => (f === 'ybvoyager' ? user : f)), '--export-type', 'snapshot-and-changes', '--disable-pb', 'true', '--yes', ...extra], { env: { SOURCE_DB_PASSWORD: password } });

test('every misconfiguration at once, each with its fix; nothing exported', async () => {
  const dir = exportDir();
  const r = await exportData(dir, 'narrow', 'Narrow#1');
  assert.equal(r.code, 3, r.stderr);
  const expected = [
    /binlog_format is MIXED, changes need ROW: SET GLOBAL binlog_format = 'ROW'/,
    /binlog_row_image is MINIMAL, .*SET GLOBAL binlog_row_image = 'FULL'/,
    /binlog_row_metadata is NO_LOG, .*SET GLOBAL binlog_row_metadata = 'FULL'/,
    /binary logs are kept only 3600 s, .*SET GLOBAL binlog_expire_logs_seconds = 604800/,
    /GRANT REPLICATION SLAVE ON \*\.\* TO 'narrow'@'%'/,
    /GRANT REPLICATION CLIENT ON \*\.\* TO 'narrow'@'%'/,
    /table \S+\.keyless has no primary key/,
    /table \S+\.old_engine uses the MyISAM storage engine/,
  ];
  for (const re of expected) assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /Narrow#1/, 'the password is not in the message');
  const files = fs.readdirSync(path.join(dir, 'data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  assert.deepEqual(files.map((f) => f.name), [], 'no snapshot or queue file');
});

test('fixed as the messages say, the same server passes', async () => {
  for (const sql of ["SET GLOBAL binlog_format = 'ROW'", "SET GLOBAL binlog_row_image = 'FULL'", "SET GLOBAL binlog_row_metadata = 'FULL'", 'SET GLOBAL binlog_expire_logs_seconds = 604800',
    "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'narrow'@'%'"]) await server.query(sql);
  const dir = exportDir();
  const r = await exportData(dir, 'narrow', 'Narrow#1', ['--exclude-table-list', 'keyless,old_engine', '--export-type', 'snapshot-only']);
  assert.equal(r.code, 0, r.stderr);
});

test('a server as MariaDB ships (binlog off, MIXED format, no row metadata): every problem at once, not only the binlog',
  { skip: process.env.YBV_TEST_MYSQL_ADMIN_URL ? 'needs a private server started with the binlog off' : false }, async () => {
  const plain = await MariaDbServer.start({ extraArgs: ['--skip-log-bin', '--binlog-format=MIXED', '--binlog-row-metadata=NO_LOG'] });
  try {
    const pdb = await plain.createDatabase('plain');
    await plain.query('CREATE TABLE t (id int PRIMARY KEY)', [], pdb);
    await plain.query("CREATE USER IF NOT EXISTS 'narrow'@'%' IDENTIFIED BY 'Narrow#1'", []);
    await plain.query(`GRANT SELECT ON \`${pdb}\`.* TO 'narrow'@'%'`, []);
    const flags = plain.flags(pdb).map((f) => (f === 'ybvoyager' ? 'narrow' : f));
    const r = await runCli(['export', 'data', 'from', 'source', '--export-dir', exportDir(), ...flags, '--export-type', 'snapshot-and-changes', '--disable-pb', 'true', '--yes'],
      { env: { SOURCE_DB_PASSWORD: 'Narrow#1' } });
    assert.equal(r.code, 3, r.stderr);
    for (const re of [
      /the binary log is off \(log_bin = OFF\): add log-bin=mysql-bin and server-id=<unique number> under \[mysqld\]/,
      /binlog_format is MIXED, changes need ROW: .*binlog-format=ROW under \[mysqld\]/,
      /binlog_row_metadata is NO_LOG, .*binlog-row-metadata=FULL under \[mysqld\]/,
      /GRANT REPLICATION SLAVE ON \*\.\* TO 'narrow'@'%'/,
      /GRANT REPLICATION CLIENT ON \*\.\* TO 'narrow'@'%'/,
    ]) assert.match(r.stderr, re);
  } finally {
    await plain.stop();
  }
});

test('a resume whose binlog file was purged stops with what was lost and what to do', async () => {
  const dir = exportDir();
  const args = ['export', 'data', 'from', 'source', '--export-dir', dir, ...server.flags(db), '--export-type', 'snapshot-and-changes', '--exclude-table-list', 'keyless,old_engine', '--disable-pb', 'true', '--yes'];
  const env = { SOURCE_DB_PASSWORD: MYSQL_MIGRATION_PASSWORD };
  const first = startCli(args, { env });
  await first.waitForLine(/streaming changes/, { timeoutMs: 120_000 });
  assert.equal((await first.stop('SIGINT')).code, 0);
  // The server keeps a file its dump thread still reads: wait until the stopped reader's thread is gone.
  await waitUntil(async () => (await server.query<unknown[]>("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")).length === 0);
  await server.query('FLUSH BINARY LOGS');
  const [{ Log_name: newest }] = (await server.query<{ Log_name: string }[]>('SHOW BINARY LOGS')).slice(-1);
  // MariaDB keeps a file until its binlog checkpoint (InnoDB's flush) has passed it: purge until it is gone.
  await waitUntil(async () => {
    await server.query(`PURGE BINARY LOGS TO '${newest}'`);
    return (await server.query<{ Log_name: string }[]>('SHOW BINARY LOGS')).every((f) => f.Log_name === newest);
  });
  const again = await runCli(args, { env });
  assert.equal(again.code, 3, again.stderr);
  assert.match(again.stderr, /binary log file \S+, where this migration's change stream goes on, is no longer on the source .*--start-clean true/);
});

async function waitUntil(cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((r) => setTimeout(r, 50));
  }
}
