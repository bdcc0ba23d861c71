/**
 * An Oracle schema (catalog-model.ts) → the statements of each schema/ directory, in PostgreSQL DDL. Pure:
 * the replay runner's fixtures go through exactly this code.
 */
import type { DdlStatement, SchemaDir, SourceFinding } from '../../core/schema-files.js';
import type { OraSchema } from './catalog-model.js';
import { emitCode } from './ddl-code.js';
import { pgIdent } from './ddl-text.js';
import { emitForeignKey, emitIndex, emitSequence, emitTable, type Emit } from './ddl-tables.js';

export interface ConvertedSchema {
  readonly files: Map<SchemaDir, DdlStatement[]>;
  /** Every finding written into the files. */
  readonly findings: readonly SourceFinding[];
}

export function convertSchema(schema: OraSchema): ConvertedSchema {
  const files = new Map<SchemaDir, DdlStatement[]>();
  const findings: SourceFinding[] = [];
  const emit: Emit = (dir, s) => {
    findings.push(...(s.findings ?? []));
    let list = files.get(dir);
    if (!list) files.set(dir, (list = []));
    list.push(s);
  };
  const schemaName = pgIdent(schema.owner);
  emit('schemas', { objectType: 'SCHEMA', name: schemaName, sql: `CREATE SCHEMA ${schemaName}` });
  for (const s of schema.sequences) emitSequence(schema, s, emit);
  for (const t of schema.tables) emitTable(schema, t, emit);
  for (const c of schema.constraints) if (c.type === 'R') emitForeignKey(schema, c, emit);
  for (const i of schema.indexes) emitIndex(schema, i, emit);
  emitCode(schema, emit);
  return { files, findings };
}
