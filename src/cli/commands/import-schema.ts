import { importSchema } from '../../workflows/import-schema.js';
import { UserError } from '../../infra/errors.js';
import { endpointFromOptions } from '../connection-options.js';
import type { CommandContext } from '../context.js';
import { renderImportSchemaSummary } from '../render/schema-summary.js';

export async function run(ctx: CommandContext): Promise<void> {
  const o = ctx.options;
  const targetSchemas = o.list('target-db-schema');
  if (targetSchemas && targetSchemas.length > 1) throw new UserError(`--target-db-schema takes one schema, not ${targetSchemas.length}`, 'pass a single schema name');
  const targetSchema = targetSchemas?.[0]?.replace(/^"(.*)"$/, '$1');
  const target = await endpointFromOptions(o, 'target');
  const { settings } = target.conn;
  const post = o.bool('post-snapshot-import') ?? false;
  const result = await importSchema(
    { exportDir: ctx.exportDir, state: ctx.state, log: ctx.log, say: (l) => ctx.out.line(l) },
    {
      target,
      targetSchema,
      postSnapshotImport: post,
      ignoreExist: o.bool('ignore-exist') ?? false,
      continueOnError: o.bool('continue-on-error') ?? false,
      startClean: o.bool('start-clean') ?? false,
    },
    ctx.signal,
  );
  for (const [from, to] of Object.entries(result.schemaMap)) ctx.out.line(`Objects of source schema ${from} go to target schema ${to}.`);
  ctx.out.line(`import schema${post ? ' --post-snapshot-import' : ''} into database '${settings.database}' on ${settings.host}:${settings.port}:`);
  ctx.out.line(renderImportSchemaSummary(result));
  for (const ix of result.droppedInvalidIndexes) ctx.out.warn(`dropped the INVALID index ${ix} left by a failed build`);
  if (result.failures.length) {
    ctx.out.warn(`${result.failures.length} statement${result.failures.length > 1 ? 's' : ''} failed; they are listed with their errors in ${result.failedFile}. Fix them and rerun import schema.`);
  }
  if (result.leftForPostSnapshot) {
    ctx.out.line(`${result.leftForPostSnapshot} non-unique index and trigger statements wait for: yb-voyager import schema --post-snapshot-import true (after import data).`);
  }
}
