import { endMigration, type BackupChoice } from '../../workflows/end-migration.js';
import { readExportData } from '../../export-dir/snapshot-state.js';
import { buildMigrationReport } from '../../workflows/migration-report.js';
import { writeReportFiles } from '../report-files.js';
import { UserError } from '../../infra/errors.js';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { recordedEndpoint } from '../fall-back-connection.js';

export async function run(ctx: CommandContext): Promise<void> {
  const o = ctx.options;
  const choice: BackupChoice = {
    logs: o.bool('backup-log-files')!,
    data: o.bool('backup-data-files')!,
    schema: o.bool('backup-schema-files')!,
    reports: o.bool('save-migration-reports')!,
    dir: o.str('backup-dir'),
  };
  const anyBackup = choice.logs || choice.data || choice.schema || choice.reports;
  if (anyBackup && !choice.dir) throw new UserError('--backup-dir is required when a backup flag is true', 'add --backup-dir <DIR> (an existing directory)');
  if (choice.dir) {
    choice.dir = path.resolve(choice.dir);
    if (!fs.existsSync(choice.dir) || !fs.statSync(choice.dir).isDirectory()) {
      throw new UserError(`backup directory ${choice.dir} does not exist`, `create it first: mkdir -p ${choice.dir}`);
    }
  }
  const source = await recordedEndpoint(ctx.state, o, 'source');
  const target = await recordedEndpoint(ctx.state, o, 'target');
  // --save-migration-reports: the data migration report as of now, while the metadata schemas still exist.
  const writeReport = async () => {
    if (!readExportData(ctx.state)) return;
    writeReportFiles(ctx.exportDir, await buildMigrationReport(ctx.state, { source, target }));
  };
  await endMigration(
    { exportDir: ctx.exportDir, state: ctx.state, log: ctx.log, say: (l) => ctx.out.line(l), source, target, writeReport },
    choice,
  );
}
