/** Which Oracle database the flags name: priority, tnsnames.ora directory, TLS, and bad input (pure). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_ORACLE_HOME, oracleConnectTarget, walletProblem } from '../../src/adapters/oracle/connect-target.js';
import type { ConnSettings } from '../../src/core/connection.js';
import { UserError } from '../../src/infra/errors.js';

const base: ConnSettings = { role: 'source', host: 'db.example', port: 1521, user: 'u', database: '', sslMode: 'prefer' };

test('alias > service name > SID, and the log line names what was used and what was ignored', () => {
  const all = oracleConnectTarget({ ...base, database: 'SVC', oracle: { tnsAlias: 'SALES', sid: 'ORCL' } }, {});
  assert.equal(all.kind, 'tns-alias');
  assert.equal(all.connectString, 'SALES');
  assert.match(all.logLine, /TNS alias SALES .*ignored: --source-db-name SVC, --oracle-db-sid ORCL/);
  const nameAndSid = oracleConnectTarget({ ...base, database: 'SVC', oracle: { sid: 'ORCL' } }, {});
  assert.equal(nameAndSid.kind, 'service-name');
  assert.match(nameAndSid.connectString, /\(CONNECT_DATA=\(SERVICE_NAME=SVC\)\)/);
  assert.match(nameAndSid.logLine, /service name SVC .*ignored: --oracle-db-sid ORCL/);
  const sid = oracleConnectTarget({ ...base, oracle: { sid: 'ORCL' } }, {});
  assert.equal(sid.connectString, '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db.example)(PORT=1521))(CONNECT_DATA=(SID=ORCL)))');
  assert.doesNotMatch(sid.logLine, /ignored/);
});

test('tnsnames.ora directory: TNS_ADMIN, else <oracle-home>/network/admin, else the reference default home', () => {
  const s = { ...base, oracle: { tnsAlias: 'A', oracleHome: '/opt/ora' } };
  assert.equal(oracleConnectTarget(s, { TNS_ADMIN: '/etc/tns' }).configDir, '/etc/tns');
  assert.equal(oracleConnectTarget(s, {}).configDir, '/opt/ora/network/admin');
  assert.equal(oracleConnectTarget({ ...base, oracle: { tnsAlias: 'A' } }, {}).configDir, path.join(DEFAULT_ORACLE_HOME, 'network', 'admin'));
});

test('TLS: require/verify-* use TCPS (DN match only for verify-full); a wallet dir comes from --source-ssl-root-cert', () => {
  const svc = { ...base, database: 'SVC' };
  assert.match(oracleConnectTarget({ ...svc, sslMode: 'prefer' }, {}).connectString, /PROTOCOL=TCP\)/);
  const req = oracleConnectTarget({ ...svc, sslMode: 'require' }, {});
  assert.match(req.connectString, /PROTOCOL=TCPS\).*SSL_SERVER_DN_MATCH=FALSE/);
  const full = oracleConnectTarget({ ...svc, sslMode: 'verify-full', sslRootCert: '/w/ewallet.pem' }, {});
  assert.match(full.connectString, /SSL_SERVER_DN_MATCH=TRUE/);
  assert.equal(full.walletLocation, '/w');
  assert.throws(() => oracleConnectTarget({ ...svc, sslCert: '/c.pem' }, {}), (e: unknown) => e instanceof UserError && /PEM wallet/.test(e.oneLine()));
});

test('names that would break out of a descriptor are refused; nothing named is refused', () => {
  assert.throws(() => oracleConnectTarget({ ...base, database: 'X)(SID=Y' }, {}), (e: unknown) => e instanceof UserError && /--source-db-name/.test(e.oneLine()));
  assert.throws(() => oracleConnectTarget(base, {}), (e: unknown) => e instanceof UserError && /--oracle-tns-alias <alias>, --source-db-name <service name> or --oracle-db-sid <SID>/.test(e.oneLine()));
});

test('a PEM wallet needs a certificate and its unencrypted key (thin mode loads it as cert, key and CAs at once)', () => {
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  assert.equal(walletProblem(cert + '-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n'), undefined);
  assert.equal(walletProblem(cert + '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n'), undefined);
  assert.match(walletProblem(cert) ?? '', /no private key/);
  assert.match(walletProblem(cert + '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIH\n-----END ENCRYPTED PRIVATE KEY-----\n') ?? '', /encrypted/);
  assert.match(walletProblem(cert + '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n-----END RSA PRIVATE KEY-----\n') ?? '', /encrypted/);
  assert.match(walletProblem('') ?? '', /no certificate/);
});
