/** argv → command and flags: aliases, both spellings, --flag=value, optional boolean values, errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS } from '../../src/cli/command-table.js';
import { parseArgv, type ParsedArgv } from '../../src/cli/parse-argv.js';
import { UserError } from '../../src/infra/errors.js';

function command(argv: string[]): Extract<ParsedArgv, { kind: 'command' }> {
  const p = parseArgv(argv);
  assert.equal(p.kind, 'command', `parsed as ${p.kind}`);
  return p as Extract<ParsedArgv, { kind: 'command' }>;
}

function usageError(argv: string[]): string {
  try {
    parseArgv(argv);
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    assert.equal(e.kind, 'usage');
    assert.ok(!e.oneLine().includes('\n'));
    return e.oneLine();
  }
  assert.fail(`${argv.join(' ')} should be refused`);
}

describe('command words', () => {
  test('`export data` and `export data from source` are the same command; so are the import spellings', () => {
    assert.equal(command(['export', 'data', '-e', '/x']).spec.id, 'export-data-from-source');
    assert.equal(command(['export', 'data', 'from', 'source', '-e', '/x']).spec.id, 'export-data-from-source');
    assert.equal(command(['import', 'data', '-e', '/x']).spec.id, 'import-data-to-target');
    assert.equal(command(['import', 'data', 'to', 'target', '-e', '/x']).spec.id, 'import-data-to-target');
    assert.equal(command(['import', 'data', 'to', 'source']).spec.id, 'import-data-to-source');
    assert.equal(command(['export', 'data', 'from', 'target']).spec.id, 'export-data-from-target');
  });
  test('every command of the table parses by its words', () => {
    for (const c of COMMANDS) assert.equal(command([...c.words]).spec.id, c.id);
  });
  test('partial command words name the commands they could start', () => {
    const line = usageError(['export', '-e', '/x']);
    assert.match(line, /'export' needs more words/);
    assert.match(line, /yb-voyager export schema/);
    assert.match(line, /yb-voyager export data from source/);
    assert.match(usageError(['initiate', 'cutover']), /initiate cutover to target.*initiate cutover to source/);
    assert.match(usageError(['cutover']), /cutover status/);
  });
  test('`export data from` (a prefix beyond an alias) names both directions instead of a generic error', () => {
    const line = usageError(['export', 'data', 'from', '-e', '/x']);
    assert.match(line, /'export data from' needs more words/);
    assert.match(line, /export data from source/);
    assert.match(line, /export data from target/);
  });
  test('a stray word after a full command', () => {
    assert.match(usageError(['cutover', 'status', 'now']), /unexpected argument 'now' after 'yb-voyager cutover status'/);
  });
  test('an unknown command', () => {
    assert.match(usageError(['exprot', 'schema']), /unknown command 'exprot'.*--help/);
  });
  test('help and version', () => {
    const top = parseArgv([]);
    assert.equal(top.kind, 'help');
    assert.equal(parseArgv(['--help']).kind, 'help');
    assert.equal(parseArgv(['export', '--help']).kind, 'help');
    assert.equal(parseArgv(['--version']).kind, 'version');
    const h = parseArgv(['import', 'schema', '--help']);
    assert.equal(h.kind, 'help');
    assert.match((h as { text: string }).text, /--target-db-host/);
    assert.match((h as { text: string }).text, /--post-snapshot-import/);
  });
});

describe('flags', () => {
  test('--flag value, --flag=value and the short forms', () => {
    const { flags } = command(['export', 'schema', '--export-dir=/a', '--source-db-host', 'h', '--source-db-port=5433', '-l', 'debug']);
    assert.equal(flags.get('export-dir'), '/a');
    assert.equal(flags.get('source-db-host'), 'h');
    assert.equal(flags.get('source-db-port'), '5433');
    assert.equal(flags.get('log-level'), 'debug');
    assert.equal(command(['export', 'schema', '-e', '/b']).flags.get('export-dir'), '/b');
  });
  test('booleans: bare, with a value (`--start-clean true`, the spec\'s form), with =', () => {
    assert.equal(command(['export', 'schema', '--start-clean']).flags.get('start-clean'), 'true');
    assert.equal(command(['export', 'schema', '--start-clean', 'true']).flags.get('start-clean'), 'true');
    assert.equal(command(['export', 'schema', '--start-clean', 'false', '-e', '/x']).flags.get('start-clean'), 'false');
    assert.equal(command(['export', 'schema', '--start-clean=no']).flags.get('start-clean'), 'no');
    const bare = command(['end', 'migration', '--yes', '--backup-dir', '/b']);
    assert.equal(bare.flags.get('yes'), 'true');
    assert.equal(bare.flags.get('backup-dir'), '/b');
    assert.equal(command(['end', 'migration', '-y']).flags.get('yes'), 'true');
  });
  test('--post-import-data is the older spelling of --post-snapshot-import', () => {
    assert.equal(command(['import', 'schema', '--post-import-data', 'true']).flags.get('post-snapshot-import'), 'true');
    assert.equal(command(['import', 'schema', '--post-snapshot-import']).flags.get('post-snapshot-import'), 'true');
    assert.match(usageError(['import', 'schema', '--post-import-data', 'true', '--post-snapshot-import', 'true']), /given twice/);
  });
  test('unknown flag: one line naming it and the --help of the command', () => {
    const line = usageError(['export', 'schema', '--source-db-hots', 'x']);
    assert.match(line, /unknown option '--source-db-hots'/);
    assert.match(line, /yb-voyager export schema --help/);
  });
  test('a flag of another command is unknown here', () => {
    assert.match(usageError(['cutover', 'status', '--target-db-host', 'x']), /unknown option '--target-db-host'/);
  });
  test('a value-taking flag without its value', () => {
    assert.match(usageError(['export', 'schema', '--source-db-host']), /argument missing/);
  });
  test('flags only parse; values are checked later (resolve.ts)', () => {
    assert.equal(command(['export', 'schema', '--source-db-port', 'abc']).flags.get('source-db-port'), 'abc');
  });
});
