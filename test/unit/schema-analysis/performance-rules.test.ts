import { foreignKeyWithoutIndex, redundantIndex, timestampLeadingKey } from '../../../src/core/schema-analysis/rules/performance-rules.js';
import { ruleCases, useParser } from './rule-test-kit.js';

useParser();

const events = 'CREATE TABLE s.e (id bigint PRIMARY KEY, at timestamptz, d date, kind text);';

ruleCases(timestampLeadingKey, {
  reports: [
    [`${events} CREATE INDEX e_at ON s.e (at DESC);`, /index e_at starts with column at of type timestamptz/],
    [`${events} CREATE INDEX e_d ON s.e (d, kind);`, /type date/],
    ['CREATE TABLE s.log (at timestamp PRIMARY KEY, msg text);', /primary key of s\.log starts with column at/],
  ],
  ignores: [`${events} CREATE INDEX e_kind ON s.e (kind, at);`, `${events} CREATE INDEX e_at ON s.e USING brin (at);`],
});

ruleCases(redundantIndex, {
  reports: [
    [`${events} CREATE INDEX e_kind ON s.e (kind); CREATE INDEX e_kind_at ON s.e (kind, at);`, /e_kind \(kind\) is covered by index e_kind_at \(kind, at\)/],
    [`${events} CREATE INDEX e_id ON s.e (id);`, /covered by primary key \(id\)/],
  ],
  ignores: [
    `${events} CREATE INDEX e_kind ON s.e (kind); CREATE INDEX e_at_kind ON s.e (at, kind);`,
    `${events} CREATE INDEX e_kind ON s.e (kind) WHERE at IS NULL; CREATE INDEX e_kind_at ON s.e (kind, at);`,
    `${events} CREATE UNIQUE INDEX e_kind ON s.e (kind); CREATE INDEX e_kind_at ON s.e (kind, at);`,
  ],
});

const parent = 'CREATE TABLE s.p (id int PRIMARY KEY);';
ruleCases(foreignKeyWithoutIndex, {
  reports: [
    [`${parent} CREATE TABLE s.c (id int PRIMARY KEY, pid int); ALTER TABLE s.c ADD CONSTRAINT c_fk FOREIGN KEY (pid) REFERENCES s.p (id);`, /c_fk on s\.c \(pid\) has no index/],
    [`${parent} CREATE TABLE s.c (id int PRIMARY KEY, pid int REFERENCES s.p (id));`, /\(pid\) has no index/],
  ],
  ignores: [
    `${parent} CREATE TABLE s.c (id int PRIMARY KEY, pid int REFERENCES s.p (id)); CREATE INDEX c_pid ON s.c (pid);`,
    `${parent} CREATE TABLE s.c (pid int REFERENCES s.p (id), n int, PRIMARY KEY (pid, n));`,
  ],
});
