/**
 * PostgreSQL (and YugabyteDB) as the snapshot's target: batches COPYed in with their bookkeeping row in the
 * same transaction (bulk-loader.ts), the bookkeeping in the ybvoyager_metadata schema (batch-metadata.ts).
 */
import type pg from 'pg';
import type { BatchLoader, SnapshotTarget, SnapshotTargetAdmin } from '../engine.js';
import { deleteBatches, ensureBatchMetadata, importedByFile, importedRowsByTable } from './batch-metadata.js';
import { loadBatch, openLoaderSession } from './bulk-loader.js';
import { connect } from './connection.js';
import { deferrableKeys, dropKey, restoreKey } from './deferred-keys.js';
import { columnTypes, missingOnTarget, nonEmptyTables, truncateTables } from './target-tables.js';

function admin(client: pg.Client): SnapshotTargetAdmin {
  return {
    ensureMetadata: () => ensureBatchMetadata(client),
    missingTables: (tables) => missingOnTarget(client, tables),
    columnTypes: (tables) => columnTypes(client, tables),
    nonEmptyTables: (tables) => nonEmptyTables(client, tables),
    truncate: (tables) => truncateTables(client, tables),
    importedByFile: (uuid) => importedByFile(client, uuid),
    importedRowsByTable: (uuid) => importedRowsByTable(client, uuid),
    deleteBatches: (uuid, tables) => deleteBatches(client, uuid, tables),
    deferrableKeys: (tables) => deferrableKeys(client, tables),
    dropKey: (k) => dropKey(client, k),
    restoreKey: (k) => restoreKey(client, k),
    close: () => client.end().catch(() => undefined),
  };
}

export const pgSnapshotTarget: SnapshotTarget = {
  async open(c) {
    return admin(await connect(c.settings, c.secret, { applicationName: 'yb-voyager import data' }));
  },
  async openLoader(c): Promise<BatchLoader> {
    const client = await openLoaderSession(c.settings, c.secret);
    return {
      load: (b, data) => loadBatch(client, b, data),
      close: () => client.end().catch(() => undefined),
    };
  },
};
