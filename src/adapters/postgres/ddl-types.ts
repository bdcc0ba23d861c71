/**
 * DDL for the objects tables are built from: schemas, extensions, collations, types (enum, composite,
 * domain, range) and sequences.
 */
import { topoSort } from '../../core/topo-sort.js';
import { DdlContext, FIRST_USER_OID, literal, notExtensionMember } from './ddl-context.js';

export interface ExportedSchemaRef {
  oid: number;
  name: string;
  /** quote_ident(name) */
  ident: string;
}

/** The public schema exists in every database, with this comment (PostgreSQL 15+). */
const PUBLIC_SCHEMA_COMMENT = 'standard public schema';

export function schemaDdl(ctx: DdlContext, schemas: readonly ExportedSchemaRef[]): void {
  for (const s of schemas) {
    // public exists in every database; IF NOT EXISTS lets a pre-created target schema be used as is.
    if (s.name !== 'public') ctx.add('schemas', 'SCHEMA', s.ident, `CREATE SCHEMA IF NOT EXISTS ${s.ident}`);
    const comment = ctx.commentText('pg_namespace', s.oid);
    if (comment !== undefined && !(s.name === 'public' && comment === PUBLIC_SCHEMA_COMMENT)) ctx.comment('pg_namespace', s.oid, `SCHEMA ${s.ident}`);
  }
}

export async function extensionDdl(ctx: DdlContext): Promise<void> {
  const rows = await ctx.q<{ oid: number; name: string; nsp: string; in_scope: boolean; nspname: string }>(
    `SELECT e.oid, quote_ident(e.extname) AS name, quote_ident(n.nspname) AS nsp, n.nspname, e.extnamespace = ANY($1) AS in_scope
       FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
      WHERE e.oid >= ${FIRST_USER_OID}
      ORDER BY e.extname`,
  );
  for (const e of rows) {
    if (!e.in_scope) {
      if (e.nspname !== 'pg_catalog') ctx.warn(`extension ${e.name} (in schema ${e.nsp}) is not exported because ${e.nsp} is not in --source-db-schema; create it on the target if the exported objects use it`);
      continue;
    }
    ctx.add('extensions', 'EXTENSION', e.name, `CREATE EXTENSION IF NOT EXISTS ${e.name} WITH SCHEMA ${e.nsp}`);
    ctx.comment('pg_extension', e.oid, `EXTENSION ${e.name}`);
  }
}

export async function collationDdl(ctx: DdlContext): Promise<void> {
  // to_jsonb: the locale columns changed names across versions (colliculocale 15, colllocale 17).
  const rows = await ctx.q<{ oid: number; name: string; c: Record<string, unknown> }>(
    `SELECT c.oid, format('%I.%I', n.nspname, c.collname) AS name, to_jsonb(c) AS c
       FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace
      WHERE c.collnamespace = ANY($1) AND ${notExtensionMember('pg_collation', 'c.oid')}
      ORDER BY c.collname`,
  );
  for (const { oid, name, c } of rows) {
    const provider = c.collprovider as string;
    const opts: string[] = [];
    if (provider === 'i') {
      opts.push('provider = icu', `locale = ${literal(String(c.colliculocale ?? c.colllocale ?? c.collcollate))}`);
      if (c.collicurules) opts.push(`rules = ${literal(String(c.collicurules))}`);
    } else if (provider === 'c') {
      opts.push('provider = libc');
      if (c.collcollate === c.collctype) opts.push(`locale = ${literal(String(c.collcollate))}`);
      else opts.push(`lc_collate = ${literal(String(c.collcollate))}`, `lc_ctype = ${literal(String(c.collctype))}`);
    } else {
      ctx.warn(`collation ${name} uses provider '${provider}', which cannot be exported; create it on the target by hand`);
      continue;
    }
    if (c.collisdeterministic === false) opts.push('deterministic = false');
    ctx.add('types', 'COLLATION', name, `CREATE COLLATION ${name} (${opts.join(', ')})`);
    ctx.comment('pg_collation', oid, `COLLATION ${name}`);
  }
}

