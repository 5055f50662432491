/*
 * Used by bin/dmashim.js (the CLI's bundle) and cjs/runner.cjs (the runner's), as `require` would load them.
 */
'use strict';
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');

/*
 * A bundle (dist/src/bridge/*-bundle.cjs) through V8's code cache: compiling the CLI's ~330 KB is ~10 ms of each
 * start (15 ms of a warm run's ~170 ms), the runner's ~250 KB about as much. The cache is written at the end of a
 * process that found none (so it holds every function that run compiled), in the per-user directory of the compile
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
      cacheFile = join(
        dir,
        `${basename(file, '.cjs')}-${process.version}-${b.size}-${Math.trunc(b.mtimeMs)}-${b.ino}.v8cache`,
      );
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

module.exports = { load_bundle };
