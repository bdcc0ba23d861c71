/**
 * Oracle as export schema's source: the dictionary read through a runner (catalog-model.ts), converted to
 * PostgreSQL DDL (schema-convert.ts). With captureCatalogTo, every dictionary result is also written to a
 * fixture file (provenance 'recorded'), which the tests can replay.
 */
import type { SchemaSource } from '../engine.js';
import { oracleOwner, readSchema } from './catalog-model.js';
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
        const manual = converted.notes.filter((n) => n.level === 'manual').length;
        const review = converted.notes.length - manual;
        const warnings = converted.notes.length
          ? [`${manual} Oracle construct${manual === 1 ? '' : 's'} need${manual === 1 ? 's' : ''} manual work and ${review} need${review === 1 ? 's' : ''} review (notes in the schema files): run yb-voyager analyze-schema`]
          : [];
        return { identity, serverVersion: schema.serverVersion, schemas: [{ name: pgName(owner), ident: pgIdent(owner) }], files: converted.files, warnings, roles: [] };
      });
    },
  };
}
