/**
 * An Oracle schema (catalog-model.ts) → the statements of each schema/ directory, in PostgreSQL DDL. Pure:
 * the replay runner's fixtures go through exactly this code.
 */
import type { SourceNote } from '../../core/source-notes.js';
import type { DdlStatement, SchemaDir } from '../../core/schema-files.js';
import type { OraSchema } from './catalog-model.js';
import { emitCode } from './ddl-code.js';
import { pgIdent } from './ddl-text.js';
import { emitForeignKey, emitIndex, emitSequence, emitTable, withNotes, type Emit } from './ddl-tables.js';

export interface ConvertedSchema {
  readonly files: Map<SchemaDir, DdlStatement[]>;
  /** Every note left in the files. */
  readonly notes: readonly SourceNote[];
}

export function convertSchema(schema: OraSchema): ConvertedSchema {
  const files = new Map<SchemaDir, DdlStatement[]>();
  const notes: SourceNote[] = [];
  const emit: Emit = (dir, s, n = []) => {
    notes.push(...n);
    let list = files.get(dir);
    if (!list) files.set(dir, (list = []));
    list.push(withNotes(s, n));
  };
  const schemaName = pgIdent(schema.owner);
  emit('schemas', { objectType: 'SCHEMA', name: schemaName, sql: `CREATE SCHEMA ${schemaName}` });
  for (const s of schema.sequences) emitSequence(schema, s, emit);
  for (const t of schema.tables) emitTable(schema, t, emit);
  for (const c of schema.constraints) if (c.type === 'R') emitForeignKey(schema, c, emit);
  for (const i of schema.indexes) emitIndex(schema, i, emit);
  emitCode(schema, emit);
  return { files, notes };
}
