/** Secrets never reach a log line, a message or the console, in whatever shape they appear. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLogger, redact, registerSecret } from '../../src/infra/logger.js';

const SECRET = 'Pa"ss\\w0rd#$%';
registerSecret(SECRET);

test('a registered secret is masked as written and as JSON escapes it', () => {
  assert.equal(redact(`connecting with ${SECRET} now`), 'connecting with *** now');
  const json = JSON.stringify({ msg: `pw ${SECRET}` });
  assert.ok(json.includes('\\"'), 'the JSON form differs from the raw form');
  assert.equal(redact(json).includes('ss\\\\w0rd'), false);
  assert.equal(JSON.parse(redact(json)).msg, 'pw ***');
});

test('a longer secret containing a shorter one is masked whole', () => {
  registerSecret('abc');
  registerSecret('abcdefgh-long');
  assert.equal(redact('x abcdefgh-long y'), 'x *** y');
});

test('password=… and password: … shapes are masked even when not registered', () => {
  assert.equal(redact('host=h password=hunter2 user=u'), 'host=h password=*** user=u');
  assert.equal(redact('PGPASSWORD=hunter2'), 'PGPASSWORD=***');
  assert.equal(redact("password: 'hunter 2'"), "password: '***'");
  assert.equal(redact('--source-db-password=hunter2'), '--source-db-password=***');
});

test('a JSON "password" field is masked and the line stays valid JSON', () => {
  const line = JSON.stringify({ user: 'u', password: 'hunter2', db_password: 'x"y' });
  const out = redact(line);
  assert.ok(!out.includes('hunter2'));
  assert.deepEqual(JSON.parse(out), { user: 'u', password: '***', db_password: '***' });
});

test('credentials inside URLs are masked', () => {
  assert.equal(redact('postgres://u:hunter2@h:5432/db'), 'postgres://u:***@h:5432/db');
  assert.equal(redact('mysql://root:hunter2@127.0.0.1:3306'), 'mysql://root:***@127.0.0.1:3306');
});

test('text without secrets is left alone', () => {
  const s = 'password authentication failed for user "ybvoyager"';
  assert.equal(redact(s), s);
});

test('the log file never receives a secret, whatever field carries it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-log-'));
  try {
    const f = path.join(dir, 'x.log');
    const log = createLogger(f, 'debug');
    log.info(`message with ${SECRET}`, { nested: { deep: [SECRET] }, err: new Error(`failed: ${SECRET}`) });
    log.debug('connection', { password: 'unregistered-pw' });
    log.trace('below the level: not written');
    log.close();
    const text = fs.readFileSync(f, 'utf8');
    assert.ok(!text.includes('w0rd'), text);
    assert.ok(!text.includes('unregistered-pw'), text);
    assert.ok(!text.includes('below the level'));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].level, 'info');
    assert.equal((fs.statSync(f).mode & 0o777).toString(8), '600');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
