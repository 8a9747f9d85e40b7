// The sql.js (SQLite compiled to wasm) loader: finds sql-wasm.wasm beside the bundle or in
// node_modules (or at $CADC_SQL_WASM) and initialises sql.js once per process.
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export type SqlJs = import('sql.js').SqlJsStatic;
let sqlPromise: Promise<SqlJs> | undefined;

function locateWasm(): string {
  const candidates = [
    process.env.CADC_SQL_WASM,
    path.join(__dirname, 'sql-wasm.wasm'),
    path.join(__dirname, '..', 'sql-wasm.wasm'),
    path.resolve(__dirname, '../../../node_modules/sql.js/dist/sql-wasm.wasm'),
    path.resolve('node_modules/sql.js/dist/sql-wasm.wasm'),
  ].filter((p): p is string => !!p);
  const hit = candidates.find((p) => existsSync(p));
  if (!hit) throw new Error(`sql-wasm.wasm not found (looked in ${candidates.join(', ')})`);
  return hit;
}

export function loadSql(): Promise<SqlJs> {
  if (!sqlPromise) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const init = require('sql.js') as (cfg: { locateFile: () => string }) => Promise<SqlJs>;
    const wasm = locateWasm();
    sqlPromise = init({ locateFile: () => wasm });
  }
  return sqlPromise;
}
