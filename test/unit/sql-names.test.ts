import assert from 'node:assert/strict';
import { test } from 'node:test';
import { qualified, quoteIdent, quoteLiteral } from '../../src/core/sql-names.js';
import { tableKey } from '../../src/core/change-event.js';

test('identifiers: always quoted, a double quote doubled; every other character kept as is', () => {
  assert.equal(quoteIdent('orders'), '"orders"');
  assert.equal(quoteIdent('Mixed Case.Dot "q"'), '"Mixed Case.Dot ""q"""');
  assert.equal(quoteIdent("it's \\ %_*?/Ünï"), '"it\'s \\ %_*?/Ünï"');
  assert.equal(qualified('pg-schema', 'a.b'), '"pg-schema"."a.b"', 'a dot inside a name is not a separator');
});

test("literals: a single quote doubled; backslashes are literal (standard_conforming_strings)", () => {
  assert.equal(quoteLiteral("it's"), "'it''s'");
  assert.equal(quoteLiteral('back\\slash'), "'back\\slash'");
});

test('table keys (meta.db, maps): distinct for names that only look alike when joined with a dot', () => {
  assert.notEqual(tableKey('a.b', 'c'), tableKey('a', 'b.c'));
  assert.notEqual(tableKey('a"', 'b'), tableKey('a', '"b'));
});
