/*
 * The report of a run: the tables, ratios and target verdicts on stdout, and the
 * stored results (bench/results/<timestamp>.json and latest.json, git-ignored):
 * every sample and every ratio, so a verdict can be recomputed later.
 */
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { ROUNDS } from './lib/params.ts';
import { fmt, fmtSpread, round4 } from './lib/stats.ts';
import { ccVersion, ROOT } from './lib/native.ts';
import { QUIET_TOLERANCE, MIN_QUIET } from './lib/phase.ts';
import { CONTROL_WORK, describeMetadata } from './lib/scale.ts';
import { elapsedSeconds } from './lib/progress.ts';
import { ratio, bestRatio, maxFinite, countAll, type BenchResults, type Judged } from './judge.ts';

export const RESULTS_DIR = join(ROOT, 'bench', 'results');
export const LATEST_PATH = join(RESULTS_DIR, 'latest.json');

/* Legend lines under a table start below its first column. */
const IND = ''.padEnd(15);

function table(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

interface RunInfo {
  cpu: string;
  commit: string;
  dirty: boolean;
}

function runInfo(): RunInfo {
  const git = (args: string[]): string => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : '';
  };
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
  };
}

function dmapoolLines(r: BenchResults, j: Judged): string[] {
  const { rows, core: c } = j;
  const reps = r.opts.reps;
  const q = (x: number): string => fmt(x);
  return [
    table(
      [
        'size/align/bdry',
        'blocks',
        'C ref',
        'core default',
        'x ref',
        'core opt. off',
        'x ref',
        'C ref no lock',
        'C out-of-band',
        'x ref',
        'glibc malloc',
        '@thi.ng MemPool',
        'core poison on',
      ],
      rows.map((x) => [
        x.label,
        String(x.blocks),
        fmtSpread(x.ref),
        fmtSpread(x.coreDefault),
        q(ratio(x.coreDefault, x.ref)),
        fmtSpread(x.coreOff),
        q(ratio(x.coreOff, x.ref)),
        q(x.refNoLock.median),
        q(x.oob.median),
        q(ratio(x.oob, x.ref)),
        q(x.malloc.median),
        x.thing ? `${q(x.thing.median)}${x.thingRounds < ROUNDS ? ` (${x.thingRounds} rd)` : ''}` : '-',
        x.corePoison ? q(x.corePoison.median) : '-',
      ]),
    ),
    `${'geomean of ratios'.padEnd(15)}  core default x ref ${q(c.gmDefAll)}   ` +
      `core optional off x ref ${q(c.gmOffAll)}` +
      `   C out-of-band x ref ${q(c.gmOob)}   (all ${reps} reps)`,
    `${IND}  undisturbed samples (a JS yardstick right before and after each sample <= ${QUIET_TOLERANCE}x ` +
      `the floor; bench/lib/phase.ts): ${c.nQuietSamples} of ${c.nSamples} ` +
      `(C ref ${countAll(c.refQ)}/${r.core.refYard.flat().length}); ` +
      `judged (per row, both sides from undisturbed samples when each has ${MIN_QUIET} or more, else from all): ` +
      `core default ${q(c.gmDef)}, core optional off ${q(c.gmOff)}; ` +
      `yardstick ${fmt(Math.min(...c.allYard), 2)}–${fmt(Math.max(...c.allYard), 2)} ns, ` +
      `floor ${fmt(c.yardFloor, 2)}` +
      `${Number.isFinite(r.prevFloor) ? ' (with earlier runs on this machine)' : ''}`,
    ...(c.nSamples && c.nQuietSamples === 0
      ? [
          `${IND}  THIS RUN NEVER SAW THE MACHINE UNDISTURBED: its core ratios measure the VM's slow phase ` +
            '(judged on all samples)',
        ]
      : []),
    `${IND}  best-of-${reps} (min/min): core default ${q(c.gmDefBest)}, core optional off ${q(c.gmOffBest)}; ` +
      'per row (opt. off): ' +
      rows.map((x) => `${x.label} ${q(bestRatio(x.coreOff, x.ref))}`).join(', '),
    `${IND}  against the C reference with its lock elided (language vs language): core default ${q(c.gmDefNoLock)}, ` +
      `core optional off ${q(c.gmOffNoLock)}`,
    `${IND}  C ref = the kernel's algorithm with its pool spinlock taken and released per call, ` +
      'as dma_pool_alloc/free do (reference of record)',
    '',
  ];
}

