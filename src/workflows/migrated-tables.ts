/**
 * The tables this migration moves, as `export data from source` recorded them (kv 'export_data'). The
 * target uses the same schema and table names (import schema creates them so), which is what the fall-back
 * publication and the sequence hand-over rely on.
 */
import { readExportData } from '../export-dir/snapshot-state.js';
import type { StateStore } from '../export-dir/state-store.js';

export function migratedTables(state: StateStore): { schema: string; table: string }[] {
  return (readExportData(state)?.tables ?? []).map((t) => ({ schema: t.schema, table: t.table }));
}

/** Schemas holding migrated tables: their sequences move at each cutover. */
export function migratedSchemas(state: StateStore): string[] {
  return [...new Set(migratedTables(state).map((t) => t.schema))].sort();
}
