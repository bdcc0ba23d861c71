/** import data's default session count: the CPUs of a target on this machine when fewer than 4, else 4; a given value wins. */
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.js';
import { importParallelJobs, onThisMachine } from '../../src/cli/parallel-jobs.js';
import { resolveOptions } from '../../src/cli/resolve.js';
import type { ConnSettings } from '../../src/core/connection.js';

const IMPORT = COMMANDS.find((c) => c.id === 'import-data-to-target')!;
const at = (host: string): ConnSettings => ({ role: 'target', host, port: 5432, user: 'u', database: 'd', sslMode: 'disable' });

test('this machine: loopback, a Unix-socket directory, its name and addresses; not another host', () => {
  for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '/var/run/postgresql', os.hostname()]) assert.ok(onThisMachine(h), h);
  const mine = Object.values(os.networkInterfaces()).flatMap((a) => a ?? []).map((a) => a.address);
  for (const a of mine) assert.ok(onThisMachine(a), a);
  for (const h of ['db.example.com', '192.0.2.1', '2001:db8::1']) assert.ok(!onThisMachine(h), h);
});

test('the default adapts to a local target with fewer CPUs; a remote target and a given value do not', () => {
  const cpus = os.availableParallelism();
  const byDefault = resolveOptions(IMPORT, new Map(), {}, undefined);
  assert.equal(importParallelJobs(byDefault, at('127.0.0.1')).jobs, Math.min(4, cpus));
  assert.equal(importParallelJobs(byDefault, at('192.0.2.1')).jobs, 4);
  const given = resolveOptions(IMPORT, new Map([['parallel-jobs', '6']]), {}, undefined);
  assert.deepEqual(importParallelJobs(given, at('127.0.0.1')), { jobs: 6, why: 'flag' });
});

test('import data --help says how the default is chosen instead of a fixed 4', () => {
  const jobs = IMPORT.options.find((o) => o.name === 'parallel-jobs')!;
  assert.equal(jobs.default, undefined);
  assert.match(String(jobs.defaultNote), /^4, or one per CPU when the target runs on this machine/);
});