function bridgeLines(r: BenchResults, j: Judged): string[] {
  const { rows, bridge: b } = j;
  const out: string[] = [];
  const { koffi, bridge, bridgeCache } = r;
  out.push(
    koffi.ok
      ? `one bare koffi callback (koffi ${koffi.value.version}, C loop -> registered JS noop): ${fmt(b.cbNoop)} ns ` +
          `[${fmt(Math.min(...koffi.value.noop))}–${fmt(Math.max(...koffi.value.noop))}]; ` +
          `with (int32, uint32) -> int64: ${fmt(b.cbArgs)} ns`
      : `one bare koffi callback: skipped: ${koffi.reason}`,
  );
  if (bridge.ok) {
    const vs = (x: number): string => (Number.isFinite(x) ? fmt(x) : '-');
    out.push(
      '',
      `bridge (core driven from C, ${bridge.command}):`,
      table(
        [
          'size/align/bdry',
          'alloc ns',
          'free ns',
          'per op',
          'x C ref',
          'cb (same proc)',
          'alloc x cb',
          'free x cb',
          'unpaired a/f',
        ],
        rows.map((x, k) => [
          x.label,
          x.bridgeAlloc ? fmt(x.bridgeAlloc.median) : '-',
          x.bridgeFree ? fmt(x.bridgeFree.median) : '-',
          x.bridge ? fmt(x.bridge.median) : '-',
          fmt(ratio(x.bridge, x.ref)),
          x.bridgeCb ? fmtSpread(x.bridgeCb) : '-',
          vs(b.bridgeAllocVsCb[k]!),
          vs(b.bridgeFreeVsCb[k]!),
          `${fmt(b.unpairedAllocVsCb[k]!)} / ${fmt(b.unpairedFreeVsCb[k]!)}`,
        ]),
      ),
      `${IND}  cb = dmashim_bench_noop(), one bare koffi callback timed in the bridge's process ` +
        'right before and right after each round of the row',
      `${IND}  x cb = each round's op / that round's cb, first round (page allocation) at full weight, ` +
        'steady rounds by their mean; median of reps;',
      `${IND}         rounds inside a slow phase of the VM ` +
        `(cb before or after > ${QUIET_TOLERANCE}x this process's floor, ` +
        `${fmt((1 - b.quietRoundShare) * 100, 2)}% of rounds) left out,` +
        ` on rows with 2+ undisturbed reps (first round and 10+ steady rounds undisturbed); all rounds: ` +
        `max ${fmt(b.bridgeAllVsCb)}`,
      `${IND}  unpaired = row median / row's median cb (a phase of slow JS calls in the VM skews it either way)`,
    );
    if (Number.isFinite(b.cbNoop)) {
      const over = (pick: (x: Judged['rows'][number]) => number): string => fmt(maxFinite(rows.map(pick)));
      out.push(
        `${IND}  cross-check, over the bench process's callback (${fmt(b.cbNoop)} ns, above): ` +
          `alloc x cb max ${over((x) => (x.bridgeAlloc ? x.bridgeAlloc.median / b.cbNoop : NaN))}, ` +
          `free x cb max ${over((x) => (x.bridgeFree ? x.bridgeFree.median / b.cbNoop : NaN))}; ` +
          `same-process cb, all rows: ${fmt(b.bridgeCbMedian)} ns`,
      );
    }
  } else {
    out.push(`bridge row: skipped: ${bridge.reason}`);
  }
  if (bridgeCache.ok) {
    out.push(
      '',
      `bridge by default, with the pool cache (c'), same blocks in the same order (${bridgeCache.command}):`,
      table(
        ['size/align/bdry', 'alloc ns', 'free ns', 'per op', 'x C ref', 'x bridge'],
        rows.map((x) => [
          x.label,
          x.bridgeCacheAlloc ? fmt(x.bridgeCacheAlloc.median) : '-',
          x.bridgeCacheFree ? fmt(x.bridgeCacheFree.median) : '-',
          x.bridgeCache ? fmt(x.bridgeCache.median) : '-',
          fmt(ratio(x.bridgeCache, x.ref)),
          x.bridge && x.bridgeCache ? fmt(x.bridgeCache.median / x.bridge.median) : '-',
        ]),
      ),
    );
  } else if (r.opts.only.has('bridge')) {
    out.push(`bridge + pool cache row: skipped: ${bridgeCache.reason}`);
  }
  return out;
}

