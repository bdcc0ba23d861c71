/**
 * The Oracle engine, as a source only and as far as it can be proven without an Oracle server (docs/oracle.md):
 * schema export from the data dictionary and a snapshot-only data export (AS OF SCN), both through the
 * query-runner seam (live: node-oracledb thin mode; tests: replayed fixtures). Live changes (LogMiner) and
 * writing back into Oracle are refused with the reason.
 *
 * Capabilities: every reader of the snapshot reads AS OF the same SCN, so the snapshot is shared across
 * sessions; the rest describe roles this engine does not have.
 */
import type { Engine } from '../engine.js';
import { isConnectionLoss, isTransient } from './errors.js';
import { LiveRunner } from './live-runner.js';
import { scnPositions } from './positions.js';
import { LIVE_CHANGES_REFUSAL, WRITE_BACK_REFUSAL } from './refusals.js';
import { oracleSchemaSource } from './schema-source.js';
import { oracleSequences } from './sequences.js';
import { oracleIdentity, withRunner, type RunnerOpener } from './session.js';
import { oracleSnapshotSource } from './snapshot-source.js';

/** The engine over any runner: the registry's uses the live one, tests a replay runner. */
export function oracleEngineWith(open: RunnerOpener): Engine {
  return {
    name: 'oracle',
    displayName: 'Oracle',
    capabilities: { sharedSnapshot: true, serverRetainsChanges: false, partialUpdates: false, applyWithoutTriggers: false, cascadesInStream: true },
    positions: scnPositions,
    identity: (c, log) => withRunner(open, c, log, (r) => oracleIdentity(r, c)),
    isConnectionLoss,
    isTransient,
    schemaSource: oracleSchemaSource(open),
    snapshotSource: oracleSnapshotSource(open),
    sequences: oracleSequences(open),
    refusals: { liveChanges: LIVE_CHANGES_REFUSAL, writeBack: WRITE_BACK_REFUSAL },
  };
}

export const oracleEngine: Engine = oracleEngineWith((c, log) => LiveRunner.open(c, log));
