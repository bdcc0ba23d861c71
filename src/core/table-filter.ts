/**
 * --table-list / --exclude-table-list: entries are `[schema.]table`, each part a glob (`*` any run of
 * characters, `?` one character; `\*`, `\?` and `\\` match a literal star, question mark and backslash). An
 * unquoted part matches case-insensitively, as PostgreSQL folds unquoted identifiers; a "Quoted" part matches
 * exactly (`""` inside quotes is one quote character; a dot inside quotes is part of the name).
 * --source-db-schema entries follow the same rules (resolveNames).
 *
 * Names are never turned into regular expressions: a name is user data, and any character is legal in it.
 * Pure: no I/O.
 */

/** One glob piece: a literal code point, `*` (any run) or `?` (one code point). */
type GlobToken = string | typeof ANY_RUN | typeof ANY_ONE;
const ANY_RUN = Symbol('*');
const ANY_ONE = Symbol('?');

export interface NamePattern {
  /** The part as the user wrote it, for messages. */
  readonly text: string;
  /** True when the part contains an unescaped * or ?. */
  readonly isGlob: boolean;
  /** Exact (quoted) or case-insensitive (unquoted). */
  readonly caseSensitive: boolean;
  readonly tokens: readonly GlobToken[];
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

/** The glob's tokens; a backslash makes the next `*`, `?` or `\` literal (any other backslash is itself). */
function globTokens(glob: string): GlobToken[] {
  const cps = [...glob];
  const out: GlobToken[] = [];
  for (let i = 0; i < cps.length; i++) {
    const ch = cps[i];
    if (ch === '\\' && (cps[i + 1] === '*' || cps[i + 1] === '?' || cps[i + 1] === '\\')) out.push(cps[++i]);
    else if (ch === '*') out.push(ANY_RUN);
    else if (ch === '?') out.push(ANY_ONE);
    else out.push(ch);
  }
  return out;
}

const fold = (s: string) => s.toLowerCase();

/** Does `name` match the pattern? Iterative glob matching with one backtrack point (linear for one `*`). */
export function nameMatches(p: NamePattern, name: string): boolean {
  const cps = [...(p.caseSensitive ? name : fold(name))];
  const toks = p.caseSensitive ? p.tokens : p.tokens.map((t) => (typeof t === 'string' ? fold(t) : t));
  let ti = 0;
  let ci = 0;
  let starTi = -1;
  let starCi = 0;
  while (ci < cps.length) {
    const t = toks[ti];
    if (ti < toks.length && (t === ANY_ONE || t === cps[ci])) {
      ti++;
      ci++;
    } else if (ti < toks.length && t === ANY_RUN) {
      starTi = ti++;
      starCi = ci;
    } else if (starTi >= 0) {
      ti = starTi + 1;
      ci = ++starCi;
    } else {
      return false;
    }
  }
  while (ti < toks.length && toks[ti] === ANY_RUN) ti++;
  return ti === toks.length;
}

function namePattern(raw: string, value: string, quoted: boolean, entry: string): NamePattern {
  if (value === '') throw new TablePatternError(`empty name in table name '${entry}'`);
  const tokens = globTokens(value);
  return { text: raw.trim(), tokens, caseSensitive: quoted, isGlob: tokens.some((t) => typeof t !== 'string') };
}

/** A name as typed (quoted or not, with globs): the pattern one --source-db-schema entry stands for. */
export function parseNamePattern(entry: string): NamePattern {
  const parts = splitParts(entry.trim());
  if (parts.length > 1) throw new TablePatternError(`'${entry}' has a dot outside quotes; quote a name that contains dots: "${entry.replace(/"/g, '""')}"`);
  return namePattern(parts[0].raw, parts[0].value, parts[0].quoted, entry);
}

/**
 * Resolve entries (--source-db-schema) against the names that exist. A quoted entry matches exactly; an
 * unquoted one matches exactly or, failing that, case-insensitively (as PostgreSQL folds unquoted names);
 * globs match every name they fit. Found names come in the order of the entries that found them.
 */
export function resolveNames(requested: readonly string[], existing: readonly string[]): { found: string[]; missing: string[] } {
  const found: string[] = [];
  const missing: string[] = [];
  for (const entry of requested) {
    const p = parseNamePattern(entry);
    const exact = !p.isGlob && !p.caseSensitive ? existing.filter((n) => n === p.tokens.join('')) : [];
    const hits = exact.length ? exact : existing.filter((n) => nameMatches(p, n));
    if (!hits.length) missing.push(entry);
    for (const h of hits) if (!found.includes(h)) found.push(h);
  }
  return { found, missing };
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
  return (!p.schema || nameMatches(p.schema, name.schema)) && nameMatches(p.table, name.table);
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

/**
 * --table-list / --exclude-table-list applied for a snapshot: the selected tables, and every problem with the
 * lists as a sentence (an include entry matching nothing, a bad pattern, nothing left). `where` names the
 * place searched ("database app"), `whereFlag` the flag that chose it.
 */
export function applyTableLists<T extends QualifiedName>(tables: readonly T[], include: readonly string[] | undefined, exclude: readonly string[] | undefined, where: string, whereFlag: string): { selected: T[]; problems: string[] } {
  const problems: string[] = [];
  let selected: T[] = [];
  try {
    const f = filterTables(tables, include, exclude);
    selected = f.selected;
    for (const p of f.unmatchedIncludes) problems.push(`--table-list entry ${p.entry} matches no table in ${where}`);
  } catch (e) {
    if (!(e instanceof TablePatternError)) throw e;
    problems.push(e.message);
  }
  if (!problems.length && !selected.length) problems.push(`no table to export in ${where} (check ${whereFlag}, --table-list and --exclude-table-list)`);
  return { selected, problems };
}

/** How a table is named in messages and summaries: schema.table, quoting only where PostgreSQL would need it. */
export function displayName(name: QualifiedName): string {
  const q = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return `${q(name.schema)}.${q(name.table)}`;
}
