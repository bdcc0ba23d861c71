/**
 * The fall-back pair, after a cutover to target with --prepare-for-fall-back true:
 *
 *   import data to target  --(cutover marker applied)-->  export data from target  (target → queue)
 *   export data from source --(marker written)-->         import data to source    (queue → source)
 *
 * Each long-running process carries on as its fall-back counterpart in the same process (as the spec
 * says), under that counterpart's lock, and prints the command that restarts it if it dies. The same
 * functions back the commands `export data from target` / `import data to source`, so a user can restart
 * either by hand. Every entry first looks at the cutover state: work already done is skipped (the
 * reference tool's #2321: resumed processes ignored an already-initiated cutover).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Endpoint } from '../adapters/engine.js';
import type { ExportDir } from '../export-dir/layout.js';
import { acquireLock, releaseLockFile } from '../export-dir/lock.js';
import { readCutover } from '../export-dir/migration-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { writeDurableFile } from '../infra/durable-file.js';
import { UserError } from '../infra/errors.js';
import type { Logger } from '../infra/logger.js';
import { runChangeApply, TO_SOURCE, TO_TARGET } from './apply-changes.js';
import { exporterCutoverDeps, exporterCutoverDone, exporterMarkerWritten, finishExporterCutover } from './cutover-export.js';
import { finishImporterCutover, IMPORTER_CUTOVER, importerCarriesOn, importerCutoverDone, type ImporterCutoverDeps } from './cutover-import.js';
import { migratedTables } from './migrated-tables.js';
import type { Output } from './ports.js';
import { DEFAULT_MAX_RECONNECT_SECONDS } from './reconnect.js';
import { streamChanges } from './stream-changes.js';

export interface FallBackDeps {
  exportDir: ExportDir;
  state: StateStore;
  log: Logger;
  out: Output;
  signal: AbortSignal;
  /** --max-reconnect-time in ms, for every process this one becomes. */
  maxReconnectMs?: number;
  /**
   * Does the source engine's stream lack rows changed by foreign-key actions (MySQL)? Then the target's sink
   * does them. Asked when changes are applied (the exporter has recorded the source by then).
   */
  sourceOmitsCascades?: () => Promise<boolean>;
}

/** What the printed restart command repeats of the current invocation. */
export interface RestartHint {
  configFile?: string;
  logLevel?: string;
  maxReconnectSeconds?: number;
}

type FallBackCommand = 'import data to source' | 'export data from target';

