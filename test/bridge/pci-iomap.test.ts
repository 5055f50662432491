/*
 * pci_iomap()/pci_iounmap(): a memory BAR maps (its registers are memory a
 * test can play), mappings of one BAR share it, maxlen is honoured, an
 * I/O-port BAR gives x86's port cookie (port + 0x10000) and an empty BAR NULL.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run } from './helpers.ts';

const skip = bridge_skip_reason();

describe('pci_iomap', () => {
  test('maps a memory BAR; a port cookie for an I/O BAR; NULL for an empty one', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['pci_iomap.c'], ['--leaks']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('bar0 mapped=1 len=4096\nshared=1 part=1\nio=0x1c000 empty=(nil)\n');
    expect(r.stderr).toContain('leak report (bridge): clean');
  });
});
