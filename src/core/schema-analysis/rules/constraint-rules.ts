/**
 * Rules about constraints: exclusion, deferrable keys, NULLS NOT DISTINCT, foreign keys to partitioned
 * tables, and keys over types YugabyteDB cannot index.
 */
import { displayIdent, displayRel, relKey, relName, strings } from '../ast.js';
import { notIndexableReason } from '../type-classes.js';
import { knownIssue, ybIssue, type Finding, type Rule } from '../types.js';
import { constraintsOf } from './rule-helpers.js';

const constraintLabel = (name: string | undefined, kind: string) => (name ? `${kind} constraint ${displayIdent(name)}` : `${kind} constraint`);

export const exclusionConstraint: Rule = {
  id: 'EXCLUSION_CONSTRAINT',
  name: 'Exclusion constraint',
  category: 'unsupported_features',
  suggestion: 'enforce the rule in the application or with a trigger that checks for overlapping rows (under SERIALIZABLE isolation)',
  docsLink: knownIssue('exclusion-constraints-is-not-supported'),
  gh: ybIssue(3944),
  check(stmt) {
    return constraintsOf(stmt.tree)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_EXCLUSION')
      .map(({ table, constraint }) => ({ reason: `${constraintLabel(constraint.conname, 'EXCLUDE')} on ${displayRel(table)} (USING ${constraint.access_method ?? 'gist'})` }));
  },
};

export const deferrableConstraint: Rule = {
  id: 'DEFERRABLE_CONSTRAINT',
  name: 'Deferrable constraint (not a foreign key)',
  category: 'unsupported_features',
  suggestion: 'make the constraint NOT DEFERRABLE (only foreign keys can be deferred in YugabyteDB), and make sure the application never relies on checking it at commit',
  docsLink: knownIssue('deferrable-constraint-on-constraints-other-than-foreign-keys-is-not-supported'),
  gh: ybIssue(1709),
  check(stmt) {
    const out: Finding[] = [];
    for (const { table, constraint, attributes } of constraintsOf(stmt.tree)) {
      if (constraint.contype === 'CONSTR_FOREIGN') continue;
      const deferrable = constraint.deferrable || attributes.some((a) => a.contype === 'CONSTR_ATTR_DEFERRABLE');
      if (!deferrable) continue;
      const kind = constraint.contype?.replace('CONSTR_', '').replace('PRIMARY', 'PRIMARY KEY') ?? 'CONSTRAINT';
      out.push({ reason: `DEFERRABLE ${constraintLabel(constraint.conname, kind)} on ${displayRel(table)}` });
    }
    return out;
  },
};

export const uniqueNullsNotDistinct: Rule = {
  id: 'UNIQUE_NULLS_NOT_DISTINCT',
  name: 'UNIQUE NULLS NOT DISTINCT',
  category: 'unsupported_features',
  suggestion: 'use a plain UNIQUE constraint plus a unique partial index on the non-null columns WHERE the nullable column IS NULL, or make the column NOT NULL with a sentinel value',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  check(stmt) {
    const out: Finding[] = constraintsOf(stmt.tree)
      .filter(({ constraint }) => constraint.nulls_not_distinct)
      .map(({ table, constraint }) => ({ reason: `${constraintLabel(constraint.conname, 'UNIQUE NULLS NOT DISTINCT')} on ${displayRel(table)}` }));
    const index = stmt.tree && 'IndexStmt' in stmt.tree ? stmt.tree.IndexStmt : undefined;
    if (index?.nulls_not_distinct) out.push({ reason: `unique index ${displayIdent(index.idxname ?? '')} with NULLS NOT DISTINCT` });
    return out;
  },
};

export const foreignKeyToPartitionedTable: Rule = {
  id: 'FOREIGN_KEY_REFERENCES_PARTITIONED_TABLE',
  name: 'Foreign key referencing a partitioned table',
  category: 'unsupported_features',
  suggestion: 'drop the foreign key and enforce it with triggers, or reference the individual partitions (YugabyteDB 2.25+ supports it)',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  check(stmt, catalog) {
    return constraintsOf(stmt.tree)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_FOREIGN' && constraint.pktable && catalog.isPartitioned(relKey(relName(constraint.pktable))))
      .map(({ table, constraint }) => ({
        reason: `${constraintLabel(constraint.conname, 'FOREIGN KEY')} on ${displayRel(table)} references partitioned table ${displayRel(relName(constraint.pktable))}`,
      }));
  },
};

export const keyOnUnindexableType: Rule = {
  id: 'PK_UK_ON_UNSUPPORTED_TYPE',
  name: 'Primary key or unique constraint on a type that cannot be indexed',
  category: 'unsupported_features',
  suggestion: 'key on another column, or on an expression of an indexable type (e.g. a text cast or a hash of the value) kept in a generated/trigger-maintained column',
  docsLink: knownIssue('indexes-on-some-complex-data-types-are-not-supported'),
  gh: ybIssue(25003),
  check(stmt, catalog) {
    const out: Finding[] = [];
    for (const { table, constraint, column } of constraintsOf(stmt.tree)) {
      if (constraint.contype !== 'CONSTR_PRIMARY' && constraint.contype !== 'CONSTR_UNIQUE') continue;
      const cols = column !== undefined ? [column] : strings(constraint.keys);
      const tableKey = relKey(table);
      for (const col of cols) {
        const type = catalog.column(tableKey, col)?.type;
        const why = type ? notIndexableReason(type, catalog) : undefined;
        if (why) {
          const kind = constraint.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
          out.push({ reason: `${constraintLabel(constraint.conname, kind)} on ${displayRel(table)} includes column ${displayIdent(col)} of ${why}, which YugabyteDB cannot index` });
        }
      }
    }
    return out;
  },
};

export const CONSTRAINT_RULES: readonly Rule[] = [exclusionConstraint, deferrableConstraint, uniqueNullsNotDistinct, foreignKeyToPartitionedTable, keyOnUnindexableType];
