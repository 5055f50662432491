/*
 * The bridge ABI, TypeScript side: the version and the ops table, in the order
 * of struct dmashim_ops (native/dmashim_ops.h). The C side checks both the
 * version and the number of entries at start-up.
 */

/** Must equal DMASHIM_ABI_VERSION in include/dmashim/bridge.h. */
export const DMASHIM_ABI_VERSION = 5;

/** Callback prototypes, in table order (the names are the struct members'). */
export const OPS_PROTOTYPES = [
  'int32_t dev_new(double addr, int32_t is_pci)',
  'void dev_sync(int32_t id, int32_t has_mask, uint32_t mask_hi, uint32_t mask_lo, uint32_t cmask_hi, uint32_t cmask_lo, uint32_t limit_hi, uint32_t limit_lo, const char *driver, const char *bus)',
  'int32_t dev_set_name(int32_t id, const char *name)',
  'int32_t dev_register(int32_t id)',
  'void dev_unregister(int32_t id)',
  'void dev_release_driver(int32_t id)',
  'int32_t dev_mask(int32_t id, int32_t op, uint32_t hi, uint32_t lo, int32_t slot)',
  'void printk(int32_t level, int32_t dev, const char *text)',
  'int32_t pool_create(const char *name, int32_t dev, double size, double align, double boundary, int32_t node, uint32_t flags, double site)',
  'double pool_alloc(int32_t pool, uint32_t gfp, int32_t slot, double site)',
  'void pool_free(int32_t pool, double vaddr, double dma, double site)',
  'void pool_destroy(int32_t pool, int32_t managed, double site)',
  'void pool_set_poison(int32_t pool, int32_t on)',
  'double alloc_coherent(int32_t dev, double size, uint32_t gfp, double attrs, int32_t managed, int32_t slot, double site)',
  'void free_coherent(int32_t dev, double size, double vaddr, double dma, double attrs, int32_t managed, double site)',
  'double get_free_pages(uint32_t gfp, int32_t order, double site)',
  'void free_pages(double vaddr, int32_t order, double site)',
  'double kmalloc(double size, uint32_t gfp, double site)',
  'void kfree(double vaddr, double site)',
  'double addr(int32_t op, double a)',
  'double map(int32_t dev, double vaddr, double size, int32_t dir, double attrs, int32_t kind, double site)',
  'void unmap(int32_t dev, double dma, double size, int32_t dir, double attrs, int32_t kind, double site)',
  'void sync(int32_t dev, double dma, double size, int32_t dir, int32_t for_device, double site)',
  'int32_t mapping_error(int32_t dev, double dma, double site)',
  'int32_t sg(int32_t op, int32_t dev, double buf, int32_t nents, int32_t dir, double attrs, double site)',
  'int32_t sysfs_read(int32_t dev, const char *attr)',
  'double ts_mem(int32_t op, double vaddr, double len, double val)',
  'void log_hook(int32_t on)',
  'void pool_alloc_fast(void)',
  'void pool_free_fast(void)',
  'int32_t pool_batch(int32_t op, int32_t pool, int32_t n, uint32_t gfp, double site)',
  'int32_t context(int32_t op, int32_t arg, double site)',
  'int32_t device_io(int32_t dev, int32_t op, double dma, double len, double arg, double site)',
  'void bench_noop(void)',
] as const;

/** The member name of a prototype string ("int32_t dev_new(...)" -> "dev_new"). */
export function op_name(proto: string): string {
  const m = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(proto);
  if (!m) throw new Error(`bad op prototype: ${proto}`);
  return m[1]!;
}

/** Words per scratch slot (uint64) and slots: DMASHIM_SCRATCH_WORDS / _SLOTS. */
export const SCRATCH_WORDS = 8;
export const SCRATCH_SLOTS = 256;
export const STRBUF_SIZE = 65536;
/* The fast area (DMASHIM_FAST_*): a call block of 8 doubles, then batch records of 2 doubles. */
export const FAST_WORDS = 8;
export const BATCH_MAX = 256;
export const FAST_AREA_WORDS = FAST_WORDS + 2 * BATCH_MAX;
/* Device-side staging (DMASHIM_STAGE_SIZE): one buffer per scratch slot, see device_io in native/dmashim_ops.h. */
export const STAGE_SIZE = 4096;

/* __DMASHIM_POOL_* flags of pool_create. */
export const POOL_MANAGED = 1;
export const POOL_POISON = 2;
