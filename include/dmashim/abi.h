/* SPDX-License-Identifier: MIT */
/*
 * dmashim/abi.h: the one definition of the boundary between the C half of the
 * bridge (native/) and the TypeScript core (src/bridge/). Both sides derive
 * from this file: C builds `struct dmashim_ops` from DMASHIM_OPS (native/
 * internal.h) and uses the constants and op codes below; src/bridge/abi.ts
 * reads this file when the runner starts and makes the koffi prototypes, the
 * ABI version, the sizes and the op codes from it. test/bridge/abi.test.ts
 * checks that the C compiler and the TypeScript reader see the same table.
 *
 * So that TypeScript can read it, keep to two forms:
 *  - `#define NAME <integer>` (decimal or 0x hex, optional u suffix, a
 *    negative one in parentheses): a
 *    constant or an op code. Other defines are C-only (TypeScript skips them).
 *  - inside DMASHIM_OPS, one `OP(return type, name, (arguments))` per op,
 *    comments only as block comments, arguments without parentheses.
 *
 * Rules for every op (see docs/bridge.md):
 *  - numbers only: ids and flags as int32/uint32, addresses and sizes as double
 *    (exact below 2^53; user-space addresses are below 2^47), 64-bit masks as
 *    two uint32 halves. Strings (names, log text) only off the hot path.
 *  - an out-value (a dma handle) is written by TypeScript into this thread's
 *    scratch slot; `slot` says which.
 *  - `site` is the address of a static "file.c:LINE" string (0 = unknown);
 *    TypeScript decodes it once and caches it.
 *  - allocations return an arena offset, or -1 for NULL.
 * The order of the ops is the ABI: add new ones at the end and bump
 * DMASHIM_ABI_VERSION.
 */
#ifndef _DMASHIM_ABI_H
#define _DMASHIM_ABI_H

/*
 * Bump on any change to the ops table or the meaning of a bridge call; both
 * sides check it at start-up. 2 added the fast ops and pool_batch, 3 the
 * context op and addr's ksize, 4 device_io and the staging area, 5 bench_noop,
 * 6 max_mapping_size and merge_boundary, 7 dma_api, 8 devmem, 9 kunit, 10 devmodel,
 * 11 the pool cache's batch records per scratch slot (--threads).
 */
#define DMASHIM_ABI_VERSION 11

/* Scratch: one 64-byte slot per thread that talks to TypeScript; slot 0 is the main thread's. */
#define DMASHIM_SCRATCH_SLOTS 256
#define DMASHIM_SCRATCH_WORDS 8
/*
 * The fast area: DMASHIM_FAST_WORDS doubles of call block, then for each
 * scratch slot DMASHIM_BATCH_MAX records of 2 doubles (a thread's pool_batch
 * uses its slot's: slot 0 in synchronous mode).
 */
#define DMASHIM_FAST_WORDS 8
#define DMASHIM_BATCH_MAX 256
#define DMASHIM_BATCH_WORDS (2 * DMASHIM_BATCH_MAX)
#define DMASHIM_FAST_AREA_WORDS (DMASHIM_FAST_WORDS + DMASHIM_BATCH_WORDS * DMASHIM_SCRATCH_SLOTS)
/* The pool cache's largest capacity (--pool-cache=N): it moves blocks DMASHIM_BATCH_MAX at a time. */
#define DMASHIM_POOL_CACHE_MAX 65536
/* Device-side staging (device_io): one buffer of DMASHIM_STAGE_SIZE bytes per scratch slot. */
#define DMASHIM_STAGE_SIZE 4096
/* Text from TypeScript to C (sysfs files). */
#define DMASHIM_STRBUF_SIZE 65536

/* dev_mask ops; REQUIRED writes the mask to the scratch slot. */
#define DMASHIM_MASK_SET 0
#define DMASHIM_MASK_SET_COHERENT 1
#define DMASHIM_MASK_SUPPORTED 2
#define DMASHIM_MASK_REQUIRED 3

/* printk's dev: a plain printk, or a dev_printk of a NULL device (any other value is a device id). */
#define DMASHIM_PRINTK_NO_DEV 0
#define DMASHIM_PRINTK_NULL_DEV (-1)

