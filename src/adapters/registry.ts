/**
 * Which engine serves a --source-db-type / target: the one place that knows every engine folder. The CLI
 * picks engines here and hands them to workflows.
 */
import { UserError } from '../infra/errors.js';
import type { Engine, EngineName } from './engine.js';
import { mysqlEngine } from './mysql/engine.js';
import { oracleEngine } from './oracle/engine.js';
import { postgresEngine } from './postgres/engine.js';

const ENGINES: Partial<Record<EngineName, Engine>> = {
  postgresql: postgresEngine,
  mysql: mysqlEngine,
  oracle: oracleEngine,
};

/** Every engine implemented, for contract tests and help texts. */
export const ALL_ENGINES: readonly Engine[] = Object.values(ENGINES);

export function engineFor(name: string, flag = '--source-db-type'): Engine {
  const e = ENGINES[name as EngineName];
  if (!e) {
    throw new UserError(`${flag} ${name} is not supported yet`, `use ${flag} ${Object.keys(ENGINES).join(' or ')}`);
  }
  return e;
}

/** The target is PostgreSQL or a PostgreSQL-compatible database (YugabyteDB). */
export function targetEngine(): Engine {
  return postgresEngine;
}
