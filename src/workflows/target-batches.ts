/**
 * The snapshot import's sessions on the target, for batches: one loader per worker, each batch committed with
 * its bookkeeping row (the engine's SnapshotTarget). A lost connection is waited out (Reconnector); the worker
 * is then told to resync, because what its old session committed last may be lost with the server — the
 * target's bookkeeping, re-read, says where the file really stands.
 */
import type { BatchLoader, BatchToLoad, Endpoint, FileImportState, SnapshotTarget, SnapshotTargetAdmin } from '../adapters/engine.js';
import type { ChunkReader } from '../export-dir/chunk-reader.js';
import type { Logger } from '../infra/logger.js';
import { TRANSIENT_BATCH, withRetry } from '../infra/retry.js';
import type { Reconnector } from './reconnect.js';

export interface BatchSession {
  loader: BatchLoader;
  /** Its connection was lost: the next use opens a new one. */
  broken: boolean;
}

/** 'resync': the session was replaced; re-read what the target holds of the file before going on. */
export type BatchOutcome = 'loaded' | 'resync' | 'stopped';

export class TargetBatches {
  readonly sessions: BatchSession[] = [];

  constructor(
    private readonly bulk: SnapshotTarget,
    private readonly target: Endpoint,
    private readonly reconnect: Reconnector,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
  ) {}

  async open(n: number): Promise<BatchSession[]> {
    for (let i = 0; i < n; i++) this.sessions.push({ loader: await this.bulk.openLoader(this.target.conn), broken: false });
    this.reconnect.healthy();
    return this.sessions;
  }

  /** Load one batch of `reader` from `mark` (`rows` at most). A deadlock or serialization failure is retried as is. */
  load(session: BatchSession, batch: BatchToLoad, reader: ChunkReader, mark: ReturnType<ChunkReader['mark']>, rows: number): Promise<BatchOutcome> {
    return this.reconnect.run<BatchOutcome>(async () => {
      if (session.broken) {
        session.loader = await this.bulk.openLoader(this.target.conn);
        session.broken = false;
        return 'resync';
      }
      try {
        await withRetry(async () => {
          reader.rewind(mark);
          await session.loader.load(batch, reader.batch(rows));
        }, {
          policy: TRANSIENT_BATCH,
          retryable: (e) => this.target.engine.isTransient(e) && !this.target.engine.isConnectionLoss(e),
          signal: this.signal,
          onRetry: (ev) => this.log.warn('batch failed; retrying', { file: batch.fileName, batch: batch.batchNumber, attempt: ev.attempt, waitMs: Math.round(ev.delayMs), err: ev.error }),
        });
      } catch (e) {
        session.broken = true;
        void session.loader.close();
        throw e;
      }
      this.reconnect.healthy();
      return 'loaded';
    }, () => 'stopped');
  }

  /** What the target holds now, per file; undefined when a signal stopped the wait for the target. */
  held(migrationUuid: string): Promise<Map<string, FileImportState> | undefined> {
    return this.withAdmin((admin) => admin.importedByFile(migrationUuid), () => undefined);
  }

  /** `fn` on a new admin session, run again on another after a lost connection; `stopped` when a signal ends the wait. */
  withAdmin<T>(fn: (admin: SnapshotTargetAdmin) => Promise<T>, stopped: () => T): Promise<T> {
    return this.reconnect.run(async () => {
      const admin = await this.bulk.open(this.target.conn);
      try {
        return await fn(admin);
      } finally {
        await admin.close();
      }
    }, stopped);
  }

  async close(): Promise<void> {
    for (const s of this.sessions) await s.loader.close();
  }
}
