/**
 * What YugabyteDB (and live migration through it) can and cannot do with each data type. Names are the
 * parser's internal names (timetz, varbit, int4range…); extension types (geometry, vector, citext) match in
 * any schema because extensions are often installed outside pg_catalog.
 */
import type { SchemaCatalog } from './catalog.js';
import type { TypeRef } from './ast.js';

export interface UnsupportedTypeInfo {
  label: string;
  suggestion: string;
  docsAnchor: string;
  gh?: number;
}

const POSTGIS: UnsupportedTypeInfo = {
  label: 'PostGIS type',
  suggestion: 'YugabyteDB does not support PostGIS; store the value as text/bytea (WKT/WKB) or keep the spatial data in PostgreSQL',
  docsAnchor: 'unsupported-datatypes-by-yugabytedb',
  gh: 11323,
};
const MULTIRANGE: UnsupportedTypeInfo = {
  label: 'multirange type',
  suggestion: 'store the ranges as an array of the range type, or as two bound columns per range',
  docsAnchor: 'postgresql-12-and-later-features',
  gh: 25575,
};

/** Types YugabyteDB cannot store (the CREATE fails or the data cannot be loaded). */
export const UNSUPPORTED_TYPES: ReadonlyMap<string, UnsupportedTypeInfo> = new Map([
  ['xml', { label: 'xml', suggestion: 'store XML as text and validate it in the application (YugabyteDB cannot load xml data)', docsAnchor: 'data-ingestion-on-xml-data-type-is-not-supported', gh: 1043 }],
  ['xid', { label: 'xid', suggestion: 'store transaction ids as bigint (YugabyteDB transaction ids differ from PostgreSQL\'s)', docsAnchor: 'xid-functions-is-not-supported', gh: 15638 }],
  ['xid8', { label: 'xid8', suggestion: 'store transaction ids as bigint', docsAnchor: 'xid-functions-is-not-supported', gh: 15638 }],
  ['pg_lsn', { label: 'pg_lsn', suggestion: 'store the log position as text or numeric', docsAnchor: 'unsupported-datatypes-by-yugabytedb' }],
  ['txid_snapshot', { label: 'txid_snapshot', suggestion: 'store the snapshot as text', docsAnchor: 'unsupported-datatypes-by-yugabytedb' }],
  ['pg_snapshot', { label: 'pg_snapshot', suggestion: 'store the snapshot as text', docsAnchor: 'unsupported-datatypes-by-yugabytedb' }],
  ['lo', { label: 'lo (large object)', suggestion: 'store the content in a bytea column (large objects are not supported by YugabyteDB)', docsAnchor: 'large-objects-and-its-functions-are-currently-not-supported', gh: 25318 }],
  ['geometry', POSTGIS],
  ['geography', POSTGIS],
  ['box2d', POSTGIS],
  ['box3d', POSTGIS],
  ['topogeometry', POSTGIS],
  ['raster', POSTGIS],
  ['int4multirange', MULTIRANGE],
  ['int8multirange', MULTIRANGE],
  ['nummultirange', MULTIRANGE],
  ['datemultirange', MULTIRANGE],
  ['tsmultirange', MULTIRANGE],
  ['tstzmultirange', MULTIRANGE],
]);

/** Types whose changes the live-migration stream cannot carry (the columns would be left out). */
export const LIVE_MIGRATION_UNSUPPORTED_TYPES: ReadonlySet<string> = new Set([
  'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'vector', 'timetz',
]);

/** Built-in types the fall-back stream (target → source) cannot carry. User-defined types are added by the rule. */
export const FALL_BACK_UNSUPPORTED_TYPES: ReadonlySet<string> = new Set(['tsquery']);

export const BUILTIN_RANGE_TYPES: ReadonlySet<string> = new Set(['int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange']);
export const GEOMETRIC_TYPES: ReadonlySet<string> = new Set(['point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle']);

/** Types YugabyteDB's LSM (btree) indexes cannot key on: no PRIMARY KEY, UNIQUE or plain index over them. */
const NOT_INDEXABLE: ReadonlySet<string> = new Set([
  'citext', 'tsvector', 'tsquery', 'jsonb', 'json', 'inet', 'cidr', 'macaddr', 'macaddr8', 'bit', 'varbit',
  'interval', 'pg_lsn', 'txid_snapshot', ...BUILTIN_RANGE_TYPES, ...GEOMETRIC_TYPES,
]);

/** Why a type cannot be an index key, or undefined when it can. */
export function notIndexableReason(t: TypeRef, catalog: SchemaCatalog): string | undefined {
  if (t.isArray) return `array type ${t.display}`;
  const user = catalog.userType(t);
  if (user) {
    if (user.kind === 'composite') return `user-defined composite type ${t.display}`;
    if (user.kind === 'range' || user.kind === 'multirange') return `user-defined ${user.kind} type ${t.display}`;
    if (user.kind === 'domain') {
      const base = catalog.resolveDomain(t);
      const inner = base !== t ? notIndexableReason(base, catalog) : undefined;
      return inner ? `domain ${t.display} over ${inner}` : undefined;
    }
    return undefined; // enums and base types index fine
  }
  return NOT_INDEXABLE.has(t.name) ? `type ${t.display}` : undefined;
}

/** Types where an index whose first key is this type is range-sharded on an ever-increasing value (hot spot). */
export const HOTSPOT_TYPES: ReadonlySet<string> = new Set(['timestamp', 'timestamptz', 'date']);
