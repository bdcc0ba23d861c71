/** Every schema-analysis rule, in report order. */
import type { Rule } from '../types.js';
import { CONSTRAINT_RULES } from './constraint-rules.js';
import { CONSTRUCT_RULES } from './construct-rules.js';
import { DATATYPE_RULES } from './datatype-rules.js';
import { INDEX_RULES } from './index-rules.js';
import { OBJECT_RULES } from './object-rules.js';
import { PARTITION_RULES } from './partition-rules.js';
import { PERFORMANCE_RULES } from './performance-rules.js';
import { ROUTINE_RULES } from './routine-rules.js';
import { TABLE_RULES } from './table-rules.js';
import { TRIGGER_RULES } from './trigger-rules.js';

export const ALL_RULES: readonly Rule[] = [
  ...TABLE_RULES, ...CONSTRAINT_RULES, ...PARTITION_RULES, ...INDEX_RULES, ...DATATYPE_RULES, ...TRIGGER_RULES,
  ...ROUTINE_RULES, ...CONSTRUCT_RULES, ...OBJECT_RULES, ...PERFORMANCE_RULES,
];
