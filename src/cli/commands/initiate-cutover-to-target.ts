import { engineFor } from '../../adapters/registry.js';
import { requestCutoverToTarget } from '../../core/cutover.js';
import { modifyCutover } from '../../export-dir/migration-state.js';
import { readExportData } from '../../export-dir/snapshot-state.js';
import { UserError } from '../../infra/errors.js';
import { FALL_BACK_CAPABILITY_KEY, type FallBackCapability } from '../../workflows/fall-back.js';
import type { CommandContext } from '../context.js';
import { refuseWriteBackToSource } from '../fall-back-connection.js';

/** Records the request; the running exporter and importer carry it out (src/workflows/cutover-*.ts). */
export async function run(ctx: CommandContext): Promise<void> {
  const fallBack = ctx.options.bool('prepare-for-fall-back');
  if (fallBack === undefined) {
    throw new UserError('--prepare-for-fall-back must be given explicitly', 'add --prepare-for-fall-back true (stream the target\'s changes back to the source) or --prepare-for-fall-back false');
  }
  if (fallBack) await refuseWriteBackToSource(ctx.state, '--prepare-for-fall-back');
  const exportData = readExportData(ctx.state);
  if (!exportData) throw new UserError('no data export has run on this export dir', 'start yb-voyager export data from source --export-type snapshot-and-changes first');
  if (exportData.exportType !== 'snapshot-and-changes') {
    throw new UserError('cutover needs a live migration, but this export is snapshot-only', 'rerun export data from source with --export-type snapshot-and-changes --start-clean true');
  }
  const sourceEngine = await engineFor(ctx.state.migration().source?.dbType ?? 'postgresql');
  if (fallBack && !sourceEngine.changeSink) {
    throw new UserError(
      `fall-back onto a ${sourceEngine.displayName} source is not supported yet: its changes could not be applied back after the cutover`,
      'use --prepare-for-fall-back false (the source is then left as it was at the cutover)',
    );
  }
  const caps = ctx.state.getJson<FallBackCapability>(FALL_BACK_CAPABILITY_KEY);
  if (fallBack && caps && caps.canDisableTriggers === false) {
    throw new UserError(
      `the source user '${caps.user}' cannot apply the fall-back stream: it lacks privileges (export data from source checked them)`,
      `${caps.fix ?? 'grant the privilege docs/prepare-databases.md names'}; then initiate the cutover again`,
      'privilege',
    );
  }
  let message = '';
  modifyCutover(ctx.state, (cur) => {
    const r = requestCutoverToTarget(cur, fallBack, new Date().toISOString());
    message = r.message;
    return r.state;
  });
  ctx.log.info(message, { prepareForFallBack: fallBack });
  ctx.out.line(message);
}
