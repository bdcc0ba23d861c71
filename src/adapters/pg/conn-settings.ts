/** How to reach one PostgreSQL-compatible database. The password is kept apart from what gets persisted. */
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
}

export interface ConnSecret {
  readonly password: string;
}
