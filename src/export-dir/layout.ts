/**
 * Every path inside the export directory, in one module. Nothing else joins export-dir paths by hand.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../infra/errors.js';

export const SUBDIRS = ['schema', 'data', 'data/queue', 'reports', 'metainfo', 'logs', 'temp'] as const;

export class ExportDir {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The export dir must exist (as in the reference tool); its subdirectories are created on first use. */
  static open(root: string | undefined): ExportDir {
    if (!root) throw new UserError('required flag --export-dir is missing', 'create a directory (mkdir $HOME/export-dir) and pass --export-dir $HOME/export-dir');
    const dir = new ExportDir(root);
    let st: fs.Stats;
    try {
      st = fs.statSync(dir.root);
    } catch {
      throw new UserError(`export directory ${dir.root} does not exist`, `create it first: mkdir -p ${dir.root}`);
    }
    if (!st.isDirectory()) throw new UserError(`--export-dir ${dir.root} is not a directory`, 'pass the path of a directory');
    for (const sub of SUBDIRS) fs.mkdirSync(path.join(dir.root, sub), { recursive: true });
    return dir;
  }

  get schemaDir() { return path.join(this.root, 'schema'); }
  schemaFile(objectType: string) { return path.join(this.root, 'schema', objectType, `${objectType}.sql`); }
  get failedSchemaFile() { return path.join(this.root, 'schema', 'failed.sql'); }
  get dataDir() { return path.join(this.root, 'data'); }
  dataFile(name: string) { return path.join(this.root, 'data', name); }
  get queueDir() { return path.join(this.root, 'data', 'queue'); }
  segmentFile(segmentNo: number) { return path.join(this.root, 'data', 'queue', `segment.${segmentNo}.ndjson`); }
  get reportsDir() { return path.join(this.root, 'reports'); }
  reportFile(name: string) { return path.join(this.root, 'reports', name); }
  get metainfoDir() { return path.join(this.root, 'metainfo'); }
  /** SQL for a DBA to run by hand on the source (export schema writes it for engines that need it). */
  dbaScriptFile(name: string) { return path.join(this.root, 'scripts', name); }
  get scriptsDir() { return path.join(this.root, 'scripts'); }
  get stateDb() { return path.join(this.root, 'metainfo', 'meta.db'); }
  /** Rewritten by the queue writer at each commit, watched by caught-up readers (queue-signal.ts). */
  get queueSignalFile() { return path.join(this.root, 'metainfo', 'queue-commits.signal'); }
  get logsDir() { return path.join(this.root, 'logs'); }
  logFile(commandId: string) { return path.join(this.root, 'logs', `${commandId}.log`); }
  get tempDir() { return path.join(this.root, 'temp'); }
  lockFile(commandId: string) { return path.join(this.root, `.${commandId}.lck`); }
  /** The command ids that have a lock file here (running, or left by a process that died). */
  lockedCommandIds(): string[] {
    return fs.readdirSync(this.root).flatMap((name) => /^\.(.+)\.lck$/.exec(name)?.[1] ?? []);
  }
}
