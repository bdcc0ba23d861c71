/**
 * What the whole exported schema says about tables, types and indexes, gathered in one pass before the rules
 * run. Rules need it for facts that live in other statements: a column's type for an index, a primary key
 * added by ALTER TABLE, whether a table is partitioned, which names are user-defined types.
 */
import type { ColumnDef, Constraint, IndexStmt, Node } from 'libpg-query';
import { as, defElems, listName, relKey, relName, strings, typeRef, type RelName, type TypeRef } from './ast.js';

export interface ColumnInfo {
  name: string;
  type?: TypeRef;
  notNull: boolean;
}

export interface PartitionKeyInfo {
  strategy: string;
  /** Plain column keys (expressions are not listed). */
  columns: string[];
  hasExpressions: boolean;
  keyCount: number;
}

export interface KeyConstraint {
  kind: 'primary' | 'unique';
  name?: string;
  columns: string[];
}

export interface TableInfo {
  rel: RelName;
  columns: Map<string, ColumnInfo>;
  keys: KeyConstraint[];
  partitionKey?: PartitionKeyInfo;
  /** Key of the parent when the table is a partition. */
  partitionOf?: string;
  inherits: string[];
  foreign: boolean;
}

export type UserTypeKind = 'enum' | 'composite' | 'domain' | 'range' | 'multirange' | 'base';

export interface UserTypeInfo {
  rel: RelName;
  kind: UserTypeKind;
  /** Domains: the type they are over. */
  baseType?: TypeRef;
}

export interface IndexInfo {
  name: string;
  table: string;
  method: string;
  /** One entry per key: the column name, or undefined for an expression. */
  keys: (string | undefined)[];
  unique: boolean;
  partial: boolean;
}

export class SchemaCatalog {
  readonly tables = new Map<string, TableInfo>();
  readonly types = new Map<string, UserTypeInfo>();
  readonly indexes: IndexInfo[] = [];

  /** Builds the catalog from every statement's parse tree (order does not matter). */
  static fromTrees(trees: readonly (Node | undefined)[]): SchemaCatalog {
    const c = new SchemaCatalog();
    for (const t of trees) if (t) c.addTypes(t);
    for (const t of trees) if (t) c.addTables(t);
    for (const t of trees) if (t) c.addAlterationsAndIndexes(t);
    return c;
  }

  table(key: string): TableInfo | undefined {
    return this.tables.get(key);
  }

  isPartitioned(key: string): boolean {
    return Boolean(this.tables.get(key)?.partitionKey);
  }

  /** A column, looked up through partition parents (partitions created with PARTITION OF list none). */
  column(tableKey: string, column: string): ColumnInfo | undefined {
    const seen = new Set<string>();
    let key: string | undefined = tableKey;
    while (key && !seen.has(key)) {
      seen.add(key);
      const t = this.tables.get(key);
      const col = t?.columns.get(column);
      if (col) return col;
      key = t?.partitionOf ?? t?.inherits[0];
    }
    return undefined;
  }

  /** Primary key columns of a table, or of the partitioned table it is a partition of. */
  primaryKey(tableKey: string): string[] | undefined {
    const seen = new Set<string>();
    let key: string | undefined = tableKey;
    while (key && !seen.has(key)) {
      seen.add(key);
      const t = this.tables.get(key);
      const pk = t?.keys.find((k) => k.kind === 'primary');
      if (pk) return pk.columns;
      key = t?.partitionOf;
    }
    return undefined;
  }

  /** The user-defined type a column type names, if the schema defines one. */
  userType(t: TypeRef | undefined): UserTypeInfo | undefined {
    if (!t) return undefined;
    if (t.schema) return this.types.get(`${t.schema}.${t.name}`);
    for (const info of this.types.values()) if (info.rel.name === t.name) return info;
    return undefined;
  }

  /** Domains resolved to the type they are over (domain over jsonb behaves as jsonb in an index). */
  resolveDomain(t: TypeRef): TypeRef {
    let cur = t;
    for (let i = 0; i < 10; i++) {
      const u = this.userType(cur);
      if (u?.kind !== 'domain' || !u.baseType) return cur;
      cur = { ...u.baseType, isArray: u.baseType.isArray || cur.isArray };
    }
    return cur;
  }

  private addTypes(tree: Node): void {
    const en = as(tree, 'CreateEnumStmt');
    if (en) this.addType(listName(en.typeName), 'enum');
    const comp = as(tree, 'CompositeTypeStmt');
    if (comp) this.addType(relName(comp.typevar), 'composite');
    const dom = as(tree, 'CreateDomainStmt');
    if (dom) this.addType(listName(dom.domainname), 'domain', typeRef(dom.typeName));
    const range = as(tree, 'CreateRangeStmt');
    if (range) {
      const rel = listName(range.typeName);
      this.addType(rel, 'range');
      // PostgreSQL 14+ creates a multirange type alongside every range type.
      const explicit = defElems(range.params).get('multirange_type_name');
      const multi = explicit ? { schema: rel.schema, name: explicit.split('.').pop() ?? explicit } : {
        schema: rel.schema,
        name: rel.name.includes('range') ? rel.name.replace('range', 'multirange') : `${rel.name}_multirange`,
      };
      this.addType(multi, 'multirange');
    }
    const define = as(tree, 'DefineStmt');
    if (define?.kind === 'OBJECT_TYPE') this.addType(listName(define.defnames), 'base');
  }

