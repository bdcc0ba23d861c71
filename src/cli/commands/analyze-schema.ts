import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CATEGORIES, CATEGORY_TITLES } from '../../core/schema-analysis/types.js';
import { InternalError } from '../../infra/errors.js';
import { analyzeSchema, REPORT_FORMATS, type ReportFormat } from '../../workflows/analyze-schema.js';
import type { ExportSchemaRecord } from '../../workflows/export-schema.js';
import type { CommandContext } from '../context.js';

/** Our version, as package.json states it (dist/src/cli/commands → package root). */
function voyagerVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(fileURLToPath(new URL('../../../../package.json', import.meta.url)), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function run(ctx: CommandContext): Promise<void> {
  const format = (ctx.options.str('output-format') ?? 'html') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new InternalError(`unexpected output format ${format}`);
  // What export schema recorded about the source, if it ran in this export dir (the report works without).
  const dbName = ctx.state.getJson<{ source?: { dbName?: string } }>('migration')?.source?.dbName;
  const exported = ctx.state.getJson<ExportSchemaRecord>('export_schema');
  const result = await analyzeSchema(
    { exportDir: ctx.exportDir, log: ctx.log },
    { format, voyagerVersion: voyagerVersion(), dbName, dbVersion: exported?.serverVersion, schemaNames: exported?.schemas },
  );

  const total = result.report.Issues.length;
  ctx.out.line(`Analyzed ${result.statements} statements in ${result.files} schema file(s): ${total === 0 ? 'no issues found' : `${total} issue(s)`}.`);
  if (total > 0) {
    for (const c of CATEGORIES) {
      const n = result.issuesByCategory[c];
      if (n) ctx.out.line(`  ${CATEGORY_TITLES[c].padEnd(48)} ${String(n).padStart(4)}  (${c})`);
    }
  }
  for (const f of result.ruleFailures) ctx.out.warn(`rule ${f.ruleId} failed on the statement at ${f.filePath}:${f.line} (${f.error}); that check was skipped`);
  ctx.out.line(`Schema analysis report: ${result.reportPath}`);
  if (total > 0) ctx.out.line('Fix the statements in the schema files, then rerun analyze-schema for a fresh report.');
}
