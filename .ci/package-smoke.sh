#!/usr/bin/env bash
# The package as users get it: `npm pack`, install the tarball into a fresh
# project that has nothing else (no tsx, no typescript, no checkout next to it),
# and run the CLI and the ES module API from there.
# Usage: .ci/package-smoke.sh (from anywhere; needs the checkout's node_modules for tsc only).
# DMASHIM_SMOKE_PREBUILT=1: dist/ is a fresh clean build, pack it without rebuilding.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
WORK="$(mktemp -d "${TMPDIR:-/tmp}/dmashim-smoke-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "package-smoke: FAIL: $*" >&2; exit 1; }
step() { echo "package-smoke: $*"; }

# --- pack: prepare makes a clean build of dist/, unless the caller has just made one ---
pack_flags=()
[ "${DMASHIM_SMOKE_PREBUILT:-}" = 1 ] && pack_flags=(--ignore-scripts)
(cd "$REPO" && npm pack --silent "${pack_flags[@]}" --pack-destination "$WORK" >/dev/null)
TGZ="$(ls "$WORK"/dmashim-*.tgz)"
LIST="$(tar -tzf "$TGZ")"
step "packed $(basename "$TGZ"): $(du -k "$TGZ" | cut -f1) KiB, $(echo "$LIST" | wc -l) files"
for f in package/LICENSE package/README.md package/bin/dmashim.js package/bin/package.json package/dist/src/index.js package/dist/src/index.d.ts \
  package/dist/src/bridge/cli.js package/dist/src/bridge/cli-bundle.cjs package/dist/src/bridge/runner-bundle.cjs package/dist/src/bridge/aftermath.js package/dist/src/bridge/runner.js package/dist/src/bridge/run.js package/dist/compat/index.js package/cjs/require.cjs \
  package/include/linux/dmapool.h package/native/bridge.c package/examples/ehci.c package/docs/bridge.md; do
  echo "$LIST" | grep -qx "$f" || fail "$f is not in the package"
done
# What users do not need: TypeScript sources, tests, benchmarks, source maps.
if echo "$LIST" | grep -E '^package/(src|test|bench|compat|native/bench)/|\.map$|^package/dist/(test|bench|examples)/'; then
  fail 'the package ships files users do not need (above)'
fi

# --- a fresh project with the package and its own dependencies only ---
P="$WORK/proj"
mkdir "$P"
cd "$P"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$TGZ" >/dev/null
[ ! -e node_modules/tsx ] && [ ! -e node_modules/typescript ] || fail 'tsx or typescript got installed'
step "installed: $(ls node_modules | tr '\n' ' ')"

# --- the CLI ---
npx --no-install dmashim --help >"$WORK/help.txt" || fail 'dmashim --help did not exit 0'
grep -q '^usage: dmashim run' "$WORK/help.txt" || fail 'dmashim --help printed no usage'

set +e
npx --no-install dmashim run no-such-file.c >/dev/null 2>"$WORK/err.txt"
rc=$?
set -e
[ "$rc" = 2 ] || fail "dmashim run <missing file> exited $rc, not 2"

if ! node -e "import('koffi').then(() => process.exit(0), () => process.exit(1))"; then
  # Without koffi the C side cannot run; the TypeScript API below still must.
  step 'koffi is not installed here: C programs skipped'
elif ! command -v "${CC:-cc}" >/dev/null 2>&1; then
  step 'no C compiler: C programs skipped'
else
  HAVE_C=1
  # A clean program: a PCI device, a pool, a block; nothing to report, exit 0.
  cat >clean.c <<'EOF'
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <stdio.h>

static struct pci_dev pdev;