/* pool_create's flags (dmam_pool_create; a pool poisoned from its creation). */
#define __DMASHIM_POOL_MANAGED 1u
#define __DMASHIM_POOL_POISON 2u

/* addr ops: vaddr -> phys (-1 if not RAM), phys -> arena offset (-1), the size of a kmalloc block. */
#define DMASHIM_ADDR_VIRT_TO_PHYS 0
#define DMASHIM_ADDR_PHYS_TO_VIRT 1
#define DMASHIM_ADDR_KSIZE 2

/*
 * map/unmap `kind`: the low bits say which call; map adds where C found the
 * buffer, outside the arena: on the caller's stack or in the program image
 * (TypeScript reports it as dma-debug does and maps nothing).
 */
#define __DMASHIM_MAP_SINGLE 0
#define __DMASHIM_MAP_PAGE 1
/* Only in dma_api's DEBUG_MAP / DEBUG_UNMAP: dma_alloc_pages() memory, dma_map_resource(). */
#define __DMASHIM_MAP_NONCOHERENT 2
#define __DMASHIM_MAP_RESOURCE 3
#define DMASHIM_MAP_KIND_MASK 0x0f
#define DMASHIM_MAP_AREA_STACK 0x10
#define DMASHIM_MAP_AREA_IMAGE 0x20

/*
 * sg ops. The C list is flattened into `buf`: nents records of 4 doubles
 * (vaddr, length, dma_address, dma_length); MAP returns the mapped count and
 * writes the results back into buf.
 */
#define DMASHIM_SG_MAP 0
#define DMASHIM_SG_UNMAP 1
#define DMASHIM_SG_SYNC_FOR_CPU 2
#define DMASHIM_SG_SYNC_FOR_DEVICE 3
/*
 * A device with C-side dma_map_ops: its ops did (or will do) the work, only
 * dma-debug runs. MAP carries the ops' segment count in the bits from
 * DMASHIM_SG_ENTS_SHIFT up; UNMAP and the syncs return 1 when dma-debug
 * matched the list (only then does C call the ops).
 */
#define DMASHIM_SG_DEBUG 0x10
#define DMASHIM_SG_OP_MASK 0x0f
#define DMASHIM_SG_ENTS_SHIFT 8

/* ts_mem ops (dmashim_ts_*): memory as TypeScript sees it; FNV1A hashes [vaddr, vaddr+len). */
#define DMASHIM_TS_READB 0
#define DMASHIM_TS_READL 1
#define DMASHIM_TS_WRITEB 2
#define DMASHIM_TS_WRITEL 3
#define DMASHIM_TS_FNV1A 4

/*
 * pool_batch ops (the --pool-cache block cache), records of 2 doubles (vaddr,
 * dma) in the batch area, the vaddr as an arena offset from REFILL and as the
 * address to the others: REFILL allocates up to n blocks, never a new page
 * after the first block, and returns the count; DRAIN frees n records in
 * order (with gfp 1, n free sites follow the records: the site of the
 * program's dma_pool_free, or -1 for a block the core last freed itself);
 * BLOCK_SIZE is the pool's block size; MODE the DMASHIM_PCACHE_* bits of the
 * pool; SITES tells the core of n blocks the cache handed out, records
 * (vaddr, site), in order. The op's bits above DMASHIM_CACHE_SLOT_SHIFT are
 * the caller's scratch slot, whose records the call uses.
 */
#define DMASHIM_CACHE_REFILL 0
#define DMASHIM_CACHE_DRAIN 1
#define DMASHIM_CACHE_BLOCK_SIZE 2
#define DMASHIM_CACHE_MODE 3
#define DMASHIM_CACHE_SITES 4
#define DMASHIM_CACHE_FAULT 5
#define DMASHIM_CACHE_OP_MASK 0xff
#define DMASHIM_CACHE_SLOT_SHIFT 8
/*
 * MODE: poison the blocks and check them on alloc; record allocation and free
 * sites; no cache (fault injection draws for every alloc); fault injection may
 * fail an alloc (FAULT_ATOMIC: only a non-blocking one). Such an alloc from the
 * cache passes while the budget (fast area word DMASHIM_FAULT_BUDGET_WORD: -1
 * for all, uncounted) lasts and is counted in DMASHIM_FAULT_PENDING_WORD; else
 * the FAULT op asks the injector (n = 1: might_alloc first) and returns 1 to
 * fail it.
 */
