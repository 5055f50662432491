import {
  create_machine,
  device,
  pci_dev,
  dev_set_name,
  device_register,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  dma_debug_state,
  dmesg_mark,
  dmesg_since,
  type Machine,
  type MachineOptions,
} from '../../src/index.ts';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** 64 MiB below 4 GiB and 64 MiB above: masks matter, tests stay cheap. dma-debug prints every error. */
export function machine(opts: MachineOptions = {}): Machine {
  const m = create_machine({
    ram: [
      { start: 0, size: 64 * MiB },
      { start: 4 * GiB, size: 64 * MiB },
    ],
    ...opts,
  });
  dma_debug_state(m).all_errors = true;
  return m;
}

/** A registered device with both masks set to `bits`. */
export function dev_on(m: Machine, bits = 64, name = 'dev0'): device {
  const dev = new device(m);
  // A device needs a release (the kernel WARNs at the last put_device without one); the test's has nothing to free.
  dev.release = () => {};
  dev_set_name(dev, name);
  dev.driver_name = 'drv';
  if (device_register(dev) !== 0) throw new Error('device_register');
  dev.dma_mask = 0n;
  if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits)) !== 0) throw new Error('mask');
  return dev;
}

/** A PCI device (32-bit masks until set). */
export function pci_on(m: Machine, bits = 32, name = '0000:00:02.0'): pci_dev {
  const p = new pci_dev({ machine: m, name });
  device_register(p.dev);
  dma_set_mask_and_coherent(p.dev, DMA_BIT_MASK(bits));
  return p;
}

/** Run fn and return what it logged, verbatim. */
export function logged_raw(fn: () => void): string {
  const mark = dmesg_mark();
  fn();
  return dmesg_since(mark);
}

/** Run fn and return what it logged, without the "Mapped at:" site lines (sites are on under vitest). */
export function logged(fn: () => void): string {
  return logged_raw(fn).replace(/^Mapped at:\n(?: .*\n)*/gm, '');
}
