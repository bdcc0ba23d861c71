/**
 * --oracle-capture-catalog: the dictionary results an export schema reads are written as a 'recorded' fixture
 * that the replay runner reads back into the same export. (Here the "server" is itself the synthetic fixture.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { oracleEngineWith } from '../../src/adapters/oracle/engine.js';
import type { OracleFixture } from '../../src/adapters/oracle/query-runner.js';
import { ReplayRunner } from '../../src/adapters/oracle/replay-runner.js';
import { renderSchemaFile } from '../../src/core/schema-files.js';
import { FIXTURE_CONN, ORACLE_FIXTURE } from '../helpers/oracle-fixture.js';

test('a captured catalog replays into the same schema export', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-oracle-capture-'));
  try {
    const file = path.join(dir, 'catalog.json');
    const live = oracleEngineWith(async () => ReplayRunner.fromFile(ORACLE_FIXTURE));
    const first = await live.schemaSource!.exportSchema(FIXTURE_CONN, ['ybtest'], { captureCatalogTo: file });
    const captured = JSON.parse(fs.readFileSync(file, 'utf8')) as OracleFixture;
    assert.equal(captured.provenance, 'recorded');
    assert.match(captured.server ?? '', /^Oracle Database 19c/);
    assert.ok(Object.keys(captured.queries).includes('catalog.columns owner=YBTEST'));

    const replay = ReplayRunner.fromFile(file);
    const second = await oracleEngineWith(async () => replay).schemaSource!.exportSchema(FIXTURE_CONN, ['ybtest']);
    const text = (r: typeof first) => [...r.files].map(([d, s]) => renderSchemaFile(d, s)).join('');
    assert.equal(text(second), text(first));
    assert.ok(text(first).includes('CREATE TABLE ybtest.employees'), 'the export is not empty');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
