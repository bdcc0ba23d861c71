import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSchemaFile, renderSchemaFile } from '../../src/core/schema-files.js';
import { createdObjectName, indexTarget, planImport } from '../../src/core/schema-import-plan.js';
import { renameSchema } from '../../src/core/schema-rename.js';
import { topoSort } from '../../src/core/topo-sort.js';

describe('parseSchemaFile', () => {
  test('splits on semicolons outside quotes, comments, dollar bodies and BEGIN ATOMIC bodies', () => {
    const text = [
      '-- yb-voyager export schema: functions',
      '',
      '-- FUNCTION: public.f(integer)',
      "CREATE OR REPLACE FUNCTION public.f(i integer) RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN 'a;b'; END $body$;",
      '',
      '-- FUNCTION: public.g()',
      'CREATE FUNCTION public.g() RETURNS int LANGUAGE sql',
      'BEGIN ATOMIC',
      '  SELECT CASE WHEN true THEN 1 ELSE 2 END;',
      '  SELECT 2;',
      'END;',
      "COMMENT ON TABLE \"a;b\".t IS E'it\\'s; fine' /* a ; comment */;",
      "SELECT 'x'; -- trailing; comment",
    ].join('\n');
    const stmts = parseSchemaFile(text);
    assert.deepEqual(
      stmts.map((s) => [s.line, s.header?.objectType, s.header?.name]),
      [
        [4, 'FUNCTION', 'public.f(integer)'],
        [7, 'FUNCTION', 'public.g()'],
        [12, undefined, undefined],
        [13, undefined, undefined],
      ],
    );
    assert.match(stmts[0].sql, /\$body\$ BEGIN RETURN 'a;b'; END \$body\$$/);
    assert.match(stmts[1].sql, /SELECT 2;\nEND$/);
    // A comment right before the semicolon is not part of the statement.
    assert.equal(stmts[2].sql, "COMMENT ON TABLE \"a;b\".t IS E'it\\'s; fine'");
    assert.equal(stmts[3].sql, "SELECT 'x'");
  });

  test('reads back what renderSchemaFile writes', () => {
    const text = renderSchemaFile('preamble\nsecond line', [
      { objectType: 'TABLE', name: 'public."T"', sql: 'CREATE TABLE public."T" (id int)' },
      { objectType: 'COMMENT', name: 'TABLE public."T"', sql: "COMMENT ON TABLE public.\"T\" IS 'x;y'" },
    ]);
    assert.match(text, /^-- preamble\n-- second line\n\n-- TABLE: public\."T"\nCREATE TABLE public\."T" \(id int\);\n\n/);
    assert.deepEqual(
      parseSchemaFile(text).map((s) => [s.header?.objectType, s.header?.name, s.sql]),
      [
        ['TABLE', 'public."T"', 'CREATE TABLE public."T" (id int)'],
        ['COMMENT', 'TABLE public."T"', "COMMENT ON TABLE public.\"T\" IS 'x;y'"],
      ],
    );
  });
});

describe('renameSchema', () => {
  test('rewrites qualified names, SCHEMA names, reg* literals and search_path lists; leaves bodies and other strings', () => {
    const sql =
      "CREATE TABLE public.t (id int DEFAULT nextval('public.t_id_seq'::regclass), p \"public\".\"T\", note text DEFAULT 'public.x', k public.mood);";
    assert.equal(
      renameSchema(sql, 'public', 'Store'),
      "CREATE TABLE \"Store\".t (id int DEFAULT nextval('\"Store\".t_id_seq'::regclass), p \"Store\".\"T\", note text DEFAULT 'public.x', k \"Store\".mood);",
    );
    assert.equal(renameSchema('CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public', 'public', 'app'), 'CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA app');
    assert.equal(renameSchema('CREATE SCHEMA IF NOT EXISTS "Src"', 'Src', 'dst'), 'CREATE SCHEMA IF NOT EXISTS dst');
    assert.equal(renameSchema("COMMENT ON SCHEMA src IS 'src.x'", 'src', 'Dst'), 'COMMENT ON SCHEMA "Dst" IS \'src.x\'');
    assert.equal(
      renameSchema("CREATE FUNCTION public.f() RETURNS int LANGUAGE sql\n SET search_path TO 'public', 'pg_temp'\nAS $f$ SELECT count(*) FROM public.t $f$", 'public', 'app'),
      "CREATE FUNCTION app.f() RETURNS int LANGUAGE sql\n SET search_path TO 'app', 'pg_temp'\nAS $f$ SELECT count(*) FROM public.t $f$",
    );
    // A column that happens to be called like the schema is not a schema reference.
    assert.equal(renameSchema('SELECT t.public FROM public.t', 'public', 'app'), 'SELECT t.public FROM app.t');
  });
});

