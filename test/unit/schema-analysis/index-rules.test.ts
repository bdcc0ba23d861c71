import { indexOnUnindexableType, multiColumnGinIndex, orderedGinIndex, unsupportedIndexMethod } from '../../../src/core/schema-analysis/rules/index-rules.js';
import { ruleCases, useParser } from './rule-test-kit.js';

useParser();

ruleCases(unsupportedIndexMethod, {
  reports: [
    ['CREATE INDEX g ON s.places USING gist (geom);', /GIST/],
    ['CREATE INDEX b ON s.logs USING brin (created_at);', /BRIN/],
    ['CREATE INDEX sp ON s.logs USING spgist (ip);', /SPGIST/],
  ],
  ignores: ['CREATE INDEX i ON s.t (a);', 'CREATE INDEX i ON s.t USING gin (doc);', 'CREATE INDEX i ON s.t USING hash (a);'],
});

ruleCases(multiColumnGinIndex, {
  reports: [['CREATE INDEX g ON s.t USING gin (doc, tags);', /2 key columns/]],
  ignores: ['CREATE INDEX g ON s.t USING gin (doc);', 'CREATE INDEX i ON s.t (a, b);'],
});

ruleCases(orderedGinIndex, {
  reports: [['CREATE INDEX g ON s.t USING gin (tags DESC);', /orders its keys/]],
  ignores: ['CREATE INDEX g ON s.t USING gin (tags);', 'CREATE INDEX i ON s.t (a DESC);'],
});

ruleCases(indexOnUnindexableType, {
  reports: [
    ['CREATE TABLE s.t (doc jsonb); CREATE INDEX i ON s.t (doc);', /key on column doc of type jsonb/],
    ['CREATE TABLE s.t (v tsvector); CREATE INDEX i ON s.t USING btree (v);', /type tsvector/],
    ['CREATE TABLE s.t (addr inet); CREATE UNIQUE INDEX i ON s.t (addr);', /type inet/],
    ['CREATE TABLE s.t (tags text[]); CREATE INDEX i ON s.t (tags);', /array type text\[\]/],
    ['CREATE TABLE s.t (p int4range); CREATE INDEX i ON s.t (p);', /type int4range/],
    ['CREATE TABLE s.t (x text); CREATE INDEX i ON s.t ((x::jsonb));', /expression of type jsonb/],
    ['CREATE TABLE s.p (id int, d interval) PARTITION BY RANGE (id); CREATE TABLE s.p1 PARTITION OF s.p FOR VALUES FROM (1) TO (9); CREATE INDEX i ON s.p1 (d);', /column d of type interval/],
  ],
  ignores: [
    'CREATE TABLE s.t (doc jsonb); CREATE INDEX i ON s.t USING gin (doc);',
    'CREATE TABLE s.t (id int, name text); CREATE INDEX i ON s.t (id, name);',
    "CREATE TYPE s.mood AS ENUM ('a'); CREATE TABLE s.t (m s.mood); CREATE INDEX i ON s.t (m);",
    'CREATE INDEX i ON s.unknown_table (c);',
  ],
});
