/** Option values: booleans, lists, numbers, precedence flag > env > config > default, config file validation. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { COMMANDS, type CommandSpec } from '../../src/cli/command-table.js';
import { loadConfigFile, validateConfig, type ConfigFile } from '../../src/cli/config-file.js';
import { opt } from '../../src/cli/option-spec.js';
import { resolveOptions, splitList } from '../../src/cli/resolve.js';
import { parseBool } from '../../src/infra/bool.js';
import { UserError } from '../../src/infra/errors.js';

const spec = (id: string): CommandSpec => COMMANDS.find((c) => c.id === id)!;

/** A command of our own so the tests do not depend on which options real commands have. */
const TEST_CMD: CommandSpec = {
  id: 'export-data-from-source',
  words: ['export', 'data', 'from', 'source'],
  configAliases: ['export-data'],
  summary: 'test',
  options: [
    opt({ name: 'source-db-host', type: 'string', default: 'localhost', description: '' }),
    opt({ name: 'source-db-port', type: 'int', description: '' }),
    opt({ name: 'source-db-password', type: 'string', secret: true, env: 'SOURCE_DB_PASSWORD', description: '' }),
    opt({ name: 'source-db-schema', type: 'list', description: '' }),
    opt({ name: 'start-clean', type: 'bool', default: false, description: '' }),
    opt({ name: 'parallel-jobs', type: 'int', default: 4, description: '' }),
  ],
};

function config(global: Record<string, unknown>, sections: Record<string, Record<string, unknown>>): ConfigFile {
  return { path: 'test.yaml', global, sections };
}

function usageError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('booleans', () => {
  test('true/false/yes/no/1/0 in any case, surrounding blanks ignored', () => {
    for (const v of ['true', 'TRUE', 'yes', 'Yes', '1', ' true ', 't', 'y']) assert.equal(parseBool(v), true, v);
    for (const v of ['false', 'False', 'no', 'NO', '0', 'f', 'n']) assert.equal(parseBool(v), false, v);
    assert.equal(parseBool(true), true);
    assert.equal(parseBool(0), false);
  });
  test('anything else is not a boolean', () => {
    for (const v of ['', 'maybe', '2', 'on', 'off', 'yess']) assert.equal(parseBool(v), undefined, v);
  });
  test('a bad boolean flag is a usage error naming the flag and the accepted values', () => {
    const e = usageError(() => resolveOptions(TEST_CMD, new Map([['start-clean', 'maybe']]), {}, undefined));
    assert.equal(e.kind, 'usage');
    assert.match(e.oneLine(), /"maybe" for --start-clean/);
    assert.match(e.oneLine(), /true\|false\|yes\|no\|1\|0/);
  });
});

describe('lists', () => {
  test('comma separated, blanks trimmed, empty items dropped', () => {
    assert.deepEqual(splitList('public, sales ,,hr'), ['public', 'sales', 'hr']);
    assert.deepEqual(splitList(''), []);
  });
  test('commas inside double quotes do not split, and the quotes are kept', () => {
    assert.deepEqual(splitList('"Weird,Name",plain'), ['"Weird,Name"', 'plain']);
  });
  test('a YAML sequence is a list too', () => {
    const o = resolveOptions(TEST_CMD, new Map(), {}, config({}, { source: { 'db-schema': ['a', 'b'] } }));
    assert.deepEqual(o.list('source-db-schema'), ['a', 'b']);
  });
});

describe('numbers', () => {
  test('whole numbers only', () => {
    assert.equal(resolveOptions(TEST_CMD, new Map([['parallel-jobs', '8']]), {}, undefined).int('parallel-jobs'), 8);
    for (const bad of ['8.5', 'eight', '', '0x10', '1e3']) {
      const e = usageError(() => resolveOptions(TEST_CMD, new Map([['parallel-jobs', bad]]), {}, undefined));
      assert.match(e.oneLine(), /--parallel-jobs/, bad);
    }
  });
});

