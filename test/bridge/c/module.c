/* A module: no main(); dmashim run calls module_init then module_exit. */
#include <linux/module.h>
#include <linux/slab.h>

static void *mem;

static int __init modtest_init(void)
{
	mem = kmalloc(128, GFP_KERNEL);
	pr_info("modtest: init\n");
	return mem ? 0 : -ENOMEM;
}

static void __exit modtest_exit(void)
{
	kfree(mem);
	pr_info("modtest: exit\n");
}

module_init(modtest_init);
module_exit(modtest_exit);
MODULE_LICENSE("GPL");
