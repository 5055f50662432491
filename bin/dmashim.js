#!/usr/bin/env node
/*
 * The `dmashim` command: the compiled CLI (the build's one-file
 * dist/src/bridge/cli-bundle.cjs, or dist/src/bridge/cli.js when the bundle is
 * missing or older) on plain node, in this process. This file is CommonJS
 * (bin/package.json): with the bundle, a start never loads node's ES module
 * loader. The package ships dist/ only; a checkout builds it on `npm ci`
 * (prepare) and `npm run build`, and vitest rebuilds it when stale.
 */
'use strict';
const { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
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
 * The bundle through V8's code cache: compiling its ~330 KB is ~10 ms of each start (15 ms of a warm run's ~170 ms). The cache is written at the end
 * of a run that found none (so it holds every function that run compiled), in the per-user directory of the compile
 * cache, and only while that directory is private to this user, as src/bridge/progcache.ts (private_cache_dir) wants
 * it: what is in it runs as code. V8 checks only the source's length against a cache, so the cache's name carries the
 * bundle's size, modification time and inode, and node's version.
 */
function load_bundle(file) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const src = readFileSync(file, 'utf8');
  let cacheFile = null;
  let data;
  try {
    const uid = process.getuid?.();
    const dir = join(require('node:os').tmpdir(), `dmashim-cache-${uid ?? 0}`);
    const d = statSync(dir);
    if (d.isDirectory() && (uid === undefined || d.uid === uid) && (d.mode & 0o022) === 0) {
      const b = statSync(file);
      cacheFile = join(dir, `cli-bundle-${process.version}-${b.size}-${Math.trunc(b.mtimeMs)}-${b.ino}.v8cache`);
      data = readFileSync(cacheFile);
    }
  } catch {
    // No private directory yet (the first run makes it), or no cache in it yet.
  }
  const script = new vm.Script(Module.wrap(src), { filename: file, cachedData: data });
  if (cacheFile !== null && (data === undefined || script.cachedDataRejected)) {
    process.on('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // Only a slower next start.
      }
    });
  }
  const m = { exports: {} };
  script.runInThisContext().call(m.exports, m.exports, Module.createRequire(file), m, file, dirname(file));
  return m.exports;
}

const bundle = join(root, 'dist', 'src', 'bridge', 'cli-bundle.cjs');
const fresh = existsSync(bundle) && statSync(bundle).mtimeMs >= statSync(cli).mtimeMs;
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
