/* SPDX-License-Identifier: MIT */
/*
 * The C half of the bridge's ABI: one table of callbacks into TypeScript,
 * filled once at start-up (dmashim_bridge_init) with koffi-registered functions.
 *
 * Rules for every entry (see docs/bridge.md):
 *  - numbers only: ids and flags as int32/uint32, addresses and sizes as double
 *    (exact below 2^53; user-space addresses are below 2^47), 64-bit masks as
 *    two uint32 halves. Strings (names, log text) only off the hot path.
 *  - an out-value (a dma handle) is written by TypeScript into this thread's
 *    scratch slot; `slot` says which.
 *  - `site` is the address of a static "file.c:LINE" string (0 = unknown);
 *    TypeScript decodes it once and caches it.
 *  - allocations return an arena offset, or -1 for NULL.
 *
 * The order of the members is the ABI: src/bridge/abi.ts lists the same names
 * in the same order. Add new entries at the end and bump DMASHIM_ABI_VERSION.
 */
#ifndef DMASHIM_OPS_H
#define DMASHIM_OPS_H

#include <stdint.h>

struct dmashim_ops {
	/* devices */
	int32_t (*dev_new)(double addr, int32_t is_pci);
	void (*dev_sync)(int32_t id, int32_t has_mask, uint32_t mask_hi, uint32_t mask_lo, uint32_t cmask_hi,
			 uint32_t cmask_lo, uint32_t limit_hi, uint32_t limit_lo, const char *driver, const char *bus);
	int32_t (*dev_set_name)(int32_t id, const char *name);
	int32_t (*dev_register)(int32_t id);
	void (*dev_unregister)(int32_t id);
	void (*dev_release_driver)(int32_t id);
	/* op: 0 dma_set_mask, 1 dma_set_coherent_mask, 2 dma_supported, 3 dma_get_required_mask (-> scratch) */
	int32_t (*dev_mask)(int32_t id, int32_t op, uint32_t hi, uint32_t lo, int32_t slot);
	/* the kernel log: dev = 0 plain printk, -1 the NULL device, else a device id */
	void (*printk)(int32_t level, int32_t dev, const char *text);
	/* dma_pool */
	int32_t (*pool_create)(const char *name, int32_t dev, double size, double align, double boundary,
			       int32_t node, uint32_t flags, double site);
	double (*pool_alloc)(int32_t pool, uint32_t gfp, int32_t slot, double site);
	void (*pool_free)(int32_t pool, double vaddr, double dma, double site);
	void (*pool_destroy)(int32_t pool, int32_t managed, double site);
	void (*pool_set_poison)(int32_t pool, int32_t on);
	/* coherent memory */
	double (*alloc_coherent)(int32_t dev, double size, uint32_t gfp, double attrs, int32_t managed,
				 int32_t slot, double site);
	void (*free_coherent)(int32_t dev, double size, double vaddr, double dma, double attrs, int32_t managed,
			      double site);
	/* pages and kmalloc */
	double (*get_free_pages)(uint32_t gfp, int32_t order, double site);
	void (*free_pages)(double vaddr, int32_t order, double site);
	double (*kmalloc)(double size, uint32_t gfp, double site);
	void (*kfree)(double vaddr, double site);
	/* op: 0 virt_to_phys (vaddr -> phys, -1 if not RAM), 1 phys_to_virt (phys -> offset, -1), 2 ksize (vaddr -> bytes) */
	double (*addr)(int32_t op, double a);
	/* streaming mappings: map returns the bus address, -1 for DMA_MAPPING_ERROR */
	double (*map)(int32_t dev, double vaddr, double size, int32_t dir, double attrs, int32_t kind, double site);
	void (*unmap)(int32_t dev, double dma, double size, int32_t dir, double attrs, int32_t kind, double site);
	void (*sync)(int32_t dev, double dma, double size, int32_t dir, int32_t for_device, double site);
	int32_t (*mapping_error)(int32_t dev, double dma, double site);
	/*
	 * Scatterlists: the C list is flattened into `buf` (nents records of 4
	 * doubles: vaddr, length, dma_address, dma_length); op 0 map (returns the
	 * mapped count, results written back into buf), 1 unmap, 2 sync for cpu,
	 * 3 sync for device.
	 */
	int32_t (*sg)(int32_t op, int32_t dev, double buf, int32_t nents, int32_t dir, double attrs, double site);
	/* test and inspection helpers (dmashim/bridge.h) */
	int32_t (*sysfs_read)(int32_t dev, const char *attr);
	double (*ts_mem)(int32_t op, double vaddr, double len, double val);
	void (*log_hook)(int32_t on);
	/*
	 * The synchronous hot path (not --threads): the arguments and results go
	 * through the fast area (doubles, DMASHIM_FAST_*), so the callbacks take
	 * none. koffi's cost per callback grows with every argument and result it
	 * converts (~25 ns for pool_alloc's four), which is most of the budget.
	 *   pool_alloc_fast: in [0] pool, [1] gfp, [2] site; out [0] offset or -1, [1] dma
	 *   pool_free_fast:  in [0] pool, [1] vaddr, [2] dma, [3] site
	 */
	void (*pool_alloc_fast)(void);
	void (*pool_free_fast)(void);
	/*
	 * The per-pool block cache (--pool-cache), one crossing per batch, records
	 * of 2 doubles (vaddr, dma) in the batch area: op 0 refill (allocate up to
	 * n blocks, never a new page after the first block; returns the count), 1
	 * drain (free n records in order), 2 the pool's block size.
	 */
	int32_t (*pool_batch)(int32_t op, int32_t pool, int32_t n, uint32_t gfp, double site);
	/*
	 * The simulated execution context (linux/preempt.h), synchronous mode
	 * only: op 0 preempt_disable, 1 preempt_enable, 2 local_irq_save
	 * (returns the flags), 3 local_irq_restore(arg), 4 local_irq_disable,
	 * 5 local_irq_enable, 6 might_sleep at `site`, 7 irq_enter, 8 irq_exit,
	 * 10 dma_pool_alloc's might_alloc(arg = gfp) for a block served from the
	 * C cache. C keeps the same state per thread and asks only when it is atomic.
	 */
	int32_t (*context)(int32_t op, int32_t arg, double site);
	/*
	 * The device side (dmashim_device_*, ABI 4). op & 0xff is the operation,
	 * op >> 8 the caller's scratch slot s, whose staging buffer is bytes
	 * [s * DMASHIM_STAGE_SIZE, +DMASHIM_STAGE_SIZE) of the staging area at
	 * address `arg` (ops 0-3). A transfer is checked and done whole in
	 * TypeScript; its bytes move in pieces of at most DMASHIM_STAGE_SIZE:
	 *   0 read: the device reads [dma, dma+len); 0 or -EFAULT; piece 0 is
	 *     staged, the rest kept in TypeScript for op 1
	 *   1 read piece: stage the piece at offset `dma` of the pending read
	 *   2 write piece: the staged piece at offset `dma` of a write of `len` bytes
	 *     (not the last one) is kept in TypeScript
	 *   3 write: the last piece is staged; the device writes the whole [dma,
	 *     dma+len); 0, -EFAULT or -EIO
	 *   4 fill: the device writes len bytes of (u8)arg; as op 3
	 *   5 the device's count of reported accesses
	 */
	int32_t (*device_io)(int32_t dev, int32_t op, double dma, double len, double arg, double site);
	/*
	 * ABI 5: a JS callback that does nothing, of the fast ops' shape, for
	 * dmashim_bench_noop(). The bridge benchmark times it in the same process
	 * as pool_alloc_fast/pool_free_fast, so its yardstick cannot drift with
	 * the process (koffi's callback cost differs by ~5 ns between processes).
	 */
	void (*bench_noop)(void);
};

#define DMASHIM_NR_OPS ((int)(sizeof(struct dmashim_ops) / sizeof(void (*)(void))))

/* Scratch: one 64-byte slot per thread that talks to TypeScript; slot 0 is the main thread's. */
#define DMASHIM_SCRATCH_SLOTS 256
#define DMASHIM_SCRATCH_WORDS 8
/* The fast area: DMASHIM_FAST_WORDS doubles of call block, then the batch records. */
#define DMASHIM_FAST_WORDS 8
#define DMASHIM_BATCH_MAX 256
#define DMASHIM_FAST_AREA_WORDS (DMASHIM_FAST_WORDS + 2 * DMASHIM_BATCH_MAX)
/* Device-side staging (device_io): one buffer of DMASHIM_STAGE_SIZE bytes per scratch slot. */
#define DMASHIM_STAGE_SIZE 4096
/* Text from TypeScript to C (sysfs files). */
#define DMASHIM_STRBUF_SIZE 65536

#endif /* DMASHIM_OPS_H */
