/**
 * DDL for tables (columns with identity/generated/default/collation, CHECK/UNIQUE/PRIMARY KEY/EXCLUDE
 * constraints inline), partitions (range/list/hash, default, multi-level) and foreign keys.
 *
 * A partition whose columns match its parent's is written `CREATE TABLE p PARTITION OF parent …` (what
 * people write, and what YugabyteDB wants); one attached with another column order is written as a table
 * plus `ALTER TABLE parent ATTACH PARTITION`, so its columns keep their order.
 */
import { topoSort } from '../../core/topo-sort.js';
import { DdlContext, notExtensionMember, withOptions } from './ddl-context.js';
import { identityOptions } from './ddl-types.js';

interface RelRow extends Record<string, unknown> {
  oid: number;
  name: string;
  relkind: 'r' | 'p';
  unlogged: boolean;
  relispartition: boolean;
  reloptions: string[] | null;
  toast_options: string[] | null;
  relreplident: string;
  of_type: string | null;
  partkey: string | null;
  bound: string | null;
  amname: string | null;
  parents: number[];
  parent_names: string[];
}

interface ColumnRow extends Record<string, unknown> {
  attrelid: number;
  attnum: number;
  name: string;
  typ: string;
  notnull: boolean;
  identity: string;
  generated: string;
  islocal: boolean;
  def: string | null;
  coll: string | null;
  stattarget: number;
  storage: string;
  typstorage: string;
  options: string[] | null;
  compression: string;
  identity_seq: { name: string; start: string; inc: string; min: string; max: string; cache: string; cycle: boolean } | null;
}

interface ConstraintRow extends Record<string, unknown> {
  oid: number;
  conrelid: number;
  name: string;
  contype: string;
  def: string;
  conislocal: boolean;
  convalidated: boolean;
  conparentid: number;
  index_options: string[] | null;
}

const STORAGE: Record<string, string> = { p: 'PLAIN', e: 'EXTERNAL', x: 'EXTENDED', m: 'MAIN' };
const COMPRESSION: Record<string, string> = { p: 'pglz', l: 'lz4' };