/** What a user types to restart a fall-back process: the password is never printed. */
export function restartCommand(words: FallBackCommand, exportDir: ExportDir, extra: RestartHint = {}): string {
  const side = words === 'import data to source' ? 'source' : 'target';
  const parts = [`yb-voyager ${words}`, `--export-dir ${shellQuote(exportDir.root)}`];
  if (extra.configFile) parts.push(`--config-file ${shellQuote(extra.configFile)}`);
  if (extra.logLevel && extra.logLevel !== 'info') parts.push(`--log-level ${extra.logLevel}`);
  if (extra.maxReconnectSeconds !== undefined && extra.maxReconnectSeconds !== DEFAULT_MAX_RECONNECT_SECONDS) parts.push(`--max-reconnect-time ${extra.maxReconnectSeconds}`);
  parts.push(`--${side}-db-password '***'`);
  return parts.join(' ');
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Refuse the fall-back commands until there is something for them to do. */
export function assertFallBackStarted(state: StateStore, command: string): void {
  const c = readCutover(state);
  if (!c.toTarget.requestedAt || !c.prepareForFallBack) {
    throw new UserError(
      `${command} runs only after a cutover to target with fall-back`,
      'run yb-voyager initiate cutover to target --prepare-for-fall-back true; the running export and import processes then start the fall-back themselves',
    );
  }
}

/**
 * `import data to source`: apply the target's changes (exporter role target_db_exporter_fb) to the source,
 * with session_replication_role = replica, until the cutover-to-source marker; then restore the sequences on
 * the source and complete the cutover. Returns 'stopped' on a signal.
 */
export async function importDataToSource(deps: FallBackDeps, source: Endpoint): Promise<'completed' | 'stopped'> {
  if (importerCutoverDone(deps.state, 'source')) {
    deps.out.line('cutover to source is already complete: nothing left to import to the source');
    return 'completed';
  }
  deps.out.line(source.engine.capabilities.applyWithoutTriggers
    ? 'importing the target\'s changes to the source (fall-back); triggers and foreign-key checks do not fire for these sessions only'
    : 'importing the target\'s changes to the source (fall-back); foreign-key checks are off for these sessions, and the source\'s triggers are set aside until the cutover to source');
  return (await applyUntilCutoverMarker(deps, 'source', source)) ? 'completed' : 'stopped';
}

/** The forward exporter's process goes on as `import data to source`, under that command's lock. */
export async function continueAsImportDataToSource(deps: FallBackDeps, source: Endpoint, restart: RestartHint): Promise<'completed' | 'stopped'> {
  return continueAs(deps, restart, 'export-data-from-source', 'import data to source', () => importDataToSource(deps, source));
}

/**
 * The process becomes the other command (the reference tool exec()s into it): it takes that command's lock
 * and gives up its own, so each lock names what the process now does (end migration stops it once, and a
 * rerun of the old command finds the new one running). It prints how to restart it, then does `work`.
 */
async function continueAs<T>(deps: FallBackDeps, restart: RestartHint, fromId: string, command: FallBackCommand, work: () => Promise<T>): Promise<T> {
  const lock = acquireLock(deps.exportDir.lockFile(command.replace(/ /g, '-')), command);
  releaseLockFile(deps.exportDir.lockFile(fromId));
  try {
    deps.out.line(`this process now continues as: ${command}`);
    deps.out.line(`if it stops, restart it with: ${restartCommand(command, deps.exportDir, restart)}`);
    deps.log.info(`continuing as ${command}`);
    return await work();
  } finally {
    lock.release();
  }
}

/**
 * Apply the changes streamed towards `side` until the cutover marker, then complete the importer's side of
 * the cutover. The marker handler runs before the watermark moves past the marker: a run that died inside it
 * gets the marker again and reruns the (idempotent) handler. False when a signal stopped it first.
 */
async function applyUntilCutoverMarker(deps: FallBackDeps, side: 'source' | 'target', db: Endpoint): Promise<boolean> {
  const importerDeps: ImporterCutoverDeps = { state: deps.state, log: deps.log, say: (l) => deps.out.line(l), side, db, tables: async () => migratedTables(deps.state) };
  if (await markerAlreadyPassed(deps, side, db)) {
    // A run died after the watermark passed the marker, before COMPLETED: only the cutover steps are left.
    await finishImporterCutover(importerDeps, undefined);
    return true;
  }
  if (side === 'source') await suspendSourceTriggers(deps, db);
  const result = await runChangeApply(
    {
      db,
      state: deps.state,
      exportDir: deps.exportDir,
      log: deps.log,
      out: deps.out,
      maxReconnectMs: deps.maxReconnectMs,
      applyForeignKeyActions: side === 'target' && ((await deps.sourceOmitsCascades?.()) ?? false),
      onMarker: (marker, passMarker) => finishImporterCutover(importerDeps, marker, passMarker),
    },
    side === 'source' ? TO_SOURCE : TO_TARGET,
    deps.signal,
  );
  return result.stoppedBy === 'marker';
}

/**
 * An engine that cannot apply without firing triggers (MySQL) has them set aside before the first applied
 * change: saved in its metadata database, then dropped; the cutover to source (or end migration) puts them
 * back. The script that recreates them is also written to the export dir for the DBA and the backups.
 */
async function suspendSourceTriggers(deps: FallBackDeps, db: Endpoint): Promise<void> {
  const sink = db.engine.changeSink;
  if (!sink?.suspendTriggers) return;
  const { suspended, restoreSql } = await sink.suspendTriggers(db.conn, { migrationUuid: deps.state.migration().uuid, log: deps.log });
  const file = deps.exportDir.dbaScriptFile(SOURCE_TRIGGERS_SCRIPT);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeDurableFile(file, (append) => append(restoreSql));
  if (suspended.length) {
    deps.out.line(`set aside ${suspended.length} trigger(s) on the source while the target's changes are applied: ${suspended.join(', ')}`);
    deps.out.line(`they are saved in the source's ybvoyager_metadata database and in ${file}; the cutover to source recreates them exactly`);
  }
}

/** The script that recreates the source triggers set aside for fall-back (scripts/ in the export dir). */
export const SOURCE_TRIGGERS_SCRIPT = 'source-triggers-restore.sql';

/** True when the watermark on `side` is at the recorded cutover marker: the apply part is over. */
async function markerAlreadyPassed(deps: FallBackDeps, side: 'source' | 'target', db: Endpoint): Promise<boolean> {
  const markerVsn = readCutover(deps.state)[IMPORTER_CUTOVER[side].direction].markerVsn;
  if (markerVsn === undefined || !db.engine.changeSink) return false;
  const watermark = await db.engine.changeSink.appliedWatermark(db.conn, deps.state.migration().uuid);
  return watermark !== undefined && watermark >= markerVsn;
}

/**
 * `export data from target`: stream the target's changes (slot created by the cutover) into the queue until
 * the cutover to source, then write its marker and drop the target's slot and publication.
 */
export async function exportDataFromTarget(deps: FallBackDeps, target: Endpoint): Promise<'completed' | 'stopped'> {
  const streamDeps = { db: target, state: deps.state, exportDir: deps.exportDir, log: deps.log, out: deps.out, maxReconnectMs: deps.maxReconnectMs };
  const exporterDeps = exporterCutoverDeps(streamDeps, 'target');
  if (exporterCutoverDone(deps.state, 'target')) {
    deps.out.line('the export from the target already finished its part of the cutover to source: nothing left to export');
    return 'completed';
  }
  if (exporterMarkerWritten(exporterDeps)) {
    // Died after writing the cutover-to-source marker: streaming now would put changes after it.
    await finishExporterCutover(exporterDeps);
    return 'completed';
  }
  if (!readCutover(deps.state).fallBackStreamReady) {
    throw new UserError(
      "the target's fall-back stream is not ready yet: import data to target creates it once every change before the cutover marker is applied",
      'wait until yb-voyager cutover status shows source → target COMPLETED (keep import data to target running)',
      'config',
    );
  }
  await streamChanges({ ...streamDeps, side: 'target' }, deps.signal);
  return exporterCutoverDone(deps.state, 'target') ? 'completed' : 'stopped';
}

/** The forward importer's process goes on as `export data from target`, under that command's lock. */
export async function continueAsExportDataFromTarget(deps: FallBackDeps, target: Endpoint, restart: RestartHint): Promise<'completed' | 'stopped'> {
  return continueAs(deps, restart, 'import-data-to-target', 'export data from target', () => exportDataFromTarget(deps, target));
}

// ---- Entry points for the forward commands --------------------------------------------------------------

/** kv record: can the source user apply the fall-back stream (and if not, what fixes it)? */
export const FALL_BACK_CAPABILITY_KEY = 'source_fallback_capabilities';

export interface FallBackCapability {
  canDisableTriggers: boolean;
  user: string;
  fix?: string;
}

/**
 * export data from source (live): can the source user apply a fall-back stream without triggers and FK
 * checks firing (PostgreSQL: session_replication_role = replica)? Recorded as kv 'source_fallback_capabilities', which
 * `initiate cutover to target --prepare-for-fall-back true` checks, so a missing privilege is reported
 * before the cutover, not after it.
 */
export async function recordFallBackCapability(
  deps: Pick<FallBackDeps, 'state' | 'log' | 'out'>,
  source: Endpoint,
  /** The privilege check, when the caller started it early (startEarly). */
  check?: Promise<{ ok: boolean; user: string; fix?: string }>,
): Promise<void> {
  const sink = source.engine.changeSink;
  if (!sink) {
    deps.out.warn(`fall-back onto ${source.engine.displayName} is not supported yet: initiate cutover to target will need --prepare-for-fall-back false`);
    return;
  }
  const cap = await (check ?? sink.checkApply(source.conn));
  const record: FallBackCapability = { canDisableTriggers: cap.ok, user: cap.user, fix: cap.fix };
  deps.state.setJson(FALL_BACK_CAPABILITY_KEY, record);
  deps.log.info('fall-back capability of the source user', { ...record });
  if (!cap.ok) deps.out.warn(`the source user '${cap.user}' cannot apply the fall-back stream (${source.engine.capabilities.applyWithoutTriggers ? 'without firing triggers' : 'missing privileges'}), so a cutover with fall-back will be refused; to allow it, ${cap.fix}`);
}

/**
 * export data from source, live part, before anything else: if this exporter's cutover work had begun (marker
 * written, or done), finish it and go on with what follows; never export a snapshot or stream again.
 * Returns true when it handled the run.
 */
export async function resumeSourceExporterCutover(deps: FallBackDeps, source: Endpoint, restart: RestartHint): Promise<boolean> {
  const exporterDeps = exporterCutoverDeps({ db: source, state: deps.state, exportDir: deps.exportDir, log: deps.log, out: deps.out }, 'source');
  if (exporterCutoverDone(deps.state, 'source')) {
    deps.out.line('export data from source already finished its part of the cutover to target');
  } else if (exporterMarkerWritten(exporterDeps)) {
    await finishExporterCutover(exporterDeps);
  } else {
    return false;
  }
  await afterSourceChangeExport(deps, source, restart);
  return true;
}

/** After the change stream returned: if it stopped for the cutover, carry on as import data to source (fall-back). */
export async function afterSourceChangeExport(deps: FallBackDeps, source: Endpoint, restart: RestartHint): Promise<void> {
  if (!exporterCutoverDone(deps.state, 'source')) return; // stopped by a signal
  if (!readCutover(deps.state).prepareForFallBack) {
    deps.out.line('cutover to target: export data from source has exported every change; done');
    return;
  }
  await continueAsImportDataToSource(deps, source, restart);
}

/**
 * import data to target, before anything else: if this importer's cutover work is complete, go on with what
 * follows (export data from target with fall-back). Returns true when it handled the run.
 */
export async function resumeTargetImporterCutover(deps: FallBackDeps, target: Endpoint, restart: RestartHint): Promise<boolean> {
  if (!importerCutoverDone(deps.state, 'target')) return false;
  if (!importerCarriesOn(deps.state, 'target')) {
    deps.out.line('cutover to target is already complete: nothing left to import');
    return true;
  }
  await continueAsExportDataFromTarget(deps, target, restart);
  return true;
}

/**
 * import data to target, changes part: apply the forward stream until the cutover marker, complete the
 * importer's side of the cutover, then (fall-back) carry on as export data from target.
 */
export async function importChangesToTarget(deps: FallBackDeps, target: Endpoint, restart: RestartHint): Promise<void> {
  if (!importerCutoverDone(deps.state, 'target')) {
    const reachedMarker = await applyUntilCutoverMarker(deps, 'target', target);
    if (!reachedMarker) return; // stopped by a signal
  }
  if (importerCarriesOn(deps.state, 'target')) await continueAsExportDataFromTarget(deps, target, restart);
}
