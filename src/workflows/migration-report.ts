/**
 * The whole migration report as one document (json, and the data of the HTML page): the per-table rows of
 * `get data-migration-report`, each direction's history over time (events exported and applied per 10 s, apply
 * lag, queue backlog), the cutover timeline and the verdicts of every `verify data` run. Everything comes from
 * meta.db except the imported counts, which the written databases hold (see data-migration-report.ts).
 */
import type { ExporterRole } from '../core/change-event.js';
import { statusOf, type CutoverStatus, type DirectionState } from '../core/cutover.js';
import { directionHistory } from '../core/migration-history.js';
import { BUCKET_SECONDS, exportBuckets, importBuckets } from '../export-dir/metrics-history.js';
import { readCutover } from '../export-dir/migration-state.js';
import { exportedEventTotal } from '../export-dir/queue.js';
import { readExportData } from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';
import { verifyRuns, type VerifyRun } from '../export-dir/verify-runs.js';
import { buildDataMigrationReport, type ReportConnections, type ReportRow } from './data-migration-report.js';

export interface HistoryPointJson {
  /** ISO time of the start of the 10-second bucket. */
  time: string;
  exported_events: number;
  imported_events: number;
  lag_ms_avg?: number;
  lag_ms_max?: number;
  /** Events exported and not yet applied at the end of the bucket. */
  backlog: number;
}

export interface DirectionReport {
  direction: 'source → target' | 'target → source';
  exporter_role: ExporterRole;
  /** Change events committed to the queue, and applied to the written database. */
  exported_events: number;
  imported_events: number;
  /** Events in the queue not applied yet. */
  backlog: number;
  bucket_seconds: number;
  history: HistoryPointJson[];
}

export interface CutoverDirectionReport {
  status: CutoverStatus;
  requested_at?: string;
  completed_at?: string;
}

export interface MigrationReport {
  generated_at: string;
  migration_uuid: string;
  export_type?: string;
  snapshot: { started_at?: string; completed_at?: string };
  tables: ReportRow[];
  directions: DirectionReport[];
  cutover: { prepare_for_fall_back: boolean; to_target: CutoverDirectionReport; to_source: CutoverDirectionReport };
  verify_runs: VerifyRun[];
}

const DIRECTIONS = [
  { direction: 'source → target', role: 'source_db_exporter', consumer: 'target_db_importer', importedBy: 'target' },
  { direction: 'target → source', role: 'target_db_exporter_fb', consumer: 'source_db_importer', importedBy: 'source' },
] as const;

export async function buildMigrationReport(state: StateStore, conns: ReportConnections, now = new Date()): Promise<MigrationReport> {
  const tables = await buildDataMigrationReport(state, conns);
  const exportRec = readExportData(state);
  const cutover = readCutover(state);
  const directions: DirectionReport[] = [];
  for (const d of DIRECTIONS) {
    const exported = exportedEventTotal(state, [d.role]);
    const history = directionHistory(exportBuckets(state, d.role), importBuckets(state, d.consumer), BUCKET_SECONDS);
    // The fall-back direction is there once it exists: cutover with fall-back, or anything recorded.
    if (d.role === 'target_db_exporter_fb' && !cutover.prepareForFallBack && !exported && !history.length) continue;
    // Applied counts come from the written database (its metadata schema), like the table rows'.
    const imported = tables.filter((r) => r.db_type === d.importedBy).reduce((s, r) => s + r.imported_inserts + r.imported_updates + r.imported_deletes, 0);
    directions.push({
      direction: d.direction, exporter_role: d.role, exported_events: exported, imported_events: imported,
      backlog: Math.max(0, exported - imported), bucket_seconds: BUCKET_SECONDS,
      history: history.map((p) => ({
        time: new Date(p.t * 1000).toISOString(), exported_events: p.exported, imported_events: p.imported,
        ...(p.lagMsAvg !== undefined ? { lag_ms_avg: p.lagMsAvg, lag_ms_max: p.lagMsMax } : {}), backlog: p.backlog,
      })),
    });
  }
  return {
    generated_at: now.toISOString(),
    migration_uuid: state.migration().uuid,
    export_type: exportRec?.exportType,
    snapshot: { started_at: exportRec?.startedAt, completed_at: exportRec?.completedAt },
    tables,
    directions,
    cutover: {
      prepare_for_fall_back: Boolean(cutover.prepareForFallBack),
      to_target: cutoverDirection(statusOf(cutover, 'toTarget'), cutover.toTarget),
      to_source: cutoverDirection(statusOf(cutover, 'toSource'), cutover.toSource),
    },
    verify_runs: verifyRuns(state),
  };
}

function cutoverDirection(status: CutoverStatus, d: DirectionState): CutoverDirectionReport {
  return { status, ...(d.requestedAt ? { requested_at: d.requestedAt } : {}), ...(d.completedAt ? { completed_at: d.completedAt } : {}) };
}
