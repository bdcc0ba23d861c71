/**
 * import data loads a table without its primary key where the engine allows it (SnapshotTargetAdmin.deferrableKeys:
 * building the key once over the loaded rows costs far less than maintaining it row by row) and builds the key as
 * soon as the table's rows are all in, before its table counts as imported, so changes are never applied to a
 * table without its key.
 *
 * A key is recorded in the export dir before it is dropped and forgotten only once it is built again: a kill at any
 * point leaves a record the rerun acts on (a table still loading goes on without its key, a loaded one gets it).
 */
import type { DeferredKey, SnapshotTargetAdmin, TableRef } from '../adapters/engine.js';
import { tableKey } from '../core/change-event.js';
import { displayName } from '../core/table-filter.js';
import type { StateStore } from '../export-dir/state-store.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';

const STATE_KEY = 'deferred_primary_keys';

export class DeferredKeys {
  constructor(
    private readonly state: StateStore,
    private readonly log: Logger,
  ) {}

  /** The key of `t` dropped for the load (by this run or an earlier one) and not built yet. */
  dropped(t: TableRef): DeferredKey | undefined {
    return (this.state.getJson<DeferredKey[]>(STATE_KEY) ?? []).find((r) => sameTable(r, t));
  }

  /** Drops the keys of `fresh` tables (none of their rows loaded yet) that the engine lets go; how many. */
  async defer(admin: SnapshotTargetAdmin, fresh: readonly TableRef[]): Promise<number> {
    if (!admin.deferrableKeys || !admin.dropKey || !fresh.length) return 0;
    const keys = await admin.deferrableKeys(fresh);
    if (!keys.length) return 0;
    // Recorded (durably) before anything is dropped.
    this.state.modifyJson<DeferredKey[]>(STATE_KEY, (cur = []) => [...cur.filter((k) => !keys.some((n) => sameTable(n, k))), ...keys]);
    for (const k of keys) await admin.dropKey(k);
    failpoint('import.keys_dropped');
    this.log.info('primary keys dropped for the load, built once each table is loaded', { tables: keys.map(displayName) });
    return keys.length;
  }

  /** Builds a key `dropped()` returned, then forgets it. */
  async build(admin: SnapshotTargetAdmin, k: DeferredKey): Promise<void> {
    if (!admin.restoreKey) return;
    const started = Date.now();
    await admin.restoreKey(k);
    failpoint('import.key_built');
    this.state.modifyJson<DeferredKey[]>(STATE_KEY, (cur = []) => cur.filter((r) => !sameTable(r, k)));
    this.log.info('primary key built after the load', { table: displayName(k), ms: Date.now() - started });
  }
}

function sameTable(a: TableRef, b: TableRef): boolean {
  return tableKey(a.schema, a.table) === tableKey(b.schema, b.table);
}
