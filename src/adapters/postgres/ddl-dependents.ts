/**
 * DDL for what is built on tables: indexes, views and materialized views (in dependency order),
 * triggers, rules, row-level security and policies.
 */
import { topoSort } from '../../core/topo-sort.js';
import { DdlContext, literal, notExtensionMember, withOptions } from './ddl-context.js';

export async function indexDdl(ctx: DdlContext): Promise<void> {
  const rows = await ctx.q<{
    oid: number; name: string; short: string; def: string; tkind: string; tbl: string; tbl_dir: 'tables' | 'partitions';
    indisclustered: boolean; indisreplident: boolean; indisvalid: boolean; relispartition: boolean; is_constraint: boolean;
    parent_oid: number | null;
  }>(
    `SELECT i.indexrelid::int AS oid, format('%I.%I', n.nspname, ic.relname) AS name, quote_ident(ic.relname) AS short,
            pg_get_indexdef(i.indexrelid) AS def, t.relkind::text AS tkind, format('%I.%I', tn.nspname, t.relname) AS tbl,
            CASE WHEN t.relispartition THEN 'partitions' ELSE 'tables' END AS tbl_dir,
            i.indisclustered, i.indisreplident, i.indisvalid, ic.relispartition,
            EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) AS is_constraint,
            (SELECT h.inhparent::int FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid) AS parent_oid
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_catalog.pg_class t ON t.oid = i.indrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      WHERE t.relnamespace = ANY($1) AND t.relkind IN ('r', 'p', 'm') AND ${notExtensionMember('pg_class', 't.oid')}
      ORDER BY ic.relname`,
  );
  type Row = (typeof rows)[number];
  const byOid = new Map(rows.map((r) => [r.oid, r]));
  // ALTER TABLE … CLUSTER ON / REPLICA IDENTITY USING INDEX and COMMENT ON INDEX go right after the index they
  // name; for a partition's copy of a partitioned index, right after the partitioned index that creates it.
  const extras = (ix: Row): [string, string, string][] => {
    const out: [string, string, string][] = [];
    if (ix.indisclustered) out.push(['CLUSTER ON', ix.tbl, `ALTER TABLE ${ix.tbl} CLUSTER ON ${ix.short}`]);
    if (ix.indisreplident) out.push(['REPLICA IDENTITY', ix.tbl, `ALTER TABLE ONLY ${ix.tbl} REPLICA IDENTITY USING INDEX ${ix.short}`]);
    const c = ctx.commentText('pg_class', ix.oid);
    if (c !== undefined) out.push(['COMMENT', `INDEX ${ix.name}`, `COMMENT ON INDEX ${ix.name} IS ${literal(c)}`]);
    return out;
  };
  const rootOf = (ix: Row): Row => {
    let r = ix;
    while (r.parent_oid !== null && byOid.has(r.parent_oid)) r = byOid.get(r.parent_oid)!;
    return r;
  };
  const afterRoot = new Map<number, [string, string, string][]>();
  const atEnd: [string, string, string][] = [];
  for (const ix of rows.filter((r) => r.relispartition && !r.is_constraint)) {
    const root = rootOf(ix);
    if (root !== ix && root.indisvalid && !root.is_constraint) afterRoot.set(root.oid, [...(afterRoot.get(root.oid) ?? []), ...extras(ix)]);
    else atEnd.push(...extras(ix));
  }
  for (const ix of rows) {
    if (ix.is_constraint) {
      // Made by its table's constraint (the partitions' copies too): only the extras are ours to write.
      for (const [type, name, sql] of extras(ix)) ctx.add(type === 'COMMENT' ? 'comments' : ix.tbl_dir, type, name, sql);
      continue;
    }
    if (ix.relispartition) continue;
    if (!ix.indisvalid) {
      ctx.warn(`index ${ix.name} is INVALID on the source (a failed CREATE INDEX CONCURRENTLY?) and is not exported`);
      continue;
    }
    // On a partitioned table pg_get_indexdef says ON ONLY (pg_dump then attaches each partition's index);
    // without ONLY the server creates the partitions' indexes itself.
    const def = ix.tkind === 'p' ? ix.def.replace(` ON ONLY ${ix.tbl} `, ` ON ${ix.tbl} `) : ix.def;
    ctx.add('indexes', 'INDEX', ix.name, def);
    for (const [type, name, sql] of [...extras(ix), ...(afterRoot.get(ix.oid) ?? [])]) ctx.add('indexes', type, name, sql);
  }
  for (const [type, name, sql] of atEnd) ctx.add('indexes', type, name, sql);
}

