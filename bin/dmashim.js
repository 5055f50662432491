#!/usr/bin/env node
/*
 * The `dmashim` command: runs the TypeScript CLI (src/bridge/cli.ts) through
 * tsx's loader, in this process. Works from a repo checkout after `npm ci`.
 */
import { fileURLToPath } from 'node:url';

let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  process.stderr.write('dmashim: tsx is not installed (a devDependency); run `npm ci` in the dmashim checkout\n');
  process.exit(2);
}
register();
const cli = fileURLToPath(new URL('../src/bridge/cli.ts', import.meta.url));
const { main } = await import(cli);
process.exitCode = await main(process.argv.slice(2));