#define DMASHIM_PCACHE_POISON 1
#define DMASHIM_PCACHE_SITES 2
#define DMASHIM_PCACHE_OFF 4
#define DMASHIM_PCACHE_FAULT 8
#define DMASHIM_PCACHE_FAULT_ATOMIC 16
#define DMASHIM_FAULT_BUDGET_WORD 6
#define DMASHIM_FAULT_PENDING_WORD 7

/*
 * __dmashim_context ops (linux/preempt.h and friends). C keeps the state per
 * thread and, in synchronous mode, forwards the changes to the context op;
 * MIGHT_SLEEP only when atomic; QUERY never crosses (bit 0 in_atomic, 1
 * irqs_disabled, 2 in_interrupt; 8.. preempt_count). IRQ_SAVE returns the
 * flags. MIGHT_ALLOC is dma_pool_alloc's might_alloc(arg = gfp) for a block
 * served from the C cache.
 */
#define __DMASHIM_CTX_PREEMPT_DISABLE 0
#define __DMASHIM_CTX_PREEMPT_ENABLE 1
#define __DMASHIM_CTX_IRQ_SAVE 2
#define __DMASHIM_CTX_IRQ_RESTORE 3
#define __DMASHIM_CTX_IRQ_DISABLE 4
#define __DMASHIM_CTX_IRQ_ENABLE 5
#define __DMASHIM_CTX_MIGHT_SLEEP 6
#define __DMASHIM_CTX_IRQ_ENTER 7
#define __DMASHIM_CTX_IRQ_EXIT 8
#define __DMASHIM_CTX_QUERY 9
#define __DMASHIM_CTX_MIGHT_ALLOC 10

/*
 * device_io ops (dmashim_device_*). The op argument is op | slot <<
 * DMASHIM_DEVIO_SLOT_SHIFT: the caller's scratch slot s, whose staging buffer
 * is bytes [s * DMASHIM_STAGE_SIZE, +DMASHIM_STAGE_SIZE) of the staging area
 * at address `arg` (READ .. WRITE). A transfer is checked and done whole in
 * TypeScript; its bytes move in pieces of at most DMASHIM_STAGE_SIZE:
 *   READ: the device reads [dma, dma+len); 0 or -EFAULT; piece 0 is staged,
 *     the rest kept in TypeScript for READ_PIECE
 *   READ_PIECE: stage the piece at offset `dma` of the pending read
 *   WRITE_PIECE: the staged piece at offset `dma` of a write of `len` bytes
 *     (not the last one) is kept in TypeScript
 *   WRITE: the last piece is staged; the device writes the whole [dma,
 *     dma+len); 0, -EFAULT or -EIO
 *   FILL: the device writes len bytes of (u8)arg; as WRITE
 *   ERRORS: the device's count of reported accesses
 */
#define DMASHIM_DEVIO_READ 0
#define DMASHIM_DEVIO_READ_PIECE 1
#define DMASHIM_DEVIO_WRITE_PIECE 2
#define DMASHIM_DEVIO_WRITE 3
#define DMASHIM_DEVIO_FILL 4
#define DMASHIM_DEVIO_ERRORS 5
#define DMASHIM_DEVIO_OP_MASK 0xff
#define DMASHIM_DEVIO_SLOT_SHIFT 8

