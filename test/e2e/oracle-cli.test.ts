/**
 * The Oracle source as a user meets it through the real CLI (spawned), with no Oracle server: a fake listener
 * on loopback (test/helpers/oracle-listener.ts) receives what the real driver sends, so what is proven is
 * the flags → connect packet path, the log line naming which flag chose the database, TLS trusting a private
 * CA through NODE_EXTRA_CA_CERTS, one-line errors without the password, and the refusals of what cannot be
 * tested here (LogMiner changes, writing back into Oracle).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExportDir } from '../../src/export-dir/layout.js';
import { StateStore } from '../../src/export-dir/state-store.js';
import { EXIT_CODES } from '../../src/infra/errors.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { FakeOracleListener } from '../helpers/oracle-listener.js';
import { makeSslCerts, type SslCerts } from '../helpers/ssl-certs.js';

const PASSWORD = 'Or@cle-S3cret';
const tempDirs: string[] = [];
function tempDir(prefix = 'ybv-oracle-cli-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

function oneLineError(r: CliResult, code: number): string {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^Error: /);
  assert.ok(!r.stderr.includes(PASSWORD) && !r.stdout.includes(PASSWORD), 'no password on the console');
  return lines[0];
}

/** The messages of the export dir's log files, and a check that the password is in no file of it. */
function logMessages(exportDir: string): string[] {
  const logs = path.join(exportDir, 'logs');
  const out: string[] = [];
  for (const f of fs.readdirSync(logs)) {
    for (const line of fs.readFileSync(path.join(logs, f), 'utf8').split('\n').filter(Boolean)) out.push((JSON.parse(line) as { msg: string }).msg);
  }
  for (const f of fs.readdirSync(exportDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
    assert.equal(fs.readFileSync(path.join(f.parentPath ?? f.path, f.name)).indexOf(Buffer.from(PASSWORD)), -1, `the password is in ${f.name}`);
  }
  return out;
}

function sourceArgs(port: number, extra: string[]): string[] {
  return ['--source-db-type', 'oracle', '--source-db-host', '127.0.0.1', '--source-db-port', String(port), '--source-db-user', 'ybvoyager', '--source-db-schema', 'HR', ...extra];
}

after(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('Oracle through the CLI (fake listener, no Oracle server)', () => {
  const listener = new FakeOracleListener();
  let certs: SslCerts;
  let tlsListener: FakeOracleListener;

  before(async () => {
    await listener.start();
    certs = makeSslCerts();
    tlsListener = new FakeOracleListener({ tls: { cert: fs.readFileSync(certs.serverCertFile, 'utf8'), key: fs.readFileSync(certs.serverKeyFile, 'utf8') } });
    await tlsListener.start();
  });
  after(async () => {
    await listener.stop();
    await tlsListener?.stop();
    certs?.cleanup();
  });

  test('alias, service name and SID given: the alias is used, and the log file says so and what was ignored', async () => {
    const dir = tempDir();
    const home = path.join(tempDir('ybv-oracle-home-'), 'client');
    fs.mkdirSync(path.join(home, 'network', 'admin'), { recursive: true });
    fs.writeFileSync(path.join(home, 'network', 'admin', 'tnsnames.ora'), `SALES =\n  (DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=${listener.port}))(CONNECT_DATA=(SID=FROMALIAS)))\n`);
    const r = await runCli(['export', 'schema', '--export-dir', dir, ...sourceArgs(1, ['--oracle-tns-alias', 'SALES', '--source-db-name', 'SVC', '--oracle-db-sid', 'ORCL', '--oracle-home', home])], {
      env: { SOURCE_DB_PASSWORD: PASSWORD, TNS_ADMIN: undefined, ORACLE_HOME: undefined },
    });
    const line = oneLineError(r, EXIT_CODES.connect);
    assert.match(line, /the Oracle database \(TNS alias SALES\) was closed during the handshake/);
    assert.match(listener.lastPacket(), /\(CONNECT_DATA=\(SID=FROMALIAS\)/);
    const connecting = logMessages(dir).filter((m) => m.startsWith('connecting to Oracle'));
    assert.deepEqual(connecting, [
      `connecting to Oracle through TNS alias SALES of ${path.join(home, 'network', 'admin', 'tnsnames.ora')} (from --oracle-home) (also given, ignored: --source-db-name SVC, --oracle-db-sid ORCL)`,
    ]);
  });

  test('export data from source logs the service name it connects by', async () => {
    const dir = tempDir();
    const r = await runCli(['export', 'data', 'from', 'source', '--export-dir', dir, '--export-type', 'snapshot-only', ...sourceArgs(listener.port, ['--source-db-name', 'ORCLPDB1', '--oracle-db-sid', 'ORCL'])], { env: { SOURCE_DB_PASSWORD: PASSWORD } });
    oneLineError(r, EXIT_CODES.connect);
    assert.match(listener.lastPacket(), /\(CONNECT_DATA=\(SERVICE_NAME=ORCLPDB1\)/);
    assert.ok(logMessages(dir).includes(`connecting to Oracle at 127.0.0.1:${listener.port} by service name ORCLPDB1 over TCP (also given, ignored: --oracle-db-sid ORCL)`));
  });

  test('TLS with a private CA: NODE_EXTRA_CA_CERTS makes verify-full trust it; without it the fix names it', async () => {
    const args = (dir: string) => ['export', 'schema', '--export-dir', dir, ...sourceArgs(tlsListener.port, ['--source-db-name', 'SECURESVC', '--source-ssl-mode', 'verify-full'])];
    const untrusted = oneLineError(await runCli(args(tempDir()), { env: { SOURCE_DB_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: undefined } }), EXIT_CODES.connect);
    assert.match(untrusted, /TLS with the Oracle database \(service name SECURESVC\) failed.*NODE_EXTRA_CA_CERTS=<CA file>/);
    assert.ok(!tlsListener.received.some((p) => p.includes('SECURESVC')), 'no connect packet to an untrusted server');

    const dir = tempDir();
    const trusted = oneLineError(await runCli(args(dir), { env: { SOURCE_DB_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: certs.caFile } }), EXIT_CODES.connect);
    assert.match(trusted, /closed during the handshake/, 'TLS succeeded; the fake listener then hung up');
    assert.match(tlsListener.lastPacket(), /\(SSL_SERVER_DN_MATCH=true\).*\(PROTOCOL=TCPS\).*\(SERVICE_NAME=SECURESVC\)/);
    assert.ok(logMessages(dir).includes(`connecting to Oracle at 127.0.0.1:${tlsListener.port} by service name SECURESVC over TCPS`));
  });

  test('--export-type snapshot-and-changes is refused before connecting, saying why', async () => {
    const before = listener.received.length;
    const line = oneLineError(await runCli(['export', 'data', 'from', 'source', '--export-dir', tempDir(), '--export-type', 'snapshot-and-changes', ...sourceArgs(listener.port, ['--source-db-name', 'ORCLPDB1'])], { env: { SOURCE_DB_PASSWORD: PASSWORD } }), EXIT_CODES.usage);
    assert.match(line, /snapshot-and-changes is refused for Oracle: streaming changes from Oracle \(LogMiner\) is not implemented, because no Oracle server can run here to test it; use --export-type snapshot-only/);
    assert.equal(listener.received.length, before, 'nothing connected');
  });

  test('import data to source and --prepare-for-fall-back true are refused on an export dir of an Oracle source', async () => {
    const dir = tempDir();
    const state = StateStore.open(ExportDir.open(dir).stateDb);
    state.bindDatabase('source', { dbType: 'oracle', systemId: 'ORCL/1', dbName: 'ORCLPDB1', host: '127.0.0.1', port: 1521 });
    state.close();
    for (const [args, what] of [[['import', 'data', 'to', 'source'], 'import data to source'], [['initiate', 'cutover', 'to', 'target', '--prepare-for-fall-back', 'true'], '--prepare-for-fall-back']] as const) {
      const line = oneLineError(await runCli([...args, '--export-dir', dir], { env: { SOURCE_DB_PASSWORD: PASSWORD } }), EXIT_CODES.config);
      assert.match(line, new RegExp(`^Error: ${what} is refused for this Oracle source: writing changes back into Oracle .*no Oracle server can run here to test it; migrate offline .*docs/oracle\\.md$`));
    }
  });

  test('--oracle-capture-catalog is accepted but hidden from export schema --help', async () => {
    const help = await runCli(['export', 'schema', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--oracle-tns-alias/);
    assert.doesNotMatch(help.stdout, /oracle-capture-catalog/);
    const dir = tempDir();
    const capture = path.join(dir, 'catalog.json');
    const line = oneLineError(await runCli(['export', 'schema', '--export-dir', dir, '--oracle-capture-catalog', capture, ...sourceArgs(listener.port, ['--source-db-name', 'ORCLPDB1'])], { env: { SOURCE_DB_PASSWORD: PASSWORD } }), EXIT_CODES.connect);
    assert.match(line, /closed during the handshake/, 'the flag was accepted and the command went on to connect');
    assert.ok(!fs.existsSync(capture), 'nothing captured from a failed connection');
  });
});
