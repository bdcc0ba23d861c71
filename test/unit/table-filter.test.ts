import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayName, filterTables, parseTablePattern, patternMatches, TablePatternError } from '../../src/core/table-filter.js';

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
