/*
 * A module (module_init/module_exit, no main) that includes every header and
 * uses the everyday helpers around DMA code: sizes and alignment, pages,
 * bit fields, byte order, overflow-checked sizes, bitmaps, atomics, lists.
 * Each check prints "ok NAME" or "BAD NAME".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/gfp.h>
#include <linux/hardirq.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/pci-dma-compat.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#include <asm/io.h>
#include <asm/page.h>
#include <dmashim/bridge.h>

static int debug;
module_param(debug, int, 0644);
MODULE_PARM_DESC(debug, "debug level");

#define CHECK(name, cond) printf("%s %s\n", (cond) ? "ok" : "BAD", name)

#define REG_MODE GENMASK(7, 4)
#define REG_EN BIT(0)

struct flex {
	u32 n;
	u64 entries[];
};

int helper_export(void);
int helper_export(void) { return 42; }
EXPORT_SYMBOL_GPL(helper_export);

static u32 ____cacheline_aligned hot_counter;

static int __init helpers_init(void)
{
	struct page *pg;
	void *v;
	u32 reg;
	__le32 le;
	__be16 be;
	DECLARE_BITMAP(map, 100);
	unsigned long bit, count = 0;
	atomic_t a = ATOMIC_INIT(5);
	atomic64_t a64 = ATOMIC64_INIT(1LL << 40);
	struct flex *f;
	u64 big;

	BUILD_BUG_ON(PAGE_SIZE != SZ_4K);
	BUILD_BUG_ON(sizeof(struct tx_like { __le64 a; __le32 b; __le32 c; }) != 16);
	CHECK("align", ALIGN(1000, 64) == 1024 && IS_ALIGNED(4096UL, PAGE_SIZE) && PAGE_ALIGN(4097UL) == 8192 &&
			       round_up(33, 32) == 64 && DIV_ROUND_UP(10, 4) == 3 && L1_CACHE_ALIGN(1) == 64);
	CHECK("minmax", min_t(u32, 7, 3) == 3 && max_t(int, -1, 2) == 2 && clamp(15, 0, 10) == 10 && min(2, 3) == 2);
	CHECK("order", get_order(1) == 0 && get_order(PAGE_SIZE + 1) == 1 && get_order(SZ_64K) == 4 &&
			       ilog2(SZ_1M) == 20 && roundup_pow_of_two(300) == 512 && is_power_of_2(SZ_2K));
	pg = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	v = page_address(pg);
	CHECK("pages", pg && virt_to_page((char *)v + 5000) == (struct page *)((char *)v + PAGE_SIZE) &&
			       offset_in_page((char *)v + 5000) == 5000 - PAGE_SIZE && ((u8 *)v)[3 * PAGE_SIZE] == 0 &&
			       page_to_phys(pg) == virt_to_phys(v));
	__free_pages(pg, 2);
	reg = FIELD_PREP(REG_MODE, 0xa) | REG_EN;
	CHECK("bitfield", reg == 0xa1 && FIELD_GET(REG_MODE, reg) == 0xa && FIELD_FIT(REG_MODE, 0xf) &&
				  !FIELD_FIT(REG_MODE, 0x10) && FIELD_MAX(REG_MODE) == 0xf);
	le = cpu_to_le32(0x12345678);
	be = cpu_to_be16(0x1234);
	le32_add_cpu(&le, 1);
	CHECK("byteorder", le32_to_cpu(le) == 0x12345679 && be16_to_cpu(be) == 0x1234 && ((u8 *)&be)[0] == 0x12 &&
				   upper_32_bits(0x1122334455667788ULL) == 0x11223344 &&
				   lower_32_bits(0x1122334455667788ULL) == 0x55667788);
	CHECK("overflow", array_size(SIZE_MAX / 2, 3) == SIZE_MAX && struct_size(f, entries, 4) == 8 + 32 &&
				  !check_mul_overflow(3U, 5U, &reg) && reg == 15 &&
				  check_add_overflow(U32_MAX, 1U, &reg));
	f = kzalloc(struct_size(f, entries, 4), GFP_KERNEL);
	big = f ? ksize(f) : 0;
	CHECK("kzalloc struct_size", f && big >= 40);
	kfree(f);
	bitmap_zero(map, 100);
	set_bit(3, map);
	__set_bit(70, map);
	CHECK("bitops", test_bit(3, map) && test_and_clear_bit(70, map) && !test_bit(70, map) &&
				find_first_bit(map, 100) == 3 && find_first_zero_bit(map, 100) == 0 &&
				hweight32(0xf0f0) == 8 && __ffs(0x100) == 8 && fls(0x100) == 9);
	for_each_set_bit(bit, map, 100)
		count++;
	CHECK("for_each_set_bit", count == 1);
	CHECK("atomic", atomic_inc_return(&a) == 6 && !atomic_dec_and_test(&a) && atomic_cmpxchg(&a, 5, 9) == 5 &&
				atomic_read(&a) == 9 && atomic_add_unless(&a, 1, 9) == false &&
				atomic64_add_return(1, &a64) == (1LL << 40) + 1);
	WRITE_ONCE(hot_counter, 3);
	CHECK("once", READ_ONCE(hot_counter) == 3 && helper_export() == 42 && debug == 0);
	udelay(10);
	CHECK("err", IS_ERR(ERR_PTR(-ENOMEM)) && PTR_ERR(ERR_PTR(-EIO)) == -EIO && !IS_ERR_OR_NULL(&a) &&
			     PTR_ERR_OR_ZERO(ERR_PTR(-EINVAL)) == -EINVAL);
	pr_debug("not shown without --debug\n");
	pr_info("helpers: loaded, %d checks\n", 16);
	return 0;
}

static void __exit helpers_exit(void)
{
	pr_info("helpers: unloaded\n");
}

module_init(helpers_init);
module_exit(helpers_exit);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("everyday helpers");
