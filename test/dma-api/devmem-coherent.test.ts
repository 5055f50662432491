/*
 * Device memory (issue: on-board memory that is not RAM): iomem windows of the
 * machine, memremap/ioremap, dma_declare_coherent_memory on a window, every
 * allocation for the device drawn from it, the device side, dma_mmap_coherent,
 * and the sanitizer's reports when a driver takes it for RAM.
 */
import { describe, it, expect } from 'vitest';
import {
  GFP_KERNEL,
  DMA_TO_DEVICE,
  DMA_MAPPING_ERROR,
  DmashimError,
  dma_addr,
  dma_alloc_coherent,
  dma_free_coherent,
  dmam_alloc_coherent,
  dmam_free_coherent,
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_map_single,
  dma_map_page,
  dma_mmap_coherent,
  dma_mmap_attrs,
  dma_declare_coherent_memory,
  dma_release_coherent_memory,
  memremap,
  memunmap,
  ioremap,
  ioremap_wc,
  iounmap,
  MEMREMAP_WB,
  MEMREMAP_WC,
  readl,
  writel,
  readb,
  mem_bytes,
  virt_to_phys,
  virt_to_page,
  page_address,
  virt_addr_valid,
  phys_to_virt,
  alloc_pages,
  __free_pages,
  page_to_phys,
  scatterlist,
  sg_init_table,
  sg_set_buf,
  sg_set_page,
  device_dma_read,
  device_dma_write,
  vma_user_bytes,
  vma_munmap,
  sysfs_read,
  fault_inject_configure,
  fault_inject_reset,
  create_machine,
  kmalloc,
  type vm_area_struct,
  type Machine,
} from '../../src/index.ts';
import { machine, dev_on, logged, MiB } from './helpers.ts';

const SRAM = 0x7f00000000;
const BUS = 0x40000000;
const SRAM_SIZE = 1 * MiB;
const PAGE = 4096;

function sram_machine(extra: Parameters<typeof machine>[0] = {}): Machine {
  return machine({ iomem: [{ phys: SRAM, size: SRAM_SIZE, name: 'sram' }], ...extra });
}

