/** Writing back into an Oracle source is refused with the reason, before anything else happens. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { refuseWriteBackToSource } from '../../src/cli/fall-back-connection.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { UserError } from '../../src/infra/errors.js';

function stateWithSource(dbType: string): { state: StateStore; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-oracle-refuse-'));
  const state = StateStore.open(path.join(dir, 'meta.db'));
  state.bindDatabase('source', { dbType, systemId: 'X/1', dbName: 'ORCLPDB1', host: 'h', port: 1521 });
  return { state, dir };
}

test('import data to source and --prepare-for-fall-back are refused for an Oracle source, saying why', async () => {
  const { state, dir } = stateWithSource('oracle');
  try {
    for (const what of ['import data to source', '--prepare-for-fall-back']) {
      await assert.rejects(refuseWriteBackToSource(state, what), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(e.oneLine(), new RegExp(`^${what} is refused for this Oracle source: writing changes back into Oracle .* no Oracle server can run here`));
        assert.match(e.oneLine(), /docs\/oracle\.md/);
        return true;
      });
    }
  } finally {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a PostgreSQL source passes', async () => {
  const { state, dir } = stateWithSource('postgresql');
  try {
    await assert.doesNotReject(refuseWriteBackToSource(state, 'import data to source'));
  } finally {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
