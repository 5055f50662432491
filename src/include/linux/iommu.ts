/*
 * include/linux/iommu.h: the IOMMU's permission and fault flags (a leaf, so
 * drivers/iommu/* share them without import cycles).
 */
export const IOMMU_READ = 1 << 0;
export const IOMMU_WRITE = 1 << 1;
export const IOMMU_FAULT_READ = 0x0;
export const IOMMU_FAULT_WRITE = 0x1;