describe('precedence: flag > env > config > default', () => {
  const cfg = config({}, { source: { 'db-password': 'from-config', 'db-host': 'cfg-host' }, 'export-data-from-source': { 'parallel-jobs': '7' } });
  test('flag wins over everything', () => {
    const o = resolveOptions(TEST_CMD, new Map([['source-db-password', 'from-flag'], ['source-db-host', 'flag-host']]), { SOURCE_DB_PASSWORD: 'from-env' }, cfg);
    assert.equal(o.str('source-db-password'), 'from-flag');
    assert.equal(o.origin('source-db-password'), 'flag');
    assert.equal(o.str('source-db-host'), 'flag-host');
  });
  test('env wins over the config file', () => {
    const o = resolveOptions(TEST_CMD, new Map(), { SOURCE_DB_PASSWORD: 'from-env' }, cfg);
    assert.equal(o.str('source-db-password'), 'from-env');
    assert.equal(o.origin('source-db-password'), 'env');
  });
  test('an empty env variable counts as unset', () => {
    const o = resolveOptions(TEST_CMD, new Map(), { SOURCE_DB_PASSWORD: '' }, cfg);
    assert.equal(o.str('source-db-password'), 'from-config');
  });
  test('config file wins over the default; the command section and the source: section are both read', () => {
    const o = resolveOptions(TEST_CMD, new Map(), {}, cfg);
    assert.equal(o.str('source-db-password'), 'from-config');
    assert.equal(o.origin('source-db-password'), 'config');
    assert.equal(o.str('source-db-host'), 'cfg-host');
    assert.equal(o.int('parallel-jobs'), 7);
  });
  test('the default when nothing else says', () => {
    const o = resolveOptions(TEST_CMD, new Map(), {}, undefined);
    assert.equal(o.int('parallel-jobs'), 4);
    assert.equal(o.origin('parallel-jobs'), 'default');
    assert.equal(o.has('source-db-password'), false);
  });
  test('an alias section (export-data) configures the command too', () => {
    const o = resolveOptions(TEST_CMD, new Map(), {}, config({}, { 'export-data': { 'parallel-jobs': '9' } }));
    assert.equal(o.int('parallel-jobs'), 9);
  });
  test('global keys at the top level', () => {
    const o = resolveOptions(TEST_CMD, new Map(), {}, config({ 'log-level': 'debug', yes: 'yes' }, {}));
    assert.equal(o.str('log-level'), 'debug');
    assert.equal(o.bool('yes'), true);
  });
  test('a bad value in the config file names the key and the file', () => {
    const e = usageError(() => resolveOptions(TEST_CMD, new Map(), {}, config({}, { 'export-data-from-source': { 'start-clean': 'perhaps' } })));
    assert.match(e.oneLine(), /export-data-from-source\.start-clean in test\.yaml/);
  });
  test('several bad values are reported together', () => {
    const e = usageError(() => resolveOptions(TEST_CMD, new Map([['start-clean', 'x'], ['parallel-jobs', 'y']]), {}, undefined));
    assert.match(e.oneLine(), /--start-clean/);
    assert.match(e.oneLine(), /--parallel-jobs/);
  });
  test('describe() masks secrets and says where each value came from', () => {
    const o = resolveOptions(TEST_CMD, new Map([['source-db-password', 'hunter2']]), {}, cfg);
    const d = JSON.stringify(o.describe());
    assert.ok(!d.includes('hunter2'));
    assert.match(d, /"source-db-password":"\*\*\* \(flag\)"/);
    assert.match(d, /"source-db-host":"\\"cfg-host\\" \(config\)"/);
  });
  test('required flags of a real command are reported when missing', () => {
    const e = usageError(() => resolveOptions(spec('end-migration'), new Map(), {}, undefined));
    for (const f of ['--backup-log-files', '--backup-data-files', '--backup-schema-files', '--save-migration-reports']) assert.match(e.oneLine(), new RegExp(f));
  });
});

