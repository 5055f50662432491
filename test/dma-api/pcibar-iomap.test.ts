/*
 * A PCI BAR as device memory (issue 15): pci_set_resource(..., { iomem: true })
 * on a window of the machine, pci_iomap and its variants on memory, I/O and
 * empty BARs, ioread/iowrite on every kind of cookie, dma_declare_coherent_memory
 * on the BAR, and the sanitizer's report when BAR memory is taken for RAM.
 */
import { describe, it, expect } from 'vitest';
import {
  DmashimError,
  GFP_KERNEL,
  IORESOURCE_IO,
  IORESOURCE_MEM,
  IORESOURCE_MEM_64,
  IORESOURCE_PREFETCH,
  PCI_BASE_ADDRESS_0,
  MEMREMAP_WC,
  dma_addr,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_declare_coherent_memory,
  dma_release_coherent_memory,
  memremap,
  readl,
  ioread8,
  ioread16,
  ioread32,
  iowrite8,
  iowrite16,
  iowrite32,
  inb,
  inl,
  outl,
  ioport_map,
  virt_to_phys,
  virt_to_page,
  pci_set_resource,
  pci_resource_start,
  pci_resource_len,
  pci_resource_flags,
  pci_read_config_dword,
  pci_iomap,
  pci_iomap_range,
  pci_iomap_wc,
  pci_iomap_wc_range,
  pci_iounmap,
  type pci_dev,
  type Machine,
} from '../../src/index.ts';
import { machine, pci_on, logged, MiB } from './helpers.ts';

const SRAM = 0x7f00000000;
const BUS = 0x40000000;
const REGS = 0xfe000000;
const PORT = 0xc000;
const PAGE = 4096;

function card(): { m: Machine; pdev: pci_dev } {
  const m = machine({ iomem: [{ phys: SRAM, size: MiB, name: 'sram' }] });
  return { m, pdev: pci_on(m, 32, '0000:00:1b.0') };
}

function refused(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DmashimError);
    expect((e as DmashimError).code).toBe('EINVALOPT');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('a BAR that is device memory', () => {
  it('must lie inside one iomem window; the resource and the BAR register are as for any BAR', () => {
    const { m, pdev } = card();
    expect(refused(() => pci_set_resource(pdev, 1, SRAM + MiB, PAGE, IORESOURCE_MEM, { iomem: true }))).toBe(
      'pci_set_resource: BAR 1 of 0000:00:1b.0: [mem 0x7f00100000-0x7f00100fff] is not inside one iomem window ' +
        'of machine sim (create_machine({ iomem: [{ phys, size, name }] }))',
    );
    expect(refused(() => pci_set_resource(pdev, 1, SRAM + MiB - PAGE, 2 * PAGE, 0, { iomem: true }))).toMatch(
      /not inside one iomem window/,
    );
    expect(refused(() => pci_set_resource(pdev, 1, 0x100000, PAGE, 0, { iomem: true }))).toMatch(/not inside/);
    expect(refused(() => pci_set_resource(pdev, 1, PORT, 64, IORESOURCE_IO, { iomem: true }))).toMatch(
      /an iomem BAR is a memory BAR with a size/,
    );
    expect(refused(() => pci_set_resource(pdev, 1, SRAM, 0, 0, { iomem: true }))).toMatch(/memory BAR with a size/);
    expect(refused(() => pci_set_resource(pdev, 1, SRAM, PAGE, 0, null as never))).toMatch(/options must be/);
    expect(pci_resource_len(pdev, 1)).toBe(0); /* refused: left as it was */
    // A window of another machine does not count.
    const other = machine({ iomem: [{ phys: SRAM + 2 * MiB, size: MiB, name: 'elsewhere' }] });
    expect(refused(() => pci_set_resource(pdev, 1, SRAM + 2 * MiB, PAGE, 0, { iomem: true }))).toMatch(/not inside/);
    other.dispose();

    pci_set_resource(pdev, 0, SRAM, MiB, IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH, { iomem: true });
    expect(pci_resource_start(pdev, 0)).toBe(SRAM);
    expect(pci_resource_len(pdev, 0)).toBe(MiB);
    expect(pci_resource_flags(pdev, 0)).toBe(IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH);
    const lo = { value: 0 };
    const hi = { value: 0 };
    pci_read_config_dword(pdev, PCI_BASE_ADDRESS_0, lo);
    pci_read_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4, hi);
    expect([lo.value, hi.value]).toEqual([0x0000000c, 0x7f]);
    m.dispose();
  });

  it('pci_iomap gives the window; dma_declare_coherent_memory takes the BAR; virt_to_page on it is reported', () => {
    const { m, pdev } = card();
    pci_set_resource(pdev, 0, SRAM, MiB, IORESOURCE_MEM, { iomem: true });
    const bar = pci_iomap(pdev, 0, 0);
    expect(bar).toBe(memremap(SRAM, MiB, MEMREMAP_WC, m));
    expect(virt_to_phys(bar)).toBe(SRAM);
    expect(pci_iomap_wc(pdev, 0, 0)).toBe(bar);
    expect(pci_iomap(pdev, 0, 16)).toBe(bar);
    expect(pci_iomap_range(pdev, 0, 0xff000, 0)).toBe(bar + 0xff000);
    expect(pci_iomap_wc_range(pdev, 0, 0x1000, 0x1000)).toBe(bar + 0x1000);
    iowrite32(0x12345678, bar + 0x10);
    expect(readl(bar + 0x10)).toBe(0x12345678);
    iowrite16(0xbeef, bar + 0x20);
    iowrite8(0x5a, bar + 0x22);
    expect([ioread16(bar + 0x20), ioread8(bar + 0x22), ioread32(bar + 0x20)]).toEqual([0xbeef, 0x5a, 0x5abeef]);

    const dev = pdev.dev;
    expect(dma_declare_coherent_memory(dev, pci_resource_start(pdev, 0), BUS, pci_resource_len(pdev, 0))).toBe(0);
    const h = dma_addr();
    const ring = dma_alloc_coherent(dev, 2 * PAGE, h, GFP_KERNEL);
    expect([ring, h.value]).toEqual([bar, BUS]);
    expect(readl(ring + 0x10)).toBe(0); /* zeroed for the allocation */

    const log = logged(() => virt_to_page(bar + 8));
    expect(log).toMatch(/^dmashim: virt_to_page\(\) of device memory: address \S+ \(phys 0x7f00000008\)/);
    expect(log).toMatch(/iomem window sram \[mem 0x7f00000000-0x7f000fffff\], which is not RAM and has no struct page/);
    dma_free_coherent(dev, 2 * PAGE, ring, h.value);
    dma_release_coherent_memory(dev);
    expect(logged(() => pci_iounmap(pdev, bar))).toBe('');
    m.dispose();
  });

  it('a memory BAR no window backs maps to NULL from TypeScript, with ioremap saying why', () => {
    const { m, pdev } = card();
    pci_set_resource(pdev, 2, REGS, PAGE, IORESOURCE_MEM);
    let v = -1;
    expect(logged(() => (v = pci_iomap(pdev, 2, 0)))).toMatch(
      /^dmashim: ioremap\(0xfe000000, 0x1000\): no device memory there/,
    );
    expect(v).toBe(0);
    m.dispose();
  });
});