describe('import plan', () => {
  const file = (dir: string, ...sql: string[]) => ({ dir, file: `schema/${dir}/${dir}.sql`, statements: sql.map((s, i) => ({ sql: s, line: i + 1 })) });

  test('orders steps for the default run and leaves non-unique indexes, triggers and mview refreshes for later', () => {
    const plan = planImport([
      file('triggers', 'CREATE TRIGGER t BEFORE INSERT ON public.a FOR EACH ROW EXECUTE FUNCTION public.f()'),
      file('indexes', 'CREATE INDEX i ON public.a (x)', 'COMMENT ON INDEX public.i IS $$x$$', 'CREATE UNIQUE INDEX u ON public.a (y)', 'ALTER TABLE public.a CLUSTER ON u'),
      file('tables', 'CREATE TABLE public.a (x int, y int)'),
      file('sequences', 'CREATE SEQUENCE public.s', 'ALTER SEQUENCE public.s OWNED BY public.a.x'),
      file('mviews', 'CREATE MATERIALIZED VIEW public."M v" AS SELECT 1\nWITH NO DATA'),
      file('functions', 'CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$'),
    ]);
    assert.deepEqual(
      plan.map((p) => [p.step, p.sql.split(' ').slice(0, 3).join(' ')]),
      [
        ['sequences', 'CREATE SEQUENCE public.s'],
        ['functions', 'CREATE FUNCTION public.f()'],
        ['tables', 'CREATE TABLE public.a'],
        ['sequence ownership', 'ALTER SEQUENCE public.s'],
        ['unique indexes', 'CREATE UNIQUE INDEX'],
        ['unique indexes', 'ALTER TABLE public.a'],
        ['mviews', 'CREATE MATERIALIZED VIEW'],
        ['indexes', 'CREATE INDEX i'],
        ['indexes', 'COMMENT ON INDEX'],
        ['triggers', 'CREATE TRIGGER t'],
        ['refresh mviews', 'REFRESH MATERIALIZED VIEW'],
      ],
    );
    assert.equal(plan[plan.length - 1].sql, 'REFRESH MATERIALIZED VIEW public."M v"');
  });

  test('names of created objects and the index a CREATE INDEX makes', () => {
    assert.equal(createdObjectName('CREATE MATERIALIZED VIEW IF NOT EXISTS "S"."m v" AS SELECT 1'), '"S"."m v"');
    assert.deepEqual(indexTarget('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Idx" ON ONLY "Sch".t (a)'), { index: 'Idx', schema: 'Sch' });
    assert.deepEqual(indexTarget('create index idx_A on t using btree (a)'), { index: 'idx_a', schema: undefined });
    assert.equal(indexTarget('CREATE INDEX ON t (a)'), undefined);
    assert.equal(indexTarget('CREATE TABLE t (a int)'), undefined);
  });
});

test('topoSort keeps input order except where a dependency needs to come first', () => {
  const items = [
    { k: 'a_top', deps: ['y_middle'] },
    { k: 'other', deps: [] },
    { k: 'y_middle', deps: ['z_base', 'outside'] },
    { k: 'z_base', deps: ['a_top_cycle'] },
    { k: 'a_top_cycle', deps: ['z_base'] },
  ];
  assert.deepEqual(
    topoSort(items, (i) => i.k, (i) => i.deps).map((i) => i.k),
    ['a_top_cycle', 'z_base', 'y_middle', 'a_top', 'other'],
  );
});