describe('config file', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const write = (text: string): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ybv-cfg-'));
    dirs.push(dir);
    const f = path.join(dir, 'config.yaml');
    fs.writeFileSync(f, text);
    return f;
  };
  test('a valid file: global keys, source/target sections, command sections', () => {
    const f = write(['export-dir: /tmp/x', 'log-level: debug', 'source:', '  db-type: postgresql', '  db-host: h', '  db-port: 5432', 'target:', '  db-user: u', 'import-schema:', '  post-import-data: true', 'export-data:', '  export-type: snapshot-and-changes', ''].join('\n'));
    const c = loadConfigFile(f);
    assert.equal(c.global['export-dir'], '/tmp/x');
    assert.equal(c.sections.source['db-host'], 'h');
    assert.equal(c.sections['import-schema']['post-import-data'], 'true');
  });
  test('scalars stay as written: a password 0123 is not the number 123, yes is not true', () => {
    const c = loadConfigFile(write("source:\n  db-password: 0123\n  db-name: yes\n"));
    assert.equal(c.sections.source['db-password'], '0123');
    const o = resolveOptions(TEST_CMD, new Map(), {}, c);
    assert.equal(o.str('source-db-password'), '0123');
  });
  test('an empty section or value is the same as leaving it out', () => {
    const c = loadConfigFile(write('source:\ntarget:\n  db-host:\n'));
    const o = resolveOptions(TEST_CMD, new Map(), {}, c);
    assert.equal(o.str('source-db-host'), 'localhost');
  });
  test('every unknown key and section is reported at once', () => {
    const e = usageError(() => validateConfig('c.yaml', { 'log-levl': 'x', source: { 'db-hots': 'h', 'db-user': 'u' }, 'export-shema': {}, target: { 'ssl-mod': 'x' } }));
    const line = e.oneLine();
    assert.match(line, /4 problem/);
    for (const k of ["'log-levl'", "'source.db-hots'", "'export-shema'", "'target.ssl-mod'"]) assert.ok(line.includes(k), `${k} in ${line}`);
    assert.ok(!line.includes('db-user'));
  });
  test('a section and its alias both present is an error', () => {
    const e = usageError(() => validateConfig('c.yaml', { 'export-data': { 'parallel-jobs': 2 }, 'export-data-from-source': { 'parallel-jobs': 3 } }));
    assert.match(e.oneLine(), /'export-data-from-source' and 'export-data' mean the same command/);
    const e2 = usageError(() => validateConfig('c.yaml', { 'import-data': {}, 'import-data-to-target': { 'batch-size': 5 } }));
    assert.match(e2.oneLine(), /mean the same command/);
  });
  test('a section that is not a mapping', () => {
    const e = usageError(() => validateConfig('c.yaml', { source: 'localhost' }));
    assert.match(e.oneLine(), /section 'source' must be a mapping/);
  });
  test('invalid YAML, a missing file, a top level that is not a mapping', () => {
    assert.match(usageError(() => loadConfigFile(write('source: [unclosed\n'))).oneLine(), /not valid YAML/);
    assert.match(usageError(() => loadConfigFile('/nonexistent/config.yaml')).oneLine(), /cannot read config file .*ENOENT.*--config-file/);
    assert.match(usageError(() => loadConfigFile(write('- a\n- b\n'))).oneLine(), /must be a YAML mapping/);
  });
  test('duplicate keys are refused (YAML error), not silently overwritten', () => {
    assert.match(usageError(() => loadConfigFile(write('source:\n  db-host: a\n  db-host: b\n'))).oneLine(), /not valid YAML/);
  });
  test('every key the spec allows on every command has a home in the file', () => {
    // Derived from the option schemas: a flag of any command, written as a config key, is accepted.
    for (const cmd of COMMANDS) {
      const doc: Record<string, Record<string, unknown>> = {};
      for (const o of cmd.options) {
        const section = o.name.startsWith('source-') ? 'source' : o.name.startsWith('target-') ? 'target' : cmd.id;
        const key = section === cmd.id ? o.name : o.name.slice(section.length + 1);
        (doc[section] ??= {})[key] = 'x';
      }
      validateConfig('c.yaml', doc);
    }
  });
});

test('list flags: quoted names keep their commas; an unclosed quote is a one-line usage error', () => {
  assert.deepEqual(splitList('public,schema2,"Schema"'), ['public', 'schema2', '"Schema"']);
  assert.deepEqual(splitList('"a,b",c'), ['"a,b"', 'c']);
  assert.deepEqual(splitList('"say ""hi""",x'), ['"say ""hi"""', 'x']);
  assert.throws(
    () => resolveOptions(TEST_CMD, new Map([['source-db-schema', 'public,"Sales']]), {}, undefined),
    (e: Error) => /double quote is not closed/.test(e.message) && !e.message.includes('\n'),
  );
});