/*
 * dma_api ops (the DMA API's less common calls, linux/dma-mapping.h and
 * linux/dma-map-ops.h), numbers in a..d:
 *   ALLOC_PAGES: a size, b dir, c gfp; the page's arena offset or -1, dma to the slot
 *   FREE_PAGES: a size, b vaddr, c dma, d dir
 *   MAP_RESOURCE: a phys, b size, c dir; the bus address or -1
 *   UNMAP_RESOURCE: a dma, b size, c dir
 *   NEED_SYNC: a dma; 0 or 1
 *   MMAP: a vma (C address), b cpu_addr, c dma, d size; attrs: 0 or -errno.
 *     The vma's vm_start, vm_end, vm_pgoff are read from the slot's words 0-2
 *   MMAP_PAGES: as MMAP with b the page's vaddr, c unused
 *   VMA_USER: a vma; the arena offset of the user view, or -1
 *   VMA_MUNMAP: a vma; 0 or -EINVAL
 *   SET_OPS: a 1 when C installs ops (TypeScript keeps its own), 0 for
 *     set_dma_ops(dev, NULL): the direct mapping
 * The DEBUG_* ops are dma-debug's hooks for a device with C-side dma_map_ops
 * (native/mapping.c calls the ops itself; dma_alloc_pages and
 * dma_map_resource use DEBUG_MAP / DEBUG_UNMAP with their kind):
 *   DEBUG_MAP: a vaddr, b size, c dir | kind << 8 (__DMASHIM_MAP_*, and the
 *     DMASHIM_MAP_AREA_* flags), d dma; attrs
 *   DEBUG_UNMAP: a dma, b size, c dir, d kind (__DMASHIM_MAP_*); 1 when it
 *     matched a live mapping
 *   DEBUG_SYNC: a dma, b size, c dir, d for_device; 1 when matched
 *   DEBUG_ALLOC: a vaddr, b size, c dma
 *   DEBUG_FREE: a vaddr, b size, c dma; 1 when matched
 */
#define DMASHIM_DMAAPI_ALLOC_PAGES 0
#define DMASHIM_DMAAPI_FREE_PAGES 1
#define DMASHIM_DMAAPI_MAP_RESOURCE 2
#define DMASHIM_DMAAPI_UNMAP_RESOURCE 3
#define DMASHIM_DMAAPI_NEED_SYNC 4
#define DMASHIM_DMAAPI_MMAP 5
#define DMASHIM_DMAAPI_MMAP_PAGES 6
#define DMASHIM_DMAAPI_VMA_USER 7
#define DMASHIM_DMAAPI_VMA_MUNMAP 8
#define DMASHIM_DMAAPI_SET_OPS 9
#define DMASHIM_DMAAPI_DEBUG_MAP 10
#define DMASHIM_DMAAPI_DEBUG_UNMAP 11
#define DMASHIM_DMAAPI_DEBUG_SYNC 12
#define DMASHIM_DMAAPI_DEBUG_ALLOC 13
#define DMASHIM_DMAAPI_DEBUG_FREE 14

/*
 * devmem ops (device memory: the machine's iomem windows). a, b, c by op:
 *   MEMREMAP: phys, size, flags -> arena offset or -1; IOREMAP, IOREMAP_WC:
 *   phys, size -> the same; MEMUNMAP, IOUNMAP: vaddr; DECLARE (dev): phys,
 *   device_addr, size -> 0 or -errno; RELEASE (dev); NOPAGE: vaddr, the
 *   DMASHIM_NOPAGE_ call that took device memory for RAM (reported).
 *   (dma_mmap_* of device memory goes through dma_api's MMAP, as for RAM.)
 */
#define DMASHIM_DEVMEM_MEMREMAP 0
#define DMASHIM_DEVMEM_IOREMAP 1
#define DMASHIM_DEVMEM_IOREMAP_WC 2
#define DMASHIM_DEVMEM_MEMUNMAP 3
#define DMASHIM_DEVMEM_IOUNMAP 4
#define DMASHIM_DEVMEM_DECLARE 5
#define DMASHIM_DEVMEM_RELEASE 6
#define DMASHIM_DEVMEM_NOPAGE 7
/* IOREMAP's answer for a range that is neither a window nor RAM: C maps plain memory (a register BAR). */
#define DMASHIM_DEVMEM_NO_WINDOW (-2)
#define DMASHIM_NOPAGE_VIRT_TO_PAGE 0
#define DMASHIM_NOPAGE_PAGE_ADDRESS 1
#define DMASHIM_NOPAGE_SG_SET_BUF 2
#define DMASHIM_NOPAGE_SG_SET_PAGE 3