describe('pci_iomap of I/O and empty BARs, and the iomap cookies', () => {
  it('an I/O BAR is the port cookie; ioread/iowrite on it are port I/O; _wc gives NULL', () => {
    const { m, pdev } = card();
    pci_set_resource(pdev, 4, PORT, 64, IORESOURCE_IO);
    const io = pci_iomap(pdev, 4, 0);
    expect(io).toBe(PORT + 0x10000);
    expect(ioport_map(PORT, 64)).toBe(io);
    expect(ioport_map(0x10000, 1)).toBe(0);
    outl(0xabcd0123, PORT + 4);
    expect(ioread32(io + 4)).toBe(0xabcd0123);
    expect(ioread16(io + 4)).toBe(0x0123);
    iowrite8(0x5a, io + 1);
    expect(inb(PORT + 1)).toBe(0x5a);
    iowrite32(0xfeedf00d, io + 8);
    expect(inl(PORT + 8)).toBe(0xfeedf00d);
    expect(pci_iomap_range(pdev, 4, 8, 0)).toBe(io + 8);
    expect(pci_iomap_wc(pdev, 4, 0)).toBe(0);
    expect(pci_iomap_wc_range(pdev, 4, 8, 0)).toBe(0);
    expect(logged(() => pci_iounmap(pdev, io))).toBe('');
    m.dispose();
  });

  it('NULL for an empty BAR, a bad BAR number, start 0 or an offset at the end', () => {
    const { m, pdev } = card();
    pci_set_resource(pdev, 0, SRAM, MiB, IORESOURCE_MEM, { iomem: true });
    pci_set_resource(pdev, 1, 0, PAGE, IORESOURCE_IO);
    expect(pci_iomap(pdev, 3, 0)).toBe(0);
    expect(pci_iomap(pdev, 11, 0)).toBe(0);
    expect(pci_iomap(pdev, -1, 0)).toBe(0);
    expect(pci_iomap(pdev, 1, 0)).toBe(0);
    expect(pci_iomap_range(pdev, 0, MiB, 0)).toBe(0);
    expect(pci_iomap_range(pdev, 0, MiB - 1, 0)).not.toBe(0);
    expect(pci_iomap_range(pdev, 0, -1, 0)).toBe(0);
    m.dispose();
  });

  it('ioread of NULL is the kernel WARN "Bad IO access" and all ones; iowrite of it does nothing', () => {
    let v = 0;
    const log = logged(() => (v = ioread32(0)));
    expect(v).toBe(0xffffffff);
    expect(log).toMatch(/Bad IO access at port 0x0 \(return inl\(port\)\)/);
    expect(logged(() => iowrite16(1, 0x10000))).toMatch(/Bad IO access at port 0x10000 \(outw\(val,port\)\)/);
  });
});