export async function viewDdl(ctx: DdlContext): Promise<void> {
  const rows = await ctx.q<{ oid: number; name: string; relkind: string; reloptions: string[] | null; def: string; amname: string | null; deps: number[] }>(
    `SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS relkind, c.reloptions,
            pg_get_viewdef(c.oid) AS def, am.amname,
            ARRAY(SELECT DISTINCT d.refobjid::int FROM pg_catalog.pg_rewrite r
                    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
                   WHERE r.ev_class = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> c.oid) AS deps
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
      WHERE c.relkind IN ('v', 'm') AND c.relnamespace = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}
      ORDER BY c.relname`,
  );
  const cols = await ctx.q<{ attrelid: number; attnum: number; name: string; def: string | null }>(
    `SELECT a.attrelid, a.attnum, quote_ident(a.attname) AS name, pg_get_expr(ad.adbin, ad.adrelid) AS def
       FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum`,
    [rows.map((r) => r.oid)],
  );
  const colsByView = new Map<number, typeof cols>();
  for (const c of cols) colsByView.set(c.attrelid, [...(colsByView.get(c.attrelid) ?? []), c]);
  for (const v of topoSort(rows, (r) => String(r.oid), (r) => r.deps.map(String))) {
    const body = v.def.trim().replace(/;$/, '');
    const options = withOptions(v.reloptions);
    const withClause = options.length ? ` WITH (${options.join(', ')})` : '';
    const mine = colsByView.get(v.oid) ?? [];
    if (v.relkind === 'v') {
      ctx.add('views', 'VIEW', v.name, `CREATE VIEW ${v.name}${withClause} AS\n${body}`);
      for (const c of mine.filter((c) => c.def !== null)) ctx.add('views', 'ALTER VIEW', v.name, `ALTER VIEW ${v.name} ALTER COLUMN ${c.name} SET DEFAULT ${c.def}`);
      ctx.comment('pg_class', v.oid, `VIEW ${v.name}`);
    } else {
      // WITH NO DATA: the data arrives with import data; import schema --post-snapshot-import refreshes it.
      const using = v.amname && v.amname !== 'heap' ? ` USING ${v.amname}` : '';
      ctx.add('mviews', 'MATERIALIZED VIEW', v.name, `CREATE MATERIALIZED VIEW ${v.name}${using}${withClause} AS\n${body}\nWITH NO DATA`);
      ctx.comment('pg_class', v.oid, `MATERIALIZED VIEW ${v.name}`);
    }
    ctx.columnComments(v.oid, v.name, new Map(mine.map((c) => [c.attnum, c.name])));
  }
}

