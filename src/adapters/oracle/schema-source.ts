/**
 * Oracle as export schema's source: the dictionary read through a runner (catalog-model.ts), converted to
 * PostgreSQL DDL (schema-convert.ts). With captureCatalogTo, every dictionary result is also written to a
 * fixture file (provenance 'recorded'), which the tests can replay.
 */
import type { SchemaSource } from '../engine.js';
import { oracleOwner, readSchema } from './catalog-model.js';
import { dbaScripts } from './dba-scripts.js';
import { pgIdent, pgName } from './ddl-text.js';
import { CapturingRunner } from './query-runner.js';
import { convertSchema } from './schema-convert.js';
import { oracleIdentity, withRunner, type RunnerOpener } from './session.js';

export function oracleSchemaSource(open: RunnerOpener): SchemaSource {
  return {
    sourceSchemaFlag: 'required',
    async exportSchema(c, requested, o = {}) {
      const owner = oracleOwner(requested);
      const opener: RunnerOpener = o.captureCatalogTo
        ? async (conn, log) => new CapturingRunner(await open(conn, log), o.captureCatalogTo!, `export schema of ${owner}`)
        : open;
      return withRunner(opener, c, o.log, async (r) => {
        const identity = await oracleIdentity(r, c);
        const schema = await readSchema(r, owner);
        if (r instanceof CapturingRunner) r.save(schema.serverVersion);
        const converted = convertSchema(schema);
        const n = converted.findings.length;
        const warnings = n ? [`${n} finding${n === 1 ? '' : 's'} on Oracle constructs that need manual work or review are written in the schema files: run yb-voyager analyze-schema`] : [];
        return {
          identity,
          serverVersion: schema.serverVersion,
          schemas: [{ name: pgName(owner), ident: pgIdent(owner) }],
          files: converted.files,
          warnings,
          roles: [],
          dbaScripts: dbaScripts(schema, c.settings.user),
        };
      });
    },
  };
}
