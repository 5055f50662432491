/*
 * `npm run bench`: the dma_pool benchmark of record (BENCHMARKS.md).
 *
 * Every reference runs in this same invocation and every ratio is taken between
 * medians of this run: the C reference (the kernel's algorithm, built now with cc
 * -O2), glibc malloc, @thi.ng/malloc, one bare koffi callback. Repetitions of the
 * different implementations are interleaved, so slow drift on a noisy VM hits
 * them alike. Each section (bench/sections/) returns its samples, bench/judge.ts
 * turns them into figures and verdicts, bench/report.ts prints the table on stdout
 * and stores bench/results/<timestamp>.json and latest.json (git-ignored); a
 * progress line goes to stderr.
 *
 * usage: npm run bench [-- --reps N] [--quick] [--only core,thing,poison,koffi,bridge,scale,destroy,sg,startup,suite]
 */
import { parseArgs } from 'node:util';
import { log_configure } from '../src/index.ts';
import { PARAMS } from './lib/params.ts';
import { lowFloor, previousFloors } from './lib/phase.ts';
import { buildC } from './lib/native.ts';
import { progressDone } from './lib/progress.ts';
import { SECTIONS, type BenchOptions, type Section } from './options.ts';
import { runCoreSection, runPoisonSection, coreYardReadings } from './sections/core.ts';
import { runThingSection } from './sections/thing.ts';
import { runKoffiSection, runBridgeSection, notRun } from './sections/bridge.ts';
import { runScaleSection } from './sections/scale.ts';
import { runDestroySection } from './sections/destroy.ts';
import { runSgSection } from './sections/sg.ts';
import { runStartupSection } from './sections/startup.ts';
import { runSuiteSection } from './sections/suite.ts';
import { judge, type BenchResults } from './judge.ts';
import { report, LATEST_PATH } from './report.ts';

const USAGE = `usage: npm run bench [-- --reps N] [--quick] [--only ${SECTIONS.join(',')}]\n`;

function options(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      // Enough for >= 3 undisturbed samples per row when the VM is quiet only a fifth of the time (BENCHMARKS.md).
      reps: { type: 'string', default: '21' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string', default: SECTIONS.join(',') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  let reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error('bench: --reps must be a positive integer');
  const names = values.only.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(SECTIONS as readonly string[]).includes(n)) {
      throw new Error(`bench: unknown section ${n} (${SECTIONS.join(',')})`);
    }
  }
  if (values.quick) reps = Math.min(reps, 3);
  return { reps, quick: values.quick, only: new Set(names as Section[]) };
}

const opts = options(process.argv.slice(2));
const has = (s: Section): boolean => opts.only.has(s);
// The previous run's yardstick floor on this machine (bench/lib/phase.ts).
const prevFloor = previousFloors(LATEST_PATH).jsYardstickNs;
// Bad frees are not part of the workload; keep any log line off the table.
log_configure({ console: false });

const ref = buildC('dmapool_ref.c', false);
if (!ref.ok) {
  process.stderr.write(`bench: cannot build the C reference (native/bench/dmapool_ref.c): ${ref.error}\n`);
  process.exit(1);
}

// The order is part of the method: each section runs after the same ones as before.
const core = runCoreSection(ref.path, opts.reps, has('core'));
const earlierYard = coreYardReadings(core);
/* The yardstick floor known so far: the core section's readings and the previous run's. */
const floorSoFar = (): number => Math.min(prevFloor, lowFloor(earlierYard));
const poison = has('poison') ? runPoisonSection(opts.reps) : PARAMS.map((): number[] => []);
const thing = has('thing')
  ? runThingSection(opts.reps, opts.quick)
  : { ns: PARAMS.map((): number[] => []), rounds: PARAMS.map(() => 0) };
const koffi = has('koffi') || has('bridge') ? await runKoffiSection(opts.quick) : notRun;
const bridges = has('bridge') ? runBridgeSection(opts.quick) : { bridge: notRun, bridgeCache: notRun };
const scale = has('scale')
  ? runScaleSection(ref.path, opts.quick, prevFloor, earlierYard)
  : { scale: [], scalePaired: [], metadata: null };
const destroy = has('destroy') ? runDestroySection(opts.quick) : [];
const sg = has('sg') ? await runSgSection(opts.quick, floorSoFar()) : notRun;
const startup = has('startup') ? runStartupSection(opts.quick) : notRun;
// Last: it runs the whole test suite, which would load the machine for whatever came after.
const suite = has('suite') ? runSuiteSection(opts.quick) : notRun;
progressDone();

const results: BenchResults = {
  opts,
  prevFloor,
  core,
  poison,
  thing,
  koffi,
  ...bridges,
  scale,
  destroy,
  sg,
  startup,
  suite,
};
report(results, judge(results));
