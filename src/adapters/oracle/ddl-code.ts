/**
 * Views, materialized views, synonyms and PL/SQL code of an Oracle schema. Views convert when their query
 * shows no Oracle-only construct (with a finding to review them, since Oracle SQL is not PostgreSQL SQL);
 * otherwise, like all PL/SQL (procedures, functions, packages, types, triggers), the source text is kept
 * verbatim, commented out, with a finding that analyze-schema reports. Pure.
 */
import type { SchemaDir, SourceFinding } from '../../core/schema-files.js';
import type { OraSchema } from './catalog-model.js';
import { oracleIsms, pgExpression, pgQualified } from './ddl-text.js';
import { finding, type Emit } from './ddl-tables.js';

function emitQuery(schema: OraSchema, kind: 'VIEW' | 'MVIEW', v: { name: string; text: string }, emit: Emit): void {
  const name = pgQualified(schema.owner, v.name);
  const dir: SchemaDir = kind === 'VIEW' ? 'views' : 'mviews';
  const create = kind === 'VIEW' ? 'CREATE VIEW' : 'CREATE MATERIALIZED VIEW';
  const isms = oracleIsms(v.text);
  if (isms.length) {
    const f = finding('ORACLE_VIEW_NOT_CONVERTED', kind, name, `the query uses ${isms.join(', ')}: rewrite it in PostgreSQL SQL (its Oracle text is kept, commented)`);
    emit(dir, { objectType: kind, name, commentedOut: true, sql: `${create} ${v.name} AS\n${v.text}`, findings: [f] });
    return;
  }
  const findings: SourceFinding[] = [finding('ORACLE_VIEW_REVIEW', kind, name, 'the query is Oracle SQL copied as is: check that it means the same on PostgreSQL')];
  if (kind === 'MVIEW') findings.push(finding('ORACLE_VIEW_REVIEW', kind, name, 'materialized views are not refreshed automatically: REFRESH MATERIALIZED VIEW after the data import and after cutover'));
  emit(dir, { objectType: kind, name, sql: `${create} ${name} AS\n${pgExpression(v.text)}`, findings });
}

/** Where each kind of Oracle code goes under schema/, and its object type in headers. */
const CODE_DIRS: Record<string, { dir: SchemaDir; objectType: string }> = {
  PROCEDURE: { dir: 'procedures', objectType: 'PROCEDURE' },
  FUNCTION: { dir: 'functions', objectType: 'FUNCTION' },
  PACKAGE: { dir: 'uncategorized', objectType: 'PACKAGE' },
  'PACKAGE BODY': { dir: 'uncategorized', objectType: 'PACKAGE BODY' },
  TYPE: { dir: 'types', objectType: 'TYPE' },
  'TYPE BODY': { dir: 'types', objectType: 'TYPE BODY' },
};

export function emitCode(schema: OraSchema, emit: Emit): void {
  for (const v of schema.views) emitQuery(schema, 'VIEW', v, emit);
  for (const v of schema.mviews) emitQuery(schema, 'MVIEW', v, emit);
  for (const c of schema.code) {
    const where = CODE_DIRS[c.type] ?? { dir: 'uncategorized' as const, objectType: c.type };
    const name = pgQualified(schema.owner, c.name);
    const reason = `PL/SQL ${c.type.toLowerCase()} kept verbatim, commented: rewrite it in PL/pgSQL${c.type.startsWith('PACKAGE') ? ' (a package becomes a schema of functions)' : ''}`;
    emit(where.dir, { objectType: where.objectType, name, commentedOut: true, sql: `CREATE OR REPLACE ${c.text}`, findings: [finding('ORACLE_PLSQL_NOT_CONVERTED', where.objectType, name, reason)] });
  }
  for (const t of schema.triggers) {
    const name = pgQualified(schema.owner, t.name);
    const f = finding('ORACLE_PLSQL_NOT_CONVERTED', 'TRIGGER', name, 'PL/SQL trigger kept verbatim, commented: rewrite it as a PL/pgSQL trigger function and CREATE TRIGGER');
    emit('triggers', { objectType: 'TRIGGER', name, commentedOut: true, sql: `CREATE OR REPLACE TRIGGER ${t.description.trim()}\n${t.body}`, findings: [f] });
  }
  for (const s of schema.synonyms) {
    const name = pgQualified(schema.owner, s.name);
    if (!s.dbLink && (s.targetOwner ?? schema.owner) === schema.owner) {
      emit('views', { objectType: 'VIEW', name, sql: `CREATE VIEW ${name} AS SELECT * FROM ${pgQualified(schema.owner, s.target)}`, findings: [finding('ORACLE_VIEW_REVIEW', 'VIEW', name, `synonym for ${s.target} becomes a view`)] });
    } else {
      const reason = `synonym for ${s.targetOwner}.${s.target}${s.dbLink ? ` over database link ${s.dbLink}` : ''}, outside the exported schema: replace it by hand (a view, or a foreign table)`;
      emit('uncategorized', { objectType: 'SYNONYM', name, commentedOut: true, sql: `CREATE SYNONYM ${s.name} FOR ${s.targetOwner ?? ''}.${s.target}${s.dbLink ? `@${s.dbLink}` : ''}`, findings: [finding('ORACLE_SYNONYM_NOT_CONVERTED', 'SYNONYM', name, reason)] });
    }
  }
}
