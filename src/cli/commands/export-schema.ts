import { exportSchema } from '../../workflows/export-schema.js';
import { endpointFromOptions } from '../connection-options.js';
import type { CommandContext } from '../context.js';
import { renderExportSchemaSummary } from '../render/schema-summary.js';

export async function run(ctx: CommandContext): Promise<void> {
  const o = ctx.options;
  const source = await endpointFromOptions(o, 'source');
  const result = await exportSchema(
    { exportDir: ctx.exportDir, state: ctx.state, log: ctx.log },
    { source, schemas: o.list('source-db-schema') ?? [], startClean: o.bool('start-clean') ?? false, captureCatalogTo: o.str('oracle-capture-catalog') },
    ctx.signal,
  );
  const total = result.files.reduce((n, f) => n + [...f.counts.values()].reduce((a, b) => a + b, 0), 0);
  ctx.out.line(`Exported ${total} statements from database '${result.database}' (${source.engine.displayName} ${result.serverVersion}), schema${result.schemas.length > 1 ? 's' : ''} ${result.schemas.join(', ')}, to ${ctx.exportDir.schemaDir}:`);
  ctx.out.line(renderExportSchemaSummary(result));
  for (const w of result.warnings) ctx.out.warn(w);
  if (result.roles.length) ctx.out.line(`Policies name the roles ${result.roles.join(', ')}: create them on the target before import schema.`);
  if (result.dbaScripts.length) {
    ctx.out.line(`SQL for the source's DBA, to review and run by hand (${source.engine.displayName}):`);
    for (const s of result.dbaScripts) ctx.out.line(`  ${s.file}: ${s.when}`);
  }
  ctx.out.line('Next: yb-voyager analyze-schema, then yb-voyager import schema.');
}
