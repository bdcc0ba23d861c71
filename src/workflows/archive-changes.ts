/**
 * archive changes: keep the change queue from filling the disk. A segment leaves the export dir (moved to an
 * archive directory, or deleted) only when
 *   - it is closed (the exporter will never append to it again), and
 *   - every consumer that needs it has recorded it applied (queue_consumers, written by QueueReader.acknowledge):
 *     'target_db_importer' for the forward stream's segments, 'source_db_importer' for the fall-back stream's.
 * Never a segment still needed. Runs beside the exporter and importers until the migration ends or SIGINT.
 *
 * Crash safety: archive = copy to <dir>/<name>.tmp, fsync, rename, record archived + location, then delete
 * the original; delete = record, then delete. A rerun finishes any deletion a crash interrupted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExporterRole } from '../core/change-event.js';
import { statusOf } from '../core/cutover.js';
import type { ExportDir } from '../export-dir/layout.js';
import { readCutover } from '../export-dir/migration-state.js';
import type { SegmentRow } from '../export-dir/queue.js';
import type { MigrationRecord, StateStore } from '../export-dir/state-store.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';
import { sleep } from '../infra/shutdown.js';

export type ArchivePolicy = { policy: 'archive'; archiveDir: string } | { policy: 'delete'; fsUtilizationThreshold: number };

export interface ArchiveDeps {
  exportDir: ExportDir;
  state: StateStore;
  log: Logger;
  say: (line: string) => void;
}

/** Who must have applied a segment of each exporter role before it may leave the export dir. */
export const REQUIRED_CONSUMERS: Record<ExporterRole, readonly string[]> = {
  source_db_exporter: ['target_db_importer'],
  target_db_exporter_fb: ['source_db_importer'],
};

/** Closed, non-empty segments not yet archived that every consumer of their role has applied, oldest first. */
export function segmentsDone(state: StateStore): SegmentRow[] {
  const rows = state.db.prepare('SELECT * FROM queue_segments WHERE closed = 1 AND archived = 0 AND last_vsn IS NOT NULL ORDER BY segment_no').all() as SegmentRow[];
  const appliedBy = state.db.prepare('SELECT consumer FROM queue_consumers WHERE segment_no = ?');
  return rows.filter((s) => {
    const consumers = new Set((appliedBy.all(s.segment_no) as { consumer: string }[]).map((r) => r.consumer));
    const required = REQUIRED_CONSUMERS[s.exporter_role];
    return required !== undefined && required.every((c) => consumers.has(c));
  });
}

/** Used space of the file system holding `dir`, in percent, as df computes it. */
export function fsUtilization(dir: string): number {
  const s = fs.statfsSync(dir);
  const used = s.blocks - s.bfree;
  const total = used + s.bavail;
  return total === 0 ? 0 : (used / total) * 100;
}

export interface PassResult {
  archived: number[];
  deleted: number[];
}

/** One pass: act on every segment that is done (for delete: only above the utilization threshold). */
export function archivePass(deps: ArchiveDeps, o: ArchivePolicy): PassResult {
  const result: PassResult = { archived: [], deleted: [] };
  finishInterrupted(deps);
  const done = segmentsDone(deps.state);
  if (!done.length) return result;
  if (o.policy === 'delete') {
    const used = fsUtilization(deps.exportDir.queueDir);
    if (used <= o.fsUtilizationThreshold) {
      deps.log.debug('segments ready to delete, file system below the threshold', { segments: done.length, used: used.toFixed(1), threshold: o.fsUtilizationThreshold });
      return result;
    }
    for (const s of done) {
      mark(deps.state, s.segment_no, null);
      failpoint('archive-changes.after-mark');
      removeFile(deps.exportDir.segmentFile(s.segment_no));
      result.deleted.push(s.segment_no);
      deps.log.info('deleted an applied segment', { segment: s.segment_no, fsUtilization: used.toFixed(1) });
    }
    deps.say(`deleted ${done.length} applied segment(s) (${segmentList(result.deleted)}): the file system was ${used.toFixed(0)}% full, over the ${o.fsUtilizationThreshold}% threshold`);
    return result;
  }
  for (const s of done) {
    const from = deps.exportDir.segmentFile(s.segment_no);
    const to = path.join(o.archiveDir, path.basename(from));
    copyDurably(from, to);
    failpoint('archive-changes.after-copy');
    mark(deps.state, s.segment_no, to);
    failpoint('archive-changes.after-mark');
    removeFile(from);
    result.archived.push(s.segment_no);
    deps.log.info('archived an applied segment', { segment: s.segment_no, to });
  }
  deps.say(`archived ${done.length} applied segment(s) (${segmentList(result.archived)}) to ${o.archiveDir}`);
  return result;
}

/** Segments recorded archived whose original is still in the queue directory (a crash between the two). */
function finishInterrupted(deps: ArchiveDeps): void {
  const rows = deps.state.db.prepare('SELECT segment_no FROM queue_segments WHERE archived = 1').all() as { segment_no: number }[];
  for (const r of rows) {
    const file = deps.exportDir.segmentFile(r.segment_no);
    if (fs.existsSync(file)) {
      removeFile(file);
      deps.log.info('removed a segment whose archiving a previous run did not finish', { segment: r.segment_no });
    }
  }
}

function mark(state: StateStore, segmentNo: number, location: string | null): void {
  state.update(() => {
    state.db.prepare('UPDATE queue_segments SET archived = 1, archive_location = ? WHERE segment_no = ? AND closed = 1').run(location, segmentNo);
  });
}

function copyDurably(from: string, to: string): void {
  const tmp = `${to}.tmp`;
  fs.copyFileSync(from, tmp);
  const fd = fs.openSync(tmp, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, to);
  const dfd = fs.openSync(path.dirname(to), 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

function segmentList(nos: number[]): string {
  return nos.length > 5 ? `${nos[0]}…${nos[nos.length - 1]}` : nos.join(', ');
}

/** The migration is over for the queue: ended, or every cutover it will do has completed. */
export function migrationFinished(state: StateStore): boolean {
  if (state.getJson<MigrationRecord>('migration')?.ended) return true;
  const c = readCutover(state);
  if (statusOf(c, 'toTarget') !== 'COMPLETED') return false;
  return !c.prepareForFallBack || statusOf(c, 'toSource') === 'COMPLETED';
}

/** Run passes every `pollMs` until the migration is finished (after a last pass) or the signal aborts. */
export async function archiveChanges(deps: ArchiveDeps, o: ArchivePolicy, signal: AbortSignal, pollMs = 5000): Promise<void> {
  deps.log.info('archive changes started', { ...o });
  deps.say(o.policy === 'archive'
    ? `moving applied change segments to ${o.archiveDir} as soon as every importer has applied them (Ctrl-C stops)`
    : `deleting applied change segments whenever the export dir's file system is over ${o.fsUtilizationThreshold}% full (Ctrl-C stops)`);
  while (!signal.aborted) {
    const finished = migrationFinished(deps.state);
    archivePass(deps, o);
    if (finished) {
      deps.say('the migration is complete: archive changes is done');
      return;
    }
    await sleep(pollMs, signal);
  }
  deps.say('archive changes stopped');
}