function otherLines(r: BenchResults): string[] {
  const out: string[] = [];
  const { scale, metadata } = r.scale;
  if (scale.length) {
    out.push(
      '',
      'scale: 1,000 pools of 64-byte blocks, free+alloc pairs; ns per op, median over paired slices [min–max]',
      '  queue: a random pool frees its oldest block and allocates one (each pool a FIFO of in-flight blocks, ' +
        'as a descriptor ring)',
      '  random: a uniformly random live block is freed and reallocated (stress: the harness itself misses on every ' +
        'pair at 1M)',
      '  control: a minimal allocator (a LIFO of address pairs per pool, state constant in the live count, ' +
        `${CONTROL_WORK} integer steps a free) in the same loop`,
      table(
        ['pattern', 'live blocks', 'core', 'harness only', 'core net', 'control net', 'C ref', 'C harness', 'C net'],
        scale.map((s) => [
          s.pattern,
          s.live.toLocaleString('en-US'),
          fmtSpread(s.core),
          fmt(s.harness.median),
          fmt(s.net),
          fmt(s.controlNet),
          s.cRef ? fmt(s.cRef.median) : '-',
          s.cHarness ? fmt(s.cHarness.median) : '-',
          s.cRef && s.cHarness ? fmt(s.cRef.median - s.cHarness.median) : '-',
        ]),
      ),
    );
  }
  if (metadata) out.push('', describeMetadata(metadata));
  if (r.destroy.length) {
    out.push(
      '',
      'dma_pool_destroy of an idle pool, ns per page: ' +
        r.destroy.map((d) => `${d.pages} pages ${fmtSpread(d.nsPerPage)}`).join(';  '),
    );
  }
  const { sg, startup } = r;
  out.push(
    '',
    startup.ok
      ? `start-up, wall seconds over ${startup.reps} interleaved reps, median [min–max]: ` +
          `warm dmashim run hello.c ${fmtSpread(startup.run)}; cc -O0 hello.c && ./a.out ${fmtSpread(startup.cc)} ` +
          `(ratio of medians ${fmt(startup.run.median / startup.cc.median)}, of minimums ` +
          `${fmt(startup.run.min / startup.cc.min)}); dmashim test bench/c/kunit20.c (20 cases) ${fmtSpread(startup.kunit)}`
      : `start-up: skipped: ${startup.reason}`,
  );
  out.push(
    '',
    sg.ok
      ? 'dma_map_sg + dma_unmap_sg, ns per entry: ' +
          sg.points.map((p) => `${p.entries} entries ${fmt(p.ns_per_entry)}`).join(';  ')
      : `dma_map_sg: skipped: ${sg.reason}`,
  );
  return out;
}

/* The core's medians next to those of the previous latest.json, so a change can be compared across commits. */
function previousRunLine(j: Judged): string[] {
  interface PrevRow {
    label: string;
    coreOff: { median: number };
    ref: { median: number };
  }
  if (!j.core.coreRan || !existsSync(LATEST_PATH)) return [];
  try {
    type Prev = { commit?: string; timestamp?: string; rows?: PrevRow[] };
    const prev = JSON.parse(readFileSync(LATEST_PATH, 'utf8')) as Prev;
    const pr = prev.rows ?? [];
    if (pr.length !== j.rows.length || !pr.every((x) => x.coreOff && x.coreOff.median > 0)) return [];
    return [
      '',
      `vs previous latest.json (commit ${prev.commit ?? '?'}, ${prev.timestamp ?? '?'}): core optional off ` +
        j.rows.map((x, i) => `${x.label} ${fmt(x.coreOff.median)} (was ${fmt(pr[i]!.coreOff.median)})`).join(', '),
    ];
  } catch {
    /* an unreadable previous file only loses the comparison */
    return [];
  }
}

