/**
 * Rules about triggers: constraint triggers, transition tables (REFERENCING), BEFORE ROW triggers on
 * partitioned tables.
 */
import { as, displayIdent, displayRel, relKey, relName } from '../ast.js';
import { knownIssue, ybIssue, type Rule } from '../types.js';

/** pg_trigger tgtype bits, as the parser sets CreateTrigStmt.timing. */
const TRIGGER_TYPE_BEFORE = 1 << 1;
const TRIGGER_TYPE_INSTEAD = 1 << 6;

export const constraintTrigger: Rule = {
  id: 'CONSTRAINT_TRIGGER',
  name: 'CONSTRAINT TRIGGER',
  category: 'unsupported_features',
  suggestion: 'create it as a plain AFTER trigger (it then fires at the end of each statement, not at commit)',
  docsLink: knownIssue('constraint-trigger-is-not-supported'),
  gh: ybIssue(1709),
  check(stmt) {
    const trig = as(stmt.tree, 'CreateTrigStmt');
    return trig?.isconstraint ? [{ reason: `CONSTRAINT TRIGGER ${displayIdent(trig.trigname ?? '')} on ${displayRel(relName(trig.relation))}` }] : [];
  },
};

export const triggerReferencingClause: Rule = {
  id: 'REFERENCING_CLAUSE_IN_TRIGGER',
  name: 'REFERENCING clause (transition tables) in a trigger',
  category: 'unsupported_features',
  suggestion: 'rewrite as a FOR EACH ROW trigger that uses OLD/NEW instead of transition tables',
  docsLink: knownIssue('referencing-clause-for-triggers'),
  gh: ybIssue(1668),
  check(stmt) {
    const trig = as(stmt.tree, 'CreateTrigStmt');
    if (!trig?.transitionRels?.length) return [];
    const names = trig.transitionRels.map((n) => as(n, 'TriggerTransition')).map((t) => `${t?.isNew ? 'NEW' : 'OLD'} TABLE AS ${displayIdent(t?.name ?? '')}`);
    return [{ reason: `trigger ${displayIdent(trig.trigname ?? '')} uses REFERENCING ${names.join(' ')}` }];
  },
};

export const beforeRowTriggerOnPartitionedTable: Rule = {
  id: 'BEFORE_ROW_TRIGGER_ON_PARTITIONED_TABLE',
  name: 'BEFORE ROW trigger on a partitioned table',
  category: 'unsupported_features',
  suggestion: 'create the trigger on each partition instead of on the partitioned table (and on partitions created later)',
  docsLink: knownIssue('before-row-triggers-on-partitioned-tables'),
  gh: ybIssue(24830),
  check(stmt, catalog) {
    const trig = as(stmt.tree, 'CreateTrigStmt');
    if (!trig?.row || !((trig.timing ?? 0) & TRIGGER_TYPE_BEFORE) || (trig.timing ?? 0) & TRIGGER_TYPE_INSTEAD) return [];
    const table = relName(trig.relation);
    return catalog.isPartitioned(relKey(table)) ? [{ reason: `BEFORE ROW trigger ${displayIdent(trig.trigname ?? '')} on partitioned table ${displayRel(table)}` }] : [];
  },
};

export const TRIGGER_RULES: readonly Rule[] = [constraintTrigger, triggerReferencingClause, beforeRowTriggerOnPartitionedTable];
