/**
 * DDL for functions, procedures (pg_get_functiondef) and aggregates (rebuilt from pg_aggregate, which
 * pg_get_functiondef does not handle). Aggregates go to functions/functions.sql after the functions
 * they are made of.
 */
import { DdlContext, literal, notExtensionMember } from './ddl-context.js';

interface RoutineRow extends Record<string, unknown> {
  oid: number;
  prokind: string;
  name: string;
  args: string;
  def: string | null;
}

export async function routineDdl(ctx: DdlContext): Promise<void> {
  const rows = await ctx.q<RoutineRow>(
    `SELECT p.oid, p.prokind::text AS prokind, format('%I.%I', n.nspname, p.proname) AS name,
            pg_get_function_identity_arguments(p.oid) AS args,
            CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END AS def
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE p.pronamespace = ANY($1) AND ${notExtensionMember('pg_proc', 'p.oid')}
        -- constructors of range and multirange types come with their type (an internal dependency)
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
      ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)`,
  );
  for (const r of rows.filter((r) => r.prokind !== 'a')) {
    const isProc = r.prokind === 'p';
    const signature = `${r.name}(${r.args})`;
    // pg_get_functiondef writes CREATE OR REPLACE; the body is kept byte for byte.
    ctx.add(isProc ? 'procedures' : 'functions', isProc ? 'PROCEDURE' : 'FUNCTION', signature, r.def!.replace(/\s+$/, ''));
    ctx.comment('pg_proc', r.oid, `${isProc ? 'PROCEDURE' : 'FUNCTION'} ${signature}`);
  }
  const aggregates = rows.filter((r) => r.prokind === 'a');
  if (aggregates.length) await aggregateDdl(ctx, aggregates);
}

async function aggregateDdl(ctx: DdlContext, aggregates: readonly RoutineRow[]): Promise<void> {
  const rows = await ctx.q<Record<string, string | number | boolean | null> & { oid: number }>(
    `SELECT a.aggfnoid::int AS oid, a.aggkind::text AS kind, pg_get_function_arguments(a.aggfnoid) AS full_args,
            NULLIF(a.aggtransfn, 0)::regproc::text AS sfunc, format_type(a.aggtranstype, NULL) AS stype,
            a.aggtransspace AS sspace, NULLIF(a.aggfinalfn, 0)::regproc::text AS finalfunc, a.aggfinalextra AS finalextra,
            a.aggfinalmodify::text AS finalmodify, NULLIF(a.aggcombinefn, 0)::regproc::text AS combinefunc,
            NULLIF(a.aggserialfn, 0)::regproc::text AS serialfunc, NULLIF(a.aggdeserialfn, 0)::regproc::text AS deserialfunc,
            a.agginitval AS initcond,
            NULLIF(a.aggmtransfn, 0)::regproc::text AS msfunc, NULLIF(a.aggminvtransfn, 0)::regproc::text AS minvfunc,
            CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype, a.aggmtransspace AS msspace,
            NULLIF(a.aggmfinalfn, 0)::regproc::text AS mfinalfunc, a.aggmfinalextra AS mfinalextra,
            a.aggmfinalmodify::text AS mfinalmodify, a.aggminitval AS minitcond,
            CASE WHEN a.aggsortop <> 0 THEN (SELECT format('OPERATOR(%I.%s)', on_.nspname, o.oprname) FROM pg_catalog.pg_operator o
                   JOIN pg_catalog.pg_namespace on_ ON on_.oid = o.oprnamespace WHERE o.oid = a.aggsortop) END AS sortop,
            p.proparallel::text AS parallel
       FROM pg_catalog.pg_aggregate a JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
      WHERE a.aggfnoid = ANY($1)`,
    [aggregates.map((a) => a.oid)],
  );
  const byOid = new Map(rows.map((r) => [r.oid, r]));
  const modify: Record<string, string> = { r: 'READ_ONLY', s: 'SHAREABLE', w: 'READ_WRITE' };
  for (const agg of aggregates) {
    const a = byOid.get(agg.oid);
    if (!a) continue;
    const opts: string[] = [`SFUNC = ${a.sfunc}`, `STYPE = ${a.stype}`];
    if (Number(a.sspace) > 0) opts.push(`SSPACE = ${a.sspace}`);
    if (a.finalfunc) {
      opts.push(`FINALFUNC = ${a.finalfunc}`);
      if (a.finalextra) opts.push('FINALFUNC_EXTRA');
      // The default is READ_ONLY for plain aggregates and READ_WRITE for ordered-set ones.
      const deflt = a.kind === 'n' ? 'r' : 'w';
      if (a.finalmodify !== deflt && modify[String(a.finalmodify)]) opts.push(`FINALFUNC_MODIFY = ${modify[String(a.finalmodify)]}`);
    }
    if (a.combinefunc) opts.push(`COMBINEFUNC = ${a.combinefunc}`);
    if (a.serialfunc) opts.push(`SERIALFUNC = ${a.serialfunc}`);
    if (a.deserialfunc) opts.push(`DESERIALFUNC = ${a.deserialfunc}`);
    if (a.initcond !== null) opts.push(`INITCOND = ${literal(String(a.initcond))}`);
    if (a.msfunc) {
      opts.push(`MSFUNC = ${a.msfunc}`, `MINVFUNC = ${a.minvfunc}`, `MSTYPE = ${a.mstype}`);
      if (Number(a.msspace) > 0) opts.push(`MSSPACE = ${a.msspace}`);
      if (a.mfinalfunc) {
        opts.push(`MFINALFUNC = ${a.mfinalfunc}`);
        if (a.mfinalextra) opts.push('MFINALFUNC_EXTRA');
        if (a.mfinalmodify !== 'r' && modify[String(a.mfinalmodify)]) opts.push(`MFINALFUNC_MODIFY = ${modify[String(a.mfinalmodify)]}`);
      }
      if (a.minitcond !== null) opts.push(`MINITCOND = ${literal(String(a.minitcond))}`);
    }
    if (a.sortop) opts.push(`SORTOP = ${a.sortop}`);
    if (a.kind === 'h') opts.push('HYPOTHETICAL');
    if (a.parallel === 's') opts.push('PARALLEL = SAFE');
    if (a.parallel === 'r') opts.push('PARALLEL = RESTRICTED');
    const signature = `${agg.name}(${agg.args || '*'})`;
    ctx.add('functions', 'AGGREGATE', signature, `CREATE AGGREGATE ${agg.name}(${a.full_args || '*'}) (\n    ${opts.join(',\n    ')}\n)`);
    ctx.comment('pg_proc', agg.oid, `AGGREGATE ${signature}`);
  }
}