interface TypeRow extends Record<string, unknown> {
  oid: number;
  typtype: 'e' | 'c' | 'd' | 'r';
  name: string;
  typrelid: number;
  deps: number[] | null;
}

export async function typeDdl(ctx: DdlContext): Promise<void> {
  // deps: the user types each type is built from (array types resolved to their elements), for ordering.
  const types = await ctx.q<TypeRow>(
    `SELECT t.oid::int AS oid, t.typtype::text AS typtype, format('%I.%I', n.nspname, t.typname) AS name, t.typrelid::int AS typrelid,
            ARRAY(SELECT (CASE WHEN dt.typelem <> 0 AND dt.typcategory = 'A' THEN dt.typelem ELSE dt.oid END)::int
                    FROM pg_catalog.pg_type dt
                   WHERE dt.oid IN (t.typbasetype,
                                    (SELECT rngsubtype FROM pg_catalog.pg_range WHERE rngtypid = t.oid))
                      OR dt.oid IN (SELECT atttypid FROM pg_catalog.pg_attribute WHERE attrelid = t.typrelid AND attnum > 0)) AS deps
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typnamespace = ANY($1) AND t.typtype IN ('e', 'c', 'd', 'r')
        AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_catalog.pg_class WHERE oid = t.typrelid) = 'c')
        AND ${notExtensionMember('pg_type', 't.oid')}
      ORDER BY t.typname`,
  );
  const base = await ctx.q<{ oid: number; typtype: string; typname: string }>(
    `SELECT t.oid, t.typtype, format('%I.%I', n.nspname, t.typname) AS typname
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typnamespace = ANY($1) AND t.typtype IN ('b', 'p') AND t.typcategory <> 'A' AND ${notExtensionMember('pg_type', 't.oid')}`,
  );
  for (const b of base) ctx.warn(`base type ${b.typname} (defined with C input/output functions) is not exported; create it on the target by hand`);

  const enums = await enumLabels(ctx, types.filter((t) => t.typtype === 'e').map((t) => t.oid));
  const composites = await compositeAttributes(ctx, types.filter((t) => t.typtype === 'c').map((t) => t.typrelid));
  const domains = await domainDefs(ctx, types.filter((t) => t.typtype === 'd').map((t) => t.oid));
  const ranges = await rangeDefs(ctx, types.filter((t) => t.typtype === 'r').map((t) => t.oid));

  const ordered = topoSort(types, (t) => String(t.oid), (t) => (t.deps ?? []).map(String));
  for (const t of ordered) {
    switch (t.typtype) {
      case 'e':
        ctx.add('types', 'TYPE', t.name, `CREATE TYPE ${t.name} AS ENUM (\n    ${(enums.get(t.oid) ?? []).map(literal).join(',\n    ')}\n)`);
        ctx.comment('pg_type', t.oid, `TYPE ${t.name}`);
        break;
      case 'c': {
        const attrs = composites.get(t.typrelid) ?? [];
        ctx.add('types', 'TYPE', t.name, `CREATE TYPE ${t.name} AS (\n    ${attrs.map((a) => a.def).join(',\n    ')}\n)`);
        ctx.comment('pg_type', t.oid, `TYPE ${t.name}`);
        ctx.columnComments(t.typrelid, t.name, new Map(attrs.map((a) => [a.attnum, a.name])));
        break;
      }
      case 'd': {
        const d = domains.get(t.oid)!;
        ctx.add('types', 'DOMAIN', t.name, d.create);
        for (const extra of d.notValid) ctx.add('types', 'DOMAIN CONSTRAINT', t.name, extra);
        ctx.comment('pg_type', t.oid, `DOMAIN ${t.name}`);
        for (const c of d.constraints) ctx.comment('pg_constraint', c.oid, `CONSTRAINT ${c.name} ON DOMAIN ${t.name}`);
        break;
      }
      case 'r':
        ctx.add('types', 'TYPE', t.name, `CREATE TYPE ${t.name} AS RANGE (\n    ${ranges.get(t.oid)!.join(',\n    ')}\n)`);
        ctx.comment('pg_type', t.oid, `TYPE ${t.name}`);
        break;
    }
  }
}

