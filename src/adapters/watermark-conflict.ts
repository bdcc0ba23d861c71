import { UserError } from '../infra/errors.js';

/**
 * A change sink found its applied-changes watermark moved under it: another process applies this migration's
 * changes to the same database. Every sink reports it the same way.
 */
export function watermarkConflict(side: string, expected: number): UserError {
  return new UserError(
    `the applied-changes watermark in the ${side} database is no longer ${expected}: another process is applying this migration's changes`,
    'stop the other import (only one may run per migration) and rerun',
    'conflict',
  );
}
