/**
 * Rules about tables: persistence, inheritance, generated columns, storage options, foreign tables, primary
 * keys, and ALTER TABLE variants YugabyteDB does not run.
 */
import { as, defElems, displayIdent, displayRel, relKey, relName } from '../ast.js';
import { knownIssue, voyagerIssue, ybIssue, type Finding, type Rule } from '../types.js';
import { alterCommands, columnDefinitions, constraintsOf, createTableOf } from './rule-helpers.js';

export const unloggedTable: Rule = {
  id: 'UNLOGGED_TABLE',
  name: 'UNLOGGED table',
  category: 'unsupported_features',
  suggestion: 'remove the UNLOGGED keyword (YugabyteDB releases before 2024.2 reject it; later ones create a regular, logged table)',
  docsLink: knownIssue('unlogged-table-is-not-supported'),
  gh: ybIssue(1129),
  check(stmt) {
    const create = createTableOf(stmt.tree);
    if (create?.relation?.relpersistence === 'u') return [{ reason: `table ${displayRel(relName(create.relation))} is UNLOGGED` }];
    const { table, cmds } = alterCommands(stmt.tree);
    if (table && cmds.some((c) => c.subtype === 'AT_SetUnLogged')) return [{ reason: `ALTER TABLE ${displayRel(table)} SET UNLOGGED` }];
    return [];
  },
};

export const tableInheritance: Rule = {
  id: 'TABLE_INHERITANCE',
  name: 'Table inheritance',
  category: 'unsupported_features',
  suggestion: 'model the hierarchy as declarative partitions, or as separate tables joined by a view',
  docsLink: knownIssue('table-inheritance-is-not-supported'),
  gh: ybIssue(1129),
  check(stmt) {
    const create = createTableOf(stmt.tree);
    if (create && !create.partbound && (create.inhRelations?.length ?? 0) > 0) {
      const parents = (create.inhRelations ?? []).map((n) => displayRel(relName(as(n, 'RangeVar'))));
      return [{ reason: `table ${displayRel(relName(create.relation))} INHERITS from ${parents.join(', ')}; table inheritance is not supported in YugabyteDB` }];
    }
    const { table, cmds } = alterCommands(stmt.tree);
    if (table && cmds.some((c) => c.subtype === 'AT_AddInherit' || c.subtype === 'AT_DropInherit')) {
      return [{ reason: `ALTER TABLE ${displayRel(table)} [NO] INHERIT: table inheritance is not supported in YugabyteDB` }];
    }
    return [];
  },
};

export const storedGeneratedColumn: Rule = {
  id: 'STORED_GENERATED_COLUMN',
  name: 'Generated column',
  category: 'unsupported_features',
  suggestion: 'compute the value in a BEFORE INSERT OR UPDATE trigger, or in the application (generated columns need YugabyteDB 2.25+)',
  docsLink: knownIssue('generated-always-as-stored-type-column-is-not-supported'),
  gh: ybIssue(10695),
  check(stmt) {
    const cols: string[] = [];
    for (const { column } of columnDefinitions(stmt.tree)) {
      for (const n of column.constraints ?? []) {
        const c = as(n, 'Constraint');
        if (c?.contype === 'CONSTR_GENERATED') cols.push(`${displayIdent(column.colname ?? '')} (${c.generated_kind === 'v' ? 'VIRTUAL' : 'STORED'})`);
      }
    }
    const { cmds } = alterCommands(stmt.tree);
    for (const c of cmds) if (c.subtype === 'AT_SetExpression') cols.push(`${displayIdent(c.name ?? '')} (SET EXPRESSION)`);
    return cols.length ? [{ reason: `generated column(s) ${cols.join(', ')}` }] : [];
  },
};

/** Options YugabyteDB itself defines for tables and indexes; everything else is a PostgreSQL storage parameter. */
const YB_OPTIONS = new Set(['colocation', 'colocated', 'colocation_id', 'table_oid', 'tablegroup', 'split_at']);

const INDEX_BACKED = new Set(['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION']);

export const storageParameters: Rule = {
  id: 'STORAGE_PARAMETERS',
  name: 'Storage parameters',
  category: 'unsupported_features',
  suggestion: 'remove the WITH (…) storage parameters (fillfactor, autovacuum_*, toast_*… mean nothing on YugabyteDB\'s LSM storage and some are rejected)',
  docsLink: knownIssue('storage-parameters-on-indexes-or-constraints-in-the-source-postgresql'),
  gh: ybIssue(23467),
  check(stmt) {
    const found: string[] = [];
    const collect = (where: string, options: Map<string, string>) => {
      const names = [...options.keys()].filter((k) => !YB_OPTIONS.has(k) && k !== 'oids');
      if (names.length) found.push(`${where}: ${names.join(', ')}`);
    };
    const create = createTableOf(stmt.tree);
    if (create) collect('table', defElems(create.options));
    const index = as(stmt.tree, 'IndexStmt');
    if (index) collect('index', defElems(index.options));
    for (const { constraint } of constraintsOf(stmt.tree)) {
      // Only index-backed constraints take storage parameters (an identity column's options are sequence options).
      if (!INDEX_BACKED.has(constraint.contype ?? '') || !constraint.options?.length) continue;
      collect(`constraint ${constraint.conname ?? constraint.contype?.replace('CONSTR_', '')}`, defElems(constraint.options));
    }
    for (const c of alterCommands(stmt.tree).cmds) {
      if (c.subtype === 'AT_SetRelOptions' || c.subtype === 'AT_ResetRelOptions' || c.subtype === 'AT_ReplaceRelOptions') {
        collect('ALTER … SET/RESET', defElems(as(c.def, 'List')?.items));
      }
    }
    return found.length ? [{ reason: `storage parameters (${found.join('; ')})` }] : [];
  },
};

