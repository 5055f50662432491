/*
 * Build step after tsc: dist/src/bridge/runner.js and the ~50 modules it imports
 * as one file, dist/src/bridge/runner-bundle.js. Every `dmashim run` starts a
 * fresh node on the runner (crash isolation), and resolving and loading that
 * many ES modules is a good part of its start. The bundle sits beside
 * runner.js so that the paths its modules compute from import.meta.url
 * (include/, the package root) stay the same; koffi stays outside (a native
 * addon, optional). Without esbuild (it comes with tsx, a devDependency) the
 * runner runs unbundled, which paths.ts also does whenever the bundle is older
 * than runner.js.
 */
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const entry = `${root}dist/src/bridge/runner.js`;
const out = `${root}dist/src/bridge/runner-bundle.js`;

rmSync(out, { force: true });
if (!existsSync(entry)) {
  process.stderr.write(`bundle-runner: ${entry} is missing (run tsc first)\n`);
  process.exit(1);
}
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('bundle-runner: esbuild is not installed; the runner runs unbundled\n');
  process.exit(0);
}
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