int main(void)
{
	dma_addr_t dma;
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:05.0");
	if (device_register(&pdev.dev))
		return 1;
	struct dma_pool *pool = dma_pool_create("smoke", &pdev.dev, 64, 64, 0);
	void *blk = pool ? dma_pool_alloc(pool, GFP_KERNEL, &dma) : NULL;
	if (!blk)
		return 1;
	printf("smoke ok %d\n", dma != 0);
	dma_pool_free(pool, blk, dma);
	dma_pool_destroy(pool);
	return 0;
}
EOF
  out="$(npx --no-install dmashim run clean.c)" || fail "dmashim run clean.c exited $?"
  [ "$out" = 'smoke ok 1' ] || fail "dmashim run clean.c printed '$out'"
  step 'dmashim run clean.c: exit 0, expected output'
  # The installed files' times are their extraction's: the bundles must be used all the same, through their code cache.
  code_cached() {
    node -e '
      const fs = require("fs"), os = require("os"), path = require("path");
      const b = `node_modules/dmashim/dist/src/bridge/${process.argv[1]}.cjs`, s = fs.statSync(b);
      const f = `${process.argv[1]}-${process.version}-${s.size}-${Math.trunc(s.mtimeMs)}-${s.ino}.v8cache`;
      if (!fs.existsSync(path.join(os.tmpdir(), `dmashim-cache-${process.getuid()}`, f))) process.exit(1);
    ' "$1"
  }
  code_cached cli-bundle || fail 'the installed dmashim run did not load dist/src/bridge/cli-bundle.cjs through its code cache'
  step 'dmashim run: the CLI bundle, through its code cache'

  # A bug fails the run: the same block freed twice exits 3, and --report names it with its C line.
  sed -e 's/\tdma_pool_destroy(pool);/\tdma_pool_free(pool, blk, dma);\n\tdma_pool_destroy(pool);/' clean.c >double.c
  status=0
  npx --no-install dmashim run double.c --quiet --report report.json >/dev/null 2>"$WORK/double.log" || status=$?
  [ "$status" = 3 ] || fail "dmashim run double.c exited $status, not 3 (findings)"
  node -e '
    const r = JSON.parse(require("fs").readFileSync("report.json", "utf8"));
    const f = r.findings.find((x) => x.kind === "pool" && /double free|already free/i.test(x.text.join("\n")));
    if (!f || !/double\.c:\d+/.test(f.site ?? "")) { console.error(JSON.stringify(r.findings)); process.exit(1); }
  ' || fail "report.json does not name the double free with its C line"
  step 'dmashim run double.c: exit 3, report.json names the double free and its C line'

  # A crash: the program runs in the CLI's process, which execs the installed aftermath bundle to report it.
  printf '#include <stdio.h>\nint main(void) { volatile int *p = 0; puts("before"); fflush(stdout); return *p; }\n' >segv.c
  status=0
  npx --no-install dmashim run segv.c --report segv.json >"$WORK/segv.out" 2>"$WORK/segv.log" || status=$?
  [ "$status" = 139 ] || fail "dmashim run segv.c exited $status, not 139 (SIGSEGV): $(cat "$WORK/segv.log")"
  grep -q '^BUG: kernel NULL pointer dereference' "$WORK/segv.log" || fail "no oops for segv.c: $(cat "$WORK/segv.log")"
  grep -q '^dmashim: segv.c: killed by signal SIGSEGV' "$WORK/segv.log" || fail 'no signal line for segv.c'
  node -e '
    const r = JSON.parse(require("fs").readFileSync("segv.json", "utf8"));
    if (r.ended.how !== "signal" || r.ended.signal !== "SIGSEGV") { console.error(JSON.stringify(r.ended)); process.exit(1); }
  ' || fail 'segv.json does not say the run ended by SIGSEGV'
  step 'dmashim run segv.c: the oops, exit 139, segv.json says SIGSEGV'

  # The README's main command, from the installed package.
  out="$(npx --no-install dmashim run node_modules/dmashim/examples/ehci.c 2>"$WORK/ehci.log")" ||
    fail "the README's main command exited $?"
  echo "$out" | grep -q '^poolinfo - 0.1$' || fail "the README's main command printed no pools file"
  echo "$out" | grep -Eq '^ehci_qh +3 +42 +96 +1$' || fail "the README's main command printed another ehci_qh line"
  step "the README's main command (examples/ehci.c): exit 0 (nothing leaked), pools file as documented"

  # KUnit: `dmashim test` on the installed example, and dmashim/vitest turning its cases into vitest tests.
  for f in package/include/kunit/test.h package/native/kunit.c package/dist/src/vitest.js package/dist/src/vitest.d.ts; do
    echo "$LIST" | grep -qx "$f" || fail "$f is not in the package"
  done
  out="$(npx --no-install dmashim test node_modules/dmashim/examples/kunit-ring.c --quiet)" ||
    fail "dmashim test examples/kunit-ring.c exited $?"
  echo "$out" | grep -qx 'ok 1 rx_ring' || fail "dmashim test printed no 'ok 1 rx_ring': $out"
  step 'dmashim test examples/kunit-ring.c: exit 0, KTAP ok 1 rx_ring'
  code_cached runner-bundle || fail "dmashim test's runner did not load runner-bundle.cjs through its code cache"
  step "dmashim test: the runner's bundle, through its code cache"
  # vitest is the user's own dependency: the checkout's stands in for it (not installed from the registry here).
  ln -s "$REPO/node_modules/vitest" node_modules/vitest
  cat >ring.test.mjs <<'EOF2'
