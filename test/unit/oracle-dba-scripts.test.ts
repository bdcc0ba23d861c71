/**
 * The SQL an Oracle DBA runs by hand, generated from the synthetic catalog fixture, compared as golden text
 * (test/fixtures/oracle/golden/). A change to the scripts shows up here as a diff to review; regenerate the
 * golden files with YBV_UPDATE_GOLDEN=1 after checking it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { readSchema } from '../../src/adapters/oracle/catalog-model.js';
import { dbaScripts } from '../../src/adapters/oracle/dba-scripts.js';
import { ReplayRunner } from '../../src/adapters/oracle/replay-runner.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/oracle');

test('the DBA scripts match their golden text', async () => {
  const schema = await readSchema(ReplayRunner.fromFile(path.join(FIXTURES, 'ybtest-catalog.synthetic.json')), 'YBTEST');
  const scripts = dbaScripts(schema, 'ybvoyager');
  assert.deepEqual(scripts.map((s) => s.name), ['01-export-grants.sql', '02-metadata-user.sql', '03-writer-role.sql', '04-disable-triggers-and-fks.sql', '05-enable-triggers-and-fks.sql']);
  for (const s of scripts) {
    const golden = path.join(FIXTURES, 'golden', s.name);
    if (process.env.YBV_UPDATE_GOLDEN === '1') fs.writeFileSync(golden, s.sql);
    assert.equal(s.sql, fs.readFileSync(golden, 'utf8'), `${s.name} differs from its golden file`);
  }
});

test('the fall-back scripts are schema-qualified, quoted and read ALL_* views (they work for a privileged non-owner)', async () => {
  const schema = await readSchema(ReplayRunner.fromFile(path.join(FIXTURES, 'ybtest-catalog.synthetic.json')), 'YBTEST');
  const byName = new Map(dbaScripts(schema, 'ybvoyager').map((s) => [s.name, s.sql]));
  for (const name of ['04-disable-triggers-and-fks.sql', '05-enable-triggers-and-fks.sql']) {
    const sql = byName.get(name)!;
    assert.doesNotMatch(sql, /\buser_constraints\b|\buser_tables\b/i, `${name} reads no USER_* view`);
    assert.match(sql, /all_constraints\s+WHERE owner = 'YBTEST'/);
    assert.match(sql, /'ALTER TABLE ' \|\| '"' \|\| r\.owner \|\| '"\."' \|\| r\.table_name \|\| '"'/);
  }
  const enable = byName.get('05-enable-triggers-and-fks.sql')!;
  assert.match(enable, /ALTER TRIGGER "YBTEST"\."EMP_AUDIT_OFF" DISABLE;/, 'a trigger disabled before the migration stays disabled');
  assert.match(byName.get('03-writer-role.sql')!, /CREATE ROLE "YBTEST_WRITER_ROLE";[\s\S]*GRANT "YBTEST_WRITER_ROLE" TO "YBVOYAGER";/);
});

test('a foreign key disabled before the migration is not enabled at cutover to source', async () => {
  const schema = await readSchema(ReplayRunner.fromFile(path.join(FIXTURES, 'ybtest-catalog.synthetic.json')), 'YBTEST');
  const fk = schema.constraints.find((c) => c.type === 'R')!;
  schema.constraints.push({ ...fk, name: "OLD_FK'S", enabled: false });
  const enable = dbaScripts(schema, 'ybvoyager').find((s) => s.name === '05-enable-triggers-and-fks.sql')!.sql;
  assert.match(enable, /status = 'DISABLED'\n\s+AND constraint_name NOT IN \('OLD_FK''S'\)\)/);
});
