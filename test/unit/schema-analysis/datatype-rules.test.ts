import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fallBackUnsupportedDatatype, liveMigrationUnsupportedDatatype, unsupportedDatatype } from '../../../src/core/schema-analysis/rules/datatype-rules.js';
import { ruleCases, run, useParser } from './rule-test-kit.js';

useParser();

ruleCases(unsupportedDatatype, {
  reports: [
    ['CREATE TABLE s.t (id int, body xml);', /column s\.t\.body has type xml/],
    ['CREATE TABLE s.t (id int, tx xid);', /type xid/],
    ['CREATE TABLE s.t (id int, pos pg_lsn);', /type pg_lsn/],
    ['CREATE TABLE s.t (id int, snap txid_snapshot);', /type txid_snapshot/],
    ['CREATE TABLE s.t (id int, g public.geometry(Point, 4326));', /public\.geometry \(PostGIS type\)/],
    ['CREATE TABLE s.t (id int, g geography);', /PostGIS/],
    ['CREATE TABLE s.t (id int, r int8multirange);', /int8multirange \(multirange type\)/],
    ['CREATE TABLE s.t (id int, blob lo);', /lo \(large object\)/],
    ['CREATE TABLE s.t (id int); ALTER TABLE s.t ADD COLUMN doc xml;', /column s\.t\.doc has type xml/],
    ['CREATE TABLE s.t (id int, body text); ALTER TABLE s.t ALTER COLUMN body TYPE xml USING body::xml;', /body has type xml/],
    ['CREATE TYPE s.pair AS (a int, payload xml);', /attribute payload of type s\.pair has type xml/],
    ['CREATE DOMAIN s.doc AS xml;', /domain base type has type xml/],
    ['CREATE TYPE s.floatrange AS RANGE (subtype = float8); CREATE TABLE s.t (id int, r s.floatmultirange);', /multirange type s\.floatmultirange/],
  ],
  ignores: [
    'CREATE TABLE s.t (id int, body text, doc jsonb, at timestamptz, n numeric(10,2), r int4range);',
    "CREATE TYPE s.xml AS ENUM ('a'); CREATE TABLE s.t (id int, v s.xml);",
  ],
});

test('UNSUPPORTED_DATATYPE links the documentation of the type it found', () => {
  const [xml] = run(unsupportedDatatype, 'CREATE TABLE s.t (id int, body xml);');
  assert.match(xml.docsLink, /#data-ingestion-on-xml-data-type-is-not-supported$/);
  assert.match(xml.gh, /yugabyte-db\/issues\/1043$/);
  assert.match(xml.suggestion, /text/);
  const [geo] = run(unsupportedDatatype, 'CREATE TABLE s.t (id int, g geometry);');
  assert.match(geo.gh, /issues\/11323$/);
});

ruleCases(liveMigrationUnsupportedDatatype, {
  reports: [
    ['CREATE TABLE s.t (id int PRIMARY KEY, p point);', /p has type point, whose changes live migration cannot stream/],
    ['CREATE TABLE s.t (id int PRIMARY KEY, opens timetz);', /type timetz/],
    ['CREATE TABLE s.t (id int PRIMARY KEY, emb vector(3));', /type vector/],
    ['CREATE TABLE s.t (id int PRIMARY KEY, shapes polygon[]);', /type polygon\[\]/],
    ['CREATE DOMAIN s.loc AS point; CREATE TABLE s.t (id int PRIMARY KEY, l s.loc);', /type s\.loc \(over point\)/],
  ],
  ignores: ['CREATE TABLE s.t (id int PRIMARY KEY, at time, ts timestamptz);', 'CREATE TYPE s.c AS (p point);'],
});

ruleCases(fallBackUnsupportedDatatype, {
  reports: [
    ["CREATE TYPE s.mood AS ENUM ('ok'); CREATE TABLE s.t (id int PRIMARY KEY, m s.mood);", /user-defined enum type s\.mood/],
    ['CREATE TYPE s.pair AS (a int, b int); CREATE TABLE s.t (id int PRIMARY KEY, p s.pair[]);', /composite type s\.pair\[\]/],
    ['CREATE DOMAIN s.email AS text; CREATE TABLE s.t (id int PRIMARY KEY, e s.email);', /domain type s\.email/],
    ['CREATE TABLE s.t (id int PRIMARY KEY, q tsquery);', /type tsquery/],
  ],
  ignores: ['CREATE TABLE s.t (id int PRIMARY KEY, v tsvector, d jsonb);'],
});