function refused(opts: Parameters<typeof create_machine>[0]): string {
  try {
    create_machine(opts).dispose();
  } catch (e) {
    expect(e).toBeInstanceOf(DmashimError);
    expect((e as DmashimError).code).toBe('EINVALOPT');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('iomem windows of the machine', () => {
  it('sit after RAM in the arena, outside the page allocator, reachable by the CPU', () => {
    const m = create_machine({
      ram: [{ start: 0, size: 4 * MiB }],
      iomem: [{ phys: SRAM, size: SRAM_SIZE, name: 'sram' }],
    });
    expect(m.totalRam).toBe(4 * MiB);
    expect(m.iomem).toEqual([{ phys: SRAM, size: SRAM_SIZE, name: 'sram', arenaOff: 4 * MiB }]);
    // Every page the allocator has is RAM: the window is never handed out.
    let pages = 0;
    for (;;) {
      const pg = alloc_pages(GFP_KERNEL, 0, m);
      if (!pg) break;
      expect(page_to_phys(pg)).toBeLessThan(4 * MiB);
      pages++;
    }
    expect(pages).toBe((4 * MiB) / PAGE - 1);
    const v = memremap(SRAM + 0x100, 64, MEMREMAP_WC, m);
    expect(v).toBe(m.vbase + 4 * MiB + 0x100);
    writel(0xdeadbeef, v);
    expect(readl(v)).toBe(0xdeadbeef);
    expect(virt_to_phys(v)).toBe(SRAM + 0x100);
    expect(virt_addr_valid(v)).toBe(false);
    expect(virt_addr_valid(m.vbase + PAGE)).toBe(true);
    expect(phys_to_virt(SRAM, m)).toBe(0); /* no direct map of device memory */
    m.dispose();
  });

  it('are refused as RAM banks are: typed errors naming the window', () => {
    expect(refused({ iomem: [{ phys: 0x1000_0000, size: MiB }] })).toMatch(/overlaps the RAM bank at 0x0/);
    expect(refused({ iomem: [{ phys: SRAM + 1, size: MiB }] })).toMatch(/phys must be a multiple of 4096/);
    expect(refused({ iomem: [{ phys: SRAM, size: 0 }] })).toMatch(/size must be a positive multiple/);
    expect(refused({ iomem: [{ phys: SRAM, size: 100 }] })).toMatch(/size must be a positive multiple/);
    expect(refused({ iomem: [{ phys: 2 ** 48, size: MiB }] })).toMatch(/below 2\^48/);
    expect(
      refused({
        iomem: [
          { phys: SRAM, size: MiB, name: 'a' },
          { phys: SRAM + PAGE, size: MiB, name: 'b' },
        ],
      }),
    ).toMatch(/overlaps iomem window a/);
    expect(
      refused({
        iomem: [
          { phys: SRAM, size: MiB, name: 'a' },
          { phys: SRAM + MiB, size: MiB, name: 'a' },
        ],
      }),
    ).toMatch(/name a is already used/);
    expect(refused({ iomem: [{ phys: SRAM, size: MiB, name: 'no spaces' }] })).toMatch(/name must be/);
    expect(refused({ iomem: {} as never })).toMatch(/must be an array/);
    expect(refused({ iomem: [{ phys: '0x7f00000000', size: MiB } as never] })).toMatch(/must be integers/);
    expect(refused({ ram: [{ start: 0, size: 4 * 1024 * MiB }], iomem: [{ phys: SRAM, size: MiB }] })).toMatch(
      /exceed the 4294967296-byte arena limit/,
    );
  });
});

describe('memremap / ioremap', () => {
  it('give the window address; RAM only through memremap WB; refusals with the kernel texts', () => {
    const m = sram_machine();
    expect(memremap(SRAM, SRAM_SIZE, MEMREMAP_WB, m)).toBe(m.vbase + m.ramSize);
    expect(memremap(0x10000, PAGE, MEMREMAP_WB, m)).toBe(m.vbase + 0x10000);
    expect(logged(() => expect(memremap(0x10000, PAGE, MEMREMAP_WC, m)).toBe(0))).toMatch(
      /memremap attempted on ram 0x10000 size: 0x1000/,
    );
    expect(logged(() => expect(memremap(64 * MiB - PAGE, 2 * PAGE, MEMREMAP_WB, m)).toBe(0))).toMatch(
      /memremap attempted on mixed range/,
    );
    expect(memremap(SRAM, PAGE, 0, m)).toBe(0);
    expect(logged(() => expect(memremap(SRAM + SRAM_SIZE - PAGE, 2 * PAGE, MEMREMAP_WC, m)).toBe(0))).toMatch(
      /no device memory there/,
    );
    const io = ioremap(SRAM + 0xf000, PAGE, m);
    expect(io).toBe(m.vbase + m.ramSize + 0xf000);
    expect(ioremap_wc(SRAM + 0xf000, PAGE, m)).toBe(io);
    writel(0x12345678, io + 4);
    expect(readb(memremap(SRAM + 0xf004, 4, MEMREMAP_WC, m))).toBe(0x78);
    expect(logged(() => expect(ioremap(0x10000, PAGE, m)).toBe(0))).toMatch(/ioremap on RAM at 0x10000 - 0x10fff/);
    expect(logged(() => iounmap(io))).toBe('');
    expect(logged(() => iounmap(m.vbase + 0x10000))).toMatch(/iounmap: bad address/);
    expect(logged(() => memunmap(io))).toBe('');
  });
});

describe('dma_declare_coherent_memory on device memory', () => {
  it("takes a window with the kernel's return values", () => {
    const m = sram_machine();
    const dev = dev_on(m, 32);
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, 0)).toBe(-22);
    expect(logged(() => expect(dma_declare_coherent_memory(dev, SRAM + MiB, BUS, PAGE)).toBe(-22))).toMatch(
      /cannot be mapped/,
    );
    expect(dma_declare_coherent_memory(dev, SRAM + SRAM_SIZE - PAGE, BUS, 2 * PAGE)).toBe(-22); /* straddles the end */
    fault_inject_configure(m, { nth: 1, kinds: ['slab'] });
    expect(logged(() => expect(dma_declare_coherent_memory(dev, SRAM, BUS, SRAM_SIZE)).toBe(-12))).toMatch(
      /Reserved memory: failed to init DMA memory pool at 0x0000007f00000000, size 1024 KiB/,
    );
    fault_inject_reset(m);
    expect(dev.dma_mem).toBeNull();
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, SRAM_SIZE)).toBe(0);
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, SRAM_SIZE)).toBe(-16);
    expect(dma_declare_coherent_memory(null, SRAM, BUS, SRAM_SIZE)).toBe(-19);
    // RAM stays accepted (another device).
    const dev2 = dev_on(create_machine({ reserved_low: MiB }), 32, 'dev2');
    expect(dma_declare_coherent_memory(dev2, 0x10000, 0xd0000000, 4 * PAGE)).toBe(0);
  });

  it('dma_alloc_coherent: bus address, CPU address in the window, zeroed, naturally aligned, NULL when full', () => {
    const m = sram_machine();
    const dev = dev_on(m, 32);
    mem_bytes(ioremap(SRAM, SRAM_SIZE, m), SRAM_SIZE).fill(0xee);
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, 16 * PAGE)).toBe(0);
    const h1 = dma_addr();
    const v1 = dma_alloc_coherent(dev, 100, h1, GFP_KERNEL);
    expect(h1.value).toBe(BUS);
    expect(virt_to_phys(v1)).toBe(SRAM);
    expect([...mem_bytes(v1, 100)].every((b) => b === 0)).toBe(true);
    expect(readb(v1 + 100)).toBe(0xee); /* only the request is zeroed, as the kernel's memset(size) */
    const h2 = dma_addr();
    const v2 = dma_alloc_coherent(dev, 3 * PAGE, h2, GFP_KERNEL);
    expect(h2.value).toBe(BUS + 4 * PAGE);
    expect(virt_to_phys(v2)).toBe(SRAM + 4 * PAGE);
    expect(dma_alloc_coherent(dev, 16 * PAGE, dma_addr(), GFP_KERNEL)).toBe(0); /* no fallback to RAM */
    const h3 = dma_addr();
    expect(dma_alloc_coherent(dev, 8 * PAGE, h3, GFP_KERNEL)).not.toBe(0);
    expect(h3.value).toBe(BUS + 8 * PAGE);
    expect(dma_alloc_coherent(dev, PAGE, dma_addr(), GFP_KERNEL)).not.toBe(0); /* page 1 */
    expect(dma_alloc_coherent(dev, 2 * PAGE, dma_addr(), GFP_KERNEL)).not.toBe(0); /* pages 2-3 */
    expect(dma_alloc_coherent(dev, PAGE, dma_addr(), GFP_KERNEL)).toBe(0); /* full */
    dma_free_coherent(dev, 100, v1, h1.value);
    const h4 = dma_addr();
    expect(dma_alloc_coherent(dev, PAGE, h4, GFP_KERNEL)).toBe(v1);
    expect(h4.value).toBe(BUS);
    dma_release_coherent_memory(dev);
    const h5 = dma_addr();
    const ram = dma_alloc_coherent(dev, PAGE, h5, GFP_KERNEL);
    expect(virt_to_phys(ram)).toBeLessThan(m.physEnd); /* RAM again once released */
  });

  it('dma_pool pages and dmam_alloc_coherent come from the window; the pools file shows the pool', () => {
    const m = sram_machine();
    const dev = dev_on(m, 32);
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, 4 * PAGE)).toBe(0);
    const pool = dma_pool_create('snd-desc', dev, 64, 64, 0)!;
    const d = dma_addr();
    const blk = dma_pool_alloc(pool, GFP_KERNEL, d);
    expect(d.value).toBeGreaterThanOrEqual(BUS);
    expect(d.value).toBeLessThan(BUS + 4 * PAGE);
    expect(virt_to_phys(blk)).toBe(SRAM + (d.value - BUS));
    expect(sysfs_read(dev, 'pools')).toMatch(/^snd-desc +1 +64 +64 +1$/m);
    const md = dma_addr();
    const mv = dmam_alloc_coherent(dev, 2 * PAGE, md, GFP_KERNEL);
    expect(md.value).toBe(BUS + 2 * PAGE);
    expect(dma_alloc_coherent(dev, 2 * PAGE, dma_addr(), GFP_KERNEL)).toBe(0); /* the rest is taken */
    dmam_free_coherent(dev, 2 * PAGE, mv, md.value);
    expect(dma_alloc_coherent(dev, 2 * PAGE, dma_addr(), GFP_KERNEL)).toBe(mv);
    dma_pool_free(pool, blk, d.value);
    dma_pool_destroy(pool);
  });
});

