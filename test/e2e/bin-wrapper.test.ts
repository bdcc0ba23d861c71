import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { NODE_START_FLAGS } from '../../src/infra/heap-policy.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/servers.js';

const BIN = path.join(REPO_ROOT, 'bin', 'yb-voyager');

/** The command as npm installs it: a symbolic link to bin/yb-voyager in another directory. */
function linkedBin(): { link: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-bin-'));
  const link = path.join(dir, 'yb-voyager');
  fs.symlinkSync(BIN, link);
  return { link, dir };
}

test('bin/yb-voyager through a symbolic link: --version works; the flags it gives node are NODE_START_FLAGS', () => {
  const { link, dir } = linkedBin();
  try {
    const r = spawnSync(link, ['--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.ok(r.stdout.includes(version), r.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const exec = fs.readFileSync(BIN, 'utf8').split('\n').find((l) => l.startsWith('exec node '));
  assert.ok(exec, 'the script ends by exec-ing node');
  assert.deepEqual(exec.split(' ').slice(2, 2 + NODE_START_FLAGS.length), [...NODE_START_FLAGS]);
});

test('bin/yb-voyager leaves no shell behind: the process it starts becomes node, so a kill reaches the command itself', async () => {
  // A listener that never answers keeps the command waiting in its connect.
  const silent = net.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const { link, dir } = linkedBin();
  const child = spawn(link, ['export', 'schema', '--export-dir', dir, '--source-db-type', 'postgresql', '--source-db-host', '127.0.0.1',
    '--source-db-port', String(port), '--source-db-user', 'u', '--source-db-name', 'd', '--source-db-schema', 'public'], {
    env: { ...process.env, SOURCE_DB_PASSWORD: 'x' },
    stdio: 'ignore',
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  try {
    await waitFor('the shell replaced by node', async () => {
      const exe = fs.readlinkSync(`/proc/${child.pid}/exe`);
      if (path.basename(exe) !== path.basename(process.execPath)) throw new Error(`still ${exe}`);
    });
    // Still running (waiting on the silent listener), as the very process spawned.
    assert.equal(child.exitCode, null);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', 'the kill reached the process we started: no wrapper in between');
  } finally {
    child.kill('SIGKILL');
    silent.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
