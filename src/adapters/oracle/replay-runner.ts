/**
 * Replays query results from a fixture file (see query-runner.ts). A query the fixture does not hold is an
 * error naming the missing key: a gap in the fixture is never read as "no rows".
 */
import fs from 'node:fs';
import { InternalError } from '../../infra/errors.js';
import { fixtureKey, type OracleBinds, type OracleFixture, type OracleQuery, type OracleQueryRunner, type OracleRow } from './query-runner.js';

export class ReplayRunner implements OracleQueryRunner {
  /** Every key asked for, in order (tests check what was read). */
  readonly asked: string[] = [];
  constructor(readonly fixture: OracleFixture) {}

  static fromFile(file: string): ReplayRunner {
    return new ReplayRunner(JSON.parse(fs.readFileSync(file, 'utf8')) as OracleFixture);
  }

  async *rows(q: OracleQuery, binds?: OracleBinds): AsyncIterable<OracleRow> {
    const key = fixtureKey(q.id, binds);
    this.asked.push(key);
    const rows = this.fixture.queries[key];
    if (!rows) throw new InternalError(`the ${this.fixture.provenance} Oracle fixture has no result for '${key}'`);
    for (const r of rows) yield r;
  }

  async close(): Promise<void> {}
}