describe('the device side and user space on device memory', () => {
  it('the device reads and writes the window at the bus address; stray accesses are refused', () => {
    const m = sram_machine();
    const dev = dev_on(m, 32);
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, 8 * PAGE)).toBe(0);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 2 * PAGE, h, GFP_KERNEL);
    expect(device_dma_write(dev, h.value + 10, [1, 2, 3])).toBe(0);
    expect([...mem_bytes(v + 10, 3)]).toEqual([1, 2, 3]);
    writel(0xcafef00d, v + 100);
    expect([...device_dma_read(dev, h.value + 100, 4)!]).toEqual([0x0d, 0xf0, 0xfe, 0xca]);
    // Not allocated: the rest of the window, and past its end.
    expect(logged(() => expect(device_dma_write(dev, BUS + 4 * PAGE, [9])).toBeLessThan(0))).not.toBe('');
    expect(readb(ioremap(SRAM + 4 * PAGE, PAGE, m))).toBe(0);
    expect(logged(() => expect(device_dma_read(dev, h.value + 2 * PAGE - 2, 4)).toBeNull())).not.toBe('');
  });

  it("dma_mmap_coherent maps the buffer with the kernel's checks; freeing it while mapped is reported", () => {
    const m = sram_machine();
    const dev = dev_on(m, 32);
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, 16 * PAGE)).toBe(0);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4 * PAGE, h, GFP_KERNEL);
    writel(0x11223344, v + PAGE);
    const vma: vm_area_struct = { vm_start: 0x7000_0000_0000, vm_end: 0x7000_0000_0000 + 3 * PAGE, vm_pgoff: 1 };
    expect(dma_mmap_coherent(dev, vma, v, h.value, 4 * PAGE)).toBe(0);
    const user = vma_user_bytes(vma);
    expect([...user.subarray(0, 4)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    user[8] = 0x5a; /* user stores land in device memory */
    expect(readb(v + PAGE + 8)).toBe(0x5a);
    const tooFar: vm_area_struct = { vm_start: 0x7100_0000_0000, vm_end: 0x7100_0000_0000 + PAGE, vm_pgoff: 4 };
    expect(dma_mmap_attrs(dev, tooFar, v, h.value, 4 * PAGE, 0)).toBe(-6);
    const tooBig: vm_area_struct = { vm_start: 0x7200_0000_0000, vm_end: 0x7200_0000_0000 + 4 * PAGE, vm_pgoff: 1 };
    expect(dma_mmap_coherent(dev, tooBig, v, h.value, 4 * PAGE)).toBe(-6);
    expect(logged(() => dma_free_coherent(dev, 4 * PAGE, v, h.value))).toMatch(
      /dma_free_coherent\(\) of a buffer still mmap\(\)ed to user space .*\[device memory: iomem window sram \[mem 0x7f00000000-0x7f000fffff\]\] .*big mistake/,
    );
    // Held until munmap: the region cannot hand those pages out again yet.
    expect(dma_alloc_coherent(dev, 4 * PAGE, dma_addr(), GFP_KERNEL)).not.toBe(v);
    expect(vma_munmap(vma)).toBe(0);
    expect(dma_alloc_coherent(dev, 4 * PAGE, dma_addr(), GFP_KERNEL)).toBe(v);
  });
});

