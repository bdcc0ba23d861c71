/**
 * The CLI as a user meets it, spawned as a real process: help for every command, usage errors, the export
 * dir (log file, lock), passwords (flag, env, config, no terminal) that never reach a file, and one-line
 * connection errors with the exit codes of src/infra/errors.ts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.js';
import { allOptions } from '../../src/cli/resolve.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { EXIT_CODES } from '../../src/infra/errors.js';
import { MAIN_JS, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';

const tempDirs: string[] = [];
function newExportDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-'));
  tempDirs.push(d);
  return d;
}
after(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The user sees exactly one line on stderr, and nothing of it is a stack trace. */
function oneLineError(r: CliResult, code: number): string {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^Error: /);
  return lines[0];
}

/** Every file under dir, recursively (meta.db, its WAL, logs, lock files…). */
function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

function assertNoBytes(dir: string, secret: string, extra: string[] = []): void {
  const needle = Buffer.from(secret);
  for (const f of allFiles(dir)) assert.equal(fs.readFileSync(f).indexOf(needle), -1, `the password is in ${f}`);
  for (const text of extra) assert.ok(!text.includes(secret), 'the password is in the console output');
}

describe('help and usage', () => {
  test('--help of every command exits 0 and lists every flag it takes', async () => {
    const results = await Promise.all(COMMANDS.map((c) => runCli([...c.words, '--help'])));
    for (const [i, c] of COMMANDS.entries()) {
      const r = results[i];
      assert.equal(r.code, 0, `${c.words.join(' ')} --help: ${r.stderr}`);
      for (const o of allOptions(c).filter((x) => !x.hidden)) assert.ok(r.stdout.includes(`--${o.name}`), `${c.words.join(' ')} --help lists --${o.name}`);
    }
  });

  test('top-level help lists every command; --version prints the version', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.ok(r.stdout.includes(c.words.join(' ')), c.words.join(' '));
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^yb-voyager \d+\.\d+\.\d+/);
  });

  test('every command of the spec is implemented (none answers "not implemented yet")', () => {
    assert.deepEqual(COMMANDS.filter((c) => !c.load).map((c) => c.words.join(' ')), []);
  });

  test('missing --export-dir names the fix', async () => {
    const line = oneLineError(await runCli(['cutover', 'status']), EXIT_CODES.usage);
    assert.match(line, /--export-dir is missing/);
    assert.match(line, /mkdir/);
  });

  test('an export dir that does not exist', async () => {
    const missing = path.join(newExportDir(), 'nope');
    const line = oneLineError(await runCli(['cutover', 'status', '-e', missing]), EXIT_CODES.usage);
    assert.ok(line.includes(`export directory ${missing} does not exist`), line);
    assert.ok(line.includes(`mkdir -p ${missing}`), line);
    assert.equal(fs.existsSync(missing), false, 'not created behind the user\'s back');
  });

  test('a bad boolean value names the flag and the accepted values', async () => {
    const line = oneLineError(await runCli(['initiate', 'cutover', 'to', 'target', '-e', newExportDir(), '--prepare-for-fall-back', 'maybe']), EXIT_CODES.usage);
    assert.match(line, /"maybe" for --prepare-for-fall-back/);
    assert.match(line, /true\|false\|yes\|no\|1\|0/);
  });

  test('an unknown flag, with a suggestion, on one line', async () => {
    const line = oneLineError(await runCli(['cutover', 'status', '--export-dri', newExportDir()]), EXIT_CODES.usage);
    assert.match(line, /unknown option '--export-dri'/);
    assert.match(line, /--export-dir/);
  });

  test('partial command words', async () => {
    const line = oneLineError(await runCli(['export', '-e', newExportDir()]), EXIT_CODES.usage);
    assert.match(line, /'export' needs more words/);
  });

  test('a config file with unknown keys: every one reported, nothing run', async () => {
    const dir = newExportDir();
    const cfg = path.join(dir, 'config.yaml');
    fs.writeFileSync(cfg, `export-dir: ${dir}\nlog-levle: info\nsource:\n  db-hots: h\nexport-shema:\n  x: 1\n`);
    const line = oneLineError(await runCli(['cutover', 'status', '-c', cfg]), EXIT_CODES.usage);
    for (const k of ["'log-levle'", "'source.db-hots'", "'export-shema'"]) assert.ok(line.includes(k), `${k} in ${line}`);
    assert.equal(fs.existsSync(path.join(dir, 'logs')), false, 'the export dir was not touched');
  });

  test('the config file can give the export dir; the flag wins over it', async () => {
    const fromConfig = newExportDir();
    const fromFlag = newExportDir();
    const cfg = path.join(fromConfig, 'config.yaml');
    fs.writeFileSync(cfg, `export-dir: ${fromConfig}\n`);
    assert.equal((await runCli(['cutover', 'status', '-c', cfg])).code, 0);
    assert.ok(fs.existsSync(new ExportDir(fromConfig).logFile('cutover-status')));
    assert.equal((await runCli(['cutover', 'status', '-c', cfg, '-e', fromFlag])).code, 0);
    assert.ok(fs.existsSync(new ExportDir(fromFlag).logFile('cutover-status')));
  });

  test('stack traces only with --log-level debug', async () => {
    const missing = path.join(newExportDir(), 'nope');
    const plain = await runCli(['cutover', 'status', '-e', missing]);
    assert.doesNotMatch(plain.stderr, /\n\s+at /);
    const debug = await runCli(['cutover', 'status', '-e', missing, '--log-level', 'debug']);
    assert.equal(debug.code, EXIT_CODES.usage);
    assert.match(debug.stderr, /\n\s+at /);
  });
});

