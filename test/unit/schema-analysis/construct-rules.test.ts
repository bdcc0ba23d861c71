import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  advisoryLocks, copyFromWhere, fetchWithTies, largeObjectFunctions, listenNotify, mergeStatement, newerPostgresFeatures, systemColumns,
  twoPhaseCommit, xmlFunctions,
} from '../../../src/core/schema-analysis/rules/construct-rules.js';
import { ruleCases, run, useParser } from './rule-test-kit.js';

useParser();

const plpgsql = (body: string) => `CREATE FUNCTION s.f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ${body} END $$;`;

ruleCases(advisoryLocks, {
  reports: [
    [plpgsql('PERFORM pg_advisory_lock(42);'), /pg_advisory_lock in the body of function s\.f$/],
    [plpgsql('IF pg_try_advisory_xact_lock(1) THEN RETURN; END IF;'), /pg_try_advisory_xact_lock/],
    ['CREATE FUNCTION s.g() RETURNS bool LANGUAGE sql AS $$ SELECT pg_advisory_unlock_all() IS NULL $$;', /pg_advisory_unlock_all/],
    ['CREATE VIEW s.v AS SELECT pg_try_advisory_lock(id) FROM s.t;', /pg_try_advisory_lock$/],
    [plpgsql('PERFOM pg_advisory_lock(1);'), /pg_advisory_lock .*found by a text pattern/],
    ["CREATE FUNCTION s.p() RETURNS int LANGUAGE plpython3u AS $$ plpy.execute('select pg_advisory_lock(1)') $$;", /text pattern/],
  ],
  ignores: [
    plpgsql('PERFORM pg_sleep(1);'),
    // Only comments mention it: the regex fallback strips comments first.
    plpgsql('PERFOM 1; -- pg_advisory_lock(1) was removed'),
    "CREATE FUNCTION s.h(text) RETURNS int LANGUAGE c AS 'pg_advisory_lock', 'x';",
  ],
});

test('construct issues are PL/pgSQL issues inside bodies and unsupported features elsewhere', () => {
  assert.equal(run(advisoryLocks, plpgsql('PERFORM pg_advisory_lock(1);'))[0].category, 'unsupported_plpgsql_objects');
  assert.equal(run(advisoryLocks, 'CREATE VIEW s.v AS SELECT pg_advisory_lock(1);')[0].category, 'unsupported_features');
});

ruleCases(systemColumns, {
  reports: [
    ['CREATE VIEW s.v AS SELECT ctid, xmin, id FROM s.t;', /system column\(s\): (ctid, xmin|xmin, ctid)/],
    [plpgsql('UPDATE s.t SET x = 1 WHERE t.xmax = 0;'), /xmax/],
    ['CREATE POLICY p ON s.t USING (xmin::text <> \'\');', /xmin/],
  ],
  ignores: ['CREATE VIEW s.v AS SELECT id, tableoid FROM s.t;', plpgsql('PERFORM 1;')],
});

ruleCases(listenNotify, {
  reports: [
    [plpgsql('NOTIFY orders;'), /NOTIFY/],
    [plpgsql("PERFORM pg_notify('orders', 'x');"), /pg_notify/],
    ['LISTEN orders;', /LISTEN/],
  ],
  ignores: [plpgsql("RAISE NOTICE 'notify';")],
});

ruleCases(twoPhaseCommit, {
  reports: [["PREPARE TRANSACTION 'tx1';", /PREPARE TRANSACTION/], ["COMMIT PREPARED 'tx1';", /COMMIT PREPARED/]],
  ignores: ['COMMIT;', 'PREPARE q AS SELECT 1;'],
});

ruleCases(mergeStatement, {
  reports: [[plpgsql('MERGE INTO s.t USING s.u ON t.id = u.id WHEN MATCHED THEN DELETE;'), /MERGE/]],
  ignores: [plpgsql('INSERT INTO s.t VALUES (1) ON CONFLICT DO NOTHING;')],
});

ruleCases(copyFromWhere, {
  reports: [
    ["COPY s.t FROM '/tmp/x.csv' WITH (FORMAT csv) WHERE id > 10;", /COPY FROM … WHERE/],
    ["COPY s.t FROM STDIN WITH (FORMAT csv, ON_ERROR ignore);", /ON_ERROR/],
  ],
  ignores: ["COPY s.t FROM '/tmp/x.csv' WITH (FORMAT csv);", "COPY (SELECT * FROM s.t WHERE id > 1) TO STDOUT;"],
});

ruleCases(xmlFunctions, {
  reports: [
    ["CREATE VIEW s.v AS SELECT xmlelement(name a, id) FROM s.t;", /xmlelement/],
    ["CREATE VIEW s.v AS SELECT xpath('/a', doc::xml) FROM s.t;", /xpath/],
    ["CREATE VIEW s.v AS SELECT x.* FROM s.t, XMLTABLE('/r' PASSING doc COLUMNS a int) x;", /xmltable/],
  ],
  ignores: ['CREATE VIEW s.v AS SELECT jsonb_build_object(\'a\', id) FROM s.t;'],
});

ruleCases(largeObjectFunctions, {
  reports: [
    [plpgsql('PERFORM lo_unlink(123);'), /lo_unlink/],
    ['CREATE TRIGGER t BEFORE UPDATE ON s.img FOR EACH ROW EXECUTE FUNCTION lo_manage(raster);', /lo_manage/],
  ],
  ignores: [plpgsql('PERFORM lower(\'x\');')],
});

ruleCases(fetchWithTies, {
  reports: [['CREATE VIEW s.v AS SELECT * FROM s.t ORDER BY score DESC FETCH FIRST 3 ROWS WITH TIES;', /WITH TIES/]],
  ignores: ['CREATE VIEW s.v AS SELECT * FROM s.t ORDER BY score DESC FETCH FIRST 3 ROWS ONLY;'],
});

ruleCases(newerPostgresFeatures, {
  reports: [
    ["CREATE VIEW s.v AS SELECT JSON_OBJECT('a': id) FROM s.t;", /JSON_OBJECT/],
    ['CREATE VIEW s.v AS SELECT doc IS JSON AS ok FROM s.t;', /IS JSON/],
    ['CREATE VIEW s.v AS SELECT any_value(name) FROM s.t GROUP BY id;', /any_value/],
    ["CREATE VIEW s.v AS SELECT JSON_QUERY(doc, '$.a') FROM s.t;", /JSON_QUERY/],
  ],
  ignores: ["CREATE VIEW s.v AS SELECT jsonb_build_object('a', id), min(name) FROM s.t GROUP BY id;"],
});
