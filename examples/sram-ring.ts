/*
 * A sound card whose DMA ring lives in its own on-board SRAM, not in system
 * RAM: 1 MiB that the CPU sees at physical 0x7f00000000 and the card's DMA
 * engine at bus 0x40000000, with no struct page behind it: the card's PCI BAR
 * 0, an iomem window of the machine. The same driver as examples/sram-ring.c,
 * in TypeScript. Run: npx tsx examples/sram-ring.ts
 *
 * The driver finds the SRAM through its BAR (pci_resource_start, pci_iomap)
 * and declares it as the card's coherent memory, so its ring and
 * its descriptor pool come from there; the card (played by the script) fills
 * the ring; user space maps the ring through dma_mmap_coherent() and reads the
 * samples. Then the driver does what such drivers must not: it asks for the
 * ring's struct page (virt_to_page) to build a scatterlist, and frees the ring
 * while user space still has it mapped. Both are reported.
 */
import {
  create_machine,
  pci_dev,
  dev_set_name,
  device_register,
  device_unregister,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  dma_declare_coherent_memory,
  dma_release_coherent_memory,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_pool_create,
  dma_pool_zalloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_mmap_coherent,
  dma_map_sg,
  dma_addr,
  pci_set_resource,
  pci_resource_start,
  pci_resource_len,
  pci_enable_device,
  pci_disable_device,
  pci_request_regions,
  pci_release_regions,
  pci_set_master,
  pci_iomap_range,
  pci_iounmap,
  ioread32,
  iowrite32,
  IORESOURCE_MEM,
  IORESOURCE_PREFETCH,
  writel,
  readb,
  virt_to_phys,
  virt_to_page,
  scatterlist,
  sg_init_table,
  sg_set_page,
  device_dma_write,
  vma_user_bytes,
  vma_munmap,
  GFP_KERNEL,
  DMA_TO_DEVICE,
  type vm_area_struct,
} from '../src/index.ts';

const SRAM_PHYS = 0x7f00000000; /* where the CPU sees the card's SRAM */
const SRAM_BUS = 0x40000000; /* where the card's DMA engine sees it */
const SRAM_SIZE = 1024 * 1024;
const RING_BYTES = 64 * 1024;
const PERIOD_BYTES = 4096;
const CARD_REGS = 0xf000; /* offset of the card's mailbox in SRAM */
const DESC_SIZE = 16; /* struct snd_desc: addr, len, flags, next (le32 each) */

const hex = (n: number): string => `0x${n.toString(16)}`;
const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

const machine = create_machine({
  name: 'sram-ring',
  iomem: [{ phys: SRAM_PHYS, size: SRAM_SIZE, name: 'sram' }],
});
const pdev = new pci_dev({ vendor: 0x8086, device: 0x293e, machine });
const dev = pdev.dev;
// The firmware's part: BAR 0 is the card's SRAM, device memory (the window above).
pci_set_resource(pdev, 0, SRAM_PHYS, SRAM_SIZE, IORESOURCE_MEM | IORESOURCE_PREFETCH, { iomem: true });
dev_set_name(dev, '0000:00:1b.0');
if (device_register(dev) !== 0) throw new Error('device_register failed');

// probe: BAR 0's SRAM becomes the card's coherent memory; ring and descriptors come from it.
if (pci_enable_device(pdev) !== 0 || pci_request_regions(pdev, 'snd-sram') !== 0) throw new Error('probe: no BARs');
pci_set_master(pdev);
if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)) !== 0) throw new Error('no usable DMA configuration');
say(`probe: ${dma_declare_coherent_memory(dev, pci_resource_start(pdev, 0), SRAM_BUS, pci_resource_len(pdev, 0))}`);
const regs = pci_iomap_range(pdev, 0, CARD_REGS, 4096);
const ring_dma = dma_addr();
const ring = dma_alloc_coherent(dev, RING_BYTES, ring_dma, GFP_KERNEL);
const desc_pool = dma_pool_create('snd-desc', dev, DESC_SIZE, 16, 0);
if (!regs || !ring || !desc_pool) throw new Error('probe: out of SRAM');
const descs: Array<{ v: number; dma: number }> = [];
for (let i = 0; i < 4; i++) {
  const d = dma_addr();
  const v = dma_pool_zalloc(desc_pool, GFP_KERNEL, d);
  if (!v) throw new Error('probe: no descriptor');
  writel(ring_dma.value + i * PERIOD_BYTES, v);
  writel(PERIOD_BYTES, v + 4);
  descs.push({ v, dma: d.value });
}
for (let i = 0; i < 4; i++) writel(descs[(i + 1) % 4]!.dma, descs[i]!.v + 12);
iowrite32(descs[0]!.dma, regs);
say(`ring: bus ${hex(ring_dma.value)}, phys ${hex(virt_to_phys(ring))}`);
say(`desc0: bus ${hex(descs[0]!.dma)}, mailbox ${hex(ioread32(regs))}`);

// The card plays period 1 into the ring at its bus address.
const period = Uint8Array.from({ length: PERIOD_BYTES }, (_, i) => (i * 3) & 0xff);
const rc = device_dma_write(dev, ring_dma.value + PERIOD_BYTES, period);
say(`card writes period 1: ${rc}, cpu sees ${readb(ring + PERIOD_BYTES + 1)} ${readb(ring + PERIOD_BYTES + 2)}`);

// User space maps the ring (the driver's mmap handler) and reads the same samples.
const vma: vm_area_struct = { vm_start: 0x7f1200000000, vm_end: 0x7f1200000000 + RING_BYTES, vm_pgoff: 0 };
const bad: vm_area_struct = { vm_start: 0x7f1300000000, vm_end: 0x7f1300000000 + 2 * PERIOD_BYTES, vm_pgoff: 15 };
const mrc = dma_mmap_coherent(dev, vma, ring, ring_dma.value, RING_BYTES);
const user = vma_user_bytes(vma);
say(`mmap: ${mrc}, user sees ${user[PERIOD_BYTES + 1]} ${user[PERIOD_BYTES + 2]}`);
say(`mmap past the ring: ${dma_mmap_coherent(dev, bad, ring, ring_dma.value, RING_BYTES)}`);

// The bug: a DMA buffer assumed to have a struct page. Reported; the entry is refused when mapped.
const sg = [new scatterlist()];
sg_init_table(sg, 1);
sg_set_page(sg[0]!, virt_to_page(ring), PERIOD_BYTES, 0);
say(`dma_map_sg of it: ${dma_map_sg(dev, sg, 1, DMA_TO_DEVICE)}`);

// Teardown in the wrong order: the ring is freed while user space maps it.
for (const d of descs) dma_pool_free(desc_pool, d.v, d.dma);
dma_pool_destroy(desc_pool);
dma_free_coherent(dev, RING_BYTES, ring, ring_dma.value);
say(`munmap: ${vma_munmap(vma)}`);
pci_iounmap(pdev, regs);
dma_release_coherent_memory(dev);
pci_release_regions(pdev);
pci_disable_device(pdev);
device_unregister(dev);
