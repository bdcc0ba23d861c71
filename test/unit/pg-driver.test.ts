/**
 * node-postgres loads without its Cloudflare Workers probe (pg-driver.ts): the probe constructs a fetch
 * Response, which loads Node's fetch implementation (undici) at every start-up. And no module of src/ takes
 * pg's values straight from 'pg', which, loaded first, would bring the probe back.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.resolve(here, '../../src/adapters/postgres/pg-driver.js');
const SRC = path.resolve(here, '../../../src');

test('pg loads without loading fetch, and leaves no navigator behind', () => {
  const script = `
    const before = typeof globalThis.navigator;
    const { pgDriver } = await import(${JSON.stringify(DRIVER)});
    const fetchLoaded = process.moduleLoadList.some((m) => m.includes('undici'));
    console.log(JSON.stringify({ client: typeof pgDriver.Client, fetchLoaded, navigatorKept: typeof globalThis.navigator === before }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { client: 'function', fetchLoaded: false, navigatorKept: true });
});

test("no module of src/ imports pg's values from 'pg' itself", () => {
  const files = (function walk(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  })(SRC);
  const offenders = files.filter((f) => !f.endsWith('pg-driver.ts') && /^import (?!type )[^;]*from 'pg';/m.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders.map((f) => path.relative(SRC, f)), []);
});
