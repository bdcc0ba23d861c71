/**
 * PostgreSQL as a change sink: the target forward, the original source in fall-back. Sessions run with
 * session_replication_role = replica, so triggers and foreign-key checks do not fire for applied changes;
 * the watermark lives in the ybvoyager_metadata schema and commits with the changes (change-applier.ts).
 */
import type { ChangeSinkFactory } from '../engine.js';
import { METADATA_SCHEMA } from './capture-names.js';
import { ChangeApplier } from './change-applier.js';
import { quoteIdent, withClient } from './connection.js';
import { mapQueryError } from './errors.js';
import { readAppliedState, readImportedEventCounts } from './event-metadata.js';
import { checkReplicationRolePrivilege, grantHint } from './replication-role.js';

export const pgChangeSink: ChangeSinkFactory = {
  async checkApply(c) {
    return withClient(c, 'yb-voyager privilege check', async (client) => {
      const cap = await checkReplicationRolePrivilege(client);
      return { ok: cap.canDisableTriggers, user: cap.user, fix: cap.canDisableTriggers ? undefined : grantHint(quoteIdent(cap.user), c.settings.role) };
    });
  },

  open: (c, o) => ChangeApplier.open(c.settings, c.secret, o),

  async importedCounts(c, migrationUuid) {
    return withClient(c, 'yb-voyager report', (client) => readImportedEventCounts(client, migrationUuid));
  },

  async appliedWatermark(c, migrationUuid) {
    return withClient(c, 'yb-voyager verify data', async (client) => (await readAppliedState(client, migrationUuid))?.watermark);
  },

  async dropMetadata(c) {
    return withClient(c, 'yb-voyager cleanup', async (client) => {
      try {
        const r = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [METADATA_SCHEMA]);
        if (!r.rows.length) return [];
        await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(METADATA_SCHEMA)} CASCADE`);
        return [`schema ${METADATA_SCHEMA}`];
      } catch (e) {
        throw mapQueryError(e, `dropping schema ${METADATA_SCHEMA}`);
      }
    });
  },
};
