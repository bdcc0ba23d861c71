/**
 * Before a live migration from MySQL/MariaDB: every setting and privilege the binlog capture needs, checked
 * at once, each problem with the exact statement or config line that fixes it (research:
 * shared/reference/mysql-source.md §1.3).
 */
import type mysql from 'mysql2/promise';
import { rows } from './connection.js';
import { serverFlavor } from './database-identity.js';
import { hasGlobal, readGrants } from './grants.js';

/** Shorter retention than this fails the check: a migration's streaming phase lasts days. */
export const MIN_BINLOG_RETENTION_SECONDS = 24 * 3600;

async function variables(conn: mysql.Connection, names: readonly string[]): Promise<Map<string, string>> {
  const r = await rows<{ Variable_name: string; Value: string }>(conn, `SHOW GLOBAL VARIABLES WHERE Variable_name IN (?)`, [names]);
  return new Map(r.map((x) => [x.Variable_name.toLowerCase(), String(x.Value)]));
}

/** Problems (each a sentence with its fix) that stop binlog streaming from this server. */
export async function binlogProblems(conn: mysql.Connection): Promise<string[]> {
  const { flavor } = await serverFlavor(conn);
  const v = await variables(conn, [
    'log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata', 'binlog_row_value_options',
    'binlog_transaction_compression', 'binlog_expire_logs_seconds', 'expire_logs_days', 'log_bin_compress',
  ]);
  const problems: string[] = [];
  const fix = (setting: string, value: string) =>
    `SET GLOBAL ${setting} = '${value}' (and ${setting.replace(/_/g, '-')}=${value} under [mysqld] in the server's config file, so it survives a restart)`;
  // A server without a binlog is still judged on everything else (the settings are read all the same), so the
  // one restart that turns the binlog on can bring every other fix with it.
  if (v.get('log_bin') !== 'ON') {
    problems.push(`the binary log is off (log_bin = ${v.get('log_bin') ?? 'unknown'}): add log-bin=mysql-bin and server-id=<unique number> under [mysqld] in the config file and restart the server`);
  }
  if ((v.get('binlog_format') ?? '').toUpperCase() !== 'ROW') problems.push(`binlog_format is ${v.get('binlog_format')}, changes need ROW: ${fix('binlog_format', 'ROW')}`);
  if ((v.get('binlog_row_image') ?? '').toUpperCase() !== 'FULL') problems.push(`binlog_row_image is ${v.get('binlog_row_image')}, changes need FULL rows: ${fix('binlog_row_image', 'FULL')}`);
  const meta = v.get('binlog_row_metadata');
  if (meta !== undefined && meta.toUpperCase() !== 'FULL') {
    problems.push(`binlog_row_metadata is ${meta}, the change stream needs FULL (column names and types in every event, safe under schema changes): ${fix('binlog_row_metadata', 'FULL')}`);
  }
  if (meta === undefined && flavor === 'mariadb') {
    problems.push('binlog_row_metadata is missing: this MariaDB is older than 10.5; upgrade to MariaDB 10.5 or later');
  }
  const valueOptions = v.get('binlog_row_value_options');
  if (valueOptions) problems.push(`binlog_row_value_options is ${valueOptions}: partial JSON updates cannot be applied elsewhere; SET GLOBAL binlog_row_value_options = ''`);
  if (v.get('binlog_transaction_compression') === 'ON') problems.push(`binlog_transaction_compression is ON: compressed transactions cannot be read; ${fix('binlog_transaction_compression', 'OFF')}`);
  if (v.get('log_bin_compress') === 'ON') problems.push(`log_bin_compress is ON: compressed binlog events cannot be read; ${fix('log_bin_compress', 'OFF')}`);
  const retention = retentionSeconds(v);
  if (retention !== undefined && retention < MIN_BINLOG_RETENTION_SECONDS) {
    problems.push(`binary logs are kept only ${retention} s, shorter than a migration's streaming phase: SET GLOBAL binlog_expire_logs_seconds = 604800 (7 days; 0 keeps them until purged by hand)`);
  }
  problems.push(...(await privilegeProblems(conn)));
  return problems;
}

/** undefined: kept until purged by hand. */
function retentionSeconds(v: Map<string, string>): number | undefined {
  const secs = Number(v.get('binlog_expire_logs_seconds') ?? 0);
  if (secs > 0) return secs;
  const days = Number(v.get('expire_logs_days') ?? 0);
  return days > 0 ? days * 86400 : undefined;
}

async function privilegeProblems(conn: mysql.Connection): Promise<string[]> {
  const g = await readGrants(conn);
  const hasAny = (...privileges: string[]) => privileges.some((p) => hasGlobal(g, p));
  const problems: string[] = [];
  if (!hasAny('REPLICATION SLAVE', 'REPLICATION REPLICA')) problems.push(`the migration user may not read the binary log: GRANT REPLICATION SLAVE ON *.* TO ${g.user}`);
  if (!hasAny('REPLICATION CLIENT', 'BINLOG MONITOR', 'SUPER')) problems.push(`the migration user may not read binary log positions: GRANT REPLICATION CLIENT ON *.* TO ${g.user}`);
  return problems;
}
