/*
 * An EHCI-style host controller's DMA setup, ported from the C pattern of
 * drivers/usb/core/buffer.c (hcd_buffer_create) and drivers/usb/host/ehci-mem.c
 * (ehci_mem_init): the USB core's buffer-N pools, then the controller's qtd / qh /
 * itd / sitd pools, a few queue heads and transfer descriptors linked the way the
 * hardware expects, and the periodic frame list from dma_alloc_coherent.
 * Run: npm run example
 */
import {
  pci_dev,
  dev_set_name,
  device_register,
  device_unregister,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  dma_pool_create,
  dma_pool_zalloc,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_addr,
  c_struct,
  sysfs_read,
  dev_info,
  GFP_KERNEL,
  GFP_ATOMIC,
  create_machine,
  type dma_pool,
} from '../src/index.ts';

/* struct ehci_qh_hw: the hardware part of a queue head (68 bytes, 32-byte aligned). */
const ehci_qh_hw = c_struct({
  hw_next: 'u32',
  hw_info1: 'u32',
  hw_info2: 'u32',
  hw_current: 'u32',
  hw_qtd_next: 'u32',
  hw_alt_next: 'u32',
  hw_token: 'u32',
  hw_buf: ['u32', 5],
  hw_buf_hi: ['u32', 5],
});

/* struct ehci_qtd: hardware words, then the driver's own bookkeeping. */
const ehci_qtd = c_struct({
  hw_next: 'u32',
  hw_alt_next: 'u32',
  hw_token: 'u32',
  hw_buf: ['u32', 5],
  hw_buf_hi: ['u32', 5],
  qtd_dma: 'dma_addr_t',
  qtd_list: ['ptr', 2],
  urb: 'ptr',
  length: 'u32',
});

const EHCI_LIST_END = 1; /* "T" bit: end of a hardware list */
const QH_HEAD = 1 << 15;
const Q_TYPE_QH = 1 << 1;
const QTD_STS_HALT = 1 << 6;

const machine = create_machine({ name: 'ehci-example' });
const pdev = new pci_dev({ vendor: 0x8086, device: 0x293a, machine });
dev_set_name(pdev.dev, '0000:00:1a.0');
pdev.dev.driver_name = 'ehci-pci';
if (device_register(pdev.dev) !== 0) throw new Error('device_register failed');
if (dma_set_mask_and_coherent(pdev.dev, DMA_BIT_MASK(32)) !== 0) throw new Error('no usable DMA configuration');
const dev = pdev.dev;

// hcd_buffer_create(): one pool per small buffer size, align = size, no boundary.
const pool_max = [32, 128, 512, 2048];
const buffer_pools: dma_pool[] = [];
for (const size of pool_max) {
  const pool = dma_pool_create(`buffer-${size}`, dev, size, size, 0);
  if (!pool) throw new Error(`buffer-${size}: dma_pool_create failed`);
  buffer_pools.push(pool);
}

// ehci_mem_init(): hardware structures must be 32-byte aligned and never cross 4 KiB.
const qtd_pool = dma_pool_create('ehci_qtd', dev, ehci_qtd.size, 32, 4096)!;
const qh_pool = dma_pool_create('ehci_qh', dev, ehci_qh_hw.size, 32, 4096)!;
const itd_pool = dma_pool_create('ehci_itd', dev, 192, 32, 4096)!;
const sitd_pool = dma_pool_create('ehci_sitd', dev, 96, 32, 4096)!;

// Three queue heads, each with a dummy qtd, linked into a ring as the async schedule.
const qhs: Array<{ qh: number; qh_dma: number; qtd: number; qtd_dma: number }> = [];
for (let i = 0; i < 3; i++) {
  const dma = dma_addr();
  const qh = dma_pool_zalloc(qh_pool, GFP_ATOMIC, dma);
  const qtd_dma = dma_addr();
  const qtd = dma_pool_alloc(qtd_pool, GFP_ATOMIC, qtd_dma);
  if (!qh || !qtd) throw new Error('out of DMA memory');
  const t = ehci_qtd.at(qtd);
  t.hw_next = EHCI_LIST_END;
  t.hw_alt_next = EHCI_LIST_END;
  t.hw_token = QTD_STS_HALT;
  t.qtd_dma = qtd_dma.value;
  const hw = ehci_qh_hw.at(qh);
  hw.hw_qtd_next = qtd_dma.value;
  hw.hw_alt_next = EHCI_LIST_END;
  hw.hw_info1 = i === 0 ? QH_HEAD : 0;
  qhs.push({ qh, qh_dma: dma.value, qtd, qtd_dma: qtd_dma.value });
}
for (let i = 0; i < qhs.length; i++) {
  ehci_qh_hw.at(qhs[i]!.qh).hw_next = qhs[(i + 1) % qhs.length]!.qh_dma | Q_TYPE_QH;
}

// The periodic frame list: 1024 32-bit entries, one coherent page.
const periodic_dma = dma_addr();
const periodic = dma_alloc_coherent(dev, 1024 * 4, periodic_dma, GFP_KERNEL);
if (!periodic) throw new Error('periodic schedule: dma_alloc_coherent failed');

dev_info(
  dev,
  `async ring: qh ${qhs.map((q) => '0x' + q.qh_dma.toString(16)).join(' -> ')}, periodic at 0x${periodic_dma.value.toString(16)}`,
);

process.stdout.write(`$ cat /sys/bus/pci/devices/${dev.name}/pools\n`);
process.stdout.write(sysfs_read(dev, 'pools') ?? '(no pools file)\n');

// Teardown in the driver's order: blocks back, pools destroyed, device gone.
for (const q of qhs) {
  dma_pool_free(qtd_pool, q.qtd, q.qtd_dma);
  dma_pool_free(qh_pool, q.qh, q.qh_dma);
}
dma_free_coherent(dev, 1024 * 4, periodic, periodic_dma.value);
for (const p of [sitd_pool, itd_pool, qh_pool, qtd_pool, ...buffer_pools]) dma_pool_destroy(p);
device_unregister(dev);
