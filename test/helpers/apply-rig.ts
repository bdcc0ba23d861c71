/**
 * A change queue in a temporary export dir plus a target database, for tests of the change applier:
 * push events (as the exporter would, through QueueWriter), then drain them into the target with the
 * real workflow. `drain()` appends a cutover marker and runs until the applier reaches it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { ConnSettings } from '../../src/core/connection.js';
import type { Output } from '../../src/workflows/ports.js';
import type { GroupLimits } from '../../src/core/apply-batching.js';
import type { QueueEvent } from '../../src/core/change-event.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { QueueWriter } from '../../src/export-dir/queue.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import type { Logger } from '../../src/infra/logger.js';
import { runChangeApply, TO_TARGET, type ApplyResult } from '../../src/workflows/apply-changes.js';
import { MIGRATION_PASSWORD, type PgCluster } from './pg-cluster.js';
import { postgresEngine } from '../../src/adapters/postgres/engine.js';
import { renderMetrics } from '../../src/cli/render/output.js';

export type NewQueueEvent = QueueEvent extends infer E ? (E extends { vsn: number } ? Omit<E, 'vsn'> : never) : never;

export class CapturedOutput implements Output {
  readonly isTTY = false;
  lines: string[] = [];
  blocks: string[] = [];
  line(text = '') {
    this.lines.push(text);
  }
  warn(text: string) {
    this.lines.push(`WARNING: ${text}`);
  }
  metrics(kind: 'export' | 'import', rows: readonly (readonly [string, string])[]) {
    this.blocks.push(renderMetrics(kind, rows));
  }
}

/** Keeps every message (info and above) so tests can see which path the applier took. */
export function capturingLogger(into: string[]): Logger {
  const keep = (m: string) => void into.push(m);
  return { level: 'info', trace() {}, debug() {}, info: keep, warn: keep, error: keep, close() {} };
}

export class ApplyRig {
  readonly out = new CapturedOutput();
  readonly logged: string[] = [];
  private writer: QueueWriter;

  private constructor(
    readonly cluster: PgCluster,
    readonly db: string,
    readonly root: string,
    readonly dir: ExportDir,
    readonly state: StateStore,
  ) {
    this.writer = QueueWriter.open(dir, state, 'source_db_exporter', 64 * 1024);
  }

  static async create(cluster: PgCluster, db?: string): Promise<ApplyRig> {
    const name = db ?? (await cluster.createDatabase('tgt'));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-apply-'));
    const dir = ExportDir.open(root);
    const state = StateStore.open(dir.stateDb);
    return new ApplyRig(cluster, name, root, dir, state);
  }

  get settings(): ConnSettings {
    return this.cluster.settings(this.db, 'target');
  }

  async sql<T extends pg.QueryResultRow = Record<string, string>>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.cluster.query<T>(text, params, this.db)).rows;
  }

  /** Append events as the exporter does: the queue commits at each commit event. */
  push(events: readonly NewQueueEvent[]): number {
    let last = 0;
    for (const e of events) {
      last = this.writer.append(e);
      if (e.op === 'commit' || e.op === 'cutover.target' || e.op === 'cutover.source') this.writer.commit(e.op === 'commit' ? e.pos : undefined);
    }
    this.writer.commit();
    return last;
  }

  /** Apply everything pushed so far, through the workflow; stops at an appended marker. */
  async drain(limits?: GroupLimits): Promise<ApplyResult> {
    this.push([{ op: 'cutover.target' }]);
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 60_000);
    try {
      const r = await runChangeApply(
        { db: { engine: postgresEngine, conn: { settings: this.settings, secret: { password: MIGRATION_PASSWORD } } }, state: this.state, exportDir: this.dir, log: capturingLogger(this.logged), out: this.out, onMarker: async () => 'stop' },
        TO_TARGET,
        ac.signal,
        { limits, metricsIntervalMs: 60_000 },
      );
      if (r.stoppedBy !== 'marker') throw new Error(`drain did not reach the marker (stopped by ${r.stoppedBy})`);
      return r;
    } finally {
      clearTimeout(guard);
    }
  }

  close(): void {
    this.writer.close();
    this.state.close();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export const c = (table: string, after: Record<string, string | null>, keyCols = ['id'], schema = 'public'): NewQueueEvent => ({
  op: 'c', schema, table, key: Object.fromEntries(keyCols.map((k) => [k, after[k]])), after,
});
export const u = (table: string, key: Record<string, string | null>, after: Record<string, string | null>, schema = 'public'): NewQueueEvent => ({
  op: 'u', schema, table, key, after,
});
export const d = (table: string, key: Record<string, string | null>, schema = 'public'): NewQueueEvent => ({ op: 'd', schema, table, key });
export const commit = (): NewQueueEvent => ({ op: 'commit', pos: '0/0' });
