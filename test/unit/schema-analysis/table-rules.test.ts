import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alterColumnSetAttribute, alterTableClusterOn, alterTableDisableRule, alterTableUnsupportedVariant, compressionClause, foreignTable,
  storageParameters, storedGeneratedColumn, tableInheritance, tablespaceClause, tableWithoutPrimaryKey, unloggedTable, withOids,
} from '../../../src/core/schema-analysis/rules/table-rules.js';
import { ruleCases, run, useParser } from './rule-test-kit.js';

useParser();

ruleCases(unloggedTable, {
  reports: [
    ['CREATE UNLOGGED TABLE s.t (id int PRIMARY KEY);', /s\.t is UNLOGGED/],
    ['ALTER TABLE s.t SET UNLOGGED;', /SET UNLOGGED/],
  ],
  ignores: ['CREATE TABLE s.t (id int PRIMARY KEY);', 'CREATE TEMP TABLE t (id int);', 'ALTER TABLE s.t SET LOGGED;'],
});

ruleCases(tableInheritance, {
  reports: [
    ['CREATE TABLE s.p (id int); CREATE TABLE s.c (x int) INHERITS (s.p);', /s\.c INHERITS from s\.p/],
    ['ALTER TABLE s.c INHERIT s.p;', /INHERIT/],
  ],
  ignores: [
    'CREATE TABLE s.p (id int) PARTITION BY RANGE (id); CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM (1) TO (10);',
    'CREATE TABLE s.t (LIKE s.p INCLUDING ALL);',
  ],
});

ruleCases(storedGeneratedColumn, {
  reports: [
    ['CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);', /b \(STORED\)/],
    ['ALTER TABLE t ADD COLUMN c text GENERATED ALWAYS AS (upper(x)) STORED;', /c \(STORED\)/],
  ],
  ignores: ['CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY, b int DEFAULT 2);'],
});

ruleCases(storageParameters, {
  reports: [
    ['CREATE TABLE t (id int) WITH (fillfactor = 70, autovacuum_enabled = false);', /table: fillfactor, autovacuum_enabled/],
    ['CREATE INDEX i ON t (id) WITH (fillfactor = 80);', /index: fillfactor/],
    ['CREATE TABLE t (id int, CONSTRAINT t_pk PRIMARY KEY (id) WITH (fillfactor = 90));', /constraint t_pk: fillfactor/],
    ['ALTER TABLE t SET (fillfactor = 50);', /fillfactor/],
    ['ALTER INDEX i SET (fillfactor = 50);', /fillfactor/],
  ],
  ignores: [
    'CREATE TABLE t (id int) WITH (colocation = false);',
    'CREATE INDEX i ON t (id);',
    'CREATE TABLE t (id int PRIMARY KEY);',
    'CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME t_seq START WITH 10 INCREMENT BY 5) PRIMARY KEY);',
  ],
});

ruleCases(withOids, {
  reports: [['CREATE TABLE t (id int) WITH (oids = true);', /OIDS/]],
  ignores: ['CREATE TABLE t (id int) WITH (oids = false);', 'CREATE TABLE t (id int);'],
});

ruleCases(compressionClause, {
  reports: [
    ['CREATE TABLE t (id int, doc text COMPRESSION lz4);', /doc COMPRESSION lz4/],
    ['ALTER TABLE t ALTER COLUMN doc SET COMPRESSION pglz;', /doc SET COMPRESSION/],
  ],
  ignores: ['CREATE TABLE t (id int, doc text);'],
});

ruleCases(foreignTable, {
  reports: [["CREATE FOREIGN TABLE s.remote (id int) SERVER other_db OPTIONS (table_name 'x');", /uses server other_db/]],
  ignores: ['CREATE TABLE s.local (id int PRIMARY KEY);'],
});

ruleCases(tableWithoutPrimaryKey, {
  reports: [
    ['CREATE TABLE s.t (id int, name text);', /s\.t has no primary key/],
    ['CREATE TABLE s.p (id int, d date) PARTITION BY RANGE (d); CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM (\'2024-01-01\') TO (\'2025-01-01\');', /partitioned table/],
  ],
  ignores: [
    'CREATE TABLE s.t (id int PRIMARY KEY);',
    'CREATE TABLE s.t (id int, CONSTRAINT t_pk PRIMARY KEY (id));',
    'CREATE TABLE s.t (id int NOT NULL); ALTER TABLE ONLY s.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);',
    'CREATE TABLE s.p (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d); CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM (\'2024-01-01\') TO (\'2025-01-01\');',
    'CREATE TEMP TABLE t (id int);',
  ],
});

test('TABLE_WITHOUT_PRIMARY_KEY names a UNIQUE NOT NULL key as the candidate', () => {
  const [issue] = run(tableWithoutPrimaryKey, 'CREATE TABLE s.t (code text NOT NULL, note text, CONSTRAINT t_code UNIQUE (code));');
  assert.match(issue.suggestion, /PRIMARY KEY \(code\)/);
  const [nullable] = run(tableWithoutPrimaryKey, 'CREATE TABLE s.t (code text, CONSTRAINT t_code UNIQUE (code));');
  assert.doesNotMatch(nullable.suggestion, /candidate/);
});

ruleCases(alterTableClusterOn, {
  reports: [['ALTER TABLE ONLY s.t CLUSTER ON t_pkey;', /CLUSTER ON t_pkey/]],
  ignores: ['ALTER TABLE s.t ADD COLUMN x int;', 'CLUSTER s.t USING t_pkey;'],
});

ruleCases(alterTableDisableRule, {
  reports: [['ALTER TABLE s.t DISABLE RULE r1;', /DISABLE RULE r1/]],
  ignores: ['ALTER TABLE s.t ENABLE RULE r1;', 'ALTER TABLE s.t DISABLE TRIGGER ALL;'],
});

ruleCases(alterColumnSetAttribute, {
  reports: [['ALTER TABLE s.t ALTER COLUMN c SET (n_distinct = 100);', /ALTER COLUMN c SET\/RESET \(n_distinct\)/]],
  ignores: ['ALTER TABLE s.t ALTER COLUMN c SET NOT NULL;', 'ALTER TABLE s.t ALTER COLUMN c SET STATISTICS 100;'],
});

ruleCases(alterTableUnsupportedVariant, {
  reports: [
    ['ALTER TABLE s.t SET WITHOUT CLUSTER;', /SET WITHOUT CLUSTER/],
    ['ALTER TABLE s.t OF s.some_type;', /OF <type>/],
    ['ALTER TABLE s.t ALTER CONSTRAINT fk DEFERRABLE;', /ALTER CONSTRAINT/],
  ],
  ignores: ['ALTER TABLE s.t ADD CONSTRAINT c CHECK (x > 0);', 'ALTER TABLE s.t OWNER TO app;'],
});

ruleCases(tablespaceClause, {
  reports: [
    ['CREATE TABLE t (id int) TABLESPACE fast_ssd;', /fast_ssd/],
    ['CREATE INDEX i ON t (id) TABLESPACE idx_space;', /idx_space/],
    ['ALTER TABLE t SET TABLESPACE archive;', /archive/],
  ],
  ignores: ['CREATE TABLE t (id int) TABLESPACE pg_default;', 'CREATE TABLE t (id int);'],
});