const ENABLE: Record<string, string> = { D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' };

export async function triggerDdl(ctx: DdlContext): Promise<void> {
  // Triggers a partition got from its partitioned table come back with the parent's (tgparentid, PG 13+).
  const parentFilter = ctx.serverVersionNum >= 130000 ? 'AND t.tgparentid = 0' : '';
  const rows = await ctx.q<{ oid: number; name: string; tbl: string; def: string; tgenabled: string }>(
    `SELECT t.oid, quote_ident(t.tgname) AS name, format('%I.%I', n.nspname, c.relname) AS tbl,
            pg_get_triggerdef(t.oid) AS def, t.tgenabled::text AS tgenabled
       FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal ${parentFilter} AND c.relnamespace = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}
      ORDER BY c.relname, t.tgname`,
  );
  for (const t of rows) {
    ctx.add('triggers', 'TRIGGER', `${t.name} ON ${t.tbl}`, t.def);
    const enable = ENABLE[t.tgenabled];
    if (enable) ctx.add('triggers', 'ALTER TABLE', t.tbl, `ALTER TABLE ${t.tbl} ${enable} TRIGGER ${t.name}`);
    ctx.comment('pg_trigger', t.oid, `TRIGGER ${t.name} ON ${t.tbl}`, 'triggers');
  }
}

export async function ruleDdl(ctx: DdlContext): Promise<void> {
  const rows = await ctx.q<{ oid: number; name: string; tbl: string; def: string; ev_enabled: string }>(
    `SELECT r.oid, quote_ident(r.rulename) AS name, format('%I.%I', n.nspname, c.relname) AS tbl,
            pg_get_ruledef(r.oid) AS def, r.ev_enabled::text AS ev_enabled
       FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE r.rulename <> '_RETURN' AND c.relnamespace = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}
      ORDER BY c.relname, r.rulename`,
  );
  for (const r of rows) {
    ctx.add('rules', 'RULE', `${r.name} ON ${r.tbl}`, r.def.trim().replace(/;$/, ''));
    const enable = ENABLE[r.ev_enabled];
    if (enable) ctx.add('rules', 'ALTER TABLE', r.tbl, `ALTER TABLE ${r.tbl} ${enable} RULE ${r.name}`);
    ctx.comment('pg_rewrite', r.oid, `RULE ${r.name} ON ${r.tbl}`);
  }
}

const POLICY_COMMAND: Record<string, string> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

/** Row-level security switches and policies. Returns the roles policies name (they must exist on the target). */
export async function policyDdl(ctx: DdlContext): Promise<string[]> {
  const tables = await ctx.q<{ name: string; enabled: boolean; forced: boolean }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relnamespace = ANY($1) AND (c.relrowsecurity OR c.relforcerowsecurity)
      ORDER BY c.relname`,
  );
  for (const t of tables) {
    if (t.enabled) ctx.add('policies', 'ROW LEVEL SECURITY', t.name, `ALTER TABLE ${t.name} ENABLE ROW LEVEL SECURITY`);
    if (t.forced) ctx.add('policies', 'ROW LEVEL SECURITY', t.name, `ALTER TABLE ${t.name} FORCE ROW LEVEL SECURITY`);
  }
  const rows = await ctx.q<{ oid: number; name: string; tbl: string; cmd: string; permissive: boolean; roles: string[]; qual: string | null; chk: string | null }>(
    `SELECT p.oid, quote_ident(p.polname) AS name, format('%I.%I', n.nspname, c.relname) AS tbl, p.polcmd::text AS cmd,
            p.polpermissive AS permissive,
            ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'PUBLIC' ELSE quote_ident(ro.rolname) END
                    FROM unnest(p.polroles) AS r(oid) LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = r.oid
                   ORDER BY 1) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS chk
       FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relnamespace = ANY($1)
      ORDER BY c.relname, p.polname`,
  );
  const roles = new Set<string>();
  for (const p of rows) {
    let sql = `CREATE POLICY ${p.name} ON ${p.tbl}`;
    if (!p.permissive) sql += ' AS RESTRICTIVE';
    sql += ` FOR ${POLICY_COMMAND[p.cmd] ?? 'ALL'}`;
    sql += ` TO ${p.roles.join(', ')}`;
    if (p.qual !== null) sql += ` USING (${p.qual})`;
    if (p.chk !== null) sql += ` WITH CHECK (${p.chk})`;
    ctx.add('policies', 'POLICY', `${p.name} ON ${p.tbl}`, sql);
    ctx.comment('pg_policy', p.oid, `POLICY ${p.name} ON ${p.tbl}`);
    for (const r of p.roles) if (r !== 'PUBLIC') roles.add(r);
  }
  return [...roles].sort();
}

/** Extended statistics (CREATE STATISTICS), after the tables they describe. */
export async function statisticsDdl(ctx: DdlContext): Promise<void> {
  const rows = await ctx.q<{ oid: number; name: string; def: string; target: number | null }>(
    `SELECT s.oid, format('%I.%I', n.nspname, s.stxname) AS name, pg_get_statisticsobjdef(s.oid) AS def,
            NULLIF((to_jsonb(s) ->> 'stxstattarget')::int, -1) AS target
       FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
      WHERE s.stxnamespace = ANY($1) AND ${notExtensionMember('pg_statistic_ext', 's.oid')}
      ORDER BY s.stxname`,
  );
  for (const s of rows) {
    ctx.add('tables', 'STATISTICS', s.name, s.def);
    if (s.target !== null) ctx.add('tables', 'STATISTICS', s.name, `ALTER STATISTICS ${s.name} SET STATISTICS ${s.target}`);
    ctx.comment('pg_statistic_ext', s.oid, `STATISTICS ${s.name}`);
  }
}

/** Kinds of objects export schema does not write: said once each, so nothing disappears silently. */
export async function warnUnexported(ctx: DdlContext): Promise<void> {
  const kinds: [string, string, string][] = [
    ['operators', 'pg_operator', 'oprnamespace'],
    ['operator classes', 'pg_opclass', 'opcnamespace'],
    ['operator families', 'pg_opfamily', 'opfnamespace'],
    ['text search configurations', 'pg_ts_config', 'cfgnamespace'],
    ['text search dictionaries', 'pg_ts_dict', 'dictnamespace'],
    ['conversions', 'pg_conversion', 'connamespace'],
  ];
  for (const [what, catalog, nsp] of kinds) {
    const rows = await ctx.q<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_catalog.${catalog} o WHERE o.${nsp} = ANY($1) AND ${notExtensionMember(catalog, 'o.oid')}`,
    );
    if (rows[0].n > 0) ctx.warn(`${rows[0].n} ${what} in the exported schemas are not exported; create them on the target by hand`);
  }
}
