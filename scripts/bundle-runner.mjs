/*
 * Build step after tsc: the two entry points that start a node process, each
 * with the ~50 modules it imports as one file, since resolving and loading that
 * many ES modules is a good part of a start. dist/src/bridge/cli-bundle.js is
 * the `dmashim` command (bin/dmashim.js), which runs a program in its own
 * process; dist/src/bridge/runner-bundle.js is the child that run() starts.
 * The bundles sit beside the files they bundle so that the paths their modules
 * compute from import.meta.url (include/, the package root) stay the same;
 * koffi stays outside (a native addon, optional). Without esbuild (it comes
 * with tsx, a devDependency) both run unbundled, which bin/dmashim.js and
 * paths.ts also do whenever a bundle is older than its entry.
 */
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const dir = `${root}dist/src/bridge/`;
const bundles = [
  [`${dir}runner-main.js`, `${dir}runner-bundle.js`],
  [`${dir}cli.js`, `${dir}cli-bundle.js`],
];

for (const [entry, out] of bundles) {
  rmSync(out, { force: true });
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
    format: 'esm',
    target: 'node20',
    outfile: out,
    external: ['koffi'],
    logLevel: 'warning',
  });
}
