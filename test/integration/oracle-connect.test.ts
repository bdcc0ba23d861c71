/**
 * Oracle connection targets through the REAL node-oracledb driver (thin mode) against a fake TCP listener on
 * loopback, which records what the driver sends and then closes the socket. No Oracle server is involved: what
 * is proven is the connect packet's CONNECT_DATA (SID, service name, TNS alias resolved through tnsnames.ora
 * from TNS_ADMIN or --oracle-home) and that every driver failure reaches the user as one line naming the fix.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { oracleEngine } from '../../src/adapters/oracle/engine.js';
import type { Conn, ConnSettings } from '../../src/core/connection.js';
import { DbError, UserError } from '../../src/infra/errors.js';

const PASSWORD = 'S3cret!pw';

/** A listener that keeps what each connection sent until the descriptor is complete, then hangs up. */
class FakeListener {
  readonly received: string[] = [];
  private server!: net.Server;
  port = 0;

  async start(): Promise<void> {
    this.server = net.createServer((sock) => {
      let data = Buffer.alloc(0);
      const i = this.received.push('') - 1;
      sock.on('data', (chunk) => {
        data = Buffer.concat([data, chunk]);
        const text = data.toString('latin1');
        this.received[i] = text;
        if (descriptorComplete(text)) sock.destroy();
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** True once the text holds a whole `(DESCRIPTION=…)` (parentheses balanced). */
function descriptorComplete(text: string): boolean {
  const start = text.indexOf('(DESCRIPTION=');
  if (start < 0) return false;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')' && --depth === 0) return true;
  }
  return false;
}

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
  const listener = new FakeListener();
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

  const lastPacket = () => listener.received[listener.received.length - 1] ?? '';

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
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const e = await failure(conn(port, { database: 'ORCLPDB1' }));
    assert.equal(e.kind, 'connect');
    assert.match(e.oneLine(), /--source-db-host and --source-db-port/);
  });
});
