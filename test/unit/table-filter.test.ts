import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayName, filterTables, nameMatches, parseNamePattern, parseTablePattern, patternMatches, resolveNames, TablePatternError } from '../../src/core/table-filter.js';

const T = (schema: string, table: string) => ({ schema, table });
const tables = [T('public', 'orders'), T('public', 'order_items'), T('public', 'Orders'), T('sales', 'orders'), T('public', 'a.b'), T('Mixed', 'Case T')];
const names = (r: { selected: { schema: string; table: string }[] }) => r.selected.map((t) => `${t.schema}.${t.table}`);

test('unquoted names match case-insensitively, quoted names exactly', () => {
  assert.deepEqual(names(filterTables(tables, ['ORDERS'])), ['public.orders', 'public.Orders', 'sales.orders']);
  assert.deepEqual(names(filterTables(tables, ['"Orders"'])), ['public.Orders']);
  assert.deepEqual(names(filterTables(tables, ['"orders"'])), ['public.orders', 'sales.orders']);
  assert.deepEqual(names(filterTables(tables, ['"Mixed"."Case T"'])), ['Mixed.Case T']);
  assert.deepEqual(names(filterTables(tables, ['mixed."case t"'])), [], 'quoted part is case-sensitive even when the schema is not');
});

test('globs: * any run, ? one character, in schema and table parts', () => {
  assert.deepEqual(names(filterTables(tables, ['order*'])), ['public.orders', 'public.order_items', 'public.Orders', 'sales.orders']);
  assert.deepEqual(names(filterTables(tables, ['public.order?'])), ['public.orders', 'public.Orders']);
  assert.deepEqual(names(filterTables(tables, ['s*.*'])), ['sales.orders']);
  assert.deepEqual(names(filterTables(tables, ['"a.b"'])), ['public.a.b'], 'dots inside quotes belong to the name');
  assert.deepEqual(names(filterTables(tables, ['a?b'])), ['public.a.b'], '? is any one character');
  const odd = [T('public', 'c++'), T('public', 'cc'), T('public', 'x(1)')];
  assert.deepEqual(names(filterTables(odd, ['c++'])), ['public.c++'], 'regex metacharacters in names are literal');
  assert.deepEqual(names(filterTables(odd, ['x(?)'])), ['public.x(1)']);
});

test('exclude list applies after the include list; unmatched entries are reported', () => {
  const r = filterTables(tables, ['public.*'], ['*items', 'nothing_here']);
  assert.deepEqual(names(r), ['public.orders', 'public.Orders', 'public.a.b']);
  assert.deepEqual(r.unmatchedExcludes.map((p) => p.entry), ['nothing_here']);
  const r2 = filterTables(tables, ['orders', 'missing_table']);
  assert.deepEqual(r2.unmatchedIncludes.map((p) => p.entry), ['missing_table']);
  assert.deepEqual(names(filterTables(tables, undefined, ['*'])), []);
  assert.equal(filterTables(tables).selected.length, tables.length, 'no list selects everything');
});

test('malformed entries are refused', () => {
  assert.throws(() => parseTablePattern('"open'), TablePatternError);
  assert.throws(() => parseTablePattern('a.b.c'), TablePatternError);
  assert.throws(() => parseTablePattern('public.'), TablePatternError);
  assert.ok(patternMatches(parseTablePattern(' public . orders '), T('public', 'orders')), 'spaces around unquoted parts are ignored');
  assert.ok(patternMatches(parseTablePattern('"say ""hi"""'), T('x', 'say "hi"')), 'doubled quotes inside quotes are one quote');
});

test('displayName quotes only what needs quoting', () => {
  assert.equal(displayName(T('public', 'orders')), 'public.orders');
  assert.equal(displayName(T('Mixed', 'Case T')), '"Mixed"."Case T"');
  assert.equal(displayName(T('s', 'a"b')), 's."a""b"');
});

test('hostile but legal names: every character is literal except unescaped * and ?', () => {
  const hostile = [
    T('pg-schema', 'my-table'), T('public', 'with space'), T('public', "it's"), T('public', 'back\\slash'),
    T('public', '100%_done'), T('public', 'star*'), T('public', 'what?'), T('public', 'Ünïcødé'), T('public', 'select'),
    T('public', 'x'.repeat(63)),
  ];
  const pick = (entries: string[]) => names(filterTables(hostile, entries));
  assert.deepEqual(pick(['pg-schema.my-table']), ['pg-schema.my-table'], 'a hyphen is a plain character');
  assert.deepEqual(pick(['"with space"']), ['public.with space']);
  assert.deepEqual(pick(["it's"]), ["public.it's"]);
  assert.deepEqual(pick(['back\\slash']), ['public.back\\slash'], 'a backslash before another letter is itself');
  assert.deepEqual(pick(['100%_done']), ['public.100%_done'], '% and _ are not wildcards');
  assert.deepEqual(pick(['star\\*']), ['public.star*'], '\\* matches a star only');
  assert.deepEqual(pick(['what\\?']), ['public.what?'], '\\? matches a question mark only');
  assert.deepEqual(pick(['st*']), ['public.star*'], 'an unescaped star is a wildcard');
  assert.deepEqual(pick(['ünïcødé']), ['public.Ünïcødé'], 'unquoted: case-insensitive beyond ASCII too');
  assert.deepEqual(pick(['"ünïcødé"']), [], 'quoted: exact');
  assert.deepEqual(pick(['SELECT']), ['public.select'], 'reserved words are names like any other');
  assert.deepEqual(pick(['x'.repeat(63)]), [`public.${'x'.repeat(63)}`]);
});

test('glob matching backtracks correctly and stays linear on long names', () => {
  const m = (pattern: string, name: string) => nameMatches(parseNamePattern(pattern), name);
  assert.equal(m('a*b*c', 'aXbYbZc'), true);
  assert.equal(m('a*b*c', 'aXbYbZ'), false);
  assert.equal(m('*', ''), true);
  assert.equal(m('?', ''), false);
  assert.equal(m('**?', 'x'), true);
  assert.equal(m('*a', 'b'.repeat(10_000) + 'a'), true);
  assert.equal(m('a\\\\b', 'a\\b'), true, '\\\\ is one literal backslash');
});

test('--source-db-schema entries: exact first, then case-insensitive; quoted exactly; globs; the reported crash', () => {
  const existing = ['public', 'pg-schema', 'Sales', 'sales', 'Billing', 'a.b'];
  assert.deepEqual(resolveNames(['public', 'pg-schema'], existing), { found: ['public', 'pg-schema'], missing: [] }, 'a hyphenated schema resolves (it used to crash building a regex)');
  assert.deepEqual(resolveNames(['sales'], existing).found, ['sales'], 'an exact match wins over a case-insensitive one');
  assert.deepEqual(resolveNames(['SALES'], existing).found, ['Sales', 'sales'], 'no exact match: every case-insensitive one');
  assert.deepEqual(resolveNames(['billing'], existing).found, ['Billing']);
  assert.deepEqual(resolveNames(['"billing"'], existing), { found: [], missing: ['"billing"'] });
  assert.deepEqual(resolveNames(['"a.b"'], existing).found, ['a.b']);
  assert.deepEqual(resolveNames(['s*'], existing).found, ['Sales', 'sales']);
  assert.deepEqual(resolveNames(['sales', 'public'], existing).found, ['sales', 'public'], 'in the order asked');
  assert.throws(() => resolveNames(['a.b'], existing), /quote a name that contains dots/);
});