/*
 * kunit ops (native/kunit.c, `dmashim test`): the boundaries of a KUnit case,
 * so that TypeScript fails the case whose sanitizer reports and leftover DMA
 * memory fall between them. `name` is the case's (the suite's for SUITE_*).
 *   SUITE_START: before suite_init; what was reported before is not the suite's
 *   CASE_START: what is allocated now is not the case's
 *   CASE_END: print the case's findings as its KTAP diagnostic lines; returns their count
 *   SUITE_END: the same for findings outside any case of the suite (suite_init, suite_exit)
 */
#define DMASHIM_KUNIT_CASE_START 0
#define DMASHIM_KUNIT_CASE_END 1
#define DMASHIM_KUNIT_SUITE_END 2
#define DMASHIM_KUNIT_SUITE_START 3

/*
 * The driver model (devmodel op: native/device.c, native/devres.c). C keeps a
 * device's reference count in dev->kobj; TypeScript keeps its managed
 * resources, C ones included, so that all are released in one order:
 *   RELEASE: the last reference is gone; a = 1 when C will call a release
 *     itself (else the kernel's WARN). Releases what TypeScript still holds.
 *   KOBJ: log the kobject layer's complaint number a (KOBJ_* of
 *     drivers/base/core.ts)
 *   DEVRES_POP: take the newest resource: -1 none left, 0 released in
 *     TypeScript, 1 a C action, 2 a devres_alloc'd one; for 1 and 2 the
 *     function is in scratch word 0 and the data pointer in word 1
 *   KMALLOC (a size, b gfp): devm_kmalloc, an arena offset or -1
 *   KFREE (a vaddr): devm_kfree
 *   ADD_ACTION (a fn, b data): devm_add_action, 0 or -ENOMEM
 *   REMOVE_ACTION (a fn, b data): devm_remove_action, 0 (or WARN and -ENOENT)
 *   RELEASE_ACTION (a fn, b data): devm_release_action, 1 when C calls it now
 *   DEVRES_ALLOC (a fn, b size, c gfp): devres_alloc, an arena offset or -1
 *   DEVRES_ADD (a vaddr), DEVRES_FREE (a vaddr)
 */
#define DMASHIM_DM_RELEASE 0
#define DMASHIM_DM_KOBJ 1
#define DMASHIM_DM_DEVRES_POP 2
#define DMASHIM_DM_KMALLOC 3
#define DMASHIM_DM_KFREE 4
#define DMASHIM_DM_ADD_ACTION 5
#define DMASHIM_DM_REMOVE_ACTION 6
#define DMASHIM_DM_RELEASE_ACTION 7
#define DMASHIM_DM_DEVRES_ALLOC 8
#define DMASHIM_DM_DEVRES_ADD 9
#define DMASHIM_DM_DEVRES_FREE 10

/*
 * The ops: callbacks into TypeScript, in table order.
 * pool_alloc_fast / pool_free_fast are the synchronous hot path (not
 * --threads): their arguments and results go through the fast area, so the
 * callbacks take none (koffi's cost per callback grows with every argument
 * and result it converts, ~25 ns for pool_alloc's four, most of the budget):
 *   pool_alloc_fast: in [0] pool, [1] gfp, [2] site; out [0] offset or -1, [1] dma
 *   pool_free_fast:  in [0] pool, [1] vaddr, [2] dma, [3] site
 * bench_noop is a JS callback that does nothing, of the fast ops' shape, for
 * dmashim_bench_noop(): the bridge benchmark times it in the same process as
 * the fast ops, so its yardstick cannot drift with the process.
 */
