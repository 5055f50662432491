/*
 * The kernel environment from C (test/bridge/c/kenv.c): the simulated clock,
 * timers at their ticks in softirq context, work in process context on sleeps
 * and flushes, kref/refcount with the kernel's warnings, the kmalloc helpers,
 * the configuration; and BUILD_BUG as the kernel's (compile-only).
 */
import { describe, test, expect } from 'vitest';
import { cc_check } from '../cc-check.ts';
import * as path from 'node:path';
import { ROOT, bridge_skip_reason, dmashim_run, has_compiler } from './helpers.ts';
import { errors_by_function } from './api-probe.ts';

const skip = bridge_skip_reason();
const run = (part: string, options: string[] = []) => dmashim_run(['kenv.c'], options, [part]);

/*
 * The parts that leave no trace on the others, in one run: clock first (it
 * reads the clock from its start), then alloc and config (which never read
 * it). Each part's output follows its "--- part" line; the status is the run's.
 */
const SHARED = ['clock', 'alloc', 'config'];
let shared: { status: number | null; parts: Map<string, string> } | undefined;
function shared_part(part: string): { status: number | null; stdout: string } {
  if (shared === undefined) {
    const r = dmashim_run(['kenv.c'], [], SHARED);
    const parts = new Map<string, string>();
    for (const chunk of r.stdout.split(/^--- /m).slice(1)) {
      const nl = chunk.indexOf('\n');
      parts.set(chunk.slice(0, nl), chunk.slice(nl + 1));
    }
    expect([...parts.keys()], r.stdout).toEqual(SHARED);
    shared = { status: r.status, parts };
  }
  return { status: shared.status, stdout: shared.parts.get(part) ?? '' };
}

describe('kernel environment from C', () => {
  test('clock: ticks of 4 ms from INITIAL_JIFFIES, sleeps to a tick, delays exact, polling ends', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = shared_part('clock');
    expect(r.stdout).toBe(
      [
        'HZ=250 start=0 ns=0',
        'msecs_to_jiffies(10)=3 usecs_to_jiffies(1)=1 jiffies_to_msecs(3)=12',
        'udelay(10): 10 us',
        'msleep(10): jiffies 4, 16000 us',
        'polled to the timeout: 1 spins>0 jiffies 29',
        'advanced 1s: jiffies 279 time_after=1',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
  });

  test('timers: in tick order, in softirq, deleted ones never; held back while IRQs or softirqs are off', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = run('timers');
    expect(r.stdout).toBe(
      [
        'pending 4, mod again returns 1',
        'del_timer_sync(b) = 1, again 0',
        'timer d at 1 in_softirq=1',
        'timer a at 5 in_softirq=1',
        'timer c at 10 in_softirq=1',
        'after msleep(100): jiffies 26 a=1 b=0 c=1 d=1 pending=0',
        'irqs off, mdelay(20): a=1',
        'timer a at 31 in_softirq=1',
        'irqs on, udelay(1): a=2',
        'softirqs off, mdelay(20): a=2',
        'timer a at 36 in_softirq=1',
        'softirqs on again: a=3',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
  });

  test('a sleep in a timer callback is reported as in atomic context', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = run('timer-sleeps');
    expect(r.stderr).toContain('BUG: sleeping function called from invalid context at test/bridge/c/kenv.c:');
    expect(r.stdout).toBe('done\n');
    expect(r.status).toBe(3);
  });

  test('work: runs on flush and sleeps in process context, delayed work at its tick, cancel', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = run('work');
    expect(r.stdout).toBe(
      [
        'queue 1 again 0 pending 1 need_resched 1',
        'work at 0 in_task=1',
        'flush_work 1 runs 1',
        'flush idle 0',
        'cancel_work_sync 1 runs 1',
        'delayed from 2',
        'delayed work at 12',
        'delayed work at 37',
        'after msleep(200): druns 2 pending 1',
        'cancel_delayed_work_sync 1, again 0',
        'work at 79 in_task=1',
        'own wq: runs 2',
        'work at 81 in_task=1',
        'destroyed: runs 3',
        'work at 83 in_task=1',
        'advance: runs 4',
        '',
      ].join('\n'),
    );
    expect(r.stderr).not.toContain('leak');
    expect(r.status).toBe(0);
  });

  test('completions, wait queues, tasklets and an IRQ raised by the test, on the simulated clock', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = run('wait');
    expect(r.stdout).toBe(
      [
        'timer completes at 30',
        'completed: left 220 at 30',
        'nothing to complete: 0 at 40',
        'request_irq 0',
        'irq 11 in_irq=1 status 5',
        'tasklet at 40 in_softirq=1',
        'raised: handled 1 irqs 1 flag 1',
        'tasklet at 40 in_softirq=1',
        'wait_event_timeout 250 flag 1',
        'timed out 0 at 45',
        'no handler -2',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
  });

  test('a wait nothing can end gets the hung-task report and stops the program', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = run('hung');
    expect(r.stderr).toMatch(/INFO: task dmashim:\d+ blocked for more than 120 seconds\./);
    expect(r.stderr).toContain('wait_for_completion() at test/bridge/c/kenv.c:');
    expect(r.stdout).not.toContain('not reached');
    expect(r.status).not.toBe(0);
  });

  test('kref releases once; refcount_t saturates with the kernel warnings', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = run('kref');
    expect(r.stdout).toBe(
      [
        'read 2',
        'put 0 released 0',
        'put 1 released 1',
        'put 0 released 1',
        'inc on 0: -1073741824 saturated 1',
        'overflow saturated 1',
        'dec_and_test 0 1',
        '',
      ].join('\n'),
    );
    for (const text of [
      'refcount_t: underflow; use-after-free.',
      'refcount_t: addition on 0; use-after-free.',
      'refcount_t: decrement hit 0; leaking memory.',
      'refcount_t: saturated; leaking memory.',
    ])
      expect(r.stderr).toContain(text);
    expect(r.status).toBe(3);
  });

  test('kmemdup, kstrdup, krealloc, vzalloc, kvmalloc: contents kept, nothing leaked', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = shared_part('alloc');
    expect(r.stdout).toBe(
      [
        'kmemdup dma descriptor kstrdup ring0 kstrndup abc null (nil)',
        'krealloc grows, keeps and zeroes: 1, shrink in place 1',
        'vzalloc 1 vmalloc_to_page 1',
        'kvmalloc 1 kvzalloc 1',
        '',
      ].join('\n'),
    );
    expect(r.status).toBe(0);
  });

  test('configuration: x86-64 minimum DMA alignment, dmashim CONFIG_*, version overridable', (ctx) => {
    ctx.skip(!!skip, skip ?? '');
    const r = shared_part('config');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'ARCH_DMA_MINALIGN 8 ARCH_KMALLOC_MINALIGN 8 dma_debug 1 swiotlb 1 x86_64 1 module 0\nversion 6.16 new\n',
    );
    const old = dmashim_run(['kenv.c'], ['--cflags', '-DLINUX_VERSION_CODE=132620'], ['config']);
    expect(old.stdout).toContain('version 2.6 old\n');
  });
});

