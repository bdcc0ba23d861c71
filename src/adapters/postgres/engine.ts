/**
 * The PostgreSQL engine: every role of src/adapters/engine.ts. YugabyteDB speaks the same protocol and
 * catalog; where it differs it will be a flag of this engine, not a copy of it.
 */
import type { Engine } from '../engine.js';
import { pgChangeSink } from './change-sink.js';
import { pgChangeSource } from './change-source.js';
import { withClient } from './connection.js';
import { databaseIdentity } from './database-identity.js';
import { isConnectionLoss, isTransient } from './errors.js';
import { lsnPositions } from './positions.js';
import { pgSchemaSource } from './schema-source.js';
import { pgSchemaTarget } from './schema-target.js';
import { pgSequences } from './sequences.js';
import { pgSnapshotSource } from './snapshot-source.js';
import { pgSnapshotTarget } from './snapshot-target.js';
import { pgVerifier } from './verifier.js';

export const postgresEngine: Engine = {
  name: 'postgresql',
  displayName: 'PostgreSQL',
  capabilities: {
    sharedSnapshot: true,
    serverRetainsChanges: true,
    partialUpdates: true,
    applyWithoutTriggers: true,
    cascadesInStream: true,
  },
  positions: lsnPositions,
  identity: (c) => withClient(c, 'yb-voyager', (client) => databaseIdentity(client, c.settings)),
  isConnectionLoss,
  isTransient,
  schemaSource: pgSchemaSource,
  snapshotSource: pgSnapshotSource,
  changeSource: pgChangeSource,
  changeSink: pgChangeSink,
  snapshotTarget: pgSnapshotTarget,
  schemaTarget: pgSchemaTarget,
  sequences: pgSequences,
  verifier: pgVerifier,
};
