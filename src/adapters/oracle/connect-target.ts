/**
 * Which Oracle database the flags name, as node-oracledb (thin mode) connect parameters. The reference tool's
 * rule: at least one of --oracle-tns-alias, --source-db-name (the service name) and --oracle-db-sid; when
 * several are given the alias wins, then the service name, then the SID, and the log says which was used.
 *
 * Thin mode never looks in $ORACLE_HOME/network/admin on its own, so tnsnames.ora's directory is passed
 * explicitly: $TNS_ADMIN, else <--oracle-home>/network/admin (the reference tool's default home below).
 * Pure: the environment is a parameter.
 */
import path from 'node:path';
import type { ConnSettings } from '../../core/connection.js';
import { UserError } from '../../infra/errors.js';

/** The reference tool's default Oracle home (an Instant Client install): where tnsnames.ora is looked for. */
export const DEFAULT_ORACLE_HOME = '/usr/lib/oracle/21/client64';

export type OracleTargetKind = 'tns-alias' | 'service-name' | 'sid';

export interface OracleConnectTarget {
  readonly kind: OracleTargetKind;
  /** node-oracledb's connectString: the alias, or a full descriptor. */
  readonly connectString: string;
  /** tnsnames.ora's directory (alias only). */
  readonly configDir?: string;
  /** PEM wallet directory holding ewallet.pem (TLS with a private CA). */
  readonly walletLocation?: string;
  /** For messages: 'TNS alias SALES', 'service name ORCLPDB1', 'SID ORCL'. */
  readonly named: string;
  /** For the log: which flag named the database, and what else was given and ignored. */
  readonly logLine: string;
}

/** Characters that would break out of a descriptor's `(KEY=value)`. */
const DESCRIPTOR_UNSAFE = /[()=\s"']/;

function descriptorValue(flag: string, v: string): string {
  if (DESCRIPTOR_UNSAFE.test(v)) throw new UserError(`${flag} '${v}' contains a character not allowed in an Oracle connect descriptor`, `give ${flag} without parentheses, '=', quotes or spaces`);
  return v;
}

/** TLS as our --source-ssl-mode values mean it for Oracle (see docs/oracle.md, "SSL"). */
function tls(s: ConnSettings): { protocol: 'TCP' | 'TCPS'; security: string; walletLocation?: string } {
  if (s.sslCert || s.sslKey) {
    throw new UserError('Oracle client certificates cannot be given with --source-ssl-cert/--source-ssl-key', "put the certificate and key into a PEM wallet (ewallet.pem) and pass its directory with --source-ssl-root-cert");
  }
  const walletLocation = s.sslRootCert ? (path.basename(s.sslRootCert) === 'ewallet.pem' ? path.dirname(s.sslRootCert) : s.sslRootCert) : undefined;
  // An Oracle listener serves TCPS on a port of its own, so "try TLS, else plain" cannot work on one port:
  // disable/allow/prefer connect in plain TCP, require and verify-* in TCPS.
  if (s.sslMode === 'require' || s.sslMode === 'verify-ca') return { protocol: 'TCPS', security: '(SECURITY=(SSL_SERVER_DN_MATCH=FALSE))', walletLocation };
  if (s.sslMode === 'verify-full') return { protocol: 'TCPS', security: '(SECURITY=(SSL_SERVER_DN_MATCH=TRUE))', walletLocation };
  return { protocol: 'TCP', security: '' };
}

export function oracleConnectTarget(s: ConnSettings, env: { readonly TNS_ADMIN?: string }): OracleConnectTarget {
  const o = s.oracle ?? {};
  const given = [o.tnsAlias && `--oracle-tns-alias ${o.tnsAlias}`, s.database && `--source-db-name ${s.database}`, o.sid && `--oracle-db-sid ${o.sid}`].filter(Boolean) as string[];
  const ignored = given.length > 1 ? ` (also given, ignored: ${given.slice(1).join(', ')})` : '';
  if (o.tnsAlias) {
    const configDir = env.TNS_ADMIN || path.join(o.oracleHome || DEFAULT_ORACLE_HOME, 'network', 'admin');
    const from = env.TNS_ADMIN ? 'TNS_ADMIN' : o.oracleHome ? '--oracle-home' : 'the default Oracle home';
    const { walletLocation } = tls(s);
    return { kind: 'tns-alias', connectString: o.tnsAlias, configDir, walletLocation, named: `TNS alias ${o.tnsAlias}`, logLine: `connecting to Oracle through TNS alias ${o.tnsAlias} of ${path.join(configDir, 'tnsnames.ora')} (from ${from})${ignored}` };
  }
  if (!s.database && !o.sid) throw new UserError('no Oracle database named', 'add --oracle-tns-alias <alias>, --source-db-name <service name> or --oracle-db-sid <SID>');
  const t = tls(s);
  const connectData = s.database ? `(SERVICE_NAME=${descriptorValue('--source-db-name', s.database)})` : `(SID=${descriptorValue('--oracle-db-sid', o.sid!)})`;
  const host = descriptorValue('--source-db-host', s.host);
  const connectString = `(DESCRIPTION=(ADDRESS=(PROTOCOL=${t.protocol})(HOST=${host})(PORT=${s.port}))(CONNECT_DATA=${connectData})${t.security})`;
  const kind: OracleTargetKind = s.database ? 'service-name' : 'sid';
  const what = s.database ? `service name ${s.database}` : `SID ${o.sid}`;
  return { kind, connectString, walletLocation: t.walletLocation, named: what, logLine: `connecting to Oracle at ${s.host}:${s.port} by ${what} over ${t.protocol}${ignored}` };
}

/**
 * Why a PEM wallet cannot be used, or undefined. Thin mode loads ewallet.pem as the client certificate, its
 * private key and the trusted CAs all at once (node-oracledb 26, lib/thin/sqlnet/ntTcp.js), so a file of CA
 * certificates alone fails with NJS-505, and so does an encrypted key (no flag passes a wallet password).
 */
export function walletProblem(pem: string): string | undefined {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return 'holds no certificate';
  if (pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || pem.includes('Proc-Type: 4,ENCRYPTED')) return 'holds an encrypted private key, and no flag passes a wallet password';
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) return 'holds no private key: thin mode loads it as a certificate with its key plus CAs, not as CA certificates alone';
  return undefined;
}

/** The fix for an unusable wallet: where a private CA and a client certificate go instead. */
export const WALLET_FIX =
  'for a private CA alone, drop --source-ssl-root-cert and run yb-voyager with NODE_EXTRA_CA_CERTS=<CA file>; for mutual TLS, pass the directory of an ewallet.pem holding the client certificate, its unencrypted private key and the CA';
