import {
  deferrableConstraint, exclusionConstraint, foreignKeyToPartitionedTable, keyOnUnindexableType, uniqueNullsNotDistinct,
} from '../../../src/core/schema-analysis/rules/constraint-rules.js';
import { ruleCases, useParser } from './rule-test-kit.js';

useParser();

ruleCases(exclusionConstraint, {
  reports: [
    ['CREATE TABLE r (during tsrange, CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&));', /EXCLUDE constraint no_overlap on public\.r \(USING gist\)/],
    ['ALTER TABLE r ADD CONSTRAINT x EXCLUDE USING gist (room WITH =, during WITH &&);', /EXCLUDE constraint x/],
  ],
  ignores: ['CREATE TABLE r (id int PRIMARY KEY, CONSTRAINT c CHECK (id > 0));'],
});

ruleCases(deferrableConstraint, {
  reports: [
    ['CREATE TABLE t (id int, CONSTRAINT u UNIQUE (id) DEFERRABLE INITIALLY DEFERRED);', /DEFERRABLE UNIQUE constraint u on public\.t/],
    ['CREATE TABLE t (id int PRIMARY KEY DEFERRABLE);', /DEFERRABLE PRIMARY KEY constraint/],
    ['ALTER TABLE ONLY t ADD CONSTRAINT t_pk PRIMARY KEY (id) DEFERRABLE;', /PRIMARY KEY constraint t_pk/],
  ],
  ignores: [
    'CREATE TABLE t (id int REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);',
    'ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (pid) REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED;',
    'CREATE TABLE t (id int UNIQUE NOT DEFERRABLE);',
  ],
});

ruleCases(uniqueNullsNotDistinct, {
  reports: [
    ['CREATE TABLE t (a int, b int, CONSTRAINT u UNIQUE NULLS NOT DISTINCT (a, b));', /UNIQUE NULLS NOT DISTINCT constraint u/],
    ['CREATE UNIQUE INDEX ui ON t (a) NULLS NOT DISTINCT;', /unique index ui with NULLS NOT DISTINCT/],
  ],
  ignores: ['CREATE TABLE t (a int UNIQUE);', 'CREATE UNIQUE INDEX ui ON t (a) NULLS DISTINCT;'],
});

const partitioned = 'CREATE TABLE s.events (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);';
ruleCases(foreignKeyToPartitionedTable, {
  reports: [
    [`${partitioned} CREATE TABLE s.refs (id int PRIMARY KEY, eid int, ed date); ALTER TABLE s.refs ADD CONSTRAINT refs_fk FOREIGN KEY (eid, ed) REFERENCES s.events (id, d);`, /refs_fk on s\.refs references partitioned table s\.events/],
    [`${partitioned} CREATE TABLE s.refs (id int PRIMARY KEY, eid int, ed date, FOREIGN KEY (eid, ed) REFERENCES s.events (id, d));`, /references partitioned table s\.events/],
  ],
  ignores: ['CREATE TABLE s.p (id int PRIMARY KEY); CREATE TABLE s.c (id int PRIMARY KEY, pid int REFERENCES s.p (id));'],
});

ruleCases(keyOnUnindexableType, {
  reports: [
    ['CREATE TABLE t (doc jsonb PRIMARY KEY);', /PRIMARY KEY constraint on public\.t includes column doc of type jsonb/],
    ['CREATE TABLE t (id int PRIMARY KEY, addr inet, CONSTRAINT u UNIQUE (addr));', /UNIQUE constraint u on public\.t includes column addr of type inet/],
    ['CREATE TYPE s.pair AS (a int, b int); CREATE TABLE s.t (p s.pair, CONSTRAINT t_pk PRIMARY KEY (p));', /composite type s\.pair/],
    ['CREATE TABLE t (tags text[], CONSTRAINT t_pk PRIMARY KEY (tags));', /array type text\[\]/],
    ['CREATE DOMAIN s.doc AS jsonb; CREATE TABLE s.t (d s.doc); ALTER TABLE s.t ADD CONSTRAINT t_pk PRIMARY KEY (d);', /domain s\.doc over type jsonb/],
  ],
  ignores: [
    'CREATE TABLE t (id bigint PRIMARY KEY, doc jsonb);',
    "CREATE TYPE s.mood AS ENUM ('a'); CREATE TABLE s.t (m s.mood PRIMARY KEY);",
    'CREATE DOMAIN s.code AS text; CREATE TABLE s.t (c s.code PRIMARY KEY);',
  ],
});