#define DMASHIM_OPS(OP)										\
	/* devices */										\
	OP(int32_t, dev_new, (double addr, int32_t is_pci))					\
	OP(void, dev_sync, (int32_t id, int32_t has_mask, uint32_t mask_hi, uint32_t mask_lo,	\
			    uint32_t cmask_hi, uint32_t cmask_lo, uint32_t limit_hi, uint32_t limit_lo,	\
			    const char *driver, const char *bus))					\
	OP(int32_t, dev_set_name, (int32_t id, const char *name))				\
	OP(int32_t, dev_register, (int32_t id))							\
	OP(void, dev_unregister, (int32_t id))							\
	OP(void, dev_release_driver, (int32_t id))						\
	OP(int32_t, dev_mask, (int32_t id, int32_t op, uint32_t hi, uint32_t lo, int32_t slot))	\
	/* the kernel log */									\
	OP(void, printk, (int32_t level, int32_t dev, const char *text))			\
	/* dma_pool */										\
	OP(int32_t, pool_create, (const char *name, int32_t dev, double size, double align,	\
				  double boundary, int32_t node, uint32_t flags, double site))	\
	OP(double, pool_alloc, (int32_t pool, uint32_t gfp, int32_t slot, double site))		\
	OP(void, pool_free, (int32_t pool, double vaddr, double dma, double site))		\
	OP(void, pool_destroy, (int32_t pool, int32_t managed, double site))			\
	OP(void, pool_set_poison, (int32_t pool, int32_t on))					\
	/* coherent memory */									\
	OP(double, alloc_coherent, (int32_t dev, double size, uint32_t gfp, double attrs,	\
				    int32_t managed, int32_t slot, double site))		\
	OP(void, free_coherent, (int32_t dev, double size, double vaddr, double dma, double attrs, \
				 int32_t managed, double site))				\
	/* pages and kmalloc */									\
	OP(double, get_free_pages, (uint32_t gfp, int32_t order, double site))			\
	OP(void, free_pages, (double vaddr, int32_t order, double site))			\
	OP(double, kmalloc, (double size, uint32_t gfp, double site))				\
	OP(void, kfree, (double vaddr, double site))						\
	OP(double, addr, (int32_t op, double a))						\
	/* streaming mappings: map returns the bus address, -1 for DMA_MAPPING_ERROR */		\
	OP(double, map, (int32_t dev, double vaddr, double size, int32_t dir, double attrs,	\
			 int32_t kind, double site))						\
	OP(void, unmap, (int32_t dev, double dma, double size, int32_t dir, double attrs,	\
			 int32_t kind, double site))						\
	OP(void, sync, (int32_t dev, double dma, double size, int32_t dir, int32_t for_device,	\
			double site))								\
	OP(int32_t, mapping_error, (int32_t dev, double dma, double site))			\
	OP(int32_t, sg, (int32_t op, int32_t dev, double buf, int32_t nents, int32_t dir,	\
			 double attrs, double site))						\
	/* test and inspection helpers (dmashim/bridge.h) */					\
	OP(int32_t, sysfs_read, (int32_t dev, const char *attr))				\
	OP(double, ts_mem, (int32_t op, double vaddr, double len, double val))			\
	OP(void, log_hook, (int32_t on))							\
	/* the synchronous hot path */								\
	OP(void, pool_alloc_fast, (void))							\
	OP(void, pool_free_fast, (void))							\
	OP(int32_t, pool_batch, (int32_t op, int32_t pool, int32_t n, uint32_t gfp, double site)) \
	OP(int32_t, context, (int32_t op, int32_t arg, double site))				\
	OP(int32_t, device_io, (int32_t dev, int32_t op, double dma, double len, double arg,	\
				double site))						\
	OP(void, bench_noop, (void))								\
	/* dma_max_mapping_size(), dma_get_merge_boundary() (linux/dma-mapping.h) */		\
	OP(double, max_mapping_size, (int32_t dev))						\
	OP(double, merge_boundary, (int32_t dev))						\
	/* the DMA API's other calls (DMASHIM_DMAAPI_* above) */				\
	OP(double, dma_api, (int32_t op, int32_t dev, double a, double b, double c, double d,	\
			     double attrs, int32_t slot, double site))	\
	/* device memory: memremap/ioremap, dma_declare_coherent_memory, pageless misuse */	\
	OP(double, devmem, (int32_t op, int32_t dev, double a, double b, double c, double site))	\
	/* KUnit case boundaries (native/kunit.c) */						\
	OP(int32_t, kunit, (int32_t op, const char *name))	\
	/* the driver model: references, release, devres (DMASHIM_DM_*) */			\
	OP(double, devmodel, (int32_t op, int32_t dev, double a, double b, double c,		\
			      int32_t slot, double site))

#endif /* _DMASHIM_ABI_H */