function resultsJson(r: BenchResults, j: Judged, info: RunInfo, stamp: string) {
  const { rows, core: c, bridge: b } = j;
  const { koffi, bridge, bridgeCache } = r;
  const fin = (x: number): number | null => (Number.isFinite(x) ? round4(x) : null);
  return {
    schema: 1,
    timestamp: stamp,
    commit: info.commit,
    dirty: info.dirty,
    node: process.version,
    v8: process.versions.v8,
    cc: ccVersion(),
    cpu: { model: info.cpu, count: cpus().length, memBytes: totalmem() },
    reps: r.opts.reps,
    quick: r.opts.quick,
    rounds: ROUNDS,
    rows: rows.map((x, k) => ({
      ...x,
      ratioCoreDefault: round4(ratio(x.coreDefault, x.ref)),
      ratioCoreOff: round4(ratio(x.coreOff, x.ref)),
      ratioCOutOfBand: round4(ratio(x.oob, x.ref)),
      ratioCoreOffVsNoLock: round4(ratio(x.coreOff, x.refNoLock)),
      ratioBridge: x.bridge ? round4(ratio(x.bridge, x.ref)) : null,
      ratioBridgeCache: x.bridgeCache ? round4(ratio(x.bridgeCache, x.ref)) : null,
      ratioBridgeAllocVsCb: fin(b.bridgeAllocVsCb[k]!),
      ratioBridgeFreeVsCb: fin(b.bridgeFreeVsCb[k]!),
      ratioBridgeAllocVsCbUnpaired: fin(b.unpairedAllocVsCb[k]!),
      ratioBridgeFreeVsCbUnpaired: fin(b.unpairedFreeVsCb[k]!),
    })),
    geomean: {
      coreDefault: round4(c.gmDef),
      coreOff: round4(c.gmOff),
      coreDefaultAllReps: round4(c.gmDefAll),
      coreOffAllReps: round4(c.gmOffAll),
      judgedOn: c.judgedOn,
      yardstickNs: {
        ref: r.core.refYard.map((a) => a.map(round4)),
        coreDefault: r.core.defYard.map((a) => a.map(round4)),
        coreOff: r.core.offYard.map((a) => a.map(round4)),
      },
      cOutOfBand: round4(c.gmOob),
      coreDefaultBest: round4(c.gmDefBest),
      coreOffBest: round4(c.gmOffBest),
      coreDefaultVsNoLock: round4(c.gmDefNoLock),
      coreOffVsNoLock: round4(c.gmOffNoLock),
    },
    koffi: koffi.ok ? { ...koffi.value, noopMedian: b.cbNoop, argsMedian: b.cbArgs } : { skipped: koffi.reason },
    bridge: bridge.ok
      ? {
          command: bridge.command,
          maxOpVsCallback: round4(b.maxBridgeVsCb),
          maxOpVsCallbackAllRounds: round4(b.bridgeAllVsCb),
          // Every BENCH line, with every round's [noop, alloc, free]: the verdict can be recomputed.
          samples: bridge.samples,
          quietRoundShare: round4(b.quietRoundShare),
          callbackYardstick:
            'same child process, paired round by round (rows[].ratioBridge*VsCb); unpaired ratios of row medians ' +
            'in rows[].ratioBridge*VsCbUnpaired',
          sameProcessCallbackMedian: round4(b.bridgeCbMedian),
          maxOpVsBenchProcessCallback: round4(b.maxBridgeVsBenchCb),
        }
      : { skipped: bridge.reason },
    bridgeCache: bridgeCache.ok
      ? {
          command: bridgeCache.command,
          maxOpVsRef: round4(b.maxBridgeCacheVsRef),
          maxOpVsRefAllSamples: round4(maxFinite(b.bridgeCacheVsRefAll)),
          samples: bridgeCache.samples,
        }
      : { skipped: bridgeCache.reason },
    scale: r.scale.scale,
    scalePaired: r.scale.scalePaired,
    metadata: r.scale.metadata,
    destroy: r.destroy,
    sg: r.sg.ok ? r.sg.points : { skipped: r.sg.reason },
    startup: r.startup.ok ? r.startup : { skipped: r.startup.reason },
    suite: r.suite.ok ? r.suite : { skipped: r.suite.reason },
    targets: j.targets,
    floors: {
      // This run's own floor (5th percentile; not a running minimum, so the floor cannot ratchet down over runs).
      jsYardstickNs: Number.isFinite(c.runYardFloor)
        ? round4(c.runYardFloor)
        : Number.isFinite(r.prevFloor)
          ? r.prevFloor
          : null,
      // For information: the bridge judges each process against its own floor.
      bridgeNoopNs: fin(b.noopFloor),
    },
    seconds: Math.round(elapsedSeconds()),
  };
}

/** Print the run's report on stdout and store its results; `latest.json` is read for the comparison first. */
export function report(r: BenchResults, j: Judged): void {
  const info = runInfo();
  const out: string[] = [];
  out.push(
    `dmashim bench  commit ${info.commit}${info.dirty ? '+dirty' : ''}  node ${process.version}  ${ccVersion()}  ` +
      `${cpus().length} x ${info.cpu}`,
    ...(j.core.coreRan || r.bridge.ok
      ? [
          `dmapool_test workload: ${ROUNDS} rounds of alloc-all/free-all; ns per alloc-or-free, ` +
            `median of ${r.opts.reps} reps [min–max]; ratios are medians of this run`,
        ]
      : []),
    '',
  );
  if (j.core.coreRan) out.push(...dmapoolLines(r, j));
  out.push(...bridgeLines(r, j), ...otherLines(r));
  out.push('', 'targets:');
  for (const t of j.targets) {
    out.push(`  [${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL'}] ${t.name}: ${t.value}`);
  }
  out.push(...previousRunLine(j));
  out.push('', `total bench time ${elapsedSeconds().toFixed(0)} s`);
  process.stdout.write(out.join('\n') + '\n');

  const stamp = new Date().toISOString();
  const text = JSON.stringify(resultsJson(r, j, info, stamp), null, 1) + '\n';
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, stamp.replace(/[:.]/g, '-') + '.json');
  writeFileSync(file, text);
  writeFileSync(LATEST_PATH, text);
  process.stdout.write(`results: ${file.slice(ROOT.length)} (and bench/results/latest.json)\n`);
}
