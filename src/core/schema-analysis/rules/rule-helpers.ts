/**
 * Shared pieces for rules: where column definitions and constraints live in CREATE/ALTER TABLE trees, and
 * the list of SQL trees a statement carries (its own plus those parsed out of a function body).
 */
import type { ColumnDef, Constraint, CreateStmt } from 'libpg-query';
import { as, relName, type Node, type RelName } from '../ast.js';
import type { IssueCategory, ParsedStatement } from '../types.js';

/** The CREATE TABLE part of CREATE TABLE / CREATE FOREIGN TABLE. */
export function createTableOf(tree: Node | undefined): CreateStmt | undefined {
  return as(tree, 'CreateStmt') ?? as(tree, 'CreateForeignTableStmt')?.base;
}

export interface ColumnSite {
  table: RelName;
  column: ColumnDef;
}

/** Column definitions a statement creates or retypes: CREATE TABLE, ALTER TABLE ADD COLUMN / ALTER COLUMN TYPE. */
export function columnDefinitions(tree: Node | undefined): ColumnSite[] {
  const out: ColumnSite[] = [];
  const create = createTableOf(tree);
  if (create) {
    const table = relName(create.relation);
    for (const elt of create.tableElts ?? []) {
      const col = as(elt, 'ColumnDef');
      if (col) out.push({ table, column: col });
    }
  }
  const alter = as(tree, 'AlterTableStmt');
  if (alter && (alter.objtype ?? 'OBJECT_TABLE') !== 'OBJECT_TYPE') {
    const table = relName(alter.relation);
    for (const c of alter.cmds ?? []) {
      const cmd = as(c, 'AlterTableCmd');
      const col = as(cmd?.def, 'ColumnDef');
      if (!cmd || !col) continue;
      if (cmd.subtype === 'AT_AddColumn') out.push({ table, column: col });
      if (cmd.subtype === 'AT_AlterColumnType') out.push({ table, column: { ...col, colname: col.colname ?? cmd.name } });
    }
  }
  return out;
}

export interface ConstraintSite {
  table: RelName;
  constraint: Constraint;
  /** Set for a column constraint: the column it is written on. */
  column?: string;
  /** Column constraints only: the attribute nodes (DEFERRABLE…) that follow it in the column's list. */
  attributes: Constraint[];
}

const ATTRIBUTE_TYPES = new Set(['CONSTR_ATTR_DEFERRABLE', 'CONSTR_ATTR_NOT_DEFERRABLE', 'CONSTR_ATTR_DEFERRED', 'CONSTR_ATTR_IMMEDIATE', 'CONSTR_ATTR_ENFORCED', 'CONSTR_ATTR_NOT_ENFORCED']);

/** Constraints a statement adds: in CREATE TABLE (column and table constraints) or ALTER TABLE ADD CONSTRAINT. */
export function constraintsOf(tree: Node | undefined): ConstraintSite[] {
  const out: ConstraintSite[] = [];
  const create = createTableOf(tree);
  if (create) {
    const table = relName(create.relation);
    for (const elt of create.tableElts ?? []) {
      const col = as(elt, 'ColumnDef');
      if (col) {
        const list = (col.constraints ?? []).map((n) => as(n, 'Constraint')).filter((c): c is Constraint => Boolean(c));
        list.forEach((c, i) => {
          if (ATTRIBUTE_TYPES.has(c.contype ?? '')) return;
          const attributes: Constraint[] = [];
          for (let j = i + 1; j < list.length && ATTRIBUTE_TYPES.has(list[j].contype ?? ''); j++) attributes.push(list[j]);
          out.push({ table, constraint: c, column: col.colname, attributes });
        });
      }
      const con = as(elt, 'Constraint');
      if (con) out.push({ table, constraint: con, attributes: [] });
    }
  }
  const alter = as(tree, 'AlterTableStmt');
  if (alter) {
    const table = relName(alter.relation);
    for (const c of alter.cmds ?? []) {
      const cmd = as(c, 'AlterTableCmd');
      const con = cmd?.subtype === 'AT_AddConstraint' ? as(cmd.def, 'Constraint') : undefined;
      if (con) out.push({ table, constraint: con, attributes: [] });
    }
  }
  return out;
}

/** ALTER TABLE sub-commands of a statement (empty for other statements). */
export function alterCommands(tree: Node | undefined) {
  const alter = as(tree, 'AlterTableStmt');
  const cmds = (alter?.cmds ?? []).map((c) => as(c, 'AlterTableCmd')).filter((c): c is NonNullable<typeof c> => Boolean(c));
  return { alter, table: alter ? relName(alter.relation) : undefined, cmds };
}

/** The statement's tree plus the trees parsed out of its function body, if any. */
export function sqlTrees(stmt: ParsedStatement): Node[] {
  const out: Node[] = [];
  if (stmt.tree) out.push(stmt.tree);
  if (stmt.body) out.push(...stmt.body.trees);
  return out;
}

/** Constructs found inside a function, procedure or DO body are PL/pgSQL issues; elsewhere, unsupported features. */
export function constructCategory(stmt: ParsedStatement): IssueCategory {
  return stmt.body ? 'unsupported_plpgsql_objects' : 'unsupported_features';
}

/** Body text to run a fallback pattern over, when the body could not be parsed. */
export function unparsedBodyText(stmt: ParsedStatement): string | undefined {
  if (stmt.body?.analysis === 'regex') return stripSqlComments(stmt.body.text);
  if (stmt.body?.unparsed.length) return stripSqlComments(stmt.body.unparsed.join('\n'));
  return undefined;
}

function stripSqlComments(text: string): string {
  return text.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
