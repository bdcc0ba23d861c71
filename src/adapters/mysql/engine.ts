/**
 * The MySQL/MariaDB engine. As a source: schema, snapshot and binlog change capture; written back in
 * fall-back by the change sink (the target's changes applied with the watermark in the same transaction).
 * Target-only roles (snapshotTarget, schemaTarget) are absent: PostgreSQL is the target.
 *
 * Capabilities: no snapshot shared across sessions (each worker opens its own and they are checked to sit at
 * the same binlog position), the server does not keep our place in the binlog (retention must be checked on
 * resume), updates carry full rows (binlog_row_image=FULL), no session can apply without firing triggers, and InnoDB's
 * foreign-key actions (ON DELETE CASCADE…) are not in the binlog.
 */
import type { Engine } from '../engine.js';
import { mysqlChangeSink } from './change-sink.js';
import { mysqlChangeSource } from './change-source.js';
import { withConnection } from './connection.js';
import { databaseIdentity } from './database-identity.js';
import { isConnectionLoss, isTransient } from './errors.js';
import { binlogPositions } from './positions.js';
import { mysqlSchemaSource } from './schema-source.js';
import { mysqlSequences } from './sequences.js';
import { mysqlSnapshotSource } from './snapshot-source.js';

export const mysqlEngine: Engine = {
  name: 'mysql',
  displayName: 'MySQL/MariaDB',
  capabilities: {
    sharedSnapshot: false,
    serverRetainsChanges: false,
    partialUpdates: false,
    applyWithoutTriggers: false,
    cascadesInStream: false,
  },
  positions: binlogPositions,
  identity: (c) => withConnection(c, (conn) => databaseIdentity(conn, c.settings)),
  isConnectionLoss,
  isTransient,
  schemaSource: mysqlSchemaSource,
  snapshotSource: mysqlSnapshotSource,
  changeSource: mysqlChangeSource,
  changeSink: mysqlChangeSink,
  sequences: mysqlSequences,
};
