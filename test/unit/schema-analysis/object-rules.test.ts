import {
  collationDeterministicOption, createAccessMethod, createConversion, policyWithRoles, securityInvokerView, unsupportedExtension, viewWithCheckOption,
} from '../../../src/core/schema-analysis/rules/object-rules.js';
import { ruleCases, useParser } from './rule-test-kit.js';

useParser();

ruleCases(policyWithRoles, {
  reports: [['CREATE POLICY p ON s.t TO app_user, "Reporting" USING (true);', /role\(s\) app_user, "Reporting"/]],
  ignores: ['CREATE POLICY p ON s.t USING (true);', 'CREATE POLICY p ON s.t TO PUBLIC USING (true);', 'CREATE POLICY p ON s.t TO CURRENT_USER USING (true);'],
});

ruleCases(securityInvokerView, {
  reports: [
    ['CREATE VIEW s.v WITH (security_invoker = true) AS SELECT 1 AS x;', /s\.v is created WITH \(security_invoker\)/],
    ['CREATE VIEW s.v WITH (security_invoker) AS SELECT 1 AS x;', /security_invoker/],
  ],
  ignores: ['CREATE VIEW s.v WITH (security_invoker = false) AS SELECT 1 AS x;', 'CREATE VIEW s.v WITH (security_barrier) AS SELECT 1 AS x;'],
});

ruleCases(viewWithCheckOption, {
  reports: [
    ['CREATE VIEW s.v AS SELECT id FROM s.t WHERE id > 0 WITH CHECK OPTION;', /WITH CASCADED CHECK OPTION/],
    ['CREATE VIEW s.v AS SELECT id FROM s.t WITH LOCAL CHECK OPTION;', /WITH LOCAL CHECK OPTION/],
  ],
  ignores: ['CREATE VIEW s.v AS SELECT id FROM s.t;'],
});

ruleCases(collationDeterministicOption, {
  reports: [
    ["CREATE COLLATION s.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);", /non-deterministic/],
    ["CREATE COLLATION s.c2 (provider = icu, locale = 'de', deterministic = true);", /sets the deterministic option/],
  ],
  ignores: ["CREATE COLLATION s.c3 (provider = icu, locale = 'de');", 'CREATE COLLATION s.c4 FROM "C";'],
});

ruleCases(unsupportedExtension, {
  reports: [
    ['CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;', /postgis is not available/],
    ['CREATE EXTENSION timescaledb;', /timescaledb/],
  ],
  ignores: ['CREATE EXTENSION pgcrypto;', 'CREATE EXTENSION "uuid-ossp";', 'CREATE EXTENSION IF NOT EXISTS hstore WITH SCHEMA public;'],
});

ruleCases(createAccessMethod, {
  reports: [['CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler;', /CREATE ACCESS METHOD heap2/]],
  ignores: ['CREATE INDEX i ON s.t (a);'],
});

ruleCases(createConversion, {
  reports: [["CREATE CONVERSION s.myconv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;", /CREATE CONVERSION s\.myconv/]],
  ignores: ['CREATE CAST (text AS int) WITH INOUT;'],
});
