/**
 * --table-list / --exclude-table-list: entries are `[schema.]table`, each part a glob (`*` any run of
 * characters, `?` one character). An unquoted part matches case-insensitively, as PostgreSQL folds
 * unquoted identifiers; a "Quoted" part matches exactly (`""` inside quotes is one quote character).
 * Pure: no I/O.
 */

export interface NamePattern {
  /** The part as the user wrote it, for messages. */
  readonly text: string;
  readonly regex: RegExp;
  /** True when the part contains * or ?. */
  readonly isGlob: boolean;
}

export interface TablePattern {
  readonly entry: string;
  /** Undefined: any schema the command works on. */
  readonly schema?: NamePattern;
  readonly table: NamePattern;
}

export interface QualifiedName {
  readonly schema: string;
  readonly table: string;
}

export class TablePatternError extends Error {}

/** Split on dots outside double quotes; returns the raw parts with their quotes. */
function splitParts(entry: string): { raw: string; quoted: boolean; value: string }[] {
  const parts: { raw: string; quoted: boolean; value: string }[] = [];
  let raw = '';
  let value = '';
  let quoted = false;
  let inQuotes = false;
  for (let i = 0; i < entry.length; i++) {
    const ch = entry[i];
    if (inQuotes) {
      if (ch === '"') {
        if (entry[i + 1] === '"') {
          value += '"';
          raw += '""';
          i++;
        } else {
          inQuotes = false;
          raw += ch;
        }
      } else {
        value += ch;
        raw += ch;
      }
      continue;
    }
    if (ch === '"') {
      inQuotes = true;
      quoted = true;
      raw += ch;
    } else if (ch === '.') {
      parts.push({ raw, quoted, value });
      raw = '';
      value = '';
      quoted = false;
    } else {
      raw += ch;
      // Whitespace outside quotes cannot be part of a PostgreSQL name: "public. orders" means public.orders.
      if (!/\s/.test(ch)) value += ch;
    }
  }
  if (inQuotes) throw new TablePatternError(`unbalanced double quote in table name '${entry}'`);
  parts.push({ raw, quoted, value });
  return parts;
}

function globToRegex(glob: string, caseSensitive: boolean): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, caseSensitive ? 'su' : 'isu');
}

function namePattern(raw: string, value: string, quoted: boolean, entry: string): NamePattern {
  const text = value;
  if (text === '') throw new TablePatternError(`empty name in table name '${entry}'`);
  return { text: raw.trim(), regex: globToRegex(text, quoted), isGlob: /[*?]/.test(text) };
}

export function parseTablePattern(entry: string): TablePattern {
  const trimmed = entry.trim();
  const parts = splitParts(trimmed);
  if (parts.length > 2) throw new TablePatternError(`'${entry}' has more than one dot outside quotes; use schema.table, quoting names that contain dots`);
  const [a, b] = parts;
  if (b) return { entry: trimmed, schema: namePattern(a.raw, a.value, a.quoted, entry), table: namePattern(b.raw, b.value, b.quoted, entry) };
  return { entry: trimmed, table: namePattern(a.raw, a.value, a.quoted, entry) };
}

export function patternMatches(p: TablePattern, name: QualifiedName): boolean {
  return (!p.schema || p.schema.regex.test(name.schema)) && p.table.regex.test(name.table);
}

export interface FilterResult<T extends QualifiedName> {
  selected: T[];
  /** Include entries that matched no table (a typo, or a table in another schema). */
  unmatchedIncludes: TablePattern[];
  /** Exclude entries that matched no table (worth a warning, not an error). */
  unmatchedExcludes: TablePattern[];
}

/**
 * Keep the tables the include list matches (all when there is none), minus those the exclude list matches.
 * Order of `tables` is preserved.
 */
export function filterTables<T extends QualifiedName>(tables: readonly T[], include?: readonly string[], exclude?: readonly string[]): FilterResult<T> {
  const inc = (include ?? []).map(parseTablePattern);
  const exc = (exclude ?? []).map(parseTablePattern);
  const incHits = new Set<TablePattern>();
  const excHits = new Set<TablePattern>();
  const selected: T[] = [];
  for (const t of tables) {
    let included = inc.length === 0;
    for (const p of inc) {
      if (patternMatches(p, t)) {
        incHits.add(p);
        included = true;
      }
    }
    let excluded = false;
    for (const p of exc) {
      if (patternMatches(p, t)) {
        excHits.add(p);
        excluded = true;
      }
    }
    if (included && !excluded) selected.push(t);
  }
  return {
    selected,
    unmatchedIncludes: inc.filter((p) => !incHits.has(p)),
    unmatchedExcludes: exc.filter((p) => !excHits.has(p)),
  };
}

/** How a table is named in messages and summaries: schema.table, quoting only where PostgreSQL would need it. */
export function displayName(name: QualifiedName): string {
  const q = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return `${q(name.schema)}.${q(name.table)}`;
}
