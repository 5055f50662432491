/*
 * A tour of the sanitizer: a small "driver" makes one mistake after another and
 * dmashim reports each, with the kernel's text and where it happened.
 * Run: npx tsx examples/find_bugs.ts
 */
import {
  create_machine,
  pci_dev,
  dev_set_name,
  device_register,
  device_unregister,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_addr,
  writeb,
  run_in_irq,
  sanitizer_configure,
  dma_leak_report,
  log_configure,
  GFP_KERNEL,
  GFP_ATOMIC,
} from '../src/index.ts';

const say = (s: string) => process.stdout.write(`\n### ${s}\n`);
log_configure({ sink: (line) => process.stdout.write(line + '\n') });

const m = create_machine({ name: 'tour', poison: true });
sanitizer_configure(m, { sites: true, poison: true, all_errors: true });
const pdev = new pci_dev({ machine: m });
dev_set_name(pdev.dev, '0000:00:1d.7');
pdev.dev.driver_name = 'mydrv';
device_register(pdev.dev);
dma_set_mask_and_coherent(pdev.dev, DMA_BIT_MASK(32));
const dev = pdev.dev;
const pool = dma_pool_create('td', dev, 64, 16, 0)!;
const h = dma_addr();

say('double free');
const td = dma_pool_alloc(pool, GFP_KERNEL, h);
dma_pool_free(pool, td, h.value);
dma_pool_free(pool, td, h.value);

say('freeing into the wrong pool');
const other = dma_pool_create('qh', dev, 64, 16, 0)!;
const qh = dma_pool_alloc(other, GFP_KERNEL, h);
dma_pool_free(pool, qh, h.value);

say('vaddr and dma that do not belong together');
const td2 = dma_pool_alloc(pool, GFP_KERNEL, h);
dma_pool_free(pool, td2 + 4, h.value);

say('writing a block after freeing it (reported at its next allocation)');
dma_pool_free(pool, td2, h.value);
writeb(0xff, td2 + 3);
dma_pool_alloc(pool, GFP_KERNEL, h);

say('dma_free_coherent with the wrong size');
const ring = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
dma_free_coherent(dev, 4096, ring, h.value);

say('GFP_KERNEL in an interrupt handler');
run_in_irq(() => dma_pool_alloc(pool, GFP_KERNEL, dma_addr()));

say('an injected allocation failure (the driver error path)');
sanitizer_configure(m, { fault: { nth: 1, pool: 'qh' } });
if (!dma_pool_alloc(other, GFP_ATOMIC, dma_addr())) process.stdout.write('driver: -ENOMEM handled\n');
sanitizer_configure(m, { fault: null });

say('destroying a pool that is still in use');
dma_pool_destroy(other);

say('what is left at the end');
dma_leak_report(m);
device_unregister(dev);
