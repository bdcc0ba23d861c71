/**
 * The queue writer tells readers that it committed, so a caught-up reader wakes at once instead of at its next
 * poll: the writer rewrites one byte of metainfo/queue-commits.signal after each durable commit, and a reader
 * watches the file (inotify on Linux). Only a wake-up: what was committed is still read from meta.db, and a
 * reader still polls (where the file system sends no events, a network file system say, polling is all there is).
 */
import fs from 'node:fs';
import type { ExportDir } from './layout.js';

const BYTE = Buffer.from('c');

export class CommitNotifier {
  private fd: number | undefined;

  constructor(dir: ExportDir) {
    try {
      this.fd = fs.openSync(dir.queueSignalFile, 'w');
    } catch {
      this.fd = undefined; // readers poll
    }
  }

  /** After a commit is durable and recorded. Best effort: a reader that misses it polls. */
  notify(): void {
    if (this.fd === undefined) return;
    try {
      fs.writeSync(this.fd, BYTE, 0, 1, 0);
    } catch {
      this.close();
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

export class CommitWatch {
  private watcher: fs.FSWatcher | undefined;
  /** A commit was signalled since the last wait: the next wait returns at once (no wake-up is lost between a
   * reader's look at meta.db and its wait). */
  private signalled = false;
  private wake: (() => void) | undefined;

  constructor(dir: ExportDir) {
    const file = dir.queueSignalFile;
    try {
      fs.closeSync(fs.openSync(file, 'a')); // the writer may not have started yet
      this.watcher = fs.watch(file, { persistent: false }, () => this.fire());
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = undefined;
    }
  }

  private fire(): void {
    this.signalled = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Resolves at the next signalled commit (or one signalled since the last wait), after `ms`, or on abort. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.signalled || signal.aborted) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        this.signalled = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