export async function tableDdl(ctx: DdlContext): Promise<void> {
  const rels = await ctx.q<RelRow>(
    `SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, c.relkind, c.relpersistence = 'u' AS unlogged,
            c.relispartition, c.reloptions, tc.reloptions AS toast_options, c.relreplident,
            CASE WHEN c.reloftype <> 0 THEN format_type(c.reloftype, NULL) END AS of_type,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
            CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,
            am.amname,
            ARRAY(SELECT i.inhparent::int FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid ORDER BY i.inhseqno) AS parents,
            ARRAY(SELECT format('%I.%I', pn.nspname, p.relname) FROM pg_catalog.pg_inherits i
                    JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
                   WHERE i.inhrelid = c.oid ORDER BY i.inhseqno) AS parent_names
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_class tc ON tc.oid = c.reltoastrelid
       LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
      WHERE c.relkind IN ('r', 'p') AND c.relnamespace = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}
      ORDER BY c.relname`,
  );
  const foreign = await ctx.q<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'f' AND c.relnamespace = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}`,
  );
  for (const f of foreign) ctx.warn(`foreign table ${f.name} is not exported (its server and user mapping are outside the schema); create it on the target by hand`);

  const oids = rels.map((r) => r.oid);
  const columns = groupBy(await columnRows(ctx, oids), (c) => c.attrelid);
  const constraints = groupBy(await constraintRows(ctx, oids), (c) => c.conrelid);
  const byOid = new Map(rels.map((r) => [r.oid, r]));
  const ofTypeColumns = await typedTableColumns(ctx, rels);

  const plain = topoSort(rels.filter((r) => !r.relispartition), (r) => String(r.oid), (r) => r.parents.map(String));
  const partitions = topoSort(rels.filter((r) => r.relispartition), (r) => String(r.oid), (r) => r.parents.map(String));

  for (const rel of [...plain, ...partitions]) {
    const dir = rel.relispartition ? 'partitions' : 'tables';
    const cols = columns.get(rel.oid) ?? [];
    const cons = (constraints.get(rel.oid) ?? []).filter((c) => c.contype !== 'f' && c.conparentid === 0);
    const inline = cons.filter((c) => c.contype !== 'c' || (c.conislocal && c.convalidated));
    const parentCols = rel.parents.length ? rel.parents.map((p) => columns.get(p) ?? []).flat() : ofTypeColumns.get(rel.oid) ?? [];
    if (rel.parents.some((p) => !byOid.has(p))) ctx.warn(`${rel.name} inherits from ${rel.parent_names.join(', ')}, not all of which are exported`);

    const parentRel = rel.relispartition ? byOid.get(rel.parents[0]) : undefined;
    const asPartitionOf = rel.relispartition && sameColumns(cols, columns.get(rel.parents[0]) ?? []);
    // Columns a parent (or the type of a typed table) gives this table; the rest are declared here.
    // (A typed table's columns all come from its type, though the catalog calls them local.)
    const inherited = rel.relispartition ? (asPartitionOf ? cols : []) : rel.of_type ? cols : rel.parents.length ? cols.filter((c) => !c.islocal) : [];
    const declared = cols.filter((c) => !inherited.includes(c));
    const constraintDefs = inline.sort(constraintOrder).map((c) => `CONSTRAINT ${c.name} ${c.def}`);

    let sql = `CREATE ${rel.unlogged ? 'UNLOGGED ' : ''}TABLE ${rel.name}`;
    if (rel.relispartition && asPartitionOf) {
      sql += ` PARTITION OF ${rel.parent_names[0]}`;
      if (constraintDefs.length) sql += ` (\n    ${constraintDefs.join(',\n    ')}\n)`;
      sql += `\n${rel.bound}`;
    } else if (rel.of_type) {
      sql += ` OF ${rel.of_type}`;
      if (constraintDefs.length) sql += ` (\n    ${constraintDefs.join(',\n    ')}\n)`;
    } else {
      const items = [...declared.map(columnDef), ...constraintDefs];
      sql += items.length ? ` (\n    ${items.join(',\n    ')}\n)` : ' ()';
      if (!rel.relispartition && rel.parent_names.length) sql += `\nINHERITS (${rel.parent_names.join(', ')})`;
    }
    if (rel.partkey) sql += `\nPARTITION BY ${rel.partkey}`;
    if (rel.amname && rel.amname !== 'heap') sql += `\nUSING ${rel.amname}`;
    const options = [...withOptions(rel.reloptions), ...withOptions(rel.toast_options, 'toast.')];
    if (options.length) sql += `\nWITH (${options.join(', ')})`;
    ctx.add(dir, rel.relispartition ? 'PARTITION' : 'TABLE', rel.name, sql);

    if (rel.relispartition && !asPartitionOf) {
      ctx.add(dir, 'ATTACH PARTITION', rel.name, `ALTER TABLE ${parentRel?.relkind === 'p' ? '' : 'ONLY '}${rel.parent_names[0]} ATTACH PARTITION ${rel.name} ${rel.bound}`);
    }
    for (const stmt of columnFollowUps(rel.name, cols, inherited, parentCols)) ctx.add(dir, 'ALTER TABLE', rel.name, stmt);
    if (rel.relreplident === 'f') ctx.add(dir, 'REPLICA IDENTITY', rel.name, `ALTER TABLE ONLY ${rel.name} REPLICA IDENTITY FULL`);
    if (rel.relreplident === 'n') ctx.add(dir, 'REPLICA IDENTITY', rel.name, `ALTER TABLE ONLY ${rel.name} REPLICA IDENTITY NOTHING`);

    for (const c of cons.filter((c) => c.contype === 'c' && c.conislocal && !c.convalidated)) {
      ctx.add('fkeys', 'CONSTRAINT', `${rel.name} ${c.name}`, `ALTER TABLE ${rel.name} ADD CONSTRAINT ${c.name} ${c.def}`);
    }
    ctx.comment('pg_class', rel.oid, `TABLE ${rel.name}`);
    ctx.columnComments(rel.oid, rel.name, new Map(cols.map((c) => [c.attnum, c.name])));
    for (const c of cons) if (c.contype !== 'c' || c.conislocal) ctx.comment('pg_constraint', c.oid, `CONSTRAINT ${c.name} ON ${rel.name}`);
  }

  // Foreign keys last: they need every referenced table and its unique index. Constraints a partition
  // got from its parent's foreign key (conparentid set) come back with the parent's.
  for (const rel of [...plain, ...partitions]) {
    for (const c of (constraints.get(rel.oid) ?? []).filter((c) => c.contype === 'f' && c.conparentid === 0).sort(constraintOrder)) {
      ctx.add('fkeys', 'FK CONSTRAINT', `${rel.name} ${c.name}`, `ALTER TABLE ${rel.relkind === 'p' ? '' : 'ONLY '}${rel.name} ADD CONSTRAINT ${c.name} ${c.def}`);
      ctx.comment('pg_constraint', c.oid, `CONSTRAINT ${c.name} ON ${rel.name}`);
    }
  }
}

function columnDef(c: ColumnRow): string {
  let s = `${c.name} ${c.typ}`;
  if (c.coll) s += ` COLLATE ${c.coll}`;
  if (c.generated === 's') s += ` GENERATED ALWAYS AS (${c.def}) STORED`;
  else if (c.identity && c.identity_seq) s += ` GENERATED ${c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY ${identityOptions(c.identity_seq)}`;
  else if (c.def !== null) s += ` DEFAULT ${c.def}`;
  if (c.notnull) s += ' NOT NULL';
  return s;
}

/**
 * ALTER TABLE statements for what a column declaration cannot say, or what differs from what the
 * column inherited: statistics target, storage, compression, options, and an inherited column's own
 * default or NOT NULL.
 */
function columnFollowUps(rel: string, cols: readonly ColumnRow[], inherited: readonly ColumnRow[], parentCols: readonly ColumnRow[]): string[] {
  const out: string[] = [];
  const alter = (c: ColumnRow, what: string) => out.push(`ALTER TABLE ONLY ${rel} ALTER COLUMN ${c.name} ${what}`);
  for (const c of cols) {
    const parent = inherited.includes(c) ? parentCols.find((p) => p.name === c.name) : undefined;
    if (inherited.includes(c)) {
      if (c.generated !== 's' && !c.identity && (c.def ?? null) !== (parent?.def ?? null)) alter(c, c.def === null ? 'DROP DEFAULT' : `SET DEFAULT ${c.def}`);
      if (c.notnull && !parent?.notnull) alter(c, 'SET NOT NULL');
    }
    if (c.stattarget >= 0) alter(c, `SET STATISTICS ${c.stattarget}`);
    const baseStorage = parent?.storage ?? c.typstorage;
    if (c.storage !== baseStorage && STORAGE[c.storage]) alter(c, `SET STORAGE ${STORAGE[c.storage]}`);
    const baseCompression = parent?.compression ?? '';
    if (c.compression !== baseCompression && COMPRESSION[c.compression]) alter(c, `SET COMPRESSION ${COMPRESSION[c.compression]}`);
    if (c.options?.length) alter(c, `SET (${c.options.join(', ')})`);
  }
  return out;
}

function sameColumns(a: readonly ColumnRow[], b: readonly ColumnRow[]): boolean {
  return a.length === b.length && a.every((c, i) => c.name === b[i].name && c.typ === b[i].typ);
}

/** PRIMARY KEY, UNIQUE, EXCLUDE, CHECK; by name within a kind. */
function constraintOrder(x: ConstraintRow, y: ConstraintRow): number {
  const rank = (c: ConstraintRow) => 'puxcf'.indexOf(c.contype);
  return rank(x) - rank(y) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
}

async function columnRows(ctx: DdlContext, oids: number[]): Promise<ColumnRow[]> {
  const compression = ctx.serverVersionNum >= 140000 ? 'a.attcompression::text' : "''";
  return ctx.q<ColumnRow>(
    `SELECT a.attrelid, a.attnum, quote_ident(a.attname) AS name, format_type(a.atttypid, a.atttypmod) AS typ,
            a.attnotnull AS notnull, a.attidentity::text AS identity, a.attgenerated::text AS generated, a.attislocal AS islocal,
            pg_get_expr(ad.adbin, ad.adrelid) AS def,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                 THEN (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_catalog.pg_collation co
                         JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS coll,
            COALESCE(a.attstattarget, -1)::int AS stattarget, a.attstorage::text AS storage, t.typstorage::text AS typstorage,
            -- Some server builds keep a hidden per-column version (pg_attver) among the options; pg_dump skips it too.
            ARRAY(SELECT o FROM unnest(a.attoptions) AS o WHERE o NOT LIKE 'pg\\_attver=%') AS options, ${compression} AS compression,
            (SELECT to_jsonb(s) FROM (
               SELECT format('%I.%I', sn.nspname, sc.relname) AS name, q.seqstart::text AS start, q.seqincrement::text AS inc,
                      q.seqmin::text AS min, q.seqmax::text AS max, q.seqcache::text AS cache, q.seqcycle AS cycle
                 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class sc ON sc.oid = d.objid
                 JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace JOIN pg_catalog.pg_sequence q ON q.seqrelid = sc.oid
                WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum
                  AND d.classid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'i' LIMIT 1) s
              WHERE a.attidentity <> '') AS identity_seq
       FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
}

async function constraintRows(ctx: DdlContext, oids: number[]): Promise<ConstraintRow[]> {
  const rows = await ctx.q<ConstraintRow>(
    `SELECT c.oid, c.conrelid, quote_ident(c.conname) AS name, c.contype::text AS contype, pg_get_constraintdef(c.oid) AS def,
            c.conislocal, c.convalidated, c.conparentid,
            CASE WHEN c.contype IN ('p', 'u', 'x') THEN (SELECT ic.reloptions FROM pg_catalog.pg_class ic WHERE ic.oid = c.conindid) END AS index_options
       FROM pg_catalog.pg_constraint c
      WHERE c.conrelid = ANY($1) AND c.contype IN ('c', 'p', 'u', 'x', 'f')
      ORDER BY c.conrelid, c.conname`,
    [oids],
  );
  return rows.map((r) => ({ ...r, def: withIndexOptions(r) }));
}

/**
 * Storage options of a constraint's index (`PRIMARY KEY (id) WITH (fillfactor='80')`), which
 * pg_get_constraintdef leaves out on some servers. They go before the constraint's DEFERRABLE/INITIALLY
 * attributes, and before an exclusion constraint's WHERE.
 */
function withIndexOptions(c: ConstraintRow): string {
  const opts = withOptions(c.index_options);
  const clause = ` WITH (${opts.join(', ')})`;
  if (!opts.length || c.def.includes(clause)) return c.def;
  let cut = c.def.search(/( DEFERRABLE( INITIALLY (DEFERRED|IMMEDIATE))?| INITIALLY (DEFERRED|IMMEDIATE))$/);
  if (c.contype === 'x' && c.def.lastIndexOf(' WHERE (') >= 0) cut = c.def.lastIndexOf(' WHERE (');
  if (cut < 0) cut = c.def.length;
  return c.def.slice(0, cut) + clause + c.def.slice(cut);
}

/** For typed tables (CREATE TABLE … OF type): the type's attributes, which the table starts from. */
async function typedTableColumns(ctx: DdlContext, rels: readonly RelRow[]): Promise<Map<number, ColumnRow[]>> {
  const typed = rels.filter((r) => r.of_type);
  const out = new Map<number, ColumnRow[]>();
  if (!typed.length) return out;
  const rows = await ctx.q<{ oid: number; name: string; storage: string }>(
    `SELECT c.oid, quote_ident(a.attname) AS name, a.attstorage::text AS storage
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_type t ON t.oid = c.reloftype
       JOIN pg_catalog.pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.oid = ANY($1) ORDER BY c.oid, a.attnum`,
    [typed.map((r) => r.oid)],
  );
  for (const r of rows) {
    const col = { name: r.name, def: null, notnull: false, storage: r.storage, compression: '' } as unknown as ColumnRow;
    out.set(r.oid, [...(out.get(r.oid) ?? []), col]);
  }
  return out;
}

function groupBy<T, K>(rows: readonly T[], key: (r: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}
