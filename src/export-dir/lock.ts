/**
 * One running instance per command per export dir. The lock file holds `<pid> <start-time>`; a lock whose
 * process is gone (kill -9, reboot) is stale and taken over. The start time (from /proc on Linux) tells a
 * live owner from an unrelated process that got the same pid after a reboot; a file with a pid alone
 * (older versions, hand-made) is judged by the pid.
 *
 * Created atomically with its owner inside (link(2) fails if it exists) so two starters cannot both win; a
 * stale lock is removed only under a takeover mutex (see removeStale), so a racing starter never deletes the
 * fresh lock of another.
 */
import fs from 'node:fs';
import { UserError, VoyagerError } from '../infra/errors.js';

export interface Lock {
  release(): void;
}

/** The lock files this process holds: process-wide truth, as the locks themselves are. */
const held = new Set<string>();

/**
 * A long-running process must not outlive its migration: once its export dir or lock file is gone (end
 * migration, the directory deleted) or names another process, it stops instead of polling forever.
 */
export function assertLocksHeld(): void {
  for (const file of held) {
    const owner = readLockPid(file);
    if (owner === process.pid) continue;
    throw new UserError(
      owner === undefined ? `the lock file ${file} is gone (the export dir was removed, or end migration ran)` : `the lock file ${file} now belongs to pid ${owner}`,
      'this process stops: the migration it worked for no longer runs here; start a new migration with a new --export-dir if needed',
      'conflict',
    );
  }
}

/**
 * What a failed process reports: an unexpected error (not one of ours, such as a file of the export dir not found)
 * in a process whose lock is gone comes from the dir removed under it, and that is the reason to give
 * (assertLocksHeld's error); any other error is itself.
 */
export function lockLossInstead(err: unknown): unknown {
  if (err instanceof VoyagerError) return err;
  try {
    assertLocksHeld();
  } catch (lost) {
    return lost;
  }
  return err;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kernel start time of a process (clock ticks since boot), or undefined where /proc is unavailable. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall
  } catch {
    return undefined;
  }
}

interface LockOwner {
  pid: number;
  startTime?: string;
}

function parseOwner(text: string): LockOwner | undefined {
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 ? { pid, startTime } : undefined;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return parseOwner(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Give up a lock this process holds by its file (a process that goes on as another command). */
export function releaseLockFile(file: string): void {
  held.delete(file);
  if (readLockPid(file) === process.pid) fs.rmSync(file, { force: true });
}

export function readLockPid(file: string): number | undefined {
  return readOwner(file)?.pid;
}

function ownerAlive(o: LockOwner): boolean {
  if (!pidAlive(o.pid)) return false;
  if (!o.startTime) return true;
  const now = processStartTime(o.pid);
  return now === undefined || now === o.startTime;
}

export function acquireLock(file: string, commandLabel: string): Lock {
  const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`.trim() + '\n';
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      createWithContent(file, me);
      held.add(file);
      return {
        release: () => releaseLockFile(file),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      // No owner in it: written by an older version between create and write, or damaged. Only once it has
      // stayed so for a while is it stale; before that its creator may still be writing.
      if (owner === undefined && ageMs(file) < EMPTY_LOCK_GRACE_MS) {
        sleepSync(50);
        continue;
      }
      if (owner && owner.pid !== process.pid && ownerAlive(owner)) throw alreadyRunning(commandLabel, owner.pid);
      if (!removeStale(file, owner)) sleepSync(20);
    }
  }
  throw new UserError(`could not take the lock ${file}`, 'remove the file if no yb-voyager process is running', 'conflict');
}

/** A lock file without an owner is taken for stale only after this long. */
const EMPTY_LOCK_GRACE_MS = 2000;

/**
 * Create `file` holding `content`, or fail with EEXIST: written to a private name first and hard-linked into
 * place, so the lock never exists without its owner in it (a reader under load could otherwise find it empty
 * and take it for stale).
 */
function createWithContent(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.new`;
  fs.writeFileSync(tmp, content, { mode: 0o644 });
  try {
    fs.linkSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Remove a stale lock while holding `<file>.takeover` (O_EXCL), after checking under it that the lock still
 * names the dead owner: without this, two starters could both see the same stale lock and one could delete
 * the fresh lock the other just created. Returns false when another process is taking over right now.
 */
function removeStale(file: string, seen: LockOwner | undefined): boolean {
  const mutex = `${file}.takeover`;
  try {
    fs.writeFileSync(mutex, `${process.pid}\n`, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const taker = readOwner(mutex);
    // A taker that died inside this tiny window leaves its mutex behind; nobody else would ever remove it.
    // (An empty mutex is a taker between create and write, unless it has been empty for a while.)
    if (taker ? !pidAlive(taker.pid) : ageMs(mutex) > 2000) fs.rmSync(mutex, { force: true });
    return false;
  }
  try {
    const now = readOwner(file);
    const unchanged = seen === undefined ? now === undefined && ageMs(file) >= EMPTY_LOCK_GRACE_MS : now?.pid === seen.pid && now?.startTime === seen.startTime;
    if (unchanged) fs.rmSync(file, { force: true });
    return true;
  } finally {
    fs.rmSync(mutex, { force: true });
  }
}

function alreadyRunning(commandLabel: string, pid: number): UserError {
  return new UserError(
    `another '${commandLabel}' (pid ${pid}) is already running on this export dir`,
    `wait for it to finish or stop it (kill ${pid}) before starting another`,
    'conflict',
  );
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
