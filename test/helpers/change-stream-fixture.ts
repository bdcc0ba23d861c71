/**
 * A source database ready for change streaming, without the snapshot: tables created from DDL, the
 * publication (publish_via_partition_root) and the logical slot created here, and the records the
 * snapshot would leave in meta.db (kv 'capture', kv 'export_data' with the table list and keys).
 * Plus readers for what the exporter wrote to the queue.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { connect } from '../../src/adapters/postgres/connection.js';
import type { ConnSettings, SslMode } from '../../src/core/connection.js';
import type { Output } from '../../src/workflows/ports.js';
import type { DataEvent, ExporterRole, QueueEvent } from '../../src/core/change-event.js';
import { ExportDir } from '../../src/export-dir/layout.js';
import { exporterPosition, type SegmentRow } from '../../src/export-dir/queue.js';
import { EXPORT_DATA_KEY, saveCapture, type ExportDataRecord } from '../../src/export-dir/snapshot-state.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { MIGRATION_PASSWORD, type PgCluster } from './pg-cluster.js';
import { renderMetrics } from '../../src/cli/render/output.js';

export interface StreamingSource {
  db: string;
  root: string;
  exportDir: ExportDir;
  state: StateStore;
  settings: ConnSettings;
  secret: { password: string };
  slot: string;
  publication: string;
  /** A connection as the migration user to run the workload. */
  sql: pg.Client;
  cleanup(): Promise<void>;
}

export interface FixtureTable {
  schema?: string;
  table: string;
  pk: string[];
}

export async function setupStreamingSource(
  cluster: PgCluster, ddl: string, tables: FixtureTable[], opts: { publishExtra?: string[]; sslMode?: SslMode } = {},
): Promise<StreamingSource> {
  const db = await cluster.createDatabase('src');
  const settings = cluster.settings(db, 'source', opts.sslMode);
  const secret = { password: MIGRATION_PASSWORD };
  const sql = await connect(settings, secret);
  await sql.query(ddl);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-stream-'));
  const exportDir = ExportDir.open(root);
  const state = StateStore.open(exportDir.stateDb);
  const uuid = state.migration().uuid.replace(/-/g, '');
  const slot = `voyager_${uuid}`;
  const publication = `voyager_pub_${uuid}`;
  const published = [...tables.map((t) => `"${t.schema ?? 'public'}"."${t.table}"`), ...(opts.publishExtra ?? [])];
  await sql.query(`CREATE PUBLICATION "${publication}" FOR TABLE ${published.join(', ')} WITH (publish_via_partition_root = true)`);
  const r = await sql.query(`SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  saveCapture(state, { engine: 'postgresql', start: r.rows[0].lsn });
  const record: ExportDataRecord = {
    exportType: 'snapshot-and-changes',
    generation: 1,
    snapshotStatus: 'complete',
    startedAt: new Date().toISOString(),
    tables: tables.map((t) => ({ schema: t.schema ?? 'public', table: t.table, columns: [], columnTypes: [], pk: t.pk, isPartitioned: false, leaves: [], estimatedRows: 0, chunks: 0 })),
  };
  state.setJson(EXPORT_DATA_KEY, record);
  return {
    db, root, exportDir, state, settings, secret, slot, publication, sql,
    async cleanup() {
      await sql.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [slot]).catch(() => undefined);
      await sql.end().catch(() => undefined);
      state.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Every committed event of a role, in queue order (what a reader would see). */
export function readQueue(exportDir: ExportDir, state: StateStore, role: ExporterRole = 'source_db_exporter'): QueueEvent[] {
  const segs = state.db.prepare('SELECT * FROM queue_segments WHERE exporter_role = ? ORDER BY segment_no').all(role) as SegmentRow[];
  const out: QueueEvent[] = [];
  for (const s of segs) {
    if (!s.committed_bytes) continue;
    const fd = fs.openSync(exportDir.segmentFile(s.segment_no), 'r');
    try {
      const buf = Buffer.alloc(s.committed_bytes);
      fs.readSync(fd, buf, 0, s.committed_bytes, 0);
      for (const line of buf.toString('utf8').split('\n')) if (line) out.push(JSON.parse(line) as QueueEvent);
    } finally {
      fs.closeSync(fd);
    }
  }
  return out;
}

export const dataEvents = (events: QueueEvent[]): DataEvent[] => events.filter((e): e is DataEvent => e.op === 'c' || e.op === 'u' || e.op === 'd');

/** Group data events by source transaction (each ends with a CommitEvent). */
export function transactions(events: QueueEvent[]): { pos: string; events: DataEvent[] }[] {
  const out: { pos: string; events: DataEvent[] }[] = [];
  let cur: DataEvent[] = [];
  for (const e of events) {
    if (e.op === 'commit') {
      out.push({ pos: e.pos, events: cur });
      cur = [];
    } else if (e.op === 'c' || e.op === 'u' || e.op === 'd') cur.push(e);
  }
  if (cur.length) throw new Error(`${cur.length} data events after the last commit event`);
  return out;
}

/**
 * The source's current WAL insert position, for "wait until the exporter got everything up to now" (the
 * write position, pg_current_wal_lsn(), lags behind commits made with synchronous_commit = off).
 */
export async function currentLsn(sql: pg.Client): Promise<string> {
  return (await sql.query('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l;
}

export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt('0x' + hi) << 32n) | BigInt('0x' + lo);
}

/** Wait until the exporter's durable position reaches `lsn` (it follows keepalives on an idle source). */
export async function waitForPosition(state: StateStore, lsn: string, timeoutMs = 30_000, role: ExporterRole = 'source_db_exporter'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = exporterPosition(state, role);
    if (p && lsnValue(p) >= lsnValue(lsn)) return;
    if (Date.now() > deadline) throw new Error(`exporter position ${p} did not reach ${lsn} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An Output that records what it was given. */
export function captureOutput(): Output & { lines: string[]; warnings: string[]; blocks: string[] } {
  const lines: string[] = [];
  const warnings: string[] = [];
  const blocks: string[] = [];
  return {
    isTTY: false,
    lines, warnings, blocks,
    line: (t = '') => void lines.push(t),
    warn: (t: string) => void warnings.push(t),
    metrics: (kind, rows) => void blocks.push(renderMetrics(kind, rows)),
  };
}
