import { beforeRowTriggerOnPartitionedTable, constraintTrigger, triggerReferencingClause } from '../../../src/core/schema-analysis/rules/trigger-rules.js';
import { ruleCases, useParser } from './rule-test-kit.js';

useParser();

ruleCases(constraintTrigger, {
  reports: [['CREATE CONSTRAINT TRIGGER c AFTER INSERT ON s.t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION s.f();', /CONSTRAINT TRIGGER c on s\.t/]],
  ignores: ['CREATE TRIGGER c AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f();'],
});

ruleCases(triggerReferencingClause, {
  reports: [
    ['CREATE TRIGGER a AFTER UPDATE ON s.t REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION s.f();', /REFERENCING OLD TABLE AS o NEW TABLE AS n/],
  ],
  ignores: ['CREATE TRIGGER a AFTER UPDATE ON s.t FOR EACH ROW EXECUTE FUNCTION s.f();'],
});

const partitioned = 'CREATE TABLE s.p (id int, d date) PARTITION BY RANGE (d);';
ruleCases(beforeRowTriggerOnPartitionedTable, {
  reports: [[`${partitioned} CREATE TRIGGER b BEFORE INSERT ON s.p FOR EACH ROW EXECUTE FUNCTION s.f();`, /BEFORE ROW trigger b on partitioned table s\.p/]],
  ignores: [
    `${partitioned} CREATE TRIGGER b AFTER INSERT ON s.p FOR EACH ROW EXECUTE FUNCTION s.f();`,
    `${partitioned} CREATE TRIGGER b BEFORE INSERT ON s.p FOR EACH STATEMENT EXECUTE FUNCTION s.f();`,
    'CREATE TABLE s.t (id int); CREATE TRIGGER b BEFORE INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f();',
  ],
});
