/** The per-command lock: a live owner refuses a second instance by pid; a dead owner's lock is taken over. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { acquireLock, assertLocksHeld, lockLossInstead, processStartTime, readLockPid, releaseLockFile } from '../../src/export-dir/lock.js';
import { UserError } from '../../src/infra/errors.js';

let dir: string;
let sleeper: ChildProcess;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-lock-'));
  sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
});
after(() => {
  sleeper.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const file = (name: string) => path.join(dir, name);

/** A pid that certainly belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

test('acquire writes our pid; release removes the file', () => {
  const f = file('a.lck');
  const lock = acquireLock(f, 'export schema');
  assert.equal(readLockPid(f), process.pid);
  lock.release();
  assert.equal(fs.existsSync(f), false);
});

test('a lock held by a live process is refused, naming its pid and how to stop it', () => {
  const f = file('b.lck');
  fs.writeFileSync(f, `${sleeper.pid}\n`);
  assert.throws(
    () => acquireLock(f, 'export data from source'),
    (e: unknown) =>
      e instanceof UserError &&
      e.kind === 'conflict' &&
      e.message.includes(`another 'export data from source' (pid ${sleeper.pid}) is already running`) &&
      e.oneLine().includes(`kill ${sleeper.pid}`),
  );
  assert.equal(readLockPid(f), sleeper.pid, 'the owner keeps its lock');
});

test('a live owner recorded with its start time is still refused', () => {
  const f = file('b2.lck');
  const start = processStartTime(sleeper.pid!);
  fs.writeFileSync(f, `${sleeper.pid} ${start ?? ''}\n`);
  assert.throws(() => acquireLock(f, 'import data'), /already running/);
});

test('a lock whose process is gone (kill -9) is taken over', async () => {
  const f = file('c.lck');
  fs.writeFileSync(f, `${await deadPid()}\n`);
  const lock = acquireLock(f, 'export schema');
  assert.equal(readLockPid(f), process.pid);
  lock.release();
});

test('a pid reused by another process after a reboot (start time differs) is stale', { skip: processStartTime(process.pid) === undefined && 'no /proc' }, () => {
  const f = file('d.lck');
  fs.writeFileSync(f, `${sleeper.pid} 1\n`);
  const lock = acquireLock(f, 'export schema');
  assert.equal(readLockPid(f), process.pid);
  lock.release();
});

test('an empty or garbled lock file is taken over', () => {
  for (const content of ['', 'garbage\n']) {
    const f = file('e.lck');
    fs.writeFileSync(f, content);
    acquireLock(f, 'export schema').release();
  }
});

test('release does not remove a lock someone else took over', () => {
  const f = file('f.lck');
  const lock = acquireLock(f, 'export schema');
  fs.writeFileSync(f, `${sleeper.pid}\n`);
  lock.release();
  assert.equal(readLockPid(f), sleeper.pid);
});

test('several processes racing for one stale lock: exactly one wins', async () => {
  const f = file('race.lck');
  fs.writeFileSync(f, `${await deadPid()}\n`);
  const lockModule = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/export-dir/lock.js');
  // Each child tries once and reports; a winner holds the lock until we close its stdin.
  const script = `
    const { acquireLock } = await import(${JSON.stringify(lockModule)});
    try { const l = acquireLock(${JSON.stringify(f)}, 'x'); process.stdout.write('won\\n');
      process.stdin.resume(); process.stdin.on('end', () => { l.release(); process.exit(0); }); }
    catch (e) { process.stdout.write(/already running/.test(e.message) ? 'refused\\n' : 'error ' + e.message + '\\n'); process.exit(0); }`;
  const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const reports = await Promise.all(
    children.map(
      (c) =>
        new Promise<string>((resolve) => {
          let out = '';
          c.stdout!.on('data', (d) => {
            out += d;
            if (out.includes('\n')) resolve(out.trim());
          });
          c.once('exit', () => resolve(out.trim()));
        }),
    ),
  );
  for (const c of children) c.stdin!.end();
  await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  assert.equal(reports.filter((r) => r === 'won').length, 1, reports.join(','));
  assert.equal(reports.filter((r) => r === 'refused').length, children.length - 1, reports.join(','));
});

test('a process whose lock file vanished or changed owner is told to stop; a lock given up no longer counts', () => {
  const file = path.join(dir, 'guard.lck');
  const lock = acquireLock(file, 'import data to target');
  assert.doesNotThrow(() => assertLocksHeld());
  fs.rmSync(file);
  assert.throws(() => assertLocksHeld(), (e: unknown) => e instanceof UserError && e.kind === 'conflict' && /lock file .*guard\.lck is gone/.test(e.message));
  fs.writeFileSync(file, `${sleeper.pid}\n`);
  assert.throws(() => assertLocksHeld(), (e: unknown) => e instanceof UserError && new RegExp(`now belongs to pid ${sleeper.pid}`).test(e.message));
  lock.release(); // someone else's file stays
  assert.equal(readLockPid(file), sleeper.pid);
  assert.doesNotThrow(() => assertLocksHeld(), 'a released lock is not watched');
  const next = acquireLock(path.join(dir, 'guard2.lck'), 'export data from source');
  releaseLockFile(path.join(dir, 'guard2.lck')); // goes on as another command
  assert.doesNotThrow(() => assertLocksHeld());
  assert.equal(fs.existsSync(path.join(dir, 'guard2.lck')), false);
  next.release();
  fs.rmSync(file);
});

test('an unexpected error of a process whose lock file is gone is reported as the lock loss; ours and others stay', () => {
  const sub = fs.mkdtempSync(path.join(dir, 'gone-'));
  const f = path.join(sub, 'export.lck');
  const lock = acquireLock(f, 'export data from source');
  const enoent = Object.assign(new Error(`ENOENT: no such file or directory, open '${sub}/meta.db-wal'`), { code: 'ENOENT' });
  const ours = new UserError('the source is unreachable', 'check the host');
  assert.equal(lockLossInstead(enoent), enoent, 'the lock is held: the error is itself');
  fs.rmSync(sub, { recursive: true, force: true });
  const reported = lockLossInstead(enoent);
  assert.ok(reported instanceof UserError);
  assert.match((reported as UserError).message, /the lock file .*export\.lck is gone/);
  assert.equal(lockLossInstead(ours), ours, 'an error of ours is already the reason');
  lock.release();
  assert.equal(lockLossInstead(enoent), enoent, 'a released lock is no longer held');
});
