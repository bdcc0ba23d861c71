/**
 * MySQL/MariaDB as a change sink: the original source in fall-back (`import data to source`), written by
 * change-applier.ts with the watermark in the same transaction. The bookkeeping lives in the metadata
 * database (metadata-db.ts); counts are reported under the names PostgreSQL gives the tables (schema
 * `public`, lower-cased), like every other report of this engine. The source's triggers cannot be switched
 * off per session: they are set aside for the fall-back and put back after it (source-triggers.ts).
 */
import type { ChangeSinkFactory } from '../engine.js';
import { checkApplyPrivileges } from './apply-privileges.js';
import { readAppliedState, readImportedEventCounts } from './apply-metadata.js';
import { MySqlChangeApplier } from './change-applier.js';
import { rows, withConnection } from './connection.js';
import { mapQueryError } from './errors.js';
import { METADATA_DB } from './metadata-db.js';
import { restoreTriggers, suspendTriggers } from './source-triggers.js';

export const mysqlChangeSink: ChangeSinkFactory = {
  async checkApply(c) {
    const r = await withConnection(c, (conn) => checkApplyPrivileges(conn, c.settings.database));
    return { ok: r.ok, user: c.settings.user, fix: r.fix };
  },

  // The stream comes from PostgreSQL, which carries the rows its own foreign-key actions changed:
  // applyForeignKeyActions never applies here (foreign_key_checks = 0 keeps InnoDB from cascading twice).
  open: (c, o) => MySqlChangeApplier.open(c, { migrationUuid: o.migrationUuid, side: o.side, log: o.log }),

  importedCounts: (c, migrationUuid) => withConnection(c, (conn) => readImportedEventCounts(conn, migrationUuid)),

  appliedWatermark: (c, migrationUuid) => withConnection(c, async (conn) => (await readAppliedState(conn, migrationUuid))?.watermark),

  // The source's triggers cannot be switched off per session: set aside before the first change, put back after.
  suspendTriggers,
  restoreTriggers,

  async dropMetadata(c) {
    return withConnection(c, async (conn) => {
      try {
        const found = await rows(conn, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [METADATA_DB]);
        if (!found.length) return [];
        await conn.query(`DROP DATABASE IF EXISTS \`${METADATA_DB}\``);
        return [`database ${METADATA_DB}`];
      } catch (e) {
        throw mapQueryError(e, `dropping database ${METADATA_DB}`);
      }
    });
  },
};
