/**
 * Throwaway TLS material made with openssl in a temp dir: a private CA, a server certificate it signs
 * (CN localhost, SAN DNS:localhost and IP:127.0.0.1), a client certificate for the migration user, and an
 * unrelated second CA for "wrong CA" tests. Keys are 0600 and owned by `postgres` when we are root, because
 * PostgreSQL refuses a server key that others can read.
 *
 *   const certs = makeSslCerts();
 *   const cluster = await PgCluster.start({ ssl: certs.serverSsl() });             // or { ...certs.serverSsl(), hostsslOnly: true }
 *   connect({ ...cluster.settings(db), sslMode: 'verify-full', sslRootCert: certs.caFile }, …)
 *   certs.cleanup();
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isRoot, makeTempDir } from './servers.js';

export interface SslCerts {
  readonly dir: string;
  /** The CA that signed the server and client certificates. */
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** Client certificate (CN = the migration user) and key, signed by caFile. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A CA that signed nothing here: verifying the server with it must fail. */
  readonly otherCaFile: string;
  /** The shape PgCluster.start({ ssl }) takes. */
  serverSsl(): { certFile: string; keyFile: string; caFile: string };
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** EC P-256 keys: as good as RSA for these tests and generated in milliseconds. */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  openssl(dir, [
    'req', '-x509', ...EC_KEY, '-keyout', key, '-out', cert, '-days', '3650', '-subj', `/CN=yb-voyager test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert, key };
}

function signLeaf(dir: string, ca: { cert: string; key: string }, name: string, cn: string, extensions: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, extensions);
  openssl(dir, ['req', ...EC_KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '3650', '-extfile', ext]);
  return { cert, key };
}

export function makeSslCerts(clientCn = 'ybvoyager'): SslCerts {
  const dir = makeTempDir('ybv-ssl-');
  try {
    const ca = makeCa(dir, 'ca');
    const other = makeCa(dir, 'other-ca');
    const server = signLeaf(dir, ca, 'server', 'localhost', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '',
    ].join('\n'));
    const client = signLeaf(dir, ca, 'client', clientCn, ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth', ''].join('\n'));
    for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), f.endsWith('.key') ? 0o600 : 0o644);
    if (isRoot) execFileSync('chown', ['postgres:postgres', server.key]);
    return {
      dir,
      caFile: ca.cert,
      serverCertFile: server.cert,
      serverKeyFile: server.key,
      clientCertFile: client.cert,
      clientKeyFile: client.key,
      otherCaFile: other.cert,
      serverSsl: () => ({ certFile: server.cert, keyFile: server.key, caFile: ca.cert }),
      cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    const err = e as { stderr?: Buffer };
    throw new Error(`making test certificates with openssl failed: ${err.stderr?.toString() ?? String(e)}`);
  }
}
