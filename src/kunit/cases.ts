/*
 * The TypeScript side of a KUnit case's boundaries (the kunit op, called by
 * native/kunit.c): what the sanitizer reports between a case's start and its
 * end, and the DMA memory the case allocated and did not free by its end
 * (after its exit and deferred actions ran), fail that case, as a KASAN
 * report fails a kernel KUnit case. The findings are printed as the case's
 * KTAP diagnostic lines, on stdout where C prints the rest of the KTAP.
 */
import { writeSync } from 'node:fs';
import type { Machine } from '../arch/sim/machine.ts';
import { log_subscribe } from '../kernel/printk.ts';
import { machine_pools, type dma_pool } from '../mm/dmapool.ts';
import { dma_leak_report, dma_debug_error_count, type LeakGroup } from '../sim/sanitizer.ts';
import { FindingCollector } from '../bridge/report.ts';
import { abi_const } from '../bridge/abi.ts';

const CASE_START = abi_const('DMASHIM_KUNIT_CASE_START');
const CASE_END = abi_const('DMASHIM_KUNIT_CASE_END');
const SUITE_END = abi_const('DMASHIM_KUNIT_SUITE_END');
const SUITE_START = abi_const('DMASHIM_KUNIT_SUITE_START');

/* KTAP diagnostic lines are indented as the case's own (kunit_err's KUNIT_SUBTEST_INDENT). */
const INDENT = '    ';

interface Snapshot {
  groups: Map<string, LeakGroup>;
  pools: Set<dma_pool>;
  dma_debug_errors: number;
}

function group_key(g: LeakGroup): string {
  return `${g.kind}|${g.what}|${g.device}|${g.site}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Per-machine state of the case boundaries; made on the first kunit op. */
export class KunitCases {
  private readonly machine: Machine;
  private readonly collector = new FindingCollector();
  /* Findings made outside any case of the current suite (suite_init, suite_exit). */
  private outside: string[][] = [];
  private start: Snapshot | null = null;

  constructor(machine: Machine) {
    this.machine = machine;
    log_subscribe((r) => this.collector.add(r));
  }

  /** One kunit op: the starts return 0; CASE_END and SUITE_END print and return the number of findings. */
  op(op: number, name: string): number {
    this.collector.done();
    const found = this.collector.findings.splice(0).map((f) => f.text);
    if (op === SUITE_START) {
      // Only the program's own set-up ran before: nothing to attribute (run()'s report still has it).
      this.outside = [];
      return 0;
    }
    if (op === CASE_START) {
      this.outside.push(...found);
      this.start = this.snapshot();
      return 0;
    }
    if (op === CASE_END) {
      const start = this.start;
      this.start = null;
      if (start) found.push(...this.leaks_since(start, found));
      this.print(name, found);
      return found.length;
    }
    if (op === SUITE_END) {
      const all = [...this.outside, ...found];
      this.outside = [];
      this.print(name, all);
      return all.length;
    }
    return -22;
  }

  private snapshot(): Snapshot {
    const groups = new Map<string, LeakGroup>();
    for (const g of dma_leak_report(this.machine, false).groups) groups.set(group_key(g), g);
    return {
      groups,
      pools: new Set(machine_pools(this.machine)),
      dma_debug_errors: dma_debug_error_count(this.machine),
    };
  }

  /*
   * What the case left: leak-report groups that grew since its start, pools it
   * created and did not destroy, and dma-debug errors it made that were not printed.
   */
  private leaks_since(start: Snapshot, found: string[][]): string[][] {
    const now = this.snapshot();
    const lines: string[] = [];
    for (const [key, g] of now.groups) {
      const before = start.groups.get(key);
      const count = g.count - (before?.count ?? 0);
      if (count <= 0) continue;
      const bytes = g.bytes - (before?.bytes ?? 0);
      const what =
        g.kind === 'pool'
          ? `${plural(count, 'block')} in pool ${g.what}`
          : g.kind === 'coherent'
            ? plural(count, 'coherent buffer')
            : plural(count, `${g.what} mapping`);
      lines.push(`  ${what} (${bytes} bytes) on ${g.device}, allocated at ${g.site}`);
    }
    for (const pool of now.pools)
      if (!start.pools.has(pool)) lines.push(`  dma_pool ${pool.name} on ${pool.dev.name} was not destroyed`);
    const out: string[][] = [];
    if (lines.length)
      out.push([`dmashim: leak: DMA memory allocated in this case was not freed when it ended:`, ...lines]);
    const printed = found.filter((t) => t[0]?.startsWith('DMA-API: ')).length;
    const errors = now.dma_debug_errors - start.dma_debug_errors;
    if (errors > printed)
      out.push([
        `DMA-API: ${plural(errors - printed, 'more error')} in this case not printed (--all-errors prints them)`,
      ]);
    return out;
  }

  private print(name: string, found: string[][]): void {
    if (found.length === 0) return;
    let text = '';
    for (const lines of found) {
      text += `${INDENT}# ${name}: ${lines[0] ?? ''}\n`;
      for (const l of lines.slice(1)) text += `${INDENT}${l}\n`;
    }
    writeSync(1, text);
  }
}
