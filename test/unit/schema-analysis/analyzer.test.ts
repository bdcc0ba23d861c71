import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeStatements, guessObject } from '../../../src/core/schema-analysis/analyzer.js';
import { objectOf } from '../../../src/core/schema-analysis/object-identity.js';
import { summarizeObjects } from '../../../src/core/schema-analysis/report.js';
import { ALL_RULES } from '../../../src/core/schema-analysis/rules/index.js';
import { CATEGORIES, type Rule } from '../../../src/core/schema-analysis/types.js';
import { parseSchemaText } from '../../../src/workflows/analyze-schema.js';
import { useParser } from './rule-test-kit.js';

useParser();

test('at least 30 rules, each with a unique id, a known category, a name and a suggestion', () => {
  assert.ok(ALL_RULES.length >= 30, `only ${ALL_RULES.length} rules`);
  assert.equal(new Set(ALL_RULES.map((r) => r.id)).size, ALL_RULES.length);
  for (const r of ALL_RULES) {
    assert.match(r.id, /^[A-Z0-9_]+$/);
    assert.ok(CATEGORIES.includes(r.category), r.id);
    assert.ok(r.name && r.suggestion, r.id);
  }
});

test('objects are named from the parse tree, not from the comments before them', () => {
  const stmts = parseSchemaText(
    [
      '-- table: wrong.name',
      'CREATE TABLE "Sales"."Order Items" (id int);',
      'CREATE INDEX "Idx" ON "Sales"."Order Items" (id);',
      'CREATE OR REPLACE FUNCTION app.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;',
      'CREATE PROCEDURE app.p() LANGUAGE sql AS $$ SELECT 1 $$;',
      'CREATE MATERIALIZED VIEW app.mv AS SELECT 1;',
      'CREATE TRIGGER trg AFTER INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.f();',
      'ALTER TABLE ONLY app.t ADD CONSTRAINT t_pk PRIMARY KEY (id);',
      "COMMENT ON TABLE app.t IS 'x';",
      "SET client_encoding = 'UTF8';",
    ].join('\n'),
    'f.sql',
  );
  assert.deepEqual(
    stmts.map((s) => s.object && `${s.defines ? '+' : '~'}${s.object.type}:${s.object.name}`),
    [
      '+TABLE:"Sales"."Order Items"',
      '+INDEX:"Idx" ON "Sales"."Order Items"',
      '+FUNCTION:app.f',
      '+PROCEDURE:app.p',
      '+MVIEW:app.mv',
      '+TRIGGER:trg ON app.t',
      '~TABLE:app.t',
      undefined,
      undefined,
    ],
  );
  assert.equal(objectOf(undefined), undefined);
});

test('a statement the parser rejects is an UNSUPPORTED_PG_SYNTAX issue and does not hide the next one', () => {
  const stmts = parseSchemaText('CREATE TABLE s.bad (id int,, x int);\nCREATE UNLOGGED TABLE s.good (id int PRIMARY KEY);', 'f.sql');
  const { issues } = analyzeStatements(stmts);
  const syntax = issues.find((i) => i.ruleId === 'UNSUPPORTED_PG_SYNTAX');
  assert.ok(syntax);
  assert.equal(syntax.objectType, 'TABLE');
  assert.equal(syntax.objectName, 's.bad');
  assert.match(syntax.reason, /syntax error at or near ","/);
  assert.ok(issues.some((i) => i.ruleId === 'UNLOGGED_TABLE' && i.objectName === 's.good' && i.line === 2));
});

test('guessObject names unparsable CREATE statements, and falls back to the leading words', () => {
  assert.deepEqual(guessObject('CREATE OR REPLACE FUNCTION app.f( oops'), { type: 'FUNCTION', name: 'app.f' });
  assert.deepEqual(guessObject('CREATE UNIQUE INDEX IF NOT EXISTS ix ON t ((('), { type: 'INDEX', name: 'ix' });
  assert.deepEqual(guessObject('GRANT ALL ON t TO ;'), { type: 'UNCATEGORIZED', name: 'GRANT ALL' });
});

test('a rule that throws is reported as a failure, the other rules still run', () => {
  const broken: Rule = { id: 'BROKEN', name: 'b', category: 'unsupported_features', suggestion: 's', check: () => { throw new Error('boom'); } };
  const stmts = parseSchemaText('CREATE UNLOGGED TABLE t (id int PRIMARY KEY);', 'f.sql');
  const { issues, ruleFailures } = analyzeStatements(stmts, [broken, ...ALL_RULES]);
  assert.deepEqual(ruleFailures.map((f) => [f.ruleId, f.error, f.line]), [['BROKEN', 'boom', 1]]);
  assert.ok(issues.some((i) => i.ruleId === 'UNLOGGED_TABLE'));
});

test('issues are sorted by category, then file and line', () => {
  const stmts = parseSchemaText('CREATE TABLE t (id int);\nCREATE UNLOGGED TABLE u (id int PRIMARY KEY, x xml);', 'f.sql');
  const { issues } = analyzeStatements(stmts);
  const ranks = issues.map((i) => CATEGORIES.indexOf(i.category));
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
  assert.deepEqual(issues.map((i) => i.ruleId), ['UNLOGGED_TABLE', 'UNSUPPORTED_DATATYPE', 'TABLE_WITHOUT_PRIMARY_KEY']);
});

test('summary counts defined objects per type; invalid ones exclude performance advice', () => {
  const stmts = parseSchemaText(
    [
      'CREATE TABLE s.a (id int PRIMARY KEY, at timestamptz);',
      'CREATE UNLOGGED TABLE s.b (id int PRIMARY KEY);',
      'CREATE INDEX a_at ON s.a (at);', // performance advice only
      'CREATE INDEX b_g ON s.b USING gist (id);',
      'ALTER TABLE s.a CLUSTER ON a_at;',
    ].join('\n'),
    'f.sql',
  );
  const { issues } = analyzeStatements(stmts);
  const summary = summarizeObjects(stmts, issues);
  assert.deepEqual(summary, [
    { ObjectType: 'TABLE', TotalCount: 2, InvalidCount: 2, ObjectNames: 's.a, s.b' },
    { ObjectType: 'INDEX', TotalCount: 2, InvalidCount: 1, ObjectNames: 'a_at ON s.a, b_g ON s.b' },
  ]);
});
