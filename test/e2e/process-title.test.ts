import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/servers.js';

test('a password given as a flag does not stay visible in the process list', async () => {
  // A listener that never answers keeps the command waiting in its connect, so there is time to look.
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-title-'));
  const password = 'Visible-In-Ps-7731';
  const cli = startCli(['export', 'schema', '--export-dir', dir, '--source-db-type', 'postgresql', '--source-db-host', '127.0.0.1',
    '--source-db-port', String(port), '--source-db-user', 'u', '--source-db-name', 'd', '--source-db-schema', 'public',
    '--source-db-password', password]);
  try {
    const cmdline = await waitFor('the process title', async () => {
      const text = fs.readFileSync(`/proc/${cli.pid}/cmdline`, 'utf8');
      if (!text.includes('yb-voyager export schema')) throw new Error(`title not set yet: ${text}`);
      return text;
    });
    assert.ok(!cmdline.includes(password), cmdline);
  } finally {
    await cli.kill9();
    silent.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
