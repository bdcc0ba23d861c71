/**
 * end migration: stop this migration's running processes, save what was asked, drop every replication
 * slot, publication and metadata schema on both sides, mark the migration ended. Every step is
 * idempotent, so a rerun after a crash finishes the job.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Endpoint } from '../adapters/engine.js';
import type { ExportDir } from '../export-dir/layout.js';
import { pidAlive, readLockPid } from '../export-dir/lock.js';
import type { MigrationRecord, StateStore } from '../export-dir/state-store.js';
import type { Logger } from '../infra/logger.js';
import { sleep } from '../infra/shutdown.js';
import { DEFAULTS } from '../infra/defaults.js';

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
  source?: Endpoint;
  target?: Endpoint;
  /** Writes reports/data-migration-report.json before it is saved (best effort). */
  writeReport?: () => Promise<void>;
}

const STOP_TIMEOUT_MS = DEFAULTS.stopTimeoutMs;

/** Every other yb-voyager process holding a lock on this export dir. */
export function runningProcesses(exportDir: ExportDir, self: string): { command: string; pid: number }[] {
  const out: { command: string; pid: number }[] = [];
  for (const command of exportDir.lockedCommandIds()) {
    if (command === self) continue;
    const pid = readLockPid(exportDir.lockFile(command));
    if (pid && pid !== process.pid && pidAlive(pid)) out.push({ command, pid });
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
    // The SQL for the DBA (Oracle's preparation, the source triggers set aside for fall-back) goes with the schema.
    [choice.schema, deps.exportDir.scriptsDir, 'scripts'],
    [choice.reports, deps.exportDir.reportsDir, 'reports'],
  ];
  for (const [wanted, from, name] of copies) {
    if (!wanted || !fs.existsSync(from)) continue;
    const to = path.join(choice.dir, name);
    fs.cpSync(from, to, { recursive: true, force: true });
    deps.say(`saved ${name} to ${to}`);
  }
}

/** Every change capture (slot, publication) and the metadata this tool keeps, on both sides. Idempotent. */
export async function dropDatabaseObjects(deps: EndMigrationDeps): Promise<void> {
  const migrationUuid = deps.state.migration().uuid;
  for (const side of ['source', 'target'] as const) {
    const db = deps[side];
    if (!db) continue;
    // Triggers set aside for fall-back (MySQL) and never put back (no cutover to source): the source gets
    // them back before their saved definitions go with the metadata database.
    const recreated = (await db.engine.changeSink?.restoreTriggers?.(db.conn, { migrationUuid, log: deps.log })) ?? [];
    for (const t of recreated) deps.say(`recreated trigger ${t} on the ${side} (it had been set aside for fall-back)`);
    const dropped = [
      ...((await db.engine.changeSource?.drop(db.conn, { migrationUuid, side })) ?? []),
      ...((await db.engine.changeSink?.dropMetadata(db.conn)) ?? []),
    ];
    for (const d of dropped) deps.say(`dropped ${d} on the ${side}`);
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
  deps.say('migration ended: every change capture (slot, publication) and metadata schema of this migration is gone');
}
