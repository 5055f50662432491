#!/usr/bin/env node
/*
 * The `dmashim` command: the compiled CLI (dist/src/bridge/cli.js, or the
 * build's one-file cli-bundle.js when it is not older) on plain node, in this
 * process. The package ships dist/ only; a checkout builds it on `npm ci`
 * (prepare) and `npm run build`, and vitest rebuilds it when stale.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const cli = new URL('dist/src/bridge/cli.js', root);

if (!existsSync(cli)) {
  process.stderr.write('dmashim: dist/ is missing; run `npm run build` in the dmashim checkout\n');
  process.exit(2);
}

/* `test` starts a C program's runner now, so that its start overlaps ours (dist/src/bridge/paths.js); `run` runs it here. */
const command = process.argv[2];
if (command === 'test' && !process.argv.some((a) => a === '--help' || a === '-h')) {
  const { runner_prestart } = await import(new URL('dist/src/bridge/paths.js', root).href);
  runner_prestart(command === 'run' ? 'inherit' : 'pipe');
}

/* Only a checkout has src/: warn when it was edited after the last build, since dist/ is what runs. */
const src = fileURLToPath(new URL('src/', root));
if (existsSync(src)) {
  const built = statSync(cli).mtimeMs;
  const newer = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = join(dir, e.name);
      return e.isDirectory() ? newer(p) : e.name.endsWith('.ts') && statSync(p).mtimeMs > built;
    });
  if (newer(src)) process.stderr.write('dmashim: src/ is newer than dist/; run `npm run build` to run your changes\n');
}

const bundle = new URL('dist/src/bridge/cli-bundle.js', root);
const fresh = existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(cli).mtimeMs;
const { main } = await import((fresh ? bundle : cli).href);
process.exitCode = await main(process.argv.slice(2));
