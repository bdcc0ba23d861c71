/**
 * SSL modes through connect() against real clusters: one with SSL (our private CA), one without, one
 * that accepts TCP logins over SSL only (hostssl). Each mode is checked by what the server saw (pg_stat_ssl).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { ConnSettings, SslMode } from '../../src/core/connection.js';
import { connect } from '../../src/adapters/postgres/connection.js';
import { DbError } from '../../src/infra/errors.js';
import { MIGRATION_PASSWORD, PgCluster } from '../helpers/pg-cluster.js';
import { makeSslCerts, type SslCerts } from '../helpers/ssl-certs.js';

const secret = { password: MIGRATION_PASSWORD };

/** Connect, ask the server whether this session is encrypted and with which client certificate, disconnect. */
async function sessionSsl(settings: ConnSettings): Promise<{ ssl: string; client_dn: string | null }> {
  const client: pg.Client = await connect(settings, secret);
  try {
    const r = await client.query('SELECT ssl::text AS ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return r.rows[0];
  } finally {
    await client.end();
  }
}

async function connectError(settings: ConnSettings): Promise<DbError> {
  try {
    const c = await connect(settings, secret);
    await c.end();
  } catch (e) {
    assert.ok(e instanceof DbError, `expected a DbError, got ${String(e)}`);
    assert.ok(!e.oneLine().includes('\n'), 'one line');
    assert.ok(!e.oneLine().includes(MIGRATION_PASSWORD), 'no password in the message');
    return e;
  }
  assert.fail(`connecting with ${settings.sslMode} should have failed`);
}

/** These need clusters configured with our CA and pg_hba rules: not possible on an existing server. */
const privateOnly = process.env.YBV_TEST_PG_ADMIN_URL ? 'YBV_TEST_PG_ADMIN_URL points at an existing server' : false;

let certs: SslCerts;
before(() => { certs = makeSslCerts(); });
after(() => certs?.cleanup());

describe('server with SSL (private CA), plain TCP also allowed', { skip: privateOnly }, () => {
  let cluster: PgCluster;
  let db: string;
  const s = (sslMode: SslMode, extra: Partial<ConnSettings> = {}): ConnSettings => ({ ...cluster.settings(db), sslMode, ...extra });
  before(async () => {
    cluster = await PgCluster.start({ ssl: certs.serverSsl() });
    db = await cluster.createDatabase('ssl');
  });
  after(async () => { await cluster?.stop(); });

  test('require encrypts without verifying', async () => {
    assert.equal((await sessionSsl(s('require'))).ssl, 'true');
  });
  test('prefer uses SSL when the server has it; disable and allow do not', async () => {
    assert.equal((await sessionSsl(s('prefer'))).ssl, 'true');
    assert.equal((await sessionSsl(s('disable'))).ssl, 'false');
    assert.equal((await sessionSsl(s('allow'))).ssl, 'false');
  });
  test('verify-full and verify-ca with the CA that signed the server certificate', async () => {
    assert.equal((await sessionSsl(s('verify-full', { sslRootCert: certs.caFile }))).ssl, 'true');
    assert.equal((await sessionSsl(s('verify-ca', { sslRootCert: certs.caFile }))).ssl, 'true');
  });
  test('verify-full with the wrong CA: one-line error naming --source-ssl-root-cert', async () => {
    const e = await connectError(s('verify-full', { sslRootCert: certs.otherCaFile }));
    assert.equal(e.kind, 'connect');
    assert.match(e.oneLine(), /certificate/);
    assert.match(e.oneLine(), /--source-ssl-root-cert/);
  });
  test('verify-full without a root certificate: names --source-ssl-root-cert', async () => {
    const e = await connectError(s('verify-full'));
    assert.match(e.oneLine(), /--source-ssl-root-cert/);
  });
  test('require with --ssl-root-cert verifies the CA, as libpq does', async () => {
    assert.equal((await sessionSsl(s('require', { sslRootCert: certs.caFile }))).ssl, 'true');
    const e = await connectError(s('require', { sslRootCert: certs.otherCaFile }));
    assert.match(e.oneLine(), /--source-ssl-root-cert/);
  });
  test('a root certificate file that does not exist: names the flag and the path', async () => {
    const e = await connectError(s('verify-full', { sslRootCert: '/nonexistent/ca.crt', role: 'target' }));
    assert.match(e.oneLine(), /--target-ssl-root-cert/);
    assert.match(e.oneLine(), /\/nonexistent\/ca\.crt/);
  });
  test('a client certificate is presented with --ssl-cert/--ssl-key', async () => {
    const r = await sessionSsl(s('verify-full', { sslRootCert: certs.caFile, sslCert: certs.clientCertFile, sslKey: certs.clientKeyFile }));
    assert.equal(r.ssl, 'true');
    assert.equal(r.client_dn, '/CN=ybvoyager');
  });
});

describe('server without SSL', { skip: privateOnly }, () => {
  let cluster: PgCluster;
  let db: string;
  before(async () => {
    cluster = await PgCluster.start();
    db = await cluster.createDatabase('nossl');
  });
  after(async () => { await cluster?.stop(); });

  test('require: clear error that the server does not accept SSL', async () => {
    const e = await connectError({ ...cluster.settings(db), sslMode: 'require' });
    assert.equal(e.kind, 'connect');
    assert.match(e.oneLine(), /does not accept SSL/);
    assert.match(e.oneLine(), /--source-ssl-mode/);
  });
  test('prefer falls back to a plain connection', async () => {
    assert.equal((await sessionSsl({ ...cluster.settings(db), sslMode: 'prefer' })).ssl, 'false');
  });
});

describe('server that accepts TCP logins over SSL only (hostssl)', { skip: privateOnly }, () => {
  let cluster: PgCluster;
  let db: string;
  before(async () => {
    cluster = await PgCluster.start({ ssl: { ...certs.serverSsl(), hostsslOnly: true } });
    db = await cluster.createDatabase('hostssl');
  });
  after(async () => { await cluster?.stop(); });

  test('disable: clear error naming pg_hba.conf and --source-ssl-mode', async () => {
    const e = await connectError({ ...cluster.settings(db), sslMode: 'disable' });
    assert.match(e.oneLine(), /pg_hba\.conf/);
    assert.match(e.oneLine(), /without SSL/);
    assert.match(e.oneLine(), /--source-ssl-mode require/);
  });
  test('allow retries over SSL; prefer uses SSL', async () => {
    assert.equal((await sessionSsl({ ...cluster.settings(db), sslMode: 'allow' })).ssl, 'true');
    assert.equal((await sessionSsl({ ...cluster.settings(db), sslMode: 'prefer' })).ssl, 'true');
  });
});
