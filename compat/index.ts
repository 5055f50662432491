export * from './pci.ts';
export * from './pci-dma-compat.ts';
