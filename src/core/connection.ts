/**
 * How to reach one database, in terms every engine shares. The password is kept apart from what gets
 * persisted (meta.db stores ConnSettings, never ConnSecret).
 */
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface ConnSettings {
  /** 'source' or 'target': names the flags in error messages (--source-db-host…). */
  readonly role: 'source' | 'target';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly sslMode: SslMode;
  readonly sslRootCert?: string;
  readonly sslCert?: string;
  readonly sslKey?: string;
  /** Oracle only: the other ways to name the database (`database` is the service name, --source-db-name). */
  readonly oracle?: OracleConnTarget;
}

/** Oracle's connection flags besides host/port/service: at least one of tnsAlias, the service name or sid is given. */
export interface OracleConnTarget {
  /** --oracle-tns-alias: an entry of tnsnames.ora. */
  readonly tnsAlias?: string;
  /** --oracle-db-sid. */
  readonly sid?: string;
  /** --oracle-home: tnsnames.ora is read from <home>/network/admin unless TNS_ADMIN is set. */
  readonly oracleHome?: string;
}

export interface ConnSecret {
  readonly password: string;
}

/** One database of the migration: where it is and how to log in. */
export interface Conn {
  readonly settings: ConnSettings;
  readonly secret: ConnSecret;
}

/** Identity of a database taking part in the migration: a rerun against another one is refused. */
export interface DbIdentity {
  dbType: string;
  /** Cluster identity that survives host renames (PostgreSQL: system identifier), with the database name. */
  systemId: string;
  dbName: string;
  /** The database's own id inside its cluster (PostgreSQL: pg_database oid): a database dropped and created again differs. */
  dbOid?: string;
  host: string;
  port: number;
}
