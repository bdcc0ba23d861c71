/**
 * Connections fail; the migration does not. A long-running process runs its work as sessions: when a session
 * loses its connection, the process says so in one line, waits (capped exponential backoff with jitter),
 * checks that the database it reaches is still the one the migration recorded, and runs a new session,
 * which resumes from what is durable (slot position, watermark, batch records). It gives up only when the
 * database stays unreachable for --max-reconnect-time, or at once on an error no retry can cure.
 *
 * A Reconnector is made once the process has reached its database (identity, checks, first session): a
 * wrong host or password at start fails there, at once, with the fix; only what is lost later is waited for.
 */
import type { Endpoint } from '../adapters/engine.js';
import { assertLocksHeld } from '../export-dir/lock.js';
import { setProcessStatus } from '../export-dir/process-status.js';
import { sameDatabase, type StateStore } from '../export-dir/state-store.js';
import { UserError } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { RECONNECT, retryDelayMs } from '../infra/retry.js';
import { sleep } from '../infra/shutdown.js';
import type { Output } from './ports.js';

export interface ReconnectOptions {
  /** The database this process reconnects to. */
  side: 'source' | 'target';
  db: Endpoint;
  state: StateStore;
  /** The command id whose status other commands show (kv process_status). */
  commandId: string;
  /** --max-reconnect-time in ms; 0: a lost connection ends the process at once. */
  windowMs: number;
  out: Pick<Output, 'warn'>;
  log: Logger;
  signal: AbortSignal;
}

/** --max-reconnect-time's default: a restart or a failover is over well within it; an outage is not. */
export const DEFAULT_MAX_RECONNECT_SECONDS = 300;

export class Reconnector {
  private failingSince: number | undefined;
  private attempt = 0;

  constructor(private readonly o: ReconnectOptions) {}

  /** The session works (connected, or made progress): the next loss starts a new window. */
  healthy(): void {
    if (this.failingSince === undefined) return;
    this.failingSince = undefined;
    this.attempt = 0;
    this.o.log.info(`reconnected to the ${this.o.side} database`);
    this.o.out.warn(`reconnected to the ${this.o.side} database; carrying on`);
    setProcessStatus(this.o.state, this.o.commandId, undefined);
  }

  /**
   * Run `session` until it returns; a lost connection runs it again after the wait. `stopped` gives the
   * result when a signal ends a wait.
   */
  async run<T>(session: () => Promise<T>, stopped: () => T): Promise<T> {
    for (;;) {
      try {
        return await session();
      } catch (e) {
        await this.afterFailure(e);
        if (this.o.signal.aborted) return stopped();
      }
    }
  }

  /**
   * Throws when the failure is final; otherwise waits, then checks it is safe to connect again. The session
   * runs again only once that check reached the database: one that failed to reach it (down, or still
   * starting) counts as another failed attempt, or a server rebuilt meanwhile would be written to unchecked.
   */
  private async afterFailure(e: unknown): Promise<void> {
    let failure = e;
    for (;;) {
      await this.waitAfter(failure);
      try {
        await this.assertSameDatabase();
        return;
      } catch (again) {
        failure = again;
      }
    }
  }

  private async waitAfter(e: unknown): Promise<void> {
    const { side, db } = this.o;
    if (!db.engine.isConnectionLoss(e) || this.o.signal.aborted) throw e;
    const now = Date.now();
    this.failingSince ??= now;
    this.attempt++;
    const elapsed = now - this.failingSince;
    const message = (e as Error).message?.split('\n')[0] ?? String(e);
    if (elapsed >= this.o.windowMs) {
      setProcessStatus(this.o.state, this.o.commandId, undefined);
      throw new UserError(
        `lost the connection to the ${side} database and could not reconnect within ${Math.round(this.o.windowMs / 1000)} s (--max-reconnect-time): ${message}`,
        'rerun the same command once the database is reachable: it resumes where it stopped',
        'connect',
      );
    }
    const waitMs = Math.round(Math.min(retryDelayMs(RECONNECT, this.attempt), this.o.windowMs - elapsed));
    this.o.log.warn('lost the connection; reconnecting', { side, attempt: this.attempt, waitMs, err: e });
    this.o.out.warn(`lost the connection to the ${side} database (${message}): reconnecting (attempt ${this.attempt}, next in ${(waitMs / 1000).toFixed(1)} s)`);
    setProcessStatus(this.o.state, this.o.commandId, {
      pid: process.pid, state: `reconnecting to the ${side} database`, since: new Date(this.failingSince).toISOString(), attempt: this.attempt, lastError: message,
    });
    await sleep(waitMs, this.o.signal);
    assertLocksHeld();
  }

  /**
   * Never write somewhere else: a server rebuilt at the same address with the same names and credentials is
   * another database. (Unreachable still: the caller waits and checks again.)
   */
  private async assertSameDatabase(): Promise<void> {
    const recorded = this.o.state.migration()[this.o.side];
    if (!recorded || this.o.signal.aborted) return;
    const now = await this.o.db.engine.identity(this.o.db.conn);
    if (!sameDatabase(recorded, now)) {
      setProcessStatus(this.o.state, this.o.commandId, undefined);
      throw new UserError(
        `the ${this.o.side} database now reached at ${now.host}:${now.port} is not the one this migration uses (system id ${now.systemId}, database '${now.dbName}' ${now.dbOid ?? ''}; recorded: system id ${recorded.systemId}, '${recorded.dbName}' ${recorded.dbOid ?? ''})`.replace(/ \)/g, ')'),
        'nothing was written to it; if the database was restored or replaced on purpose, start a new migration with a new --export-dir',
        'conflict',
      );
    }
  }
}
