/*
 * pci_iomap()/pci_iounmap(): a memory BAR maps (its registers are memory a
 * test can play), mappings of one BAR share it, maxlen is honoured, and an
 * I/O-port or empty BAR gives NULL, the I/O one said so in the log.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run } from './helpers.ts';

const skip = bridge_skip_reason();

describe('pci_iomap', () => {
  test('maps a memory BAR; NULL for an I/O or empty one', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['pci_iomap.c'], ['--leaks']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('bar0 mapped=1 len=4096\nshared=1 part=1\nio=(nil) empty=(nil)\n');
    expect(r.stderr).toContain('pci_iomap: 0000:00:03.0 BAR 2 is an I/O port range: port I/O is not simulated');
    expect(r.stderr).toContain('leak report (bridge): clean');
  });
});