export const withOids: Rule = {
  id: 'WITH_OIDS',
  name: 'WITH OIDS',
  category: 'unsupported_features',
  suggestion: 'remove oids=true; add an explicit bigint identity column if the application relied on the oid column',
  docsLink: knownIssue('unsupported-alter-table-ddl-variants-in-source-schema'),
  check(stmt) {
    const create = createTableOf(stmt.tree);
    const opts = defElems(create?.options);
    const v = opts.get('oids');
    return v !== undefined && v.toLowerCase() !== 'false' ? [{ reason: 'table created WITH (OIDS): object identifiers on user tables are not supported' }] : [];
  },
};

export const compressionClause: Rule = {
  id: 'COMPRESSION_CLAUSE',
  name: 'COMPRESSION clause',
  category: 'unsupported_features',
  suggestion: 'remove the COMPRESSION clause (YugabyteDB compresses at the storage layer)',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  check(stmt) {
    const cols = columnDefinitions(stmt.tree).filter(({ column }) => column.compression).map(({ column }) => `${displayIdent(column.colname ?? '')} COMPRESSION ${column.compression}`);
    for (const c of alterCommands(stmt.tree).cmds) if (c.subtype === 'AT_SetCompression') cols.push(`${displayIdent(c.name ?? '')} SET COMPRESSION`);
    return cols.length ? [{ reason: `column compression method: ${cols.join(', ')}` }] : [];
  },
};

export const foreignTable: Rule = {
  id: 'FOREIGN_TABLE',
  name: 'Foreign table',
  category: 'migration_caveats',
  suggestion: 'create the foreign server and user mapping on the target before importing the schema (export schema does not export them)',
  docsLink: knownIssue('foreign-table-in-the-source-database-requires-server-and-user-mapping'),
  gh: voyagerIssue(1627),
  check(stmt) {
    const ft = as(stmt.tree, 'CreateForeignTableStmt');
    if (!ft) return [];
    return [{
      reason: `foreign table ${displayRel(relName(ft.base?.relation))} uses server ${displayIdent(ft.servername ?? '')}, whose definition and user mappings are not part of the export`,
      suggestion: `create SERVER ${displayIdent(ft.servername ?? '')} and its USER MAPPING on the target first; its data is not migrated`,
    }];
  },
};

export const tableWithoutPrimaryKey: Rule = {
  id: 'TABLE_WITHOUT_PRIMARY_KEY',
  name: 'Table without a primary key',
  category: 'migration_caveats',
  suggestion: 'add a PRIMARY KEY: live migration (and its fall-back) identifies changed rows by primary key, so tables without one cannot be migrated live',
  docsLink: 'https://docs.yugabyte.com/preview/yugabyte-voyager/migrate/live-migrate/',
  check(stmt, catalog) {
    const create = as(stmt.tree, 'CreateStmt');
    if (!create || create.relation?.relpersistence === 't') return [];
    const key = relKey(relName(create.relation));
    const table = catalog.table(key);
    if (!table || catalog.primaryKey(key)) return [];
    // A partition of a table that has no primary key is covered by the issue on that table.
    if (table.partitionOf && catalog.table(table.partitionOf)) return [];
    const candidate = table.keys.find((k) => k.kind === 'unique' && k.columns.every((c) => catalog.column(key, c)?.notNull));
    const name = displayRel(table.rel);
    return [{
      reason: `table ${name} has no primary key${table.partitionKey ? ' (partitioned table: its partitions inherit none)' : ''}`,
      suggestion: candidate
        ? `add PRIMARY KEY (${candidate.columns.map(displayIdent).join(', ')}): the UNIQUE key on NOT NULL column(s) ${candidate.columns.map(displayIdent).join(', ')} is a ready candidate`
        : undefined,
    }];
  },
};

export const alterTableClusterOn: Rule = {
  id: 'ALTER_TABLE_CLUSTER_ON',
  name: 'ALTER TABLE … CLUSTER ON',
  category: 'unsupported_features',
  suggestion: 'remove the statement: YugabyteDB orders rows by primary key and has no CLUSTER',
  docsLink: knownIssue('unsupported-alter-table-ddl-variants-in-source-schema'),
  gh: ybIssue(1124),
  check(stmt) {
    const { table, cmds } = alterCommands(stmt.tree);
    const c = cmds.find((x) => x.subtype === 'AT_ClusterOn');
    return table && c ? [{ reason: `ALTER TABLE ${displayRel(table)} CLUSTER ON ${displayIdent(c.name ?? '')}` }] : [];
  },
};