async function enumLabels(ctx: DdlContext, oids: number[]): Promise<Map<number, string[]>> {
  const rows = await ctx.q<{ enumtypid: number; labels: string[] }>(
    `SELECT enumtypid, array_agg(enumlabel::text ORDER BY enumsortorder) AS labels FROM pg_catalog.pg_enum WHERE enumtypid = ANY($1) GROUP BY enumtypid`,
    [oids],
  );
  return new Map(rows.map((r) => [r.enumtypid, r.labels]));
}

async function compositeAttributes(ctx: DdlContext, relids: number[]): Promise<Map<number, { attnum: number; name: string; def: string }[]>> {
  const rows = await ctx.q<{ attrelid: number; attnum: number; name: string; def: string }>(
    `SELECT a.attrelid, a.attnum, quote_ident(a.attname) AS name,
            quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) ||
              CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                   THEN ' COLLATE ' || (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_catalog.pg_collation co
                                          JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation)
                   ELSE '' END AS def
       FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [relids],
  );
  const out = new Map<number, { attnum: number; name: string; def: string }[]>();
  for (const r of rows) out.set(r.attrelid, [...(out.get(r.attrelid) ?? []), r]);
  return out;
}

interface DomainDef {
  create: string;
  notValid: string[];
  constraints: { oid: number; name: string }[];
}

async function domainDefs(ctx: DdlContext, oids: number[]): Promise<Map<number, DomainDef>> {
  const rows = await ctx.q<{ oid: number; name: string; base: string; coll: string | null; def: string | null; notnull: boolean }>(
    `SELECT t.oid, format('%I.%I', n.nspname, t.typname) AS name, format_type(t.typbasetype, t.typtypmod) AS base,
            CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
                 THEN (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_catalog.pg_collation co
                         JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END AS coll,
            pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::regclass) AS def, t.typnotnull AS notnull
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
      WHERE t.oid = ANY($1)`,
    [oids],
  );
  const cons = await ctx.q<{ contypid: number; oid: number; name: string; def: string; convalidated: boolean }>(
    `SELECT c.contypid, c.oid, quote_ident(c.conname) AS name, pg_get_constraintdef(c.oid) AS def, c.convalidated
       FROM pg_catalog.pg_constraint c WHERE c.contypid = ANY($1) AND c.contype = 'c' ORDER BY c.conname`,
    [oids],
  );
  const out = new Map<number, DomainDef>();
  for (const r of rows) {
    const mine = cons.filter((c) => c.contypid === r.oid);
    let sql = `CREATE DOMAIN ${r.name} AS ${r.base}`;
    if (r.coll) sql += ` COLLATE ${r.coll}`;
    if (r.def !== null) sql += ` DEFAULT ${r.def}`;
    if (r.notnull) sql += ' NOT NULL';
    for (const c of mine.filter((c) => c.convalidated)) sql += `\n    CONSTRAINT ${c.name} ${c.def}`;
    out.set(r.oid, {
      create: sql,
      notValid: mine.filter((c) => !c.convalidated).map((c) => `ALTER DOMAIN ${r.name} ADD CONSTRAINT ${c.name} ${c.def}`),
      constraints: mine.map((c) => ({ oid: c.oid, name: c.name })),
    });
  }
  return out;
}

async function rangeDefs(ctx: DdlContext, oids: number[]): Promise<Map<number, string[]>> {
  const rows = await ctx.q<{ rngtypid: number; subtype: string; multirange: string | null; opclass: string | null; coll: string | null; canonical: string | null; diff: string | null }>(
    `SELECT r.rngtypid, format_type(r.rngsubtype, NULL) AS subtype,
            (SELECT format('%I.%I', mn.nspname, mt.typname) FROM pg_catalog.pg_type mt JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace
              WHERE mt.oid = (to_jsonb(r) ->> 'rngmultitypid')::oid) AS multirange,
            CASE WHEN NOT opc.opcdefault THEN format('%I.%I', opn.nspname, opc.opcname) END AS opclass,
            CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
                 THEN (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_catalog.pg_collation co
                         JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = r.rngcollation) END AS coll,
            NULLIF(r.rngcanonical, 0)::regproc::text AS canonical, NULLIF(r.rngsubdiff, 0)::regproc::text AS diff
       FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
       JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc JOIN pg_catalog.pg_namespace opn ON opn.oid = opc.opcnamespace
      WHERE r.rngtypid = ANY($1)`,
    [oids],
  );
  const out = new Map<number, string[]>();
  for (const r of rows) {
    const opts = [`subtype = ${r.subtype}`];
    if (r.multirange) opts.push(`multirange_type_name = ${r.multirange}`);
    if (r.opclass) opts.push(`subtype_opclass = ${r.opclass}`);
    if (r.coll) opts.push(`collation = ${r.coll}`);
    if (r.canonical) opts.push(`canonical = ${r.canonical}`);
    if (r.diff) opts.push(`subtype_diff = ${r.diff}`);
    out.set(r.rngtypid, opts);
  }
  return out;
}

export async function sequenceDdl(ctx: DdlContext): Promise<void> {
  // Identity columns' sequences (dependency 'i') come with their tables; OWNED BY is dependency 'a'.
  const rows = await ctx.q<{
    oid: number; name: string; typ: string; start: string; inc: string; min: string; max: string; cache: string; cycle: boolean;
    unlogged: boolean; owner: string | null; owner_in_scope: boolean | null;
  }>(
    `SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, format_type(s.seqtypid, NULL) AS typ,
            s.seqstart::text AS start, s.seqincrement::text AS inc, s.seqmin::text AS min, s.seqmax::text AS max,
            s.seqcache::text AS cache, s.seqcycle AS cycle, c.relpersistence = 'u' AS unlogged,
            (SELECT format('%I.%I.%I', tn.nspname, t.relname, a.attname)
               FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
               JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
               JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
                AND d.deptype = 'a' LIMIT 1) AS owner,
            (SELECT t.relnamespace = ANY($1) FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
              WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
                AND d.deptype = 'a' LIMIT 1) AS owner_in_scope
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
      WHERE c.relkind = 'S' AND c.relnamespace = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')
      ORDER BY c.relname`,
  );
  for (const s of rows) {
    const sql =
      `CREATE ${s.unlogged ? 'UNLOGGED ' : ''}SEQUENCE ${s.name}\n    AS ${s.typ}\n    START WITH ${s.start}\n    INCREMENT BY ${s.inc}\n` +
      `    MINVALUE ${s.min}\n    MAXVALUE ${s.max}\n    CACHE ${s.cache}\n    ${s.cycle ? 'CYCLE' : 'NO CYCLE'}`;
    ctx.add('sequences', 'SEQUENCE', s.name, sql);
    ctx.comment('pg_class', s.oid, `SEQUENCE ${s.name}`);
  }
  // OWNED BY needs the table: import schema applies these after the tables.
  for (const s of rows) {
    if (!s.owner) continue;
    if (!s.owner_in_scope) {
      ctx.warn(`sequence ${s.name} is owned by ${s.owner}, which is not exported; OWNED BY left out`);
      continue;
    }
    ctx.add('sequences', 'SEQUENCE OWNED BY', s.name, `ALTER SEQUENCE ${s.name} OWNED BY ${s.owner}`);
  }
}

/** Identity column options: `(SEQUENCE NAME … START WITH … …)` from the column's internal sequence. */
export function identityOptions(seq: { name: string; start: string; inc: string; min: string; max: string; cache: string; cycle: boolean }): string {
  return `(SEQUENCE NAME ${seq.name} START WITH ${seq.start} INCREMENT BY ${seq.inc} MINVALUE ${seq.min} MAXVALUE ${seq.max} CACHE ${seq.cache}${seq.cycle ? ' CYCLE' : ''})`;
}
