/**
 * Can the migration user apply the fall-back stream to the MySQL/MariaDB source? Everything fall-back needs,
 * judged from the user's grants (grants.ts: global and database grants, wildcards, partial revokes, active
 * roles) and answered at once as the GRANT statements that add what is missing: writing the changes, the
 * metadata database the tool owns, and setting the triggers aside and back (trigger-privileges.ts).
 */
import type mysql from 'mysql2/promise';
import { VoyagerError } from '../../infra/errors.js';
import { quoteMyIdent } from './connection.js';
import { mapQueryError } from './errors.js';
import { hasOnDatabase, readGrants } from './grants.js';
import { METADATA_DB } from './metadata-db.js';
import { triggerPrivilegeProblems } from './trigger-privileges.js';

/** Writing the changes into the migrated database. */
export const MIGRATED_DB_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
/** The watermark and the saved triggers live there; end migration drops it. */
export const METADATA_DB_PRIVILEGES = ['CREATE', 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'DROP'] as const;

export const FIX_PREFIX = 'run on the source as an administrator: ';

/** checkApply: every privilege fall-back needs on `database` and on the metadata database. */
export async function checkApplyPrivileges(conn: mysql.Connection, database: string): Promise<{ ok: boolean; fix?: string }> {
  try {
    const g = await readGrants(conn);
    const fixes: string[] = [];
    const dml = MIGRATED_DB_PRIVILEGES.filter((p) => !hasOnDatabase(g, p, database));
    if (dml.length) fixes.push(`GRANT ${dml.join(', ')} ON ${quoteMyIdent(database)}.* TO ${g.user}`);
    // The tool owns that database, so the fix grants all on it (docs/prepare-databases.md says the same).
    if (METADATA_DB_PRIVILEGES.some((p) => !hasOnDatabase(g, p, METADATA_DB))) fixes.push(`GRANT ALL PRIVILEGES ON ${quoteMyIdent(METADATA_DB)}.* TO ${g.user}`);
    fixes.push(...(await triggerPrivilegeProblems(conn, database)).fixes);
    return fixes.length ? { ok: false, fix: FIX_PREFIX + fixes.map((f) => `${f};`).join(' ') } : { ok: true };
  } catch (e) {
    throw e instanceof VoyagerError ? e : mapQueryError(e, 'reading the privileges of the source user');
  }
}
