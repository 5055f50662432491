export * from './pci.ts';
