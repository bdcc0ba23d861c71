import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readRoutineBody, parseSql } from '../../../src/core/schema-analysis/sql-parser.js';
import { cLanguageFunction, percentTypeInSignature, sqlBodyFunction } from '../../../src/core/schema-analysis/rules/routine-rules.js';
import { ruleCases, useParser } from './rule-test-kit.js';

useParser();

ruleCases(sqlBodyFunction, {
  reports: [
    ['CREATE FUNCTION s.f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a + 1; SELECT a + 2; END;', /function s\.f has a SQL-standard body/],
    ['CREATE FUNCTION s.g(a int) RETURNS int LANGUAGE sql RETURN a * 2;', /s\.g/],
    ['CREATE PROCEDURE s.p() LANGUAGE sql BEGIN ATOMIC INSERT INTO s.t VALUES (1); END;', /procedure s\.p/],
  ],
  ignores: ['CREATE FUNCTION s.f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a + 1 $$;'],
});

ruleCases(cLanguageFunction, {
  reports: [["CREATE FUNCTION s.h(text) RETURNS int LANGUAGE c STRICT AS '$libdir/h', 'h';", /s\.h is written in C/]],
  ignores: ['CREATE FUNCTION s.f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;', "CREATE FUNCTION s.i() RETURNS int LANGUAGE internal AS 'int4in';"],
});

ruleCases(percentTypeInSignature, {
  reports: [
    ['CREATE FUNCTION s.f(p_id s.t.id%TYPE) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;', /parameter p_id with %TYPE/],
    ['CREATE FUNCTION s.f(a int) RETURNS s.t.name%TYPE LANGUAGE sql AS $$ SELECT name FROM s.t $$;', /return type with %TYPE/],
  ],
  ignores: ['CREATE FUNCTION s.f(a int) RETURNS int LANGUAGE plpgsql AS $$ DECLARE v s.t.id%TYPE; BEGIN RETURN 1; END $$;'],
});

function body(sql: string) {
  const r = parseSql(sql);
  assert.ok(r.ok);
  return readRoutineBody(r.statements[0].tree, sql)!;
}

test('PL/pgSQL bodies are read with the PL/pgSQL parser and every embedded statement is parsed', () => {
  const b = body(`CREATE FUNCTION s.f(a int) RETURNS int LANGUAGE plpgsql AS $$
    DECLARE v int := pg_try_advisory_lock(1); r record;
    BEGIN
      v := pg_advisory_xact_lock(a);
      IF v > 0 THEN PERFORM 1; END IF;
      FOR r IN SELECT ctid FROM s.t LOOP NULL; END LOOP;
      RETURN v;
    END $$;`);
  assert.equal(b.analysis, 'plpgsql-parser');
  assert.deepEqual(b.unparsed, []);
  const kinds = b.trees.map((t) => Object.keys(t)[0]);
  assert.ok(kinds.every((k) => k === 'SelectStmt'), kinds.join(','));
  assert.ok(b.trees.length >= 5, `expected every expression, got ${b.trees.length}`);
});

test('%TYPE in the signature does not stop the body from being parsed', () => {
  const b = body('CREATE FUNCTION s.f(p s.t.id%TYPE) RETURNS s.t.id%TYPE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify(\'c\', \'x\'); RETURN p; END $$;');
  assert.equal(b.analysis, 'plpgsql-parser');
  assert.match(JSON.stringify(b.trees), /pg_notify/);
});

test('a body the PL/pgSQL parser rejects falls back to text patterns, with the reason kept', () => {
  const b = body('CREATE FUNCTION s.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFOM 1; END $$;');
  assert.equal(b.analysis, 'regex');
  assert.match(b.note ?? '', /PERFOM/);
  assert.match(b.text, /PERFOM 1/);
});

test('SQL bodies are parsed as SQL; C bodies are not analysed; DO blocks are PL/pgSQL', () => {
  const sql = body('CREATE FUNCTION s.f() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM s.t; SELECT 1; $$;');
  assert.equal(sql.analysis, 'sql-parser');
  assert.equal(sql.trees.length, 2);
  const c = body("CREATE FUNCTION s.h(text) RETURNS int LANGUAGE c AS '$libdir/h', 'h';");
  assert.equal(c.analysis, 'none');
  const d = body("DO $$ BEGIN PERFORM pg_advisory_lock(1); END $$;");
  assert.equal(d.analysis, 'plpgsql-parser');
  assert.equal(d.trees.length, 1);
  const py = body("CREATE FUNCTION s.p() RETURNS int LANGUAGE plpython3u AS $$ return 1 $$;");
  assert.equal(py.analysis, 'regex');
});