  private addType(rel: RelName, kind: UserTypeKind, baseType?: TypeRef): void {
    this.types.set(relKey(rel), { rel, kind, baseType });
  }

  private addTables(tree: Node): void {
    const create = as(tree, 'CreateStmt') ?? as(tree, 'CreateForeignTableStmt')?.base;
    if (!create) return;
    const rel = relName(create.relation);
    const info: TableInfo = { rel, columns: new Map(), keys: [], inherits: [], foreign: Boolean(as(tree, 'CreateForeignTableStmt')) };
    const parents = (create.inhRelations ?? []).map((n) => relKey(relName(as(n, 'RangeVar'))));
    if (create.partbound) info.partitionOf = parents[0];
    else info.inherits = parents;
    if (create.partspec) {
      const elems = (create.partspec.partParams ?? []).map((n) => as(n, 'PartitionElem'));
      info.partitionKey = {
        strategy: create.partspec.strategy ?? '',
        columns: elems.flatMap((e) => (e?.name ? [e.name] : [])),
        hasExpressions: elems.some((e) => !e?.name),
        keyCount: elems.length,
      };
    }
    for (const elt of create.tableElts ?? []) {
      const col = as(elt, 'ColumnDef');
      if (col) this.addColumn(info, col);
      const con = as(elt, 'Constraint');
      if (con) this.addConstraint(info, con, undefined);
    }
    this.tables.set(relKey(rel), info);
  }

  private addColumn(info: TableInfo, col: ColumnDef): void {
    const name = col.colname ?? '';
    const constraints = (col.constraints ?? []).map((n) => as(n, 'Constraint')).filter((c): c is Constraint => Boolean(c));
    const notNull = Boolean(col.is_not_null) || constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');
    info.columns.set(name, { name, type: typeRef(col.typeName), notNull });
    for (const c of constraints) this.addConstraint(info, c, name);
  }

  private addConstraint(info: TableInfo, con: Constraint, column: string | undefined): void {
    const columns = column !== undefined ? [column] : strings(con.keys);
    if (con.contype === 'CONSTR_PRIMARY' || con.contype === 'CONSTR_UNIQUE') {
      info.keys.push({ kind: con.contype === 'CONSTR_PRIMARY' ? 'primary' : 'unique', name: con.conname, columns });
      if (con.contype === 'CONSTR_PRIMARY') {
        for (const c of columns) {
          const col = info.columns.get(c);
          if (col) col.notNull = true;
        }
      }
    }
  }

  private addAlterationsAndIndexes(tree: Node): void {
    const alter = as(tree, 'AlterTableStmt');
    if (alter) {
      const info = this.tables.get(relKey(relName(alter.relation)));
      for (const cmdNode of alter.cmds ?? []) {
        const cmd = as(cmdNode, 'AlterTableCmd');
        if (!cmd || !info) continue;
        if (cmd.subtype === 'AT_AddConstraint') {
          const con = as(cmd.def, 'Constraint');
          if (con) this.addConstraint(info, con, undefined);
        } else if (cmd.subtype === 'AT_AddColumn') {
          const col = as(cmd.def, 'ColumnDef');
          if (col) this.addColumn(info, col);
        } else if (cmd.subtype === 'AT_AttachPartition') {
          const part = as(cmd.def, 'PartitionCmd');
          const child = part?.name ? this.tables.get(relKey(relName(part.name))) : undefined;
          if (child) child.partitionOf = relKey(info.rel);
        } else if (cmd.subtype === 'AT_SetNotNull' && cmd.name) {
          const col = info.columns.get(cmd.name);
          if (col) col.notNull = true;
        }
      }
    }
    const index = as(tree, 'IndexStmt');
    if (index) this.addIndex(index);
  }

  private addIndex(index: IndexStmt): void {
    const table = relKey(relName(index.relation));
    const keys = (index.indexParams ?? []).map((n) => as(n, 'IndexElem')?.name);
    this.indexes.push({
      name: index.idxname ?? '',
      table,
      method: (index.accessMethod ?? 'btree').toLowerCase(),
      keys,
      unique: Boolean(index.unique),
      partial: Boolean(index.whereClause),
    });
    const info = this.tables.get(table);
    if (info && index.unique && !index.whereClause && keys.every((k) => k !== undefined)) {
      info.keys.push({ kind: index.primary ? 'primary' : 'unique', name: index.idxname, columns: keys as string[] });
    }
  }
}
