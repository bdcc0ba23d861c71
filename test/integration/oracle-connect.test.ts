/**
 * Oracle connection targets through the REAL node-oracledb driver (thin mode) against a fake TCP listener on
 * loopback, which records what the driver sends and then closes the socket. No Oracle server is involved: what
 * is proven is the connect packet's CONNECT_DATA (SID, service name, TNS alias resolved through tnsnames.ora
 * from TNS_ADMIN or --oracle-home) and that every driver failure reaches the user as one line naming the fix.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { oracleEngine } from '../../src/adapters/oracle/engine.js';
import type { Conn, ConnSettings } from '../../src/core/connection.js';
import { DbError, UserError } from '../../src/infra/errors.js';
import { closedPort, FakeOracleListener } from '../helpers/oracle-listener.js';
import { makeSslCerts, type SslCerts } from '../helpers/ssl-certs.js';

const PASSWORD = 'S3cret!pw';

function conn(port: number, o: Partial<ConnSettings> = {}): Conn {
  return { settings: { role: 'source', host: '127.0.0.1', port, user: 'ybvoyager', database: '', sslMode: 'disable', ...o }, secret: { password: PASSWORD } };
}

/** Connect through the engine (the path every command takes); it must fail, since the listener hangs up. */
async function failure(c: Conn): Promise<DbError | UserError> {
  try {
    await oracleEngine.identity(c);
  } catch (e) {
    assert.ok(e instanceof DbError || e instanceof UserError, `expected a mapped error, got ${String(e)}`);
    const line = e.oneLine();
    assert.doesNotMatch(line, /\n/, 'one line');
    assert.ok(!line.includes(PASSWORD), 'no password in the message');
    assert.ok(e.hint && e.hint.length > 10, 'names a fix');
    return e;
  }
  assert.fail('expected the connection to fail');
}

function tnsDir(root: string, entries: Record<string, string>): string {
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'tnsnames.ora'), Object.entries(entries).map(([k, v]) => `${k} =\n  ${v}\n`).join('\n'));
  return root;
}

