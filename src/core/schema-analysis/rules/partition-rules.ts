/**
 * Rules about partitioned tables: primary keys added afterwards, keys that leave out partition columns,
 * expression partitioning with keys, multi-column LIST partitioning.
 */
import { displayIdent, displayRel, relKey, relName, strings } from '../ast.js';
import { knownIssue, voyagerIssue, ybIssue, type Rule } from '../types.js';
import { alterCommands, constraintsOf, createTableOf } from './rule-helpers.js';

export const addPrimaryKeyToPartitionedTable: Rule = {
  id: 'ALTER_TABLE_ADD_PK_ON_PARTITIONED_TABLE',
  name: 'ALTER TABLE ADD PRIMARY KEY on a partitioned table',
  category: 'unsupported_features',
  suggestion: 'declare the PRIMARY KEY inside the CREATE TABLE of the partitioned table and drop this ALTER TABLE',
  docsLink: knownIssue('adding-primary-key-to-a-partitioned-table-results-in-an-error'),
  gh: ybIssue(10074),
  check(stmt, catalog) {
    const { table } = alterCommands(stmt.tree);
    if (!table || !catalog.isPartitioned(relKey(table))) return [];
    return constraintsOf(stmt.tree)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_PRIMARY')
      .map(() => ({ reason: `ALTER TABLE ${displayRel(table)} ADD PRIMARY KEY on a partitioned table` }));
  },
};

export const partitionKeyNotInPrimaryKey: Rule = {
  id: 'PARTITION_KEY_NOT_IN_PRIMARY_KEY',
  name: 'Partition key columns not part of the primary key',
  category: 'unsupported_features',
  suggestion: 'add the partition key columns to the primary key',
  docsLink: knownIssue('partition-key-column-not-part-of-primary-key-columns'),
  gh: voyagerIssue(578),
  check(stmt, catalog) {
    const create = createTableOf(stmt.tree);
    const { table } = alterCommands(stmt.tree);
    const key = create ? relKey(relName(create.relation)) : table ? relKey(table) : undefined;
    if (!key) return [];
    const info = catalog.table(key);
    if (!info?.partitionKey) return [];
    // Only the statement that declares the primary key reports it (the CREATE, or the ALTER that adds it).
    const pk = constraintsOf(stmt.tree).find(({ constraint }) => constraint.contype === 'CONSTR_PRIMARY');
    if (!pk) return [];
    const pkCols = pk.column !== undefined ? [pk.column] : strings(pk.constraint.keys);
    const missing = info.partitionKey.columns.filter((c) => !pkCols.includes(c));
    return missing.length
      ? [{ reason: `partition column(s) ${missing.map(displayIdent).join(', ')} of ${displayRel(info.rel)} are not in its primary key (${pkCols.map(displayIdent).join(', ')})` }]
      : [];
  },
};

export const expressionPartitionWithKeys: Rule = {
  id: 'EXPRESSION_PARTITION_WITH_PK_UK',
  name: 'Partitioned by an expression, with a primary or unique key',
  category: 'unsupported_features',
  suggestion: 'partition by plain columns, or drop the primary/unique key (a key on a table partitioned by an expression cannot be enforced)',
  docsLink: 'https://docs.yugabyte.com/preview/yugabyte-voyager/known-issues/mysql/#tables-partitioned-with-expressions-cannot-contain-primary-unique-keys',
  gh: voyagerIssue(698),
  check(stmt, catalog) {
    const create = createTableOf(stmt.tree);
    if (!create?.partspec) return [];
    const info = catalog.table(relKey(relName(create.relation)));
    if (!info?.partitionKey?.hasExpressions || !info.keys.length) return [];
    return [{ reason: `table ${displayRel(info.rel)} is partitioned by an expression and has a ${info.keys.some((k) => k.kind === 'primary') ? 'primary' : 'unique'} key` }];
  },
};

export const multiColumnListPartition: Rule = {
  id: 'MULTI_COLUMN_LIST_PARTITION',
  name: 'Multi-column PARTITION BY LIST',
  category: 'unsupported_features',
  suggestion: 'partition by LIST on one column (a composite value can be computed into one column), or by RANGE',
  docsLink: 'https://docs.yugabyte.com/preview/yugabyte-voyager/known-issues/mysql/#multi-column-partition-by-list-is-not-supported',
  gh: voyagerIssue(699),
  check(stmt) {
    const spec = createTableOf(stmt.tree)?.partspec;
    if (spec?.strategy !== 'PARTITION_STRATEGY_LIST' || (spec.partParams?.length ?? 0) < 2) return [];
    return [{ reason: `PARTITION BY LIST over ${spec.partParams?.length} keys` }];
  },
};

export const PARTITION_RULES: readonly Rule[] = [addPrimaryKeyToPartitionedTable, partitionKeyNotInPrimaryKey, expressionPartitionWithKeys, multiColumnListPartition];
