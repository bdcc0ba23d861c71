/**
 * The migration user's privileges as SHOW GRANTS states them (MySQL/MariaDB have no has_privilege()). Read
 * from SHOW GRANTS rather than information_schema: MariaDB's *_PRIVILEGES views leave out what the current
 * role grants, while its SHOW GRANTS lists it (MySQL 8 needs USING <active roles> for the same).
 */
import type mysql from 'mysql2/promise';
import { rows } from './connection.js';
import { serverFlavor } from './database-identity.js';

/** What one GRANT (or, under MySQL's partial_revokes, REVOKE) line covers. */
export interface GrantLine {
  readonly revoke: boolean;
  /** Upper-case, single-spaced ('TRIGGER', 'SET USER', 'SET_USER_ID'); 'ALL' for ALL [PRIVILEGES]. */
  readonly privileges: ReadonlySet<string>;
  /** `db` is a pattern as stored: `_` and `%` are wildcards unless escaped with a backslash. */
  readonly on: { kind: 'global' } | { kind: 'db'; db: string } | { kind: 'table'; db: string; table: string } | { kind: 'other' };
}

export interface UserGrants {
  /** CURRENT_USER() as a GRANT names it: 'user'@'host'. */
  readonly user: string;
  readonly lines: readonly GrantLine[];
  /** Database names compare case-insensitively (lower_case_table_names > 0). */
  readonly caseInsensitive: boolean;
}

export async function readGrants(conn: mysql.Connection): Promise<UserGrants> {
  const [who] = await rows<{ u: string; r: string | null; lctn: string }>(conn, 'SELECT CURRENT_USER() AS u, CURRENT_ROLE() AS r, @@lower_case_table_names AS lctn');
  const { flavor } = await serverFlavor(conn);
  // MySQL 8 lists active roles' privileges only when asked USING them; MariaDB includes the current role's.
  const sql = flavor === 'mysql' && who.r && who.r !== 'NONE' ? `SHOW GRANTS FOR CURRENT_USER() USING ${who.r}` : 'SHOW GRANTS';
  const text = (await rows<Record<string, string>>(conn, sql)).map((r) => String(Object.values(r)[0]));
  const at = who.u.lastIndexOf('@');
  return {
    user: `'${who.u.slice(0, at)}'@'${who.u.slice(at + 1)}'`,
    lines: text.map(parseGrantLine).filter((g): g is GrantLine => g !== undefined),
    caseInsensitive: Number(who.lctn) > 0,
  };
}

/** Global privilege: granted ON *.* (or ALL there). */
export function hasGlobal(g: UserGrants, privilege: string): boolean {
  return g.lines.some((l) => !l.revoke && l.on.kind === 'global' && grants(l, privilege));
}

/** Privilege on every table of database `db`: globally (unless partially revoked for it) or on the database. */
export function hasOnDatabase(g: UserGrants, privilege: string, db: string): boolean {
  const matches = (pattern: string) => dbPattern(pattern, g.caseInsensitive).test(db);
  const onDb = (revoke: boolean) => g.lines.some((l) => l.revoke === revoke && l.on.kind === 'db' && matches(l.on.db) && grants(l, privilege));
  return onDb(false) || (hasGlobal(g, privilege) && !onDb(true));
}

function grants(l: GrantLine, privilege: string): boolean {
  return l.privileges.has(privilege) || l.privileges.has('ALL');
}

/** A database name pattern of a GRANT as a regular expression (`\_` is a literal underscore). */
function dbPattern(pattern: string, caseInsensitive: boolean): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (ch === '_') re += '.';
    else if (ch === '%') re += '.*';
    else re += escapeRe(ch);
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'is' : 's');
}

function escapeRe(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** One line of SHOW GRANTS; undefined for lines that grant no privilege on objects (roles, SET DEFAULT ROLE). */
export function parseGrantLine(line: string): GrantLine | undefined {
  const verb = /^(GRANT|REVOKE)\s+/i.exec(line);
  if (!verb) return undefined;
  const on = findKeyword(line, 'ON', verb[0].length);
  if (on < 0) return undefined; // GRANT `role` TO …
  const to = findKeyword(line, verb[1].toUpperCase() === 'GRANT' ? 'TO' : 'FROM', on + 4);
  const privileges = new Set(
    line
      .slice(verb[0].length, on)
      .replace(/\([^)]*\)/g, '') // column lists: SELECT (`a`, `b`)
      .split(',')
      .map((p) => p.trim().replace(/\s+/g, ' ').toUpperCase())
      .map((p) => (p === 'ALL PRIVILEGES' ? 'ALL' : p))
      .filter(Boolean),
  );
  return { revoke: verb[1].toUpperCase() === 'REVOKE', privileges, on: parseObject(line.slice(on + 4, to < 0 ? undefined : to).trim()) };
}

/** Index of ` KEYWORD ` outside backticks, quotes and parentheses, from `from`; -1 when absent. */
function findKeyword(s: string, keyword: string, from: number): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '`' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && ch === ' ' && s.slice(i + 1, i + 2 + keyword.length).toUpperCase() === `${keyword} `) return i;
  }
  return -1;
}

function parseObject(o: string): GrantLine['on'] {
  if (o === '*.*' || o === '*') return { kind: 'global' };
  if (/^(PROCEDURE|FUNCTION|PACKAGE|PACKAGE BODY)\s/i.test(o) || o.startsWith("'")) return { kind: 'other' };
  const [db, rest] = readIdent(o);
  if (!rest.startsWith('.')) return { kind: 'other' };
  if (rest === '.*') return { kind: 'db', db };
  return { kind: 'table', db, table: readIdent(rest.slice(1))[0] };
}

/** A leading identifier, backquoted (`` ` `` doubled inside) or bare, and what follows it. */
function readIdent(s: string): [string, string] {
  if (!s.startsWith('`')) {
    const end = s.indexOf('.');
    return end < 0 ? [s, ''] : [s.slice(0, end), s.slice(end)];
  }
  let out = '';
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '`') {
      if (s[i + 1] === '`') {
        out += '`';
        i++;
      } else return [out, s.slice(i + 1)];
    } else out += s[i];
  }
  return [out, ''];
}
