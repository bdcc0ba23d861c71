/**
 * Passwords: flag, then SOURCE_DB_PASSWORD / TARGET_DB_PASSWORD (resolve.ts), then a no-echo prompt —
 * only on a terminal. Without a terminal and without a password the error names both ways to give one.
 */
import { UserError } from '../infra/errors.js';
import { registerSecret } from '../infra/logger.js';
import type { ResolvedOptions } from './resolve.js';

export async function requirePassword(options: ResolvedOptions, side: 'source' | 'target'): Promise<string> {
  const name = `${side}-db-password`;
  let pw = options.str(name);
  if (pw === undefined) {
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new UserError(
        `no ${side} database password given and no terminal to ask for one`,
        `pass --${name} '<password>' or set ${side.toUpperCase()}_DB_PASSWORD`,
      );
    }
    pw = await promptHidden(`Password to connect to the ${side} database: `);
    options.set(name, pw, 'flag');
  }
  registerSecret(pw);
  return pw;
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo off before the prompt appears: whatever is typed once it shows must not be echoed.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          cleanup();
          process.stderr.write('\n');
          return resolve(value);
        }
        if (ch === '\u0003') {
          cleanup();
          return reject(new UserError('password prompt interrupted', 'run the command again', 'interrupted'));
        }
        if (ch === '\u0004') {
          // Ctrl-D: end of input, no password coming.
          cleanup();
          process.stderr.write('\n');
          return reject(new UserError('no password entered', 'type the password at the prompt, or pass it with the password flag or environment variable'));
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    function cleanup() {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    }
    stdin.on('data', onData);
  });
}
