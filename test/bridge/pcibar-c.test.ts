/*
 * A PCI BAR as device memory from C (issue 15): dmashim_pci_set_resource_iomem
 * on an --iomem window, pci_iomap and its variants on memory, register, I/O and
 * empty BARs, ioread/iowrite on every kind of cookie, dma_declare_coherent_memory
 * on the BAR, and the sanitizer's report at the C line when BAR memory is taken
 * for RAM.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run, mark_line } from './helpers.ts';

const skip = bridge_skip_reason();
const FILE = 'pcibar-iomap.c';
const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

describe('PCI BARs and pci_iomap from C', () => {
  test('an iomem BAR, a register BAR, an I/O BAR and the kernel NULLs', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run([FILE], ['--iomem', '1M@0x7f00000000:sram', '--no-fail-on-findings']);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([
      'iomem BAR outside the window: -19, len 0',
      'iomem BAR of RAM: -19',
      'iomem I/O BAR: -22, size 0: -22',
      'iomem BAR 0: 0',
      'BAR 0: start 0x7f00000000 len 0x100000 flags 0x102200, config 0xc 0x7f',
      'pci_iomap BAR 0: the window, wc same 1, range at +0xff000 1, phys 0x7f00000000',
      'iowrite32 then readl: 0x12345678, byte in the window 0x78',
      'pci_iomap BAR 2: registers, ioread32 0xfeedf00d',
      'pci_iomap BAR 4: 0x1c000, ioread32 +4 0xabcd0123, inb +1 0x5a, ioread16 +4 0x123',
      'pci_iomap_wc BAR 4: (nil)',
      'empty BAR: (nil), BAR 11: (nil), BAR -1: (nil), offset past the end: (nil), maxlen 16 ok 1',
      'ioread32(NULL): 0xffffffff',
      'through pointers: 0x600dcafe 0x12345678',
      'declare: 0, alloc bus 0x40000000 phys 0x7f00000000, in the BAR mapping 1',
      'done',
    ]);
    expect(r.stderr).toContain(
      'dmashim: dmashim_pci_set_resource_iomem(): BAR 1 [mem 0x7f00100000-0x7f00100fff] of 0000:00:1b.0: ' +
        'no iomem window of the machine holds it (dmashim run --iomem SIZE@PHYS[:NAME]); the BAR is left as it was',
    );
    expect(r.stderr).toContain(
      'Bad IO access at port 0x0 (return inl(port))\n' +
        `WARNING: at test/bridge/c/${FILE}:${mark_line(FILE, 'bad_io')} ioread32()\n`,
    );
    expect(r.stderr).toMatch(
      new RegExp(
        'dmashim: virt_to_page\\(\\) of device memory: address \\S+ \\(phys 0x7f00000000\\) is in iomem window sram ' +
          '\\[mem 0x7f00000000-0x7f000fffff\\], which is not RAM and has no struct page.*\\n' +
          `virt_to_page\\(\\) called from test/bridge/c/${FILE}:${mark_line(FILE, 'virt_to_page')}\\n`,
      ),
    );
  });
});
