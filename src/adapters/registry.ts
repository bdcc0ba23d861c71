/**
 * Which engine serves a --source-db-type / target: the one place that knows every engine folder. The CLI
 * picks engines here and hands them to workflows.
 *
 * Engines load on first use: each pulls in its own driver (mysql2 and zongji, oracledb), and loading those
 * cost every process a few hundred ms of CPU at start-up; a PostgreSQL-only migration never loads them.
 */
import { UserError } from '../infra/errors.js';
import type { Engine, EngineName } from './engine.js';

const ENGINES: Partial<Record<EngineName, () => Promise<Engine>>> = {
  postgresql: async () => (await import('./postgres/engine.js')).postgresEngine,
  mysql: async () => (await import('./mysql/engine.js')).mysqlEngine,
  oracle: async () => (await import('./oracle/engine.js')).oracleEngine,
};

/** Every engine implemented, by name, for help texts and messages. */
export const ENGINE_NAMES: readonly EngineName[] = Object.keys(ENGINES) as EngineName[];

/** Every engine implemented, loaded (contract tests). */
export function allEngines(): Promise<Engine[]> {
  return Promise.all(ENGINE_NAMES.map((n) => ENGINES[n]!()));
}

export async function engineFor(name: string, flag = '--source-db-type'): Promise<Engine> {
  const load = ENGINES[name as EngineName];
  if (!load) {
    throw new UserError(`${flag} ${name} is not supported yet`, `use ${flag} ${ENGINE_NAMES.join(' or ')}`);
  }
  return load();
}

/** The target is PostgreSQL or a PostgreSQL-compatible database (YugabyteDB). */
export function targetEngine(): Promise<Engine> {
  return ENGINES.postgresql!();
}
