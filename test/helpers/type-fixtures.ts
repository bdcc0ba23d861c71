/**
 * A table with a value of every type of the snapshot fidelity list (numeric with 1000 digits, NaN and
 * ±Infinity, timestamptz with µs and ±infinity, bytea with NUL bytes, nested arrays with NULLs, json with
 * duplicate keys, enums, domains, composites, ranges, bit varying with leading zeros, money, network
 * types, tsvector, uuid, text with every awkward character, NULL versus empty string), keyed by a
 * numeric, a text and a timestamptz column. Shared by the change-apply tests.
 */
export const TYPES_DDL = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE DOMAIN posint AS int CHECK (VALUE > 0);
  CREATE TYPE pair AS (a int, b text);
  CREATE TABLE ty (
    k_num numeric, k_txt text, k_ts timestamptz,
    n numeric, n2 numeric(12,3), f8 float8, f4 real, i8 bigint,
    ts timestamp, tstz timestamptz, d date, t time, ttz timetz, iv interval,
    b bytea, arr int[], arr2 text[], j json, jb jsonb, e mood, dom posint, comp pair, r int4range, tr tstzrange,
    bv bit varying(16), bt bit(4), m money, ip inet, cid cidr, mac macaddr, tsv tsvector, uid uuid,
    s text, vc varchar(5), ch char(3), bo boolean, pt point,
    PRIMARY KEY (k_num, k_txt, k_ts))`;

export const TYPE_ROWS = `
  INSERT INTO ty VALUES
  (1.5, 'it''s "q" \\ x', '2024-01-02 03:04:05.123456+00',
   ('9' || repeat('8', 998) || '.5')::numeric, 'NaN', 'Infinity', '-Infinity', 9223372036854775807,
   '-infinity', 'infinity', '2024-02-29', '23:59:59.999999', '12:00:00.000001-03', '1 year 2 mons 3 days 04:05:06.789',
   '\\x00ff0000', '{1,NULL,3}', '{{"a b",NULL},{"c\\"d","e,f"}}', '{"a":1, "a" :2,   "b": [1 ,2]}', '{"z": {"y": [1, 2.50]}}', 'happy', 7, '(1,"x y")', '[1,5)', '[2024-01-01 00:00:00+00,infinity)',
   '0001011', '1010', '12.34', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', 'fat:2 cat:3 a:1', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   E'tab\\there\\nnewline ''q'' "dq" back\\\\slash é 😀', 'abc', 'ab', true, '(1.5,-2)'),
  (-0.000000000000000000001, '', '1999-12-31 23:59:59.999999+00',
   '-1e-30', '-0.001', '-0.0', '3.4e38', -9223372036854775808,
   '2000-01-01 00:00:00.000001', '1970-01-01 00:00:00+00', '0001-01-01 BC', '00:00:00', '00:00:00+14', '-1 days +00:00:00.000001',
   '\\x', '{}', '{}', '[]', 'null', 'sad', 1, '(,)', 'empty', '(,)',
   '', '0000', '-0.01', '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '', '00000000-0000-0000-0000-000000000000',
   '', '', '', false, '(0,0)'),
  (42, 'NULL', 'infinity',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`;

