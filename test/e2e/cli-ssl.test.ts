/**
 * SSL through the CLI flags (--source-ssl-mode, --source-ssl-root-cert) against real clusters with a private
 * CA. The server logs every login (log_connections) and whether it used SSL: that is what the
 * success cases assert, so they do not depend on what the command does after connecting.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.js';
import { EXIT_CODES } from '../../src/infra/errors.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';
import { makeSslCerts, type SslCerts } from '../helpers/ssl-certs.js';

/** The first implemented command that connects to the source with the --source-ssl-* flags. */
const command = ['export-schema', 'export-data-from-source'].map((id) => COMMANDS.find((c) => c.id === id)!).find((c) => c.load)!;

const env = { SOURCE_DB_PASSWORD: MIGRATION_PASSWORD };
const tempDirs: string[] = [];
after(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function exportDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-e2e-ssl-'));
  tempDirs.push(d);
  return d;
}

/** Connection flags for `cluster`, with the SSL flags replaced by `ssl`. */
function args(cluster: PgCluster, db: string, ssl: string[]): string[] {
  const flags = cluster.flags('source', db);
  const i = flags.indexOf('--source-ssl-mode');
  flags.splice(i, 2);
  return [...command.words, '-e', exportDir(), ...flags, '--source-db-schema', 'public', ...ssl];
}

function loginsTo(cluster: PgCluster, db: string): { ssl: number; plain: number } {
  const lines = cluster.serverLog().split('\n').filter((l) => l.includes('connection authorized') && l.includes(`database=${db} `));
  const ssl = lines.filter((l) => l.includes('SSL enabled')).length;
  return { ssl, plain: lines.length - ssl };
}

function oneLineError(r: CliResult, code: number): string {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(!r.stderr.includes(MIGRATION_PASSWORD));
  return lines[0];
}

/** These need clusters configured with our CA and pg_hba rules: not possible on an existing server. */
const privateOnly = process.env.YBV_TEST_PG_ADMIN_URL ? 'YBV_TEST_PG_ADMIN_URL points at an existing server' : false;

let certs: SslCerts;
before(() => { certs = makeSslCerts(); });
after(() => certs?.cleanup());

describe(`SSL flags through \`${command.words.join(' ')}\``, { skip: privateOnly }, () => {
  let sslCluster: PgCluster;
  let plainCluster: PgCluster;
  let hostsslCluster: PgCluster;
  before(async () => {
    const extraConf = { log_connections: 'on' };
    [sslCluster, plainCluster, hostsslCluster] = await Promise.all([
      PgCluster.start({ ssl: certs.serverSsl(), extraConf }),
      PgCluster.start({ extraConf }),
      PgCluster.start({ ssl: { ...certs.serverSsl(), hostsslOnly: true }, extraConf }),
    ]);
  });
  after(async () => {
    await Promise.all([sslCluster?.stop(), plainCluster?.stop(), hostsslCluster?.stop()]);
  });

  test('--source-ssl-mode require: every login of the command is encrypted', async () => {
    const db = await sslCluster.createDatabase('req');
    const r = await runCli(args(sslCluster, db, ['--source-ssl-mode', 'require']), { env });
    assert.doesNotMatch(r.stderr, /SSL|certificate/i);
    const logins = loginsTo(sslCluster, db);
    assert.ok(logins.ssl > 0, `SSL logins: ${JSON.stringify(logins)}; stderr: ${r.stderr}`);
    assert.equal(logins.plain, 0);
  });

  test('--source-ssl-mode verify-full with --source-ssl-root-cert: encrypted and verified', async () => {
    const db = await sslCluster.createDatabase('vfull');
    const r = await runCli(args(sslCluster, db, ['--source-ssl-mode', 'verify-full', '--source-ssl-root-cert', certs.caFile]), { env });
    assert.doesNotMatch(r.stderr, /SSL|certificate/i);
    const logins = loginsTo(sslCluster, db);
    assert.ok(logins.ssl > 0, `SSL logins: ${JSON.stringify(logins)}; stderr: ${r.stderr}`);
    assert.equal(logins.plain, 0);
  });

  test('verify-full with a CA that did not sign the server certificate: one line naming --source-ssl-root-cert', async () => {
    const db = await sslCluster.createDatabase('wrongca');
    const line = oneLineError(await runCli(args(sslCluster, db, ['--source-ssl-mode', 'verify-full', '--source-ssl-root-cert', certs.otherCaFile]), { env }), EXIT_CODES.connect);
    assert.match(line, /certificate cannot be verified/);
    assert.match(line, /--source-ssl-root-cert/);
    assert.deepEqual(loginsTo(sslCluster, db), { ssl: 0, plain: 0 });
  });

  test('require against a server without SSL: one line saying so and naming --source-ssl-mode', async () => {
    const db = await plainCluster.createDatabase('nossl');
    const line = oneLineError(await runCli(args(plainCluster, db, ['--source-ssl-mode', 'require']), { env }), EXIT_CODES.connect);
    assert.match(line, /does not accept SSL, but --source-ssl-mode is require/);
  });

  test('disable against a server that takes SSL logins only: one line naming pg_hba.conf and --source-ssl-mode require', async () => {
    const db = await hostsslCluster.createDatabase('hostssl');
    const line = oneLineError(await runCli(args(hostsslCluster, db, ['--source-ssl-mode', 'disable']), { env }), EXIT_CODES.auth);
    assert.match(line, /no pg_hba\.conf entry .*without SSL/);
    assert.match(line, /--source-ssl-mode require/);
  });

  test('the default mode (prefer) uses SSL when the server offers it', async () => {
    const db = await hostsslCluster.createDatabase('prefer');
    const r = await runCli(args(hostsslCluster, db, []), { env });
    assert.doesNotMatch(r.stderr, /pg_hba|SSL/);
    assert.ok(loginsTo(hostsslCluster, db).ssl > 0, r.stderr);
  });
});
