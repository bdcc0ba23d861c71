import {
  addPrimaryKeyToPartitionedTable, expressionPartitionWithKeys, multiColumnListPartition, partitionKeyNotInPrimaryKey,
} from '../../../src/core/schema-analysis/rules/partition-rules.js';
import { ruleCases, useParser } from './rule-test-kit.js';

useParser();

ruleCases(addPrimaryKeyToPartitionedTable, {
  reports: [['CREATE TABLE s.m (id int, d date) PARTITION BY RANGE (d); ALTER TABLE s.m ADD CONSTRAINT m_pk PRIMARY KEY (id, d);', /ADD PRIMARY KEY on a partitioned table/]],
  ignores: [
    'CREATE TABLE s.m (id int, d date); ALTER TABLE s.m ADD CONSTRAINT m_pk PRIMARY KEY (id);',
    'CREATE TABLE s.m (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);',
    'CREATE TABLE s.m (id int, d date) PARTITION BY RANGE (d); ALTER TABLE s.m ADD CONSTRAINT u UNIQUE (id, d);',
  ],
});

ruleCases(partitionKeyNotInPrimaryKey, {
  reports: [
    ['CREATE TABLE s.m (id int PRIMARY KEY, d date) PARTITION BY RANGE (d);', /partition column\(s\) d of s\.m are not in its primary key \(id\)/],
    ['CREATE TABLE s.m (id int, region text, d date) PARTITION BY LIST (region); ALTER TABLE s.m ADD CONSTRAINT m_pk PRIMARY KEY (id);', /region/],
  ],
  ignores: [
    'CREATE TABLE s.m (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);',
    'CREATE TABLE s.m (id int PRIMARY KEY, d date);',
  ],
});

ruleCases(expressionPartitionWithKeys, {
  reports: [['CREATE TABLE s.m (id int PRIMARY KEY, ts timestamp) PARTITION BY RANGE ((ts::date));', /partitioned by an expression and has a primary key/]],
  ignores: [
    'CREATE TABLE s.m (id int, ts timestamp) PARTITION BY RANGE ((ts::date));',
    'CREATE TABLE s.m (id int, ts timestamp, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);',
  ],
});

ruleCases(multiColumnListPartition, {
  reports: [['CREATE TABLE s.m (a text, b text) PARTITION BY LIST (a, b);', /LIST over 2 keys/]],
  ignores: ['CREATE TABLE s.m (a text, b text) PARTITION BY LIST (a);', 'CREATE TABLE s.m (a int, b int) PARTITION BY RANGE (a, b);'],
});
