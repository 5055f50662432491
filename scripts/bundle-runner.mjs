/*
 * Build step after tsc: the three entry points that start a node process, each
 * with the ~50 modules it imports as one file, since resolving and loading that
 * many ES modules is a good part of a start. dist/src/bridge/cli-bundle.cjs is
 * the `dmashim` command (bin/dmashim.js), which runs a program in its own
 * process; dist/src/bridge/runner-bundle.cjs is the child that run() starts.
 * They are CommonJS: a process whose code is all CommonJS never starts node's
 * ES module loader, and its imports of node's own modules skip the ES facades,
 * ~30 ms of CPU a start on the 2-core machine of BENCHMARKS.md. import.meta.url
 * becomes the bundle's own file URL, and the bundles sit beside the files they
 * bundle, so the paths their modules compute from it (include/, the package
 * root) stay the same; koffi stays outside (a native addon, optional). Without
 * esbuild (it comes with tsx, a devDependency) both run unbundled, which
 * bin/dmashim.js and paths.ts also do whenever a bundle is older than its entry.
 */
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dir = `${root}dist/src/bridge/`;
const bundles = [
  [`${dir}runner-main.js`, `${dir}runner-bundle.cjs`],
  [`${dir}cli.js`, `${dir}cli-bundle.cjs`],
  // What a run's process execs into after a crash, a stop or its timeout (the report of a crash waits on its start).
  [`${dir}aftermath.js`, `${dir}aftermath-bundle.cjs`],
];

for (const [entry, out] of bundles) {
  rmSync(out, { force: true });
  // The ES module bundles of earlier builds.
  rmSync(out.replace(/\.cjs$/, '.js'), { force: true });
  if (!existsSync(entry)) {
    process.stderr.write(`bundle-runner: ${entry} is missing (run tsc first)\n`);
    process.exit(1);
  }
}
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('bundle-runner: esbuild is not installed; the runner runs unbundled\n');
  process.exit(0);
}
for (const [entry, out] of bundles) {
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: out,
    external: ['koffi'],
    logLevel: 'warning',
    // Nothing compiled runs import.meta.resolve (only src/ through tsx does): a call would say so.
    define: { 'import.meta.url': '__dmashim_url', 'import.meta.resolve': '__dmashim_resolve' },
    banner: {
      js:
        'const __dmashim_url = require("node:url").pathToFileURL(__filename).href;\n' +
        'const __dmashim_resolve = (s) => { throw new Error("import.meta.resolve(" + s + ") in a bundle"); };',
    },
  });
}
