/**
 * One running instance per command per export dir. The lock file holds the pid; a lock whose pid is gone
 * (kill -9, reboot) is stale and taken over. Created with O_EXCL so two starters cannot both win.
 */
import fs from 'node:fs';
import { UserError } from '../infra/errors.js';

export interface Lock {
  release(): void;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function acquireLock(file: string, commandLabel: string): Lock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return {
        release() {
          if (readLockPid(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = readLockPid(file);
      if (pid !== undefined && pid !== process.pid && pidAlive(pid)) {
        throw new UserError(
          `another '${commandLabel}' (pid ${pid}) is already running on this export dir`,
          `wait for it to finish or stop it (kill ${pid}) before starting another`,
          'conflict',
        );
      }
      // Stale: the owner died. Remove and retry; O_EXCL settles a race with another starter.
      fs.rmSync(file, { force: true });
    }
  }
  throw new UserError(`could not take the lock ${file}`, 'remove the file if no yb-voyager process is running', 'conflict');
}
