/**
 * Small helpers over the PostgreSQL parse tree (libpg-query JSON: every node is `{ Kind: {...fields} }`).
 * The parser itself (libpg-query's WASM, loaded once) is in sql-parser.ts next to this file.
 */
import type { Node, RangeVar, TypeName } from 'libpg-query';

type KeysOfUnion<T> = T extends T ? keyof T : never;
export type NodeKind = KeysOfUnion<Node>;
export type NodeOf<K extends NodeKind> = Extract<Node, Record<K, unknown>>[K];

export type { Node };

/** The kind of a node wrapper, e.g. 'CreateStmt'. */
export function kindOf(node: Node | undefined): string | undefined {
  return node ? Object.keys(node)[0] : undefined;
}

/** The inner object if `node` is of `kind`. */
export function as<K extends NodeKind>(node: Node | undefined, kind: K): NodeOf<K> | undefined {
  if (!node || typeof node !== 'object') return undefined;
  return (node as Record<string, unknown>)[kind] as NodeOf<K> | undefined;
}

function isNodeWrapper(value: object): string | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const k = keys[0];
  const c = k.charCodeAt(0);
  const inner = (value as Record<string, unknown>)[k];
  return c >= 65 && c <= 90 && inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? k : undefined;
}

/**
 * Visit every node under `root` (depth first, the root included). The visitor gets the kind and the inner
 * object; returning false skips that node's children.
 */
export function walk(root: unknown, visit: (kind: string, inner: Record<string, unknown>) => boolean | void): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const cur = stack.pop();
    if (cur === null || typeof cur !== 'object') continue;
    if (Array.isArray(cur)) {
      for (let i = cur.length - 1; i >= 0; i--) stack.push(cur[i]);
      continue;
    }
    const kind = isNodeWrapper(cur);
    if (kind) {
      const inner = (cur as Record<string, Record<string, unknown>>)[kind];
      if (visit(kind, inner) === false) continue;
      for (const v of Object.values(inner)) stack.push(v);
    } else {
      for (const v of Object.values(cur)) stack.push(v);
    }
  }
}

/** Every node of `kind` under `root`. */
export function findAll<K extends NodeKind>(root: unknown, kind: K): NodeOf<K>[] {
  const out: NodeOf<K>[] = [];
  walk(root, (k, inner) => {
    if (k === kind) out.push(inner as NodeOf<K>);
  });
  return out;
}

/** `[{String:{sval:'a'}}, {String:{sval:'b'}}]` → ['a', 'b']. */
export function strings(list: readonly Node[] | undefined): string[] {
  const out: string[] = [];
  for (const n of list ?? []) {
    const s = as(n, 'String');
    if (s) out.push(s.sval ?? '');
  }
  return out;
}

/** A name as written in SQL: quoted only when it must be, so reports read naturally. */
export function displayIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedName(parts: readonly string[]): string {
  return parts.map(displayIdent).join('.');
}

/** Exported DDL is schema-qualified; an unqualified name is taken to live in public (the usual search_path). */
export const DEFAULT_SCHEMA = 'public';

export interface RelName {
  schema: string;
  name: string;
}

export function relName(rv: RangeVar | undefined): RelName {
  return { schema: rv?.schemaname ?? DEFAULT_SCHEMA, name: rv?.relname ?? '' };
}

export function relKey(r: RelName): string {
  return `${r.schema}.${r.name}`;
}

export function displayRel(r: RelName): string {
  return qualifiedName([r.schema, r.name]);
}

/** A list-of-strings object name (functions, types, collations) as schema + name. */
export function listName(list: readonly Node[] | undefined): RelName {
  const parts = strings(list);
  if (parts.length >= 2) return { schema: parts[parts.length - 2], name: parts[parts.length - 1] };
  return { schema: DEFAULT_SCHEMA, name: parts[0] ?? '' };
}

/** A column's type as the rules need it. */
export interface TypeRef {
  /** Schema as written, undefined when unqualified; pg_catalog for SQL-standard spellings (int, timestamptz…). */
  schema?: string;
  /** Lower-level name: int4, timestamptz, varbit, xml, geometry, my_enum… */
  name: string;
  isArray: boolean;
  /** `table.column%TYPE` */
  pctType: boolean;
  /** For messages: the name plus [] for arrays. */
  display: string;
}

export function typeRef(t: TypeName | undefined): TypeRef | undefined {
  if (!t) return undefined;
  const parts = strings(t.names);
  if (!parts.length) return undefined;
  const name = parts[parts.length - 1];
  const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  const isArray = (t.arrayBounds?.length ?? 0) > 0;
  const shown = schema && schema !== 'pg_catalog' ? `${displayIdent(schema)}.${displayIdent(name)}` : displayIdent(name);
  return { schema, name, isArray, pctType: Boolean(t.pct_type), display: isArray ? `${shown}[]` : shown };
}

/** The value of a DefElem argument as text (string, identifier, number, boolean), or undefined. */
export function defElemValue(arg: Node | undefined): string | undefined {
  if (!arg) return undefined;
  const s = as(arg, 'String');
  if (s) return s.sval;
  const i = as(arg, 'Integer');
  if (i) return String(i.ival ?? 0);
  const f = as(arg, 'Float');
  if (f) return f.fval;
  const b = as(arg, 'Boolean');
  if (b) return String(Boolean(b.boolval));
  const tn = as(arg, 'TypeName');
  if (tn) return strings(tn.names).join('.');
  const list = as(arg, 'List');
  if (list) return strings(list.items).join('.');
  const c = as(arg, 'A_Const');
  if (c) return c.sval?.sval ?? (c.ival ? String(c.ival.ival ?? 0) : c.boolval ? String(Boolean(c.boolval.boolval)) : undefined);
  return undefined;
}

/** The DefElems of an options list, as name → textual value ('' when the option has no value). */
export function defElems(list: readonly Node[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of list ?? []) {
    const d = as(n, 'DefElem');
    if (d?.defname) out.set(d.defnamespace ? `${d.defnamespace}.${d.defname}` : d.defname, defElemValue(d.arg) ?? '');
  }
  return out;
}

/** Truthiness of an option value as PostgreSQL reads booleans (`true`, `on`, `1`, bare option). */
export function isTrueOption(value: string | undefined): boolean {
  if (value === undefined) return false;
  return ['', 'true', 'on', '1', 'yes', 't'].includes(value.toLowerCase());
}

/** The name of a called function, lower-cased, without schema. */
export function funcCallName(funcname: readonly Node[] | undefined): string {
  const parts = strings(funcname);
  return (parts[parts.length - 1] ?? '').toLowerCase();
}
