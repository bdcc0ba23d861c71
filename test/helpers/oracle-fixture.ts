/**
 * The Oracle engine over the synthetic catalog fixture (test/fixtures/oracle): a replay runner instead of an
 * Oracle server, and the fixture schema exported and applied to a private PostgreSQL the way import schema
 * splits the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../src/adapters/engine.js';
import { oracleEngineWith } from '../../src/adapters/oracle/engine.js';
import { ReplayRunner } from '../../src/adapters/oracle/replay-runner.js';
import type { Conn } from '../../src/core/connection.js';
import { parseSchemaFile, SCHEMA_DIRS } from '../../src/core/schema-files.js';
import type { ExportDir } from '../../src/export-dir/layout.js';
import type { StateStore } from '../../src/export-dir/state-store.js';
import { nullLogger } from '../../src/infra/logger.js';
import { exportSchema, type ExportSchemaResult } from '../../src/workflows/export-schema.js';
import type { PgCluster } from './pg-cluster.js';

export const ORACLE_FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/oracle/ybtest-catalog.synthetic.json');

/** An unreachable Oracle: every query is answered by the fixture. */
export const FIXTURE_CONN: Conn = {
  settings: { role: 'source', host: 'oracle.invalid', port: 1521, user: 'ybvoyager', database: 'ORCLPDB1', sslMode: 'disable' },
  secret: { password: 'x' },
};

export function replayEngine(file = ORACLE_FIXTURE): { engine: Engine; replay: ReplayRunner } {
  const replay = ReplayRunner.fromFile(file);
  return { engine: oracleEngineWith(async () => replay), replay };
}

/** export schema of YBTEST from the fixture, then every active statement applied to `db`. */
export async function exportAndApplyFixtureSchema(engine: Engine, exportDir: ExportDir, state: StateStore, cluster: PgCluster, db: string): Promise<ExportSchemaResult> {
  const result = await exportSchema({ exportDir, state, log: nullLogger }, { source: { engine, conn: FIXTURE_CONN }, schemas: ['ybtest'], startClean: false }, new AbortController().signal);
  for (const dir of SCHEMA_DIRS) {
    const file = exportDir.schemaFile(dir);
    if (!fs.existsSync(file)) continue;
    for (const s of parseSchemaFile(fs.readFileSync(file, 'utf8'))) {
      await cluster.query(s.sql, [], db).catch((e: Error) => {
        throw new Error(`${dir}: ${s.sql.slice(0, 200)} → ${e.message}`);
      });
    }
  }
  return result;
}
