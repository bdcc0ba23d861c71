/**
 * What the migration user needs to set the source's triggers aside and put them back: TRIGGER on the
 * database (to see them at all: information_schema lists only triggers on tables the user holds TRIGGER on,
 * and to drop and create them), and, when a trigger's DEFINER is another account, the right to name that
 * account in CREATE TRIGGER. Checked before anything is dropped: a trigger that could not be recreated
 * must never be dropped.
 */
import type mysql from 'mysql2/promise';
import type { Conn } from '../../core/connection.js';
import { quoteMyIdent, rows, withConnection } from './connection.js';
import { serverFlavor } from './database-identity.js';
import { mapQueryError } from './errors.js';
import { hasGlobal, hasOnDatabase, readGrants } from './grants.js';
import { readSuspended } from './trigger-store.js';

export interface TriggerPrivileges {
  /** One sentence per missing privilege, naming its fix. */
  problems: string[];
  /** The GRANT statements that fix them. */
  fixes: string[];
}

export async function checkTriggerPrivileges(c: Conn, o: { migrationUuid?: string } = {}): Promise<TriggerPrivileges> {
  return withConnection(c, async (conn) => {
    try {
      return await triggerPrivilegeProblems(conn, c.settings.database, o.migrationUuid);
    } catch (e) {
      throw mapQueryError(e, 'checking the privileges on the triggers');
    }
  });
}

/** Also counts the definers of the migration's triggers saved and not yet put back (they are not live to be seen). */
export async function triggerPrivilegeProblems(conn: mysql.Connection, db: string, migrationUuid?: string): Promise<TriggerPrivileges> {
  const g = await readGrants(conn);
  const problems: string[] = [];
  const fixes: string[] = [];
  if (!hasOnDatabase(g, 'TRIGGER', db)) {
    const fix = `GRANT TRIGGER ON ${quoteMyIdent(db)}.* TO ${g.user}`;
    problems.push(`the migration user may not read, drop and recreate the triggers of database ${quoteMyIdent(db)}: ${fix}`);
    fixes.push(fix);
  }
  const byDefiner = await triggersOfOtherDefiners(conn, db, migrationUuid);
  if (byDefiner.size) {
    const { flavor, version } = await serverFlavor(conn);
    const allowed = flavor === 'mariadb' ? ['SUPER', 'SET USER'] : ['SUPER', 'SET_USER_ID', 'SET_ANY_DEFINER'];
    if (!allowed.some((p) => hasGlobal(g, p))) {
      const privilege = definerPrivilege(flavor, version);
      const fix = `GRANT ${privilege} ON *.* TO ${g.user}`;
      const which = [...byDefiner].map(([definer, names]) => `${names.map(quoteMyIdent).join(', ')} (definer ${definer})`).join('; ');
      const systemUser = flavor === 'mysql' ? ', and SYSTEM_USER too if a definer account holds it, as root does' : '';
      problems.push(`recreating triggers defined by another account needs ${privilege}${systemUser}: ${which}: ${fix}`);
      fixes.push(fix);
    }
  }
  return { problems, fixes };
}

/** Triggers (live, or saved and not yet back) whose definer is not the current user, by definer. */
async function triggersOfOtherDefiners(conn: mysql.Connection, db: string, migrationUuid?: string): Promise<Map<string, string[]>> {
  const [me] = await rows<{ u: string }>(conn, 'SELECT CURRENT_USER() AS u');
  const live = await rows<{ name: string; definer: string }>(conn, 'SELECT TRIGGER_NAME AS name, DEFINER AS definer FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1', [db]);
  const saved = migrationUuid ? (await readSuspended(conn, migrationUuid)).triggers : [];
  const out = new Map<string, string[]>();
  for (const t of [...live, ...saved]) {
    if (t.definer === me.u) continue;
    const names = out.get(t.definer) ?? [];
    if (!names.includes(t.name)) names.push(t.name);
    out.set(t.definer, names);
  }
  return out;
}

/** The narrowest privilege that lets CREATE TRIGGER name another DEFINER on this server. */
function definerPrivilege(flavor: 'mariadb' | 'mysql', version: string): string {
  const [major, minor, patch] = (/^(\d+)\.(\d+)\.(\d+)/.exec(version) ?? ['', '0', '0', '0']).slice(1).map(Number);
  const at = (a: number, b: number, c: number) => major > a || (major === a && (minor > b || (minor === b && patch >= c)));
  if (flavor === 'mariadb') return at(10, 5, 2) ? 'SET USER' : 'SUPER';
  return at(8, 2, 0) ? 'SET_ANY_DEFINER' : 'SET_USER_ID';
}
