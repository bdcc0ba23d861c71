/**
 * Views, materialized views, synonyms and PL/SQL code of an Oracle schema. Views convert when their query
 * shows no Oracle-only construct (and are flagged for review, since Oracle SQL is not PostgreSQL SQL);
 * otherwise, like all PL/SQL (procedures, functions, packages, types, triggers), the source text is kept
 * verbatim as a comment with a `manual` note that analyze-schema reports. Pure.
 */
import { commentedOut, type SourceNote } from '../../core/source-notes.js';
import type { SchemaDir } from '../../core/schema-files.js';
import type { OraSchema } from './catalog-model.js';
import { oracleIsms, pgExpression, pgQualified } from './ddl-text.js';
import type { Emit } from './ddl-tables.js';

function emitQuery(schema: OraSchema, kind: 'VIEW' | 'MVIEW', v: { name: string; text: string }, emit: Emit): void {
  const name = pgQualified(schema.owner, v.name);
  const dir: SchemaDir = kind === 'VIEW' ? 'views' : 'mviews';
  const create = kind === 'VIEW' ? 'CREATE VIEW' : 'CREATE MATERIALIZED VIEW';
  const isms = oracleIsms(v.text);
  if (isms.length) {
    const note: SourceNote = { level: 'manual', objectType: kind, name, reason: `the query uses ${isms.join(', ')}: rewrite it in PostgreSQL SQL (Oracle text kept as a comment)` };
    emit(dir, { objectType: kind, name, sql: commentedOut(`${create} ${name} AS\n${v.text}`) }, [note]);
    return;
  }
  const notes: SourceNote[] = [{ level: 'review', objectType: kind, name, reason: 'the query is Oracle SQL copied as is: check that it means the same on PostgreSQL' }];
  if (kind === 'MVIEW') notes.push({ level: 'review', objectType: kind, name, reason: 'materialized views are not refreshed automatically: REFRESH MATERIALIZED VIEW after the data import and after cutover' });
  emit(dir, { objectType: kind, name, sql: `${create} ${name} AS\n${pgExpression(v.text)}` }, notes);
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
    emit(where.dir, { objectType: where.objectType, name, sql: commentedOut(`CREATE OR REPLACE ${c.text}`) }, [
      { level: 'manual', objectType: where.objectType, name, reason: `PL/SQL ${c.type.toLowerCase()} kept verbatim as a comment: rewrite it in PL/pgSQL${c.type.startsWith('PACKAGE') ? ' (a package becomes a schema of functions)' : ''}` },
    ]);
  }
  for (const t of schema.triggers) {
    const name = pgQualified(schema.owner, t.name);
    emit('triggers', { objectType: 'TRIGGER', name, sql: commentedOut(`CREATE OR REPLACE TRIGGER ${t.description.trim()}\n${t.body}`) }, [
      { level: 'manual', objectType: 'TRIGGER', name, reason: 'PL/SQL trigger kept verbatim as a comment: rewrite it as a PL/pgSQL trigger function and CREATE TRIGGER' },
    ]);
  }
  for (const s of schema.synonyms) {
    const name = pgQualified(schema.owner, s.name);
    if (!s.dbLink && (s.targetOwner ?? schema.owner) === schema.owner) {
      emit('views', { objectType: 'VIEW', name, sql: `CREATE VIEW ${name} AS SELECT * FROM ${pgQualified(schema.owner, s.target)}` }, [
        { level: 'review', objectType: 'VIEW', name, reason: `synonym for ${s.target} becomes a view` },
      ]);
    } else {
      emit('uncategorized', { objectType: 'SYNONYM', name, sql: commentedOut(`CREATE SYNONYM ${s.name} FOR ${s.targetOwner ?? ''}.${s.target}${s.dbLink ? `@${s.dbLink}` : ''}`) }, [
        { level: 'manual', objectType: 'SYNONYM', name, reason: `synonym for ${s.targetOwner}.${s.target}${s.dbLink ? ` over database link ${s.dbLink}` : ''}, outside the exported schema: replace it by hand (a view, or a foreign table)` },
      ]);
    }
  }
}
