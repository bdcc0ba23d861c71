/**
 * argv → (command, flags). Command words are matched by longest prefix (so both `export data` and
 * `export data from source` work); the command's flags are parsed by commander, which also renders --help.
 */
import { Command, CommanderError, Option } from 'commander';
import { UserError } from '../infra/errors.js';
import { nearestSpelling } from '../core/nearest-spelling.js';
import { COMMANDS, matchCommand, type CommandSpec } from './command-table.js';
import { allOptions } from './resolve.js';
import type { OptionSpec } from './option-spec.js';

export type ParsedArgv =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'command'; spec: CommandSpec; flags: Map<string, unknown> };

export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  const lines = COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}${c.load ? '' : ' (not implemented yet)'}`);
  return [
    'yb-voyager: live migration with fall-back to YugabyteDB or any PostgreSQL-compatible database',
    '',
    'Usage: yb-voyager <command> --export-dir <dir> [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    'Aliases: `export data` = `export data from source`, `import data` = `import data to target`.',
    'Run `yb-voyager <command> --help` for the flags of a command.',
  ].join('\n');
}

export function parseArgv(argv: readonly string[]): ParsedArgv {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return { kind: 'help', text: topLevelHelp() };
  if (argv[0] === '--version' || argv[0] === 'version') return { kind: 'version' };
  const words = leadingWords(argv);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const match = matchCommand(argv);
  if (!match || words.length > match.consumed) {
    // `export`, `export data from`, `cutover`: the start of one or more commands, not a command.
    const partial = COMMANDS.filter((c) => words.length < c.words.length && words.every((w, i) => c.words[i] === w));
    if (partial.length && wantsHelp) return { kind: 'help', text: topLevelHelp() };
    if (partial.length) {
      throw new UserError(`'${words.join(' ')}' needs more words`, `did you mean: ${partial.map((c) => `yb-voyager ${c.words.join(' ')}`).join(', ')}`);
    }
    const typo = nearestSpelling(words.join(' '), commandSpellings());
    // A typo of the command that matched is a stray word after it (`cutover status now`), not a misspelling.
    if (typo && (!match || typo !== words.slice(0, match.consumed).join(' '))) {
      throw new UserError(`unknown command '${words.join(' ')}'`, `did you mean \`${typo}\`? (yb-voyager --help lists the commands)`);
    }
    if (match) {
      throw new UserError(
        `unexpected argument '${words[match.consumed]}' after 'yb-voyager ${argv.slice(0, match.consumed).join(' ')}'`,
        `run yb-voyager ${match.spec.words.join(' ')} --help for the flags`,
      );
    }
    throw new UserError(`unknown command '${argv[0]}'`, 'run yb-voyager --help to list the commands');
  }
  const { spec, consumed } = match;
  const cmd = buildCommander(spec);
  let helpText: string | undefined;
  cmd.configureOutput({ writeOut: (s) => (helpText = (helpText ?? '') + s), writeErr: () => undefined });
  try {
    cmd.parse([...argv.slice(consumed)], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help') return { kind: 'help', text: (helpText ?? cmd.helpInformation()).trimEnd() };
      if (e.code === 'commander.unknownOption') throw unknownFlag(e.message, spec);
      throw new UserError(e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '), `run yb-voyager ${spec.words.join(' ')} --help for the flags`);
    }
    throw e;
  }
  const flags = new Map<string, unknown>();
  for (const opt of allOptions(spec)) {
    for (const spelling of [opt.name, ...(opt.aliases ?? [])]) {
      const key = attributeName(spelling);
      if (cmd.getOptionValueSource(key) === 'cli') {
        if (flags.has(opt.name)) throw new UserError(`--${opt.name} is given twice (once as --${spelling})`, 'keep one spelling');
        flags.set(opt.name, cmd.getOptionValue(key));
      }
    }
  }
  return { kind: 'command', spec, flags };
}

/** Every way to name a command, canonical words first so a tie suggests the documented spelling. */
function commandSpellings(): string[] {
  return [...COMMANDS.map((c) => c.words.join(' ')), ...COMMANDS.flatMap((c) => (c.aliases ?? []).map((a) => a.join(' ')))];
}

/** `unknown option '--source-db-hots'` → the same, with the nearest flag of this command as the fix. */
function unknownFlag(commanderMessage: string, spec: CommandSpec): UserError {
  const typed = /'(--?[^'=]+)/.exec(commanderMessage)?.[1] ?? '';
  const flags = allOptions(spec).filter((o) => !o.hidden).flatMap((o) => [o.name, ...(o.aliases ?? [])].map((s) => `--${s}`));
  const typo = typed.startsWith('--') ? nearestSpelling(typed, flags) : undefined;
  const helpHint = `run yb-voyager ${spec.words.join(' ')} --help for the flags`;
  return new UserError(`unknown option '${typed}'`, typo ? `did you mean ${typo}? (${helpHint})` : helpHint);
}

/** The command words: everything before the first flag. */
function leadingWords(argv: readonly string[]): string[] {
  const firstFlag = argv.findIndex((a) => a.startsWith('-'));
  return firstFlag < 0 ? [...argv] : argv.slice(0, firstFlag);
}

function attributeName(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function buildCommander(spec: CommandSpec): Command {
  const cmd = new Command(`yb-voyager ${spec.words.join(' ')}`)
    .description(spec.summary)
    .exitOverride()
    .showSuggestionAfterError(false)
    .allowExcessArguments(false)
    .helpOption('-h, --help', 'show the flags of this command');
  for (const opt of allOptions(spec)) {
    for (const spelling of [opt.name, ...(opt.aliases ?? [])]) cmd.addOption(toCommanderOption(opt, spelling));
  }
  return cmd;
}

function toCommanderOption(opt: OptionSpec, spelling: string): Option {
  const short = spelling === opt.name && opt.short ? `-${opt.short}, ` : '';
  // Booleans take an optional value so both `--yes` and `--start-clean true` (the spec's form) work.
  const value = opt.type === 'bool' ? ' [bool]' : opt.type === 'int' ? ' <number>' : ' <value>';
  const o = new Option(`${short}--${spelling}${value}`, spelling === opt.name ? describe(opt) : `alias of --${opt.name}`);
  if (opt.type === 'bool') o.preset('true');
  if (opt.hidden || spelling !== opt.name) o.hideHelp();
  return o;
}

function describe(opt: OptionSpec): string {
  const parts = [opt.description];
  if (opt.choices) parts.push(`(${opt.choices.join('|')})`);
  if (opt.default !== undefined) parts.push(`[default: ${opt.default}]`);
  if (opt.defaultNote) parts.push(`[default: ${opt.defaultNote}]`);
  if (opt.env) parts.push(`[env: ${opt.env}]`);
  if (opt.required) parts.push('(required)');
  return parts.join(' ');
}
