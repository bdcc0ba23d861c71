#!/usr/bin/env node
// Runs every compiled test file with node's test runner (node 20 does not expand globs itself).
// Usage: node test/run-all.mjs [unit|contract|integration|e2e ...]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const tiers = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'contract', 'integration', 'e2e'];
const files = [];
function walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p);
    else if (entry.name.endsWith('.test.js')) files.push(p);
  }
}
for (const tier of tiers) walk(path.join('dist', 'test', tier));
files.sort();
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