export const alterTableDisableRule: Rule = {
  id: 'ALTER_TABLE_DISABLE_RULE',
  name: 'ALTER TABLE … DISABLE RULE',
  category: 'unsupported_features',
  suggestion: 'drop the rule instead of disabling it (remove both the rule and this statement from the exported schema)',
  docsLink: knownIssue('unsupported-alter-table-ddl-variants-in-source-schema'),
  gh: ybIssue(1124),
  check(stmt) {
    const { table, cmds } = alterCommands(stmt.tree);
    return cmds
      .filter((c) => c.subtype === 'AT_DisableRule')
      .map((c) => ({ reason: `ALTER TABLE ${displayRel(table!)} DISABLE RULE ${displayIdent(c.name ?? '')}`, suggestion: `remove rule ${displayIdent(c.name ?? '')} and this statement from the exported schema` }));
  },
};

export const alterColumnSetAttribute: Rule = {
  id: 'ALTER_TABLE_SET_COLUMN_ATTRIBUTE',
  name: 'ALTER TABLE … ALTER COLUMN … SET (attribute)',
  category: 'unsupported_features',
  suggestion: 'remove the statement: per-column planner options (n_distinct…) are not supported',
  docsLink: knownIssue('unsupported-alter-table-ddl-variants-in-source-schema'),
  gh: ybIssue(1124),
  check(stmt) {
    const { table, cmds } = alterCommands(stmt.tree);
    return cmds
      .filter((c) => c.subtype === 'AT_SetOptions' || c.subtype === 'AT_ResetOptions')
      .map((c) => ({ reason: `ALTER TABLE ${displayRel(table!)} ALTER COLUMN ${displayIdent(c.name ?? '')} SET/RESET (${[...defElems(as(c.def, 'List')?.items).keys()].join(', ')})` }));
  },
};

const UNSUPPORTED_ALTER_VARIANTS: Record<string, string> = {
  AT_AddOf: 'OF <type>',
  AT_DropOf: 'NOT OF',
  AT_DropCluster: 'SET WITHOUT CLUSTER',
  AT_AlterConstraint: 'ALTER CONSTRAINT',
  AT_SetAccessMethod: 'SET ACCESS METHOD',
  AT_SetLogged: 'SET LOGGED',
};

export const alterTableUnsupportedVariant: Rule = {
  id: 'ALTER_TABLE_UNSUPPORTED_VARIANT',
  name: 'Unsupported ALTER TABLE variant',
  category: 'unsupported_features',
  suggestion: 'fold the change into the CREATE TABLE statement, or drop the statement',
  docsLink: knownIssue('unsupported-alter-table-ddl-variants-in-source-schema'),
  gh: ybIssue(1124),
  check(stmt) {
    const { table, cmds } = alterCommands(stmt.tree);
    const found = cmds.map((c) => UNSUPPORTED_ALTER_VARIANTS[c.subtype ?? '']).filter(Boolean);
    return table && found.length ? [{ reason: `ALTER TABLE ${displayRel(table)} ${found.join(', ')}` }] : [];
  },
};

export const tablespaceClause: Rule = {
  id: 'TABLESPACE_CLAUSE',
  name: 'Tablespace',
  category: 'migration_caveats',
  suggestion: 'create the tablespace on YugabyteDB first (there a tablespace describes replica placement, not a directory), or remove the TABLESPACE clause',
  docsLink: 'https://docs.yugabyte.com/preview/explore/going-beyond-sql/tablespaces/',
  check(stmt) {
    const spaces: string[] = [];
    const create = createTableOf(stmt.tree);
    if (create?.tablespacename) spaces.push(create.tablespacename);
    const index = as(stmt.tree, 'IndexStmt');
    if (index?.tableSpace) spaces.push(index.tableSpace);
    for (const { constraint } of constraintsOf(stmt.tree)) if (constraint.indexspace) spaces.push(constraint.indexspace);
    for (const c of alterCommands(stmt.tree).cmds) if (c.subtype === 'AT_SetTableSpace' && c.name) spaces.push(c.name);
    const names = [...new Set(spaces)].filter((s) => s !== 'pg_default');
    return names.length ? [{ reason: `uses tablespace ${names.map(displayIdent).join(', ')}` } satisfies Finding] : [];
  },
};

export const TABLE_RULES: readonly Rule[] = [
  unloggedTable, tableInheritance, storedGeneratedColumn, storageParameters, withOids, compressionClause, foreignTable,
  tableWithoutPrimaryKey, alterTableClusterOn, alterTableDisableRule, alterColumnSetAttribute, alterTableUnsupportedVariant,
  tablespaceClause,
];
