/**
 * MySQL views, triggers and routines. A view whose query translates safely (sql-translate.ts) becomes a
 * PostgreSQL view; any other view, and every trigger and routine (MySQL's procedural language is not
 * PL/pgSQL), is written as its MySQL text in comment lines, with a finding naming it for analyze-schema.
 */
import { displayIdent } from '../../core/schema-analysis/ast.js';
import { MyDdl, rel, shown } from './ddl-context.js';
import { pgName, TARGET_SCHEMA } from './names.js';
import type { MyCodeObject, MyView } from './schema-reader.js';
import { translateMySql } from './sql-translate.js';

export function viewDdl(ddl: MyDdl, v: MyView): void {
  const name = shown(v.name);
  const tr = translateMySql(v.definition, { database: ddl.database });
  if (tr.ok) {
    const check = v.checkOption === 'CASCADED' || v.checkOption === 'LOCAL' ? `\nWITH ${v.checkOption} CHECK OPTION` : '';
    ddl.add('views', 'VIEW', name, `CREATE VIEW ${rel(v.name)} AS\n${tr.sql}${check}`);
    return;
  }
  ddl.add('views', 'VIEW', name, v.createSql, {
    commentedOut: true,
    findings: [{ ruleId: 'MYSQL_VIEW_NOT_CONVERTED', objectType: 'VIEW', objectName: name, reason: `view ${v.name} was not converted: ${tr.reason}` }],
  });
}

export function codeObjectDdl(ddl: MyDdl, o: MyCodeObject): void {
  const isTrigger = o.type === 'TRIGGER';
  const objectName = isTrigger ? `${displayIdent(pgName(o.name))} ON ${shown(o.table ?? '')}` : `${TARGET_SCHEMA}.${displayIdent(pgName(o.name))}`;
  const reason = isTrigger
    ? `trigger ${o.name} on ${o.table} is MySQL code and was not converted`
    : `${o.type.toLowerCase()} ${o.name} is MySQL code and was not converted`;
  ddl.add(isTrigger ? 'triggers' : o.type === 'FUNCTION' ? 'functions' : 'procedures', o.type, objectName, o.createSql, {
    commentedOut: true,
    findings: [{ ruleId: isTrigger ? 'MYSQL_TRIGGER_NOT_CONVERTED' : 'MYSQL_ROUTINE_NOT_CONVERTED', objectType: o.type, objectName, reason }],
  });
}
