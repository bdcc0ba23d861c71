/**
 * The YAML config file: global keys at the top, `source:` and `target:` connection sections, and one
 * section per command. Every unknown key is an error, and all of them are reported at once.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { UserError } from '../infra/errors.js';
import { COMMANDS } from './command-table.js';
import { GLOBAL_OPTIONS, configLocation } from './option-spec.js';

/** The YAML parser, loaded only when a config file is given (loading it costs every process ~0.1 s of CPU). */
const parseYaml = (text: string, options: { schema: 'failsafe' }): unknown =>
  (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text, options);

export type ConfigSection = Record<string, unknown>;
export interface ConfigFile {
  path: string;
  global: ConfigSection;
  sections: Record<string, ConfigSection>;
}

/** Every key each section may hold, derived from the option schemas of all commands. */
function knownKeys(): { global: Set<string>; sections: Map<string, Set<string>> } {
  const global = new Set(GLOBAL_OPTIONS.map((o) => o.name));
  const sections = new Map<string, Set<string>>([['source', new Set()], ['target', new Set()]]);
  for (const cmd of COMMANDS) {
    for (const id of [cmd.id, ...(cmd.configAliases ?? [])]) if (!sections.has(id)) sections.set(id, new Set());
    for (const o of cmd.options) {
      const loc = configLocation(o, cmd.id);
      if (!loc.section) continue;
      const ids = loc.section === cmd.id ? [cmd.id, ...(cmd.configAliases ?? [])] : [loc.section];
      for (const id of ids) {
        sections.get(id)!.add(loc.key);
        for (const a of o.aliases ?? []) sections.get(id)!.add(a);
      }
    }
  }
  return { global, sections };
}

export function loadConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`, 'check the path given to --config-file');
  }
  let doc: unknown;
  try {
    // Every scalar stays a string (failsafe schema): a password like 0123 or yes must reach us as written,
    // not as the number 123 or the boolean true. resolve.ts converts each value by its option's type.
    doc = parseYaml(text, { schema: 'failsafe' }) ?? {};
  } catch (e) {
    throw new UserError(`config file ${path} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, 'fix the YAML syntax');
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UserError(`config file ${path} must be a YAML mapping`, 'see docs/config-file.md');
  return validateConfig(path, doc as Record<string, unknown>);
}

export function validateConfig(path: string, doc: Record<string, unknown>): ConfigFile {
  const known = knownKeys();
  const problems: string[] = [];
  const global: ConfigSection = {};
  const sections: Record<string, ConfigSection> = {};
  for (const [key, value] of Object.entries(doc)) {
    const allowed = known.sections.get(key);
    if (allowed) {
      if (isEmptyValue(value)) continue;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`section '${key}' must be a mapping`);
        continue;
      }
      for (const k of Object.keys(value)) if (!allowed.has(k)) problems.push(`unknown key '${key}.${k}'`);
      sections[key] = value as ConfigSection;
    } else if (known.global.has(key)) {
      global[key] = value;
    } else {
      problems.push(`unknown key or section '${key}'`);
    }
  }
  for (const cmd of COMMANDS) {
    const present = [cmd.id, ...(cmd.configAliases ?? [])].filter((id) => sections[id]);
    if (present.length > 1) problems.push(`sections ${present.map((p) => `'${p}'`).join(' and ')} mean the same command; keep one`);
  }
  if (problems.length) {
    throw new UserError(`config file ${path} has ${problems.length} problem(s): ${problems.join('; ')}`, 'fix them (see docs/config-file.md for the keys)');
  }
  return { path, global, sections };
}

/** `key:` with nothing after it (or `~`): the same as leaving the key out. */
export function isEmptyValue(value: unknown): boolean {
  return value === null || value === undefined || value === '' || value === '~';
}
