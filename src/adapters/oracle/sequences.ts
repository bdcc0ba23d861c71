/**
 * Oracle sequences across a cutover. Reading them is plain dictionary SQL; setting them on Oracle belongs to
 * fall-back onto Oracle, which is refused (no Oracle server to test writing against).
 */
import { UserError } from '../../infra/errors.js';
import type { SequenceSync } from '../engine.js';
import { allRows } from './query-runner.js';
import { CATALOG } from './catalog-queries.js';
import { pgName } from './ddl-text.js';
import { withRunner, type RunnerOpener } from './session.js';
import { oracleOwner } from './catalog-model.js';
import { WRITE_BACK_REFUSAL } from './refusals.js';

export function oracleSequences(open: RunnerOpener): SequenceSync {
  return {
    async read(c, schemas) {
      const owner = oracleOwner(schemas);
      return withRunner(open, c, undefined, async (r) =>
        (await allRows(r, CATALOG.sequences, { owner })).map((s) => ({
          schema: pgName(owner),
          name: pgName(s.SEQUENCE_NAME ?? ''),
          // LAST_NUMBER is at or past every value handed out: the target continues after it.
          lastValue: s.LAST_NUMBER,
        })),
      );
    },
    async restore() {
      throw new UserError(`setting sequences on Oracle is refused: ${WRITE_BACK_REFUSAL}`, 'restore the Oracle sequences by hand after a cutover to source (docs/oracle.md)');
    },
  };
}
