/**
 * Precedence, in one place: flag > environment > config file > default. Each value remembers where it
 * came from so the log can say so (secrets masked).
 */
import { parseBool } from '../infra/bool.js';
import { UserError } from '../infra/errors.js';
import type { CommandSpec } from './command-table.js';
import { isEmptyValue, type ConfigFile } from './config-file.js';
import { configLocation, GLOBAL_OPTIONS, type OptionSpec, type OptionValue } from './option-spec.js';

export type Origin = 'flag' | 'env' | 'config' | 'default';

export class ResolvedOptions {
  constructor(
    private readonly values: Map<string, { value: OptionValue; origin: Origin }>,
    private readonly specs: Map<string, OptionSpec>,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }
  origin(name: string): Origin | undefined {
    return this.values.get(name)?.origin;
  }
  private get(name: string): OptionValue | undefined {
    if (!this.specs.has(name)) throw new Error(`option '${name}' is not declared for this command`);
    return this.values.get(name)?.value;
  }
  str(name: string): string | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : String(v);
  }
  int(name: string): number | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : Number(v);
  }
  bool(name: string): boolean | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : Boolean(v);
  }
  list(name: string): string[] | undefined {
    const v = this.get(name);
    return v === undefined ? undefined : (v as string[]);
  }
  /** Set a value found later (a password typed at a prompt). */
  set(name: string, value: OptionValue, origin: Origin): void {
    this.values.set(name, { value, origin });
  }
  /** For the log: every value and its origin, secrets masked. */
  describe(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, { value, origin }] of this.values) {
      out[name] = `${this.specs.get(name)?.secret ? '***' : JSON.stringify(value)} (${origin})`;
    }
    return out;
  }
}

export function convert(opt: OptionSpec, raw: unknown, where: string): OptionValue {
  const bad = (what: string) =>
    new UserError(`invalid value ${JSON.stringify(raw)} for ${where}: ${what}`, `use ${expected(opt)}`);
  switch (opt.type) {
    case 'string':
      if (typeof raw === 'object') throw bad('expected a string');
      return String(raw);
    case 'int': {
      const text = String(raw).trim();
      const n = typeof raw === 'number' ? raw : /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n)) throw bad('expected a whole number');
      return n;
    }
    case 'bool': {
      const b = parseBool(raw as string);
      if (b === undefined) throw bad('expected a boolean');
      return b;
    }
    case 'enum': {
      const s = String(raw);
      if (!opt.choices!.includes(s)) throw bad(`expected one of ${opt.choices!.join(', ')}`);
      return s;
    }
    case 'list':
      if (Array.isArray(raw)) return raw.map(String);
      if (!quotesBalance(String(raw))) throw bad('a double quote is not closed (write a name with commas or capitals as "Name", and a quote inside it as "")');
      return splitList(String(raw));
  }
}

/** Every double quote opened is closed ("" inside quotes is one quote character, so pairs always balance). */
function quotesBalance(s: string): boolean {
  return ((s.match(/"/g) ?? []).length & 1) === 0;
}

/** Comma-separated list; commas inside double quotes do not split, quotes are kept (they mean case-sensitive). */
export function splitList(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((x) => x.length > 0);
}

function expected(opt: OptionSpec): string {
  switch (opt.type) {
    case 'bool': return `--${opt.name} true|false|yes|no|1|0`;
    case 'int': return `--${opt.name} <number>`;
    case 'enum': return `--${opt.name} ${opt.choices!.join('|')}`;
    case 'list': return `--${opt.name} a,b,c`;
    default: return `--${opt.name} <value>`;
  }
}

export function allOptions(spec: CommandSpec): OptionSpec[] {
  return [...GLOBAL_OPTIONS, ...spec.options];
}

/**
 * flags: raw strings given on the command line, keyed by canonical option name.
 * Problems are collected and reported together.
 */
export function resolveOptions(
  spec: CommandSpec,
  flags: Map<string, unknown>,
  env: NodeJS.ProcessEnv,
  config: ConfigFile | undefined,
): ResolvedOptions {
  const values = new Map<string, { value: OptionValue; origin: Origin }>();
  const specs = new Map<string, OptionSpec>();
  const problems: UserError[] = [];
  for (const opt of allOptions(spec)) {
    specs.set(opt.name, opt);
    try {
      const fromConfig = config ? configValue(config, opt, spec) : undefined;
      if (flags.has(opt.name)) values.set(opt.name, { value: convert(opt, flags.get(opt.name), `--${opt.name}`), origin: 'flag' });
      else if (opt.env && env[opt.env] !== undefined && env[opt.env] !== '') values.set(opt.name, { value: convert(opt, env[opt.env], opt.env), origin: 'env' });
      else if (fromConfig) values.set(opt.name, { value: convert(opt, fromConfig.value, `${fromConfig.key} in ${config!.path}`), origin: 'config' });
      else if (opt.default !== undefined) values.set(opt.name, { value: opt.default, origin: 'default' });
    } catch (e) {
      if (e instanceof UserError) problems.push(e);
      else throw e;
    }
  }
  for (const opt of spec.options) {
    if (opt.required && !values.has(opt.name)) problems.push(new UserError(`required flag --${opt.name} is missing`, `add ${expected(opt)}`));
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new UserError(problems.map((p) => p.oneLine()).join(' | '));
  return new ResolvedOptions(values, specs);
}

function configValue(config: ConfigFile, opt: OptionSpec, spec: CommandSpec): { value: unknown; key: string } | undefined {
  const loc = configLocation(opt, spec.id);
  const sectionIds = loc.section === spec.id ? [spec.id, ...(spec.configAliases ?? [])] : loc.section ? [loc.section] : [];
  const candidates = sectionIds.length ? sectionIds.map((id) => config.sections[id]) : [config.global];
  for (const [i, section] of candidates.entries()) {
    if (!section) continue;
    for (const key of [loc.key, ...(opt.aliases ?? [])]) {
      if (!isEmptyValue(section[key])) {
        return { value: section[key], key: sectionIds.length ? `${sectionIds[i]}.${key}` : key };
      }
    }
  }
  return undefined;
}
