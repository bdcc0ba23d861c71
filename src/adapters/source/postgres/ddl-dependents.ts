/**
 * DDL for what is built on tables: indexes, views and materialized views (in dependency order),
 * triggers, rules, row-level security and policies.
 */
import { topoSort } from '../../../core/topo-sort.js';
import { DdlContext, literal, notExtensionMember, withOptions } from './ddl-context.js';

export async function indexDdl(ctx: DdlContext): Promise<void> {
  const rows = await ctx.q<{
    oid: number; name: string; short: string; def: string; tkind: string; tbl: string; tbl_dir: 'tables' | 'partitions';
    indisclustered: boolean; indisreplident: boolean; indisvalid: boolean; relispartition: boolean; is_constraint: boolean;
  }>(
    `SELECT i.indexrelid::int AS oid, format('%I.%I', n.nspname, ic.relname) AS name, quote_ident(ic.relname) AS short,
            pg_get_indexdef(i.indexrelid) AS def, t.relkind::text AS tkind, format('%I.%I', tn.nspname, t.relname) AS tbl,
            CASE WHEN t.relispartition THEN 'partitions' ELSE 'tables' END AS tbl_dir,
            i.indisclustered, i.indisreplident, i.indisvalid, ic.relispartition,
            EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x')) AS is_constraint
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_catalog.pg_class t ON t.oid = i.indrelid JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      WHERE t.relnamespace = ANY($1) AND t.relkind IN ('r', 'p', 'm') AND ${notExtensionMember('pg_class', 't.oid')}
      ORDER BY ic.relname`,
  );
  const later: [string, string, string][] = [];
  for (const ix of rows) {
    // ALTER TABLE … CLUSTER ON / REPLICA IDENTITY USING INDEX go right after the index they name.
    const followUps: [string, string][] = [];
    if (ix.indisclustered) followUps.push(['CLUSTER ON', `ALTER TABLE ${ix.tbl} CLUSTER ON ${ix.short}`]);
    if (ix.indisreplident) followUps.push(['REPLICA IDENTITY', `ALTER TABLE ONLY ${ix.tbl} REPLICA IDENTITY USING INDEX ${ix.short}`]);
    if (ix.is_constraint) {
      // Made by the table's constraint: only its follow-ups and comment are ours to write.
      for (const [type, sql] of followUps) ctx.add(ix.tbl_dir, type, ix.tbl, sql);
      ctx.comment('pg_class', ix.oid, `INDEX ${ix.name}`);
      continue;
    }
    if (ix.relispartition) {
      // A partition's copy of a partitioned index: created with its parent; its extras wait until the end.
      for (const [type, sql] of followUps) later.push([type, ix.tbl, sql]);
      const c = ctx.commentText('pg_class', ix.oid);
      if (c !== undefined) later.push(['COMMENT', ix.name, `COMMENT ON INDEX ${ix.name} IS ${literal(c)}`]);
      continue;
    }
    if (!ix.indisvalid) {
      ctx.warn(`index ${ix.name} is INVALID on the source (a failed CREATE INDEX CONCURRENTLY?) and is not exported`);
      continue;
    }
    // On a partitioned table pg_get_indexdef says ON ONLY (pg_dump then attaches each partition's index);
    // without ONLY the server creates the partitions' indexes itself.
    const def = ix.tkind === 'p' ? ix.def.replace(` ON ONLY ${ix.tbl} `, ` ON ${ix.tbl} `) : ix.def;
    ctx.add('indexes', 'INDEX', ix.name, def);
    for (const [type, sql] of followUps) ctx.add('indexes', type, ix.tbl, sql);
    ctx.comment('pg_class', ix.oid, `INDEX ${ix.name}`, 'indexes');
  }
  for (const [type, name, sql] of later) ctx.add('indexes', type, name, sql);
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
  for (const v of topoSort(rows, (r) => String(r.oid), (r) => r.deps.map(String))) {
    const body = v.def.trim().replace(/;$/, '');
    const options = withOptions(v.reloptions);
    const withClause = options.length ? ` WITH (${options.join(', ')})` : '';
    const mine = cols.filter((c) => c.attrelid === v.oid);
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
