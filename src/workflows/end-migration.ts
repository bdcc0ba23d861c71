/**
 * end migration: stop this migration's running processes, save what was asked, drop every replication
 * slot, publication and metadata schema on both sides, mark the migration ended. Every step is
 * idempotent, so a rerun after a crash finishes the job.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { ConnSecret, ConnSettings } from '../core/connection.js';
import { connect, quoteIdent } from '../adapters/postgres/connection.js';
import { METADATA_SCHEMA, publicationName, slotName } from '../core/names.js';
import type { ExportDir } from '../export-dir/layout.js';
import { pidAlive, readLockPid } from '../export-dir/lock.js';
import type { MigrationRecord, StateStore } from '../export-dir/state-store.js';
import type { Logger } from '../infra/logger.js';
import { sleep } from '../infra/shutdown.js';

export interface BackupChoice {
  logs: boolean;
  data: boolean;
  schema: boolean;
  reports: boolean;
  dir?: string;
}

export interface EndMigrationDeps {
  exportDir: ExportDir;
  state: StateStore;
  log: Logger;
  say: (line: string) => void;
  /** Connection to each side, or undefined when that side was never used by this migration. */
  source?: { settings: ConnSettings; secret: ConnSecret };
  target?: { settings: ConnSettings; secret: ConnSecret };
  /** Writes reports/data-migration-report.json before it is saved (best effort). */
  writeReport?: () => Promise<void>;
}

const STOP_TIMEOUT_MS = Number(process.env.YB_VOYAGER_STOP_TIMEOUT_MS ?? 60_000);

/** Every other yb-voyager process holding a lock on this export dir. */
export function runningProcesses(exportDir: ExportDir, self: string): { command: string; pid: number }[] {
  const out: { command: string; pid: number }[] = [];
  for (const name of fs.readdirSync(exportDir.root)) {
    const m = /^\.(.+)\.lck$/.exec(name);
    if (!m || m[1] === self) continue;
    const pid = readLockPid(path.join(exportDir.root, name));
    if (pid && pid !== process.pid && pidAlive(pid)) out.push({ command: m[1], pid });
  }
  return out;
}

export async function stopProcesses(deps: EndMigrationDeps): Promise<void> {
  const procs = runningProcesses(deps.exportDir, 'end-migration');
  for (const p of procs) {
    deps.say(`stopping ${p.command} (pid ${p.pid})`);
    process.kill(p.pid, 'SIGTERM');
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (procs.some((p) => pidAlive(p.pid)) && Date.now() < deadline) await sleep(200);
  for (const p of procs.filter((x) => pidAlive(x.pid))) {
    // Safe: every process commits its position with its data, so a hard stop loses nothing.
    deps.say(`${p.command} (pid ${p.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000}s; killing it`);
    process.kill(p.pid, 'SIGKILL');
  }
}

export function backup(deps: EndMigrationDeps, choice: BackupChoice): void {
  if (!choice.dir) return;
  const copies: [boolean, string, string][] = [
    [choice.logs, deps.exportDir.logsDir, 'logs'],
    [choice.data, deps.exportDir.dataDir, 'data'],
    [choice.schema, deps.exportDir.schemaDir, 'schema'],
    [choice.reports, deps.exportDir.reportsDir, 'reports'],
  ];
  for (const [wanted, from, name] of copies) {
    if (!wanted || !fs.existsSync(from)) continue;
    const to = path.join(choice.dir, name);
    fs.cpSync(from, to, { recursive: true, force: true });
    deps.say(`saved ${name} to ${to}`);
  }
}

async function dropReplicationObjects(client: pg.Client, slot: string, publication: string, say: (l: string) => void, side: string): Promise<void> {
  const active = await client.query('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  if (active.rows.length) {
    const pid = active.rows[0].active_pid as string | null;
    if (pid) await client.query('SELECT pg_terminate_backend($1)', [pid]);
    await retryDropSlot(client, slot);
    say(`dropped replication slot ${slot} on the ${side}`);
  }
  const pub = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  if (pub.rows.length) {
    await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
    say(`dropped publication ${publication} on the ${side}`);
  }
  const schema = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [METADATA_SCHEMA]);
  if (schema.rows.length) {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(METADATA_SCHEMA)} CASCADE`);
    say(`dropped schema ${METADATA_SCHEMA} on the ${side}`);
  }
}

/** A walsender we just terminated may hold the slot for a moment longer. */
async function retryDropSlot(client: pg.Client, slot: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await client.query('SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== '55006' || i >= 50) throw e;
      await sleep(100);
    }
  }
}

export async function dropDatabaseObjects(deps: EndMigrationDeps): Promise<void> {
  const uuid = deps.state.migration().uuid;
  for (const side of ['source', 'target'] as const) {
    const conn = deps[side];
    if (!conn) continue;
    const client = await connect(conn.settings, conn.secret);
    try {
      await dropReplicationObjects(client, slotName(uuid, side), publicationName(uuid, side), deps.say, side);
    } finally {
      await client.end();
    }
  }
}

export async function endMigration(deps: EndMigrationDeps, choice: BackupChoice): Promise<void> {
  await stopProcesses(deps);
  if (choice.reports && deps.writeReport) {
    try {
      await deps.writeReport();
    } catch (e) {
      deps.log.warn('could not write the data migration report before saving it', { err: e });
      deps.say(`WARNING: could not write the data migration report (${(e as Error).message}); saving the reports that exist`);
    }
  }
  backup(deps, choice);
  await dropDatabaseObjects(deps);
  deps.state.modifyJson<MigrationRecord>('migration', (cur) => ({ ...cur!, ended: true }));
  for (const dir of [deps.exportDir.dataDir, deps.exportDir.tempDir]) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  deps.say('migration ended: every slot, publication and metadata schema of this migration is gone');
}