describe('export dir', () => {
  test('first use creates the layout, meta.db with a migration UUID, and a log file for the command', async () => {
    const dir = newExportDir();
    const r = await runCli(['cutover', 'status', '-e', dir]);
    assert.equal(r.code, 0, r.stderr);
    for (const sub of ['schema', 'data', 'reports', 'metainfo', 'logs', 'temp']) assert.ok(fs.statSync(path.join(dir, sub)).isDirectory(), sub);
    const ed = new ExportDir(dir);
    assert.ok(fs.existsSync(ed.stateDb));
    const log = fs.readFileSync(ed.logFile('cutover-status'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.match(log[0].msg, /cutover status/);
    assert.equal(log.at(-1).msg, 'command finished');
    // A second command writes its own log file next to the first.
    await runCli(['initiate', 'cutover', 'to', 'target', '-e', dir, '--prepare-for-fall-back', 'false']);
    assert.ok(fs.existsSync(ed.logFile('initiate-cutover-to-target')));
  });

  test('a second instance of a command on the same export dir is refused, naming the running pid', async () => {
    const dir = newExportDir();
    const ed = ExportDir.open(dir);
    const sleeper: ChildProcess = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(ed.lockFile('export-data-from-source'), `${sleeper.pid}\n`);
      const line = oneLineError(await runCli(['export', 'data', '-e', dir, '--source-db-type', 'postgresql']), EXIT_CODES.conflict);
      assert.match(line, new RegExp(`another 'export data from source' \\(pid ${sleeper.pid}\\) is already running`));
      assert.equal(fs.readFileSync(ed.lockFile('export-data-from-source'), 'utf8').trim(), String(sleeper.pid), 'the lock is left alone');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test('a lock left by a process that died is taken over', async () => {
    const dir = newExportDir();
    const ed = ExportDir.open(dir);
    const dead = spawn('true', { stdio: 'ignore' });
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(ed.lockFile('initiate-cutover-to-target'), `${dead.pid}\n`);
    const r = await runCli(['initiate', 'cutover', 'to', 'target', '-e', dir, '--prepare-for-fall-back', 'true']);
    assert.doesNotMatch(r.stderr, /already running/);
    assert.equal(fs.existsSync(ed.lockFile('initiate-cutover-to-target')), false, 'released at exit');
  });
});

describe('passwords and connection errors (real PostgreSQL)', () => {
  let cluster: PgCluster;
  let db: string;
  before(async () => {
    cluster = await PgCluster.start();
    db = await cluster.createDatabase('e2e');
    await cluster.query('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, $$a$$), (2, $$b$$)', [], db);
  });
  after(async () => { await cluster?.stop(); });

  const exportArgs = (dir: string, database = db) => ['export', 'data', 'from', 'source', '-e', dir, ...cluster.flags('source', database), '--source-db-schema', 'public', '--disable-pb', 'true'];

  test('no password and no terminal: one line naming both ways to give it', async () => {
    const line = oneLineError(await runCli(exportArgs(newExportDir()), { input: '' }), EXIT_CODES.usage);
    assert.match(line, /no source database password given and no terminal to ask for one/);
    assert.match(line, /--source-db-password/);
    assert.match(line, /SOURCE_DB_PASSWORD/);
  });

  test('a password from the environment never reaches the log, meta.db or the console', async () => {
    const dir = newExportDir();
    const r = await runCli([...exportArgs(dir), '--log-level', 'trace'], { env: { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD } });
    const log = fs.readFileSync(new ExportDir(dir).logFile('export-data-from-source'), 'utf8');
    assert.match(log, /"source-db-password":"\*\*\* \(env\)"/, 'the log says where the password came from, masked');
    assert.ok(fs.existsSync(new ExportDir(dir).stateDb));
    assertNoBytes(dir, MIGRATION_PASSWORD, [r.stdout, r.stderr]);
  });

  test('a password from the config file never reaches the log, meta.db or the console', async () => {
    const dir = newExportDir();
    const cfg = path.join(os.tmpdir(), `ybv-e2e-cfg-${process.pid}.yaml`);
    tempDirs.push(cfg);
    fs.writeFileSync(cfg, `source:\n  db-password: '${MIGRATION_PASSWORD}'\n`);
    const r = await runCli([...exportArgs(dir), '-c', cfg, '--log-level', 'trace']);
    const log = fs.readFileSync(new ExportDir(dir).logFile('export-data-from-source'), 'utf8');
    assert.match(log, /"source-db-password":"\*\*\* \(config\)"/);
    assertNoBytes(dir, MIGRATION_PASSWORD, [r.stdout, r.stderr]);
  });

  test('a password on the command line, on a failing run (unknown database), never reaches a file', async () => {
    const dir = newExportDir();
    const r = await runCli([...exportArgs(dir, 'no_such_db'), '--source-db-password', MIGRATION_PASSWORD, '--log-level', 'debug']);
    assert.equal(r.code, EXIT_CODES['not-found'], r.stderr);
    assert.match(r.stderr, /database 'no_such_db' does not exist/);
    assert.match(r.stderr, /--source-db-name/);
    assertNoBytes(dir, MIGRATION_PASSWORD, [r.stdout, r.stderr]);
  });

  /** Run the CLI on a pseudo-terminal (util-linux `script`), type `typed` at the password prompt. */
  async function runOnTerminal(argv: string[], typed: string): Promise<{ code: number | null; out: string; prompted: boolean }> {
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const env = { ...process.env };
    delete env.SOURCE_DB_PASSWORD;
    delete env.NODE_TEST_CONTEXT;
    const child = spawn('script', ['-qec', [process.execPath, MAIN_JS, ...argv].map(quote).join(' '), '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let prompted = false;
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!prompted && out.includes('Password to connect to the source database: ')) {
        prompted = true;
        child.stdin!.write(`${typed}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    return { code, out, prompted };
  }

  const hasScript = spawnSync('script', ['--version']).status === 0;

  test('on a terminal: a no-echo prompt, and the typed password is the one used', { skip: !hasScript && 'no util-linux script' }, async () => {
    // The unknown database is reported only after a successful login: it proves the typed password worked.
    const dir = newExportDir();
    const right = await runOnTerminal(exportArgs(dir, 'no_such_db'), MIGRATION_PASSWORD);
    assert.ok(right.prompted, right.out);
    assert.equal(right.code, EXIT_CODES['not-found'], right.out);
    assert.match(right.out, /database 'no_such_db' does not exist/);
    assert.ok(!right.out.includes(MIGRATION_PASSWORD), 'not echoed');
    assertNoBytes(dir, MIGRATION_PASSWORD);
    const wrong = await runOnTerminal(exportArgs(newExportDir(), 'no_such_db'), 'typed-wrong');
    assert.equal(wrong.code, EXIT_CODES.auth, wrong.out);
    assert.ok(!wrong.out.includes('typed-wrong'), 'not echoed');
  });

  test('a running command holds its lock: a second instance is refused naming its pid; after kill -9 the lock is stale', async () => {
    const dir = newExportDir();
    const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD };
    const first = startCli([...exportArgs(dir), '--export-type', 'snapshot-and-changes'], { env });
    try {
      await first.waitForLine(/streaming changes/, { stream: 'stdout' });
      const line = oneLineError(await runCli(exportArgs(dir), { env }), EXIT_CODES.conflict);
      assert.ok(line.includes(`(pid ${first.pid}) is already running`), line);
    } finally {
      await first.kill9();
    }
    const lockFile = new ExportDir(dir).lockFile('export-data-from-source');
    assert.equal(fs.readFileSync(lockFile, 'utf8').split(/\s/)[0], String(first.pid), 'kill -9 leaves the lock file behind');
  });

  test('wrong password: one line naming the password flag and variable', async () => {
    const dir = newExportDir();
    const line = oneLineError(await runCli(exportArgs(dir), { env: { SOURCE_DB_PASSWORD: 'not-the-password' } }), EXIT_CODES.auth);
    assert.match(line, /password authentication failed for user 'ybvoyager'/);
    assert.match(line, /--source-db-password/);
    assertNoBytes(dir, 'not-the-password');
  });

  test('wrong password on a live export of a complete snapshot: one failed login, not one per start-up check', async () => {
    const dir = newExportDir();
    const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD };
    const live = [...exportArgs(dir), '--export-type', 'snapshot-and-changes'];
    const first = startCli(live, { env });
    try {
      await first.waitForLine(/streaming changes/, { stream: 'stdout' }); // the snapshot is complete from here on
    } finally {
      await first.stop('SIGINT');
    }
    const failures = () => (cluster.serverLog().match(/password authentication failed for user "ybvoyager"/g) ?? []).length;
    const before = failures();
    const line = oneLineError(await runCli(live, { env: { SOURCE_DB_PASSWORD: 'not-the-password' } }), EXIT_CODES.auth);
    assert.match(line, /password authentication failed for user 'ybvoyager'/);
    assert.equal(failures() - before, 1, 'the checks after the first wait for it to get in');
  });

  test('nothing listening on the port: one line naming host and port flags', async () => {
    const args = exportArgs(newExportDir());
    args[args.indexOf('--source-db-port') + 1] = '1';
    const line = oneLineError(await runCli(args, { env: { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD } }), EXIT_CODES.connect);
    assert.match(line, /connection refused/);
    assert.match(line, /--source-db-host and --source-db-port/);
  });
});
