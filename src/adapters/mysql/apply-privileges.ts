/**
 * Can the migration user apply the fall-back stream to the MySQL/MariaDB source? Read from the user's grants
 * as the server prints them (SHOW GRANTS, with the privileges of the roles active at login), judged per
 * database: global grants (ON *.*), database grants (ON `db`.*, wildcards `_` and `%` included) and MySQL 8's
 * partial revokes. Table and column grants are not counted (fall-back writes every migrated table). Every
 * missing privilege comes back at once, as the GRANT statements that add them.
 */
import type mysql from 'mysql2/promise';
import { rows } from './connection.js';
import { serverFlavor } from './database-identity.js';
import { mapQueryError } from './errors.js';
import { METADATA_DB } from './metadata-db.js';

/** Writing the changes, and setting the database's triggers aside while they are applied. */
export const MIGRATED_DB_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRIGGER'] as const;
/** The watermark and the saved triggers live there; end migration drops it. */
export const METADATA_DB_PRIVILEGES = ['CREATE', 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'DROP'] as const;

interface Grant {
  /** undefined: every database (*.*); else the database name pattern of `db`.* */
  readonly db?: RegExp;
  readonly privileges: ReadonlySet<string>;
  readonly revoke: boolean;
}

const unquote = (s: string) => (s.startsWith('`') ? s.slice(1, -1).replace(/``/g, '`') : s);

/** A GRANT database name (`_` and `%` wildcards, `\` escapes) as a regular expression. */
function dbPattern(name: string): RegExp {
  let re = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '\\' && i + 1 < name.length) re += name[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The privilege lines that matter here ('GRANT … ON *.* / `db`.* TO …', 'REVOKE … ON `db`.* FROM …'); others are skipped. */
export function parseGrants(lines: readonly string[]): Grant[] {
  const out: Grant[] = [];
  for (const line of lines) {
    const m = /^(GRANT|REVOKE) (.+?) ON (\*\.\*|(`(?:[^`]|``)+`|[^\s.]+)\.\*) (TO|FROM) /i.exec(line.trim());
    if (!m) continue;
    const privileges = new Set(
      m[2].replace(/\([^)]*\)/g, '').split(',').map((p) => p.trim().toUpperCase().replace(/\s+/g, ' ')).filter(Boolean)
        .map((p) => (p === 'ALL' ? 'ALL PRIVILEGES' : p)),
    );
    out.push({ db: m[4] === undefined ? undefined : dbPattern(unquote(m[4])), privileges, revoke: m[1].toUpperCase() === 'REVOKE' });
  }
  return out;
}

/** The privileges of `wanted` that the grants do not give on `database`. */
export function missingOn(grants: readonly Grant[], database: string, wanted: readonly string[]): string[] {
  const applies = (g: Grant) => g.db === undefined || g.db.test(database);
  const has = (g: Grant, p: string) => g.privileges.has(p) || g.privileges.has('ALL PRIVILEGES');
  return wanted.filter((p) => {
    const granted = grants.some((g) => !g.revoke && applies(g) && has(g, p));
    const revoked = grants.some((g) => g.revoke && g.db !== undefined && g.db.test(database) && has(g, p));
    return !granted || revoked;
  });
}

const quoteString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** 'user@host' (CURRENT_USER()) as a GRANT names it: 'user'@'host'. */
export function accountName(currentUser: string): string {
  const at = currentUser.lastIndexOf('@');
  return at < 0 ? quoteString(currentUser) : `${quoteString(currentUser.slice(0, at))}@${quoteString(currentUser.slice(at + 1))}`;
}

/** The statements granting what is missing; '' when nothing is. */
export function grantStatements(account: string, missing: readonly { db: string; privileges: readonly string[] }[]): string {
  return missing
    .filter((m) => m.privileges.length)
    .map((m) => `GRANT ${m.privileges.join(', ')} ON \`${m.db.replace(/`/g, '``')}\`.* TO ${account};`)
    .join(' ');
}

/** What the session may do: its own grants and those of the roles active at login (and the roles those hold). */
async function grantLines(conn: mysql.Connection): Promise<string[]> {
  const show = async (sql: string) => (await rows<Record<string, string>>(conn, sql)).map((r) => String(Object.values(r)[0]));
  // MariaDB's SHOW GRANTS already lists the privileges of the active role and of the roles it holds.
  if ((await serverFlavor(conn)).flavor === 'mariadb') return show('SHOW GRANTS');
  // MySQL 8 lists only that roles are granted: USING adds the active ones' privileges ('NONE' or `r1`@`%`,`r2`@`%`).
  const [{ role }] = await rows<{ role: string | null }>(conn, 'SELECT CURRENT_ROLE() AS role');
  return show(role && role !== 'NONE' ? `SHOW GRANTS FOR CURRENT_USER() USING ${role}` : 'SHOW GRANTS');
}

/** checkApply: every privilege fall-back needs on `database` and on the metadata database, at once. */
export async function checkApplyPrivileges(conn: mysql.Connection, database: string): Promise<{ ok: boolean; fix?: string }> {
  try {
    const grants = parseGrants(await grantLines(conn));
    const [{ u }] = await rows<{ u: string }>(conn, 'SELECT CURRENT_USER() AS u');
    const missing = [
      { db: database, privileges: missingOn(grants, database, MIGRATED_DB_PRIVILEGES) },
      // The tool owns that database, so the fix grants all on it (docs/prepare-databases.md says the same).
      { db: METADATA_DB, privileges: missingOn(grants, METADATA_DB, METADATA_DB_PRIVILEGES).length ? ['ALL PRIVILEGES'] : [] },
    ];
    const fix = grantStatements(accountName(u), missing);
    return fix ? { ok: false, fix: `run on the source as an administrator: ${fix}` } : { ok: true };
  } catch (e) {
    throw mapQueryError(e, 'reading the privileges of the source user');
  }
}