describe.each(['gcc', 'clang'])('BUILD_BUG with %s', (cc) => {
  /* Each body in a function of its own, one compile: the compiler reports BUILD_BUG's error in the function it stays in. */
  const compile = (
    opt: string,
    ...bodies: string[]
  ): { status: number | null; out: string; errors: Map<number, string> | null } => {
    const first: number[] = [];
    let text = '#include <linux/kernel.h>\n';
    bodies.forEach((body, i) => {
      first.push(text.split('\n').length);
      text += `int f${i}(int x);\nint f${i}(int x)\n{\n${body}\n\treturn x;\n}\n`;
    });
    const r = cc_check(
      cc,
      ['-std=gnu11', opt, '-I', path.join(ROOT, 'include'), '-x', 'c', '-c', '-', '-o', '/dev/null'],
      {
        input: text,
      },
    );
    return { status: r.status, out: r.stderr, errors: errors_by_function(r.stderr, first, 'f') };
  };

  for (const opt of ['-O2', '-O0'])
    test(`in a branch the compiler removes it compiles; where it stays it fails (${opt})`, (ctx) => {
      ctx.skip(!has_compiler(cc), `${cc} is not installed`);
      const r = compile(
        opt,
        '\tif (sizeof(long) == 4)\n\t\tBUILD_BUG();\n\tBUILD_BUG_ON(sizeof(u32) != 4);\n\tif (0)\n\t\tBUILD_BUG_ON(1);',
        '\tif (sizeof(long) == 8)\n\t\tBUILD_BUG();',
        '\tBUILD_BUG_ON(sizeof(u32) != 8);',
      );
      // The dead ones: no error in their function and no warning anywhere.
      expect(r.out).not.toContain('warning:');
      expect([...(r.errors?.keys() ?? [])].sort(), r.out).toEqual([1, 2]);
      expect(r.status).not.toBe(0);
      expect(r.errors?.get(1)).toContain('BUILD_BUG failed');
      expect(r.errors?.get(2)).toContain('BUILD_BUG_ON failed: sizeof(u32) != 8');
    });
});
