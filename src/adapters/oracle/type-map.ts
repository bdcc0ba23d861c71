/**
 * Oracle column types → PostgreSQL, from the data dictionary (ALL_TAB_COLS). The reference tool's map
 * (ora2pg with its overrides PG_NUMERIC_TYPE 0, PG_INTEGER_TYPE 1, DEFAULT_NUMERIC numeric), with these
 * deliberate differences, each named in the notes it returns:
 *  - NUMBER(19)/(19,0) → numeric(19), not bigint: 19 digits can exceed bigint's 9223372036854775807.
 *  - DATE → timestamp(0): an Oracle DATE carries a time of day, which `date` would drop.
 *  - ROWID/UROWID → text (the reference's oid cannot hold a rowid; its import fails).
 * A `review` note is something the DDL converts but a person should look at; `manual` cannot be converted.
 * Pure.
 */

export interface OracleColumnType {
  /** DATA_TYPE as ALL_TAB_COLS shows it: 'NUMBER', 'TIMESTAMP(6) WITH TIME ZONE', 'VARCHAR2', an object type name… */
  readonly dataType: string;
  /** DATA_TYPE_OWNER: set for user-defined (object, collection) types. */
  readonly dataTypeOwner?: string | null;
  readonly dataLength?: number | null;
  readonly charLength?: number | null;
  readonly precision?: number | null;
  readonly scale?: number | null;
}

export interface MappedType {
  /** PostgreSQL type text. */
  readonly pg: string;
  readonly notes: readonly { readonly level: 'review' | 'manual'; readonly text: string }[];
}

const review = (text: string) => ({ level: 'review' as const, text });
const manual = (text: string) => ({ level: 'manual' as const, text });

/** Exact integers by digits: the largest NUMBER(p) that fits each PostgreSQL integer type. */
function integerType(p: number): string {
  if (p <= 4) return 'smallint';
  if (p <= 9) return 'integer';
  if (p <= 18) return 'bigint';
  return `numeric(${p})`;
}

function numberType(precision: number | null | undefined, scale: number | null | undefined): MappedType {
  if (precision == null) {
    // NUMBER (no precision) and INTEGER (dictionary NUMBER with scale 0, no precision): the reference gives numeric.
    return { pg: 'numeric', notes: [] };
  }
  if (scale == null || scale === 0) {
    const pg = integerType(precision);
    return { pg, notes: precision === 19 ? [review('NUMBER(19) becomes numeric(19): its values can exceed bigint (the reference tool maps it to bigint)')] : [] };
  }
  if (scale < 0) {
    return { pg: 'numeric', notes: [review(`NUMBER(${precision},${scale}) has a negative scale: values are kept exactly, but rounding to 10^${-scale} is not enforced on the target`)] };
  }
  if (scale > precision) return { pg: 'numeric', notes: [] };
  return { pg: `numeric(${precision},${scale})`, notes: [] };
}

/** Fractional-second digits of 'TIMESTAMP(9) WITH TIME ZONE' and of 'INTERVAL DAY(2) TO SECOND(9)'. */
function fraction(dataType: string): number {
  const m = /TIMESTAMP\((\d)\)|SECOND\((\d)\)/.exec(dataType);
  return m ? Number(m[1] ?? m[2]) : 6;
}

export function mapOracleType(t: OracleColumnType): MappedType {
  const dt = t.dataType.toUpperCase();
  const chars = t.charLength || t.dataLength || 1;
  if (t.dataTypeOwner && !/^(SYS|PUBLIC)$/.test(t.dataTypeOwner)) {
    return { pg: 'text', notes: [manual(`column of the user-defined type ${t.dataTypeOwner}.${t.dataType} (object, VARRAY or nested table): create a matching composite or array type and convert the column by hand`)] };
  }
  if (dt === 'NUMBER') return numberType(t.precision, t.scale);
  if (dt === 'FLOAT') return { pg: 'double precision', notes: (t.precision ?? 126) > 53 ? [review(`FLOAT(${t.precision ?? 126}) has more binary digits than double precision keeps`)] : [] };
  if (dt === 'BINARY_FLOAT' || dt === 'BINARY_DOUBLE') return { pg: 'double precision', notes: [] };
  if (dt === 'DATE') return { pg: 'timestamp(0)', notes: [] };
  if (dt.startsWith('TIMESTAMP')) {
    const frac = fraction(dt);
    const tz = /WITH (LOCAL )?TIME ZONE/.exec(dt);
    const pg = tz ? 'timestamp with time zone' : 'timestamp without time zone';
    const notes = [];
    if (frac > 6) notes.push(review(`${dt} keeps ${frac} fractional digits; PostgreSQL keeps 6: nanoseconds are cut off`));
    if (tz && !tz[1]) notes.push(review(`${dt} values keep their instant; their time zone region or offset is not kept`));
    return { pg: frac < 6 ? pg.replace('timestamp', `timestamp(${frac})`) : pg, notes };
  }
  if (dt.startsWith('INTERVAL YEAR')) return { pg: 'interval year to month', notes: [] };
  if (dt.startsWith('INTERVAL DAY')) {
    const frac = fraction(dt);
    return { pg: 'interval day to second' + (frac < 6 ? `(${frac})` : ''), notes: frac > 6 ? [review(`${dt}: nanoseconds are cut to microseconds`)] : [] };
  }
  if (dt === 'CHAR' || dt === 'NCHAR') return { pg: `char(${chars})`, notes: [] };
  if (dt === 'VARCHAR2' || dt === 'NVARCHAR2' || dt === 'VARCHAR') return { pg: `varchar(${chars})`, notes: [] };
  if (dt === 'CLOB' || dt === 'NCLOB' || dt === 'LONG') return { pg: 'text', notes: [] };
  if (dt === 'BLOB' || dt === 'LONG RAW') return { pg: 'bytea', notes: [] };
  if (dt === 'RAW') return { pg: 'bytea', notes: [] };
  if (dt === 'ROWID' || dt === 'UROWID') return { pg: 'text', notes: [review(`${dt} values are Oracle row addresses; they mean nothing on the target (kept as text)`)] };
  if (dt === 'XMLTYPE') return { pg: 'xml', notes: [review('XMLTYPE becomes xml; its data export is not supported by this tool yet')] };
  if (dt === 'JSON') return { pg: 'jsonb', notes: [] };
  if (dt === 'BOOLEAN') return { pg: 'boolean', notes: [] };
  if (dt === 'BFILE') return { pg: 'text', notes: [manual('BFILE points at a file on the Oracle server: its content is not exported; the column keeps nothing useful')] };
  if (dt.startsWith('SDO_') || dt === 'ANYDATA' || dt === 'ANYTYPE' || dt === 'ANYDATASET' || dt.endsWith('URITYPE')) {
    return { pg: 'text', notes: [manual(`${dt} has no PostgreSQL equivalent here (PostGIS for SDO_GEOMETRY): convert the column by hand`)] };
  }
  return { pg: 'text', notes: [manual(`unknown Oracle type ${t.dataType}: mapped to text; choose the right type by hand`)] };
}