describe('Oracle connect descriptors through the real driver (fake listener, no Oracle server)', () => {
  const listener = new FakeOracleListener();
  let tmp: string;
  const savedTnsAdmin = process.env.TNS_ADMIN;

  before(async () => {
    await listener.start();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-oracle-tns-'));
    delete process.env.TNS_ADMIN;
  });
  after(async () => {
    await listener.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    if (savedTnsAdmin === undefined) delete process.env.TNS_ADMIN;
    else process.env.TNS_ADMIN = savedTnsAdmin;
  });

  const lastPacket = () => listener.lastPacket();

  test('--oracle-db-sid: the connect packet carries (SID=…)', async () => {
    const e = await failure(conn(listener.port, { oracle: { sid: 'ORCL' } }));
    assert.match(lastPacket(), /\(CONNECT_DATA=\(SID=ORCL\)/);
    assert.equal(e.kind, 'connect');
    assert.match(e.oneLine(), /closed during the handshake/);
  });

  test('--source-db-name: the connect packet carries (SERVICE_NAME=…)', async () => {
    await failure(conn(listener.port, { database: 'ORCLPDB1' }));
    assert.match(lastPacket(), /\(CONNECT_DATA=\(SERVICE_NAME=ORCLPDB1\)/);
    assert.doesNotMatch(lastPacket(), /\(SID=/);
  });

  test('alias, service name and SID all given: the alias wins, then the service name (the reference tool\'s order)', async () => {
    const home = path.join(tmp, 'home-priority');
    tnsDir(path.join(home, 'network', 'admin'), { SALES: `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=${listener.port}))(CONNECT_DATA=(SID=FROMALIAS)))` });
    await failure(conn(listener.port, { database: 'SVC', oracle: { tnsAlias: 'SALES', sid: 'ORCL', oracleHome: home } }));
    assert.match(lastPacket(), /\(SID=FROMALIAS\)/);
    await failure(conn(listener.port, { database: 'SVC', oracle: { sid: 'ORCL' } }));
    assert.match(lastPacket(), /\(SERVICE_NAME=SVC\)/);
  });

  test('--oracle-tns-alias resolves through <oracle-home>/network/admin/tnsnames.ora', async () => {
    const home = path.join(tmp, 'home');
    tnsDir(path.join(home, 'network', 'admin'), { SALES: `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=${listener.port}))(CONNECT_DATA=(SID=ORCLSID)))` });
    await failure(conn(1, { oracle: { tnsAlias: 'SALES', oracleHome: home } }));
    assert.match(lastPacket(), /\(CONNECT_DATA=\(SID=ORCLSID\)/);
  });

  test('TNS_ADMIN wins over --oracle-home', async () => {
    const home = path.join(tmp, 'home-ignored');
    tnsDir(path.join(home, 'network', 'admin'), { PDB1: `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=${listener.port}))(CONNECT_DATA=(SERVICE_NAME=WRONG)))` });
    process.env.TNS_ADMIN = tnsDir(path.join(tmp, 'tns-admin'), { PDB1: `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=${listener.port}))(CONNECT_DATA=(SERVICE_NAME=ORCLPDB1)))` });
    try {
      await failure(conn(1, { oracle: { tnsAlias: 'PDB1', oracleHome: home } }));
    } finally {
      delete process.env.TNS_ADMIN;
    }
    assert.match(lastPacket(), /\(SERVICE_NAME=ORCLPDB1\)/);
  });

  test('an alias missing from tnsnames.ora fails before any packet, naming the fix', async () => {
    const home = path.join(tmp, 'home-noalias');
    tnsDir(path.join(home, 'network', 'admin'), { OTHER: `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=127.0.0.1)(PORT=${listener.port}))(CONNECT_DATA=(SID=X)))` });
    const before = listener.received.length;
    const e = await failure(conn(1, { oracle: { tnsAlias: 'NOPE', oracleHome: home } }));
    assert.equal(listener.received.length, before, 'nothing reached the listener');
    assert.equal(e.kind, 'config');
    assert.match(e.oneLine(), /TNS alias is not in tnsnames\.ora.*--oracle-tns-alias/);
  });

  test('an Oracle home without tnsnames.ora is a config error naming TNS_ADMIN and --oracle-home', async () => {
    const e = await failure(conn(1, { oracle: { tnsAlias: 'SALES', oracleHome: path.join(tmp, 'no-such-home') } }));
    assert.equal(e.kind, 'config');
    assert.match(e.oneLine(), /TNS_ADMIN/);
    assert.match(e.oneLine(), /--oracle-home/);
  });

  test('nothing listening: connection refused, naming host and port flags', async () => {
    const e = await failure(conn(await closedPort(), { database: 'ORCLPDB1' }));
    assert.equal(e.kind, 'connect');
    assert.match(e.oneLine(), /--source-db-host and --source-db-port/);
  });
});

/**
 * TCPS: the driver must finish a TLS handshake with the fake listener before it sends the connect packet, so a
 * packet received proves the TLS settings worked, and none received proves they refused the server.
 */
describe('Oracle TLS (TCPS) through the real driver (fake TLS listener, no Oracle server)', () => {
  let certs: SslCerts;
  let listener: FakeOracleListener;
  let otherName: FakeOracleListener;
  let wallet: string;
  let wrongWallet: string;
  let caOnly: string;

  /** A PEM wallet as thin mode reads it: <dir>/ewallet.pem with a certificate, its key and the CAs. */
  function walletDir(name: string, files: string[]): string {
    const dir = path.join(certs.dir, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'ewallet.pem'), files.map((f) => fs.readFileSync(f, 'utf8')).join(''), { mode: 0o600 });
    return dir;
  }

  before(async () => {
    certs = makeSslCerts();
    const serverTls = { cert: fs.readFileSync(certs.serverCertFile, 'utf8'), key: fs.readFileSync(certs.serverKeyFile, 'utf8') };
    listener = new FakeOracleListener({ tls: serverTls });
    await listener.start();
    // The server certificate names localhost and 127.0.0.1, not 127.0.0.2: a host-name check must fail there.
    otherName = new FakeOracleListener({ tls: serverTls, host: '127.0.0.2' });
    await otherName.start();
    wallet = walletDir('wallet', [certs.clientCertFile, certs.caFile, certs.clientKeyFile]);
    wrongWallet = walletDir('wrong-ca-wallet', [certs.clientCertFile, certs.otherCaFile, certs.clientKeyFile]);
    caOnly = walletDir('ca-only', [certs.caFile]);
  });
  after(async () => {
    await listener?.stop();
    await otherName?.stop();
    certs?.cleanup();
  });

  test('--source-ssl-mode require with a PEM wallet: TLS, then the connect packet asks for TCPS without a DN match', async () => {
    const e = await failure(conn(listener.port, { database: 'SVC', sslMode: 'require', sslRootCert: wallet }));
    assert.match(listener.lastPacket(), /\(SECURITY=\(SSL_SERVER_DN_MATCH=false\)\)\(ADDRESS=\(PROTOCOL=TCPS\)\(HOST=127\.0\.0\.1\).*\(CONNECT_DATA=\(SERVICE_NAME=SVC\)/);
    assert.match(e.oneLine(), /closed during the handshake/, 'the listener hung up after the packet');
  });

  test('verify-full: the wallet file itself may be named; the certificate must name the host', async () => {
    await failure(conn(listener.port, { oracle: { sid: 'ORCL' }, sslMode: 'verify-full', sslRootCert: path.join(wallet, 'ewallet.pem') }));
    assert.match(listener.lastPacket(), /\(SSL_SERVER_DN_MATCH=true\).*\(CONNECT_DATA=\(SID=ORCL\)/);

    const before = otherName.received.length;
    const e = await failure(conn(otherName.port, { host: otherName.host, database: 'SVC', sslMode: 'verify-full', sslRootCert: wallet }));
    assert.equal(otherName.received.filter((p) => p.includes('(DESCRIPTION=')).length, 0, 'no connect packet reached a server whose certificate names another host');
    assert.equal(e.kind, 'connect');
    assert.match(e.oneLine(), /TLS with the Oracle database \(service name SVC\) failed.*verify-full it must also name --source-db-host \(require skips that check\)/);
    // require skips the host-name check only: the same server is then reached.
    await failure(conn(otherName.port, { host: otherName.host, database: 'SVC', sslMode: 'require', sslRootCert: wallet }));
    assert.ok(otherName.received.length > before);
    assert.match(otherName.lastPacket(), /\(HOST=127\.0\.0\.2\).*\(SERVICE_NAME=SVC\)/);
  });

  test('a wallet whose CA did not sign the server certificate: one line, no connect packet sent', async () => {
    const packets = listener.received.filter((p) => p.includes('(DESCRIPTION=')).length;
    const e = await failure(conn(listener.port, { database: 'SVC', sslMode: 'verify-ca', sslRootCert: wrongWallet }));
    assert.equal(listener.received.filter((p) => p.includes('(DESCRIPTION=')).length, packets);
    assert.match(e.oneLine(), /TLS with the Oracle database \(service name SVC\) failed/);
    assert.match(e.oneLine(), /CA/);
  });

  test('no wallet and a private CA: the server is not trusted, and the fix names NODE_EXTRA_CA_CERTS', async () => {
    const e = await failure(conn(listener.port, { database: 'SVC', sslMode: 'verify-full' }));
    assert.match(e.oneLine(), /TLS with the Oracle database \(service name SVC\) failed.*NODE_EXTRA_CA_CERTS/);
  });

  test('a CA certificate alone (not a wallet) is refused before connecting, naming NODE_EXTRA_CA_CERTS', async () => {
    const connections = listener.received.length + listener.tlsErrors.length;
    for (const rootCert of [caOnly, certs.caFile]) {
      const e = await failure(conn(listener.port, { database: 'SVC', sslMode: 'verify-full', sslRootCert: rootCert }));
      assert.equal(e.kind, 'config');
      assert.match(e.oneLine(), /^--source-ssl-root-cert: .*(no private key|not a wallet directory).*NODE_EXTRA_CA_CERTS=<CA file>/);
    }
    assert.equal(listener.received.length + listener.tlsErrors.length, connections, 'the listener saw no connection');
  });

  test('a TNS alias whose descriptor says TCPS uses the wallet of --source-ssl-root-cert', async () => {
    const admin = tnsDir(path.join(certs.dir, 'tns'), { SECURE: `(DESCRIPTION=(ADDRESS=(PROTOCOL=TCPS)(HOST=127.0.0.1)(PORT=${listener.port}))(CONNECT_DATA=(SERVICE_NAME=SECURESVC)))` });
    process.env.TNS_ADMIN = admin;
    try {
      await failure(conn(1, { oracle: { tnsAlias: 'SECURE' }, sslMode: 'verify-full', sslRootCert: wallet }));
    } finally {
      delete process.env.TNS_ADMIN;
    }
    assert.match(listener.lastPacket(), /\(PROTOCOL=TCPS\).*\(SERVICE_NAME=SECURESVC\)/);
  });
});