describe('the sanitizer on device memory taken for RAM', () => {
  const WINDOW = /iomem window sram \[mem 0x7f00000000-0x7f000fffff\], which is not RAM and has no struct page/;

  it('virt_to_page and page_address of its result are reported; nothing harmful follows', () => {
    const m = sram_machine();
    const dev = dev_on(m, 32);
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, 16 * PAGE)).toBe(0);
    const v = dma_alloc_coherent(dev, PAGE, dma_addr(), GFP_KERNEL);
    let pg = 0;
    const log = logged(() => {
      pg = virt_to_page(v + 8);
    });
    expect(log).toMatch(/^dmashim: virt_to_page\(\) of device memory: address \S+ \(phys 0x7f00000008\)/);
    expect(log).toMatch(WINDOW);
    expect(log).toMatch(/called from test\/dma-api\/devmem-coherent\.test\.ts:\d+/);
    let back = 0;
    expect(logged(() => (back = page_address(pg)))).toMatch(/page_address\(\) of device memory: struct page/);
    expect(back).toBe(v);
    expect(logged(() => __free_pages(pg, 0))).toMatch(/Bad page state/);
    expect(virt_to_phys(v)).toBe(SRAM); /* works, silently */
    // RAM: no report.
    const k = kmalloc(64, GFP_KERNEL, m);
    expect(logged(() => page_address(virt_to_page(k)))).toBe('');
  });

  it('sg_set_buf and sg_set_page are reported; dma_map_single/dma_map_page refuse it', () => {
    const m = sram_machine();
    const dev = dev_on(m, 32);
    expect(dma_declare_coherent_memory(dev, SRAM, BUS, 16 * PAGE)).toBe(0);
    const v = dma_alloc_coherent(dev, PAGE, dma_addr(), GFP_KERNEL);
    const sg = [new scatterlist()];
    sg_init_table(sg, 1);
    const a = logged(() => sg_set_buf(sg[0]!, v, 512));
    expect(a).toMatch(/^dmashim: sg_set_buf\(\) of device memory/);
    expect(a).toMatch(WINDOW);
    expect(a.match(/of device memory/g)).toHaveLength(1); /* one report, not one per helper */
    const pg = sg[0]!.page_link;
    expect(logged(() => sg_set_page(sg[0]!, pg, 512, 0))).toMatch(/^dmashim: sg_set_page\(\) of device memory/);
    let dma = 0;
    const b = logged(() => (dma = dma_map_single(dev, v, 64, DMA_TO_DEVICE)));
    expect(dma).toBe(DMA_MAPPING_ERROR);
    expect(b).toMatch(/^dmashim: dma_map_single\(\) of device memory: .*not mapped \(DMA_MAPPING_ERROR\)/);
    expect(b).toMatch(WINDOW);
    const c = logged(() => (dma = dma_map_page(dev, pg, 0, 64, DMA_TO_DEVICE)));
    expect(dma).toBe(DMA_MAPPING_ERROR);
    expect(c).toMatch(/^dmashim: dma_map_page\(\) of device memory/);
  });
});
