/**
 * Shared state of one schema export: the catalog connection (inside one REPEATABLE READ transaction with
 * an empty search_path, so every name the server prints is schema-qualified), the exported schemas,
 * the statements collected per file, the comments of every user object, and warnings for the user.
 */
import type pg from 'pg';
import { pgDriver } from './pg-driver.js';
import type { DdlStatement, SchemaDir } from '../../core/schema-files.js';

/** node-postgres' own parsers (booleans, arrays, json), instead of the raw text the data paths use. */
const PARSED_TYPES = { getTypeParser: pgDriver.types.getTypeParser } as pg.CustomTypesConfig;

/** Objects with an oid below this were created by initdb (PostgreSQL's FirstNormalObjectId). */
export const FIRST_USER_OID = 16384;

export class DdlContext {
  readonly files = new Map<SchemaDir, DdlStatement[]>();
  readonly warnings: string[] = [];
  private comments = new Map<string, string>();

  constructor(
    readonly client: pg.Client,
    /** oids of the exported schemas */
    readonly schemaOids: readonly number[],
    readonly serverVersionNum: number,
  ) {}

  async q<T extends Record<string, unknown>>(text: string, values: unknown[] = [this.schemaOids]): Promise<T[]> {
    const r = await this.client.query<T>({ text, values, types: PARSED_TYPES });
    return r.rows;
  }

  add(dir: SchemaDir, objectType: string, name: string, sql: string): void {
    const list = this.files.get(dir) ?? [];
    list.push({ objectType, name, sql });
    this.files.set(dir, list);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  /** Load every comment on a user object once; DDL builders then ask for theirs. */
  async loadComments(): Promise<void> {
    const rows = await this.q<{ cls: string; objoid: number; objsubid: number; description: string }>(
      `SELECT d.classoid::regclass::text AS cls, d.objoid, d.objsubid, d.description
         FROM pg_catalog.pg_description d
        WHERE d.objoid >= ${FIRST_USER_OID} OR d.classoid = 'pg_catalog.pg_namespace'::regclass`,
      [],
    );
    for (const r of rows) this.comments.set(`${r.cls}:${r.objoid}:${r.objsubid}`, r.description);
  }

  commentText(catalog: string, oid: number, subId = 0): string | undefined {
    return this.comments.get(`${catalog}:${oid}:${subId}`);
  }

  /** Emit `COMMENT ON <target> IS '…'` into `dir` when the object has a comment. */
  comment(catalog: string, oid: number, target: string, dir: SchemaDir = 'comments', subId = 0): void {
    const text = this.commentText(catalog, oid, subId);
    if (text === undefined) return;
    this.add(dir, 'COMMENT', target, `COMMENT ON ${target} IS ${literal(text)}`);
  }

  /** Column comments of a table, view, materialized view or composite type. */
  columnComments(relOid: number, relName: string, columns: ReadonlyMap<number, string>, dir: SchemaDir = 'comments'): void {
    for (const [attnum, col] of columns) this.comment('pg_class', relOid, `COLUMN ${relName}.${col}`, dir, attnum);
  }
}

/** A SQL string literal (standard_conforming_strings on: only quotes double). */
export function literal(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}

/** `NOT EXISTS (…)`: the object is not a member of an extension (CREATE EXTENSION makes those). */
export function notExtensionMember(catalog: string, oidExpr: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend ext WHERE ext.classid = '${catalog}'::regclass AND ext.objid = ${oidExpr} AND ext.deptype = 'e')`;
}

/** `WITH (a='1', b='x')` from a reloptions array (values quoted as pg_dump does); '' when empty. */
export function withOptions(options: readonly string[] | null | undefined, prefix = ''): string[] {
  return (options ?? []).map((o) => {
    const eq = o.indexOf('=');
    return eq < 0 ? `${prefix}${o}` : `${prefix}${o.slice(0, eq)}=${literal(o.slice(eq + 1))}`;
  });
}
