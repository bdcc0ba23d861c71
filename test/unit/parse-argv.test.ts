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
    assert.match(usageError(['frobnicate', '-e', '/x']), /unknown command 'frobnicate'.*--help/);
  });
  test('a misspelt command gets the nearest spelling', () => {
    assert.match(usageError(['export', 'schemaa', '-e', '/x']), /unknown command 'export schemaa'; did you mean `export schema`\?/);
    assert.match(usageError(['exprot', 'schema']), /did you mean `export schema`\?/);
    assert.match(usageError(['import', 'dat', '-e', '/x']), /did you mean `import data`\?/);
    assert.match(usageError(['analyse-schema']), /did you mean `analyze-schema`\?/);
    // A misspelling after a complete alias (`export data`) is still a misspelling, not a stray word.
    assert.match(usageError(['export', 'data', 'fro', 'source']), /did you mean `export data from source`\?/);
    assert.match(usageError(['get', 'data-migraton-report']), /did you mean `get data-migration-report`\?/);
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
  test('a misspelt flag gets the nearest flag of this command', () => {
    assert.match(usageError(['export', 'schema', '--source-db-hots', 'x']), /did you mean --source-db-host\?/);
    assert.match(usageError(['import', 'data', '--parallel-job', '4']), /did you mean --parallel-jobs\?/);
    assert.match(usageError(['export', 'schema', '--exportdir=/x']), /unknown option '--exportdir'.*did you mean --export-dir\?/);
  });
  test('a flag of another command is unknown here, with no far-fetched suggestion', () => {
    const line = usageError(['cutover', 'status', '--target-db-host', 'x']);
    assert.match(line, /unknown option '--target-db-host'/);
    assert.doesNotMatch(line, /did you mean/);
  });
  test('--help shows the source port of each engine and the target\'s own default', () => {
    const h = parseArgv(['export', 'data', 'from', 'source', '--help']) as { text: string };
    const flat = h.text.replace(/\s+/g, ' ');
    assert.match(flat, /--source-db-port <number> source database port \[default: 5432 for postgresql, 3306 for mysql, 1521 for oracle\]/);
    assert.doesNotMatch(flat, /\[default: 0\]/);
    const t = parseArgv(['import', 'data', '--help']) as { text: string };
    assert.match(t.text.replace(/\s+/g, ' '), /--target-db-port <number> target database port \[default: 5433\]/);
  });
  test('a value-taking flag without its value', () => {
    assert.match(usageError(['export', 'schema', '--source-db-host']), /argument missing/);
  });
  test('flags only parse; values are checked later (resolve.ts)', () => {
    assert.equal(command(['export', 'schema', '--source-db-port', 'abc']).flags.get('source-db-port'), 'abc');
  });
});