import { kunit } from 'dmashim/vitest';
await kunit('node_modules/dmashim/examples/kunit-ring.c', { quiet: true });
EOF2
  node node_modules/vitest/vitest.mjs run --root . --reporter=json --outputFile=vitest.json ring.test.mjs \
    >/dev/null 2>"$WORK/vitest.log" || fail "vitest with dmashim/vitest exited $? ($(tail -5 "$WORK/vitest.log"))"
  node -e '
    const r = JSON.parse(require("fs").readFileSync("vitest.json", "utf8"));
    const names = r.testResults.flatMap((f) => f.assertionResults.map((t) => `${t.fullName}:${t.status}`));
    const want = ["rx_ring.ring_starts_empty:passed", "rx_ring.ring_receives:passed", "rx_ring.ring_fills_and_wraps:passed"];
    if (JSON.stringify(names) !== JSON.stringify(want)) { console.error(names); process.exit(1); }
  ' || fail 'dmashim/vitest did not list the three rx_ring cases as passed vitest tests'
  rm node_modules/vitest
  step 'dmashim/vitest from the installed package: rx_ring.<case> as three passed vitest tests'
fi

# --- the ES module API, from plain node ---
cat >smoke.mjs <<'EOF'
import { create_machine, pci_dev, dev_set_name, device_register, dma_pool_create, dma_pool_alloc,
  dma_pool_free, dma_pool_destroy, dma_addr, sysfs_read, GFP_KERNEL } from 'dmashim';
import { pci_pool_create } from 'dmashim/compat';
import { run } from 'dmashim/run';
import { createRequire } from 'node:module';

const machine = create_machine({ name: 'smoke' });
const pdev = new pci_dev({ vendor: 0x8086, device: 0x293a, machine });
dev_set_name(pdev.dev, '0000:00:1a.0');
if (device_register(pdev.dev) !== 0) throw new Error('device_register failed');
const pool = dma_pool_create('smoke', pdev.dev, 64, 64, 0);
const dma = dma_addr();
const blk = dma_pool_alloc(pool, GFP_KERNEL, dma);
if (!blk || !dma.value) throw new Error('dma_pool_alloc failed');
const pools = sysfs_read(pdev.dev, 'pools');
dma_pool_free(pool, blk, dma.value);
dma_pool_destroy(pool);
if (typeof pci_pool_create !== 'function') throw new Error('dmashim/compat has no pci_pool_create');

const require = createRequire(import.meta.url);
const { version } = require('dmashim/package.json');
let cjs = '';
try {
  require('dmashim');
} catch (e) {
  cjs = e.message;
}
console.log(pools.split('\n')[1]);
console.log(`version ${version}`);
console.log(`require: ${cjs}`);
if (typeof run !== 'function') throw new Error('dmashim/run has no run()');
if (process.argv[2]) {
  const r = await run([process.argv[2]]);
  console.log(`run: status ${r.status} stdout ${JSON.stringify(r.stdout)} findings ${r.findings.length}`);
}
EOF
out="$(DMASHIM_QUIET=1 node smoke.mjs ${HAVE_C:+clean.c})" || fail "node smoke.mjs exited $?"
echo "$out" | grep -Eq '^smoke +1 +64 +64 +1$' || fail "smoke.mjs: no pools line in: $out"
echo "$out" | grep -q '^version [0-9]' || fail "smoke.mjs: dmashim/package.json not importable: $out"
echo "$out" | grep -qF "require: dmashim is an ES module: use import" || fail "smoke.mjs: require('dmashim'): $out"
if [ -n "${HAVE_C:-}" ]; then
  echo "$out" | grep -qF 'run: status 0 stdout "smoke ok 1\n" findings 0' || fail "smoke.mjs: run() from dmashim/run: $out"
  step "run() from dmashim/run: clean.c, status 0, its output, no findings"
fi
step "import('dmashim') from a .mjs: machine, device, dma_pool; require('dmashim') says to use import"

# --- the types, as a TypeScript user's NodeNext project sees them (the checkout's tsc; nothing installed here) ---
cat >smoke.ts <<'EOF'
import { create_machine, device, dma_pool_create, dma_pool_alloc, dma_addr, GFP_KERNEL } from 'dmashim';
import { pci_pool_create } from 'dmashim/compat';
import { run, type RunResult } from 'dmashim/run';
const later: Promise<RunResult> | null = Math.random() > 2 ? run(['x.c'], { leaks: true }) : null;
const dev: device = new device(create_machine({ name: 'types' }));
const pool = dma_pool_create('t', dev, 64, 64, 0);
const vaddr: number = pool ? dma_pool_alloc(pool, GFP_KERNEL, dma_addr()) : 0;
export { vaddr, pci_pool_create, later };
EOF
echo '{"compilerOptions":{"module":"NodeNext","moduleResolution":"NodeNext","strict":true,"noEmit":true,"types":[]},"files":["smoke.ts"]}' >tsconfig.json
node -e "const f=require('fs');const p=JSON.parse(f.readFileSync('package.json'));p.type='module';f.writeFileSync('package.json',JSON.stringify(p))"
node "$REPO/node_modules/typescript/bin/tsc" -p tsconfig.json || fail "the package's types do not type-check a user's program"
step 'a NodeNext TypeScript program type-checks against the installed types'
step 'all good'
