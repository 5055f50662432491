#!/usr/bin/env node
/*
 * The `dmashim` command: the compiled CLI (the build's one-file
 * dist/src/bridge/cli-bundle.cjs, or dist/src/bridge/cli.js when the bundle is
 * missing or, in a checkout, older) on plain node, in this process. This file is CommonJS
 * (bin/package.json): with the bundle, a start never loads node's ES module
 * loader. The package ships dist/ only; a checkout builds it on `npm ci`
 * (prepare) and `npm run build`, and vitest rebuilds it when stale.
 */
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { load_bundle } = require('../cjs/load-bundle.cjs');
const { pathToFileURL } = require('node:url');

const root = join(__dirname, '..');
const cli = join(root, 'dist', 'src', 'bridge', 'cli.js');

if (!existsSync(cli)) {
  process.stderr.write('dmashim: dist/ is missing; run `npm run build` in the dmashim checkout\n');
  process.exit(2);
}

/*
 * Only a checkout has src/: warn when it was edited after the last build, since dist/ is what runs. The test suite
 * rebuilds dist/ before it starts (test/build-dist.ts) and says so with DMASHIM_DIST_CHECKED.
 */
const src = join(root, 'src');
if (!process.env.DMASHIM_DIST_CHECKED && existsSync(src)) {
  const built = statSync(cli).mtimeMs;
  const newer = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = join(dir, e.name);
      return e.isDirectory() ? newer(p) : e.name.endsWith('.ts') && statSync(p).mtimeMs > built;
    });
  if (newer(src)) process.stderr.write('dmashim: src/ is newer than dist/; run `npm run build` to run your changes\n');
}

/*
 * Only a checkout can hold a bundle older than cli.js (a tsc-only rebuild). An installed package never rebuilds, and
 * its files' times are those of their extraction, in the tarball's order: there the bundle is used whenever present.
 */
const bundle = join(root, 'dist', 'src', 'bridge', 'cli-bundle.cjs');
const fresh = existsSync(bundle) && (!existsSync(src) || statSync(bundle).mtimeMs >= statSync(cli).mtimeMs);
// A failure to load is reported like one in main(), not as an uncaught exception.
// Only commands that run a program use the cache: one made by a run costs a bare --version more than it saves.
const cached = process.argv[2] === 'run' || process.argv[2] === 'test';
const loaded = fresh
  ? new Promise((resolve) => resolve(cached ? load_bundle(bundle) : require(bundle)))
  : import(pathToFileURL(cli).href);

loaded
  .then(async (m) => {
    /* `test` starts a C program's runner now, so that its start overlaps ours; `run` runs it here. */
    if (process.argv[2] === 'test' && !process.argv.some((a) => a === '--help' || a === '-h'))
      m.runner_prestart('pipe');
    process.exitCode = await m.main(process.argv.slice(2));
  })
  .catch((e) => {
    process.stderr.write(`dmashim: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  });
