/*
 * The pool cache with the sanitizer's options (--poison, --sites, fault
 * injection): run with and without the cache, everything a program and its
 * reports show must be the same. Poisoned bytes read back, writes to freed
 * blocks (the "(corrupted)" report on the next alloc, with where the block was
 * freed under --sites), double frees, leaks named by their lines, a busy
 * destroy, might_alloc in atomic context, poisoning switched at run time, then
 * a seeded random mix of all of it (argv[1] is the seed; GFP_KERNEL and
 * GFP_ATOMIC) that goes on when an allocation fails. "cached=" (dmashim_pool_cached) alone tells the runs apart.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <dmashim/bridge.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 300
#define NPOOLS 3

static struct pci_dev pdev;
static struct dma_pool *pool[NPOOLS];
static const size_t psize[NPOOLS] = { 64, 4096, 68 };
static u8 *v[N];
static dma_addr_t d[N];
static unsigned int seed;
static unsigned long long h = 1469598103934665603ull;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 16;
}

static void mix(unsigned long long x)
{
	h = (h ^ x) * 1099511628211ull;
}

static int live_at(const void *p)
{
	for (int i = 0; i < N; i++)
		if (v[i] == p)
			return 1;
	return 0;
}

/* Scenarios with fixed lines, each on a fresh pool so the blocks are known. */
static void scenarios(void)
{
	struct dma_pool *a = dma_pool_create("dbg-a", &pdev.dev, 64, 64, 0);
	dma_addr_t x_dma, y_dma, q_dma;
	u8 *x = dma_pool_alloc(a, GFP_KERNEL, &x_dma);
	if (!x)
		return;
	printf("fresh %02x\n", x[0]);
	dma_pool_free(a, x, x_dma); /* MARK uaf-free */
	printf("freed %02x\n", x[1]);
	x[5] = 0x11; /* a write after free */
	u8 *y = dma_pool_alloc(a, GFP_KERNEL, &y_dma); /* MARK uaf-alloc */
	printf("uaf same=%d %02x %02x\n", y == x, y[0], y[5]);

	/* A block the cache took in a refill and never handed out, written by "the device". */
	u8 *q = dma_pool_alloc(a, GFP_KERNEL, &q_dma);
	if (q)
		q[64 + 7] = 0x22;
	u8 *r = dma_pool_zalloc(a, GFP_KERNEL, &q_dma); /* MARK cached-corrupt */
	printf("cached-corrupt next=%d %02x %02x\n", r == q + 64, r ? r[0] : 0, r ? r[7] : 0);

	/* Double free; the second is reported at its line. */
	dma_pool_free(a, r, q_dma); /* MARK df-first */
	dma_pool_free(a, r, q_dma); /* MARK df-second */

	/* Leaks: named by the lines that allocated them. */
	for (int i = 0; i < 3; i++)
		(void)dma_pool_alloc(a, GFP_KERNEL, &q_dma); /* MARK leak-a */
	for (int i = 0; i < 2; i++)
		(void)dma_pool_alloc(a, GFP_KERNEL, &q_dma); /* MARK leak-b */

	/* might_alloc in atomic context, from the cache and from a refill of a fresh pool. */
	struct dma_pool *b = dma_pool_create("dbg-b", &pdev.dev, 32, 32, 0);
	DEFINE_SPINLOCK(lock);
	spin_lock(&lock);
	u8 *s1 = dma_pool_alloc(b, GFP_KERNEL, &x_dma); /* MARK atomic-refill */
	u8 *s2 = dma_pool_alloc(a, GFP_KERNEL, &y_dma); /* MARK atomic-cached */
	u8 *s3 = dma_pool_alloc(b, GFP_ATOMIC, &q_dma);
	spin_unlock(&lock);
	dma_pool_free(b, s1, x_dma);
	dma_pool_free(b, s3, q_dma);

	/* Poisoning switched on and off for one pool at run time. */
	dmashim_pool_set_poison(b, 1);
	u8 *p1 = dma_pool_alloc(b, GFP_KERNEL, &x_dma);
	printf("poison-on %02x\n", p1 ? p1[0] : 0);
	dma_pool_free(b, p1, x_dma); /* MARK poison-on-free */
	p1[1] = 0x33;
	p1 = dma_pool_alloc(b, GFP_KERNEL, &x_dma); /* MARK poison-on-alloc */
	dma_pool_free(b, p1, x_dma);
	dmashim_pool_set_poison(b, 0);
	p1 = dma_pool_alloc(b, GFP_KERNEL, &x_dma);
	printf("poison-off %02x\n", p1 ? p1[0] : 0);
	dma_pool_free(b, p1, x_dma);
	dmashim_pool_set_poison(b, -1);

	/* A pool created poisoned (2.4's pci_pool_create with SLAB_POISON). */
	struct dma_pool *c = pci_pool_create("dbg-c", &pdev, 32, 32, 0, SLAB_POISON);
	u8 *c1 = pci_pool_alloc(c, GFP_KERNEL, &x_dma);
	printf("slab-poison %02x\n", c1 ? c1[0] : 0);
	pci_pool_free(c, c1, x_dma);
	c1[2] = 0x44;
	c1 = pci_pool_alloc(c, GFP_KERNEL, &x_dma); /* MARK slab-poison-alloc */
	pci_pool_free(c, c1, x_dma);
	pci_pool_destroy(c);

	/*
	 * A drain of more blocks than one batch holds with their free sites (--pool-cache=256):
	 * blocks freed at two lines, the first and the last written after free.
	 */
	struct dma_pool *big = dma_pool_create("dbg-d", &pdev.dev, 16, 16, 0);
	static u8 *bv[256];
	static dma_addr_t bd[256];
	for (int i = 0; i < 256; i++)
		bv[i] = dma_pool_alloc(big, GFP_KERNEL, &bd[i]);
	for (int i = 0; i < 128; i++)
		dma_pool_free(big, bv[i], bd[i]); /* MARK big-free-a */
	for (int i = 128; i < 256; i++)
		dma_pool_free(big, bv[i], bd[i]); /* MARK big-free-b */
	bv[0][1] = 0x55;
	bv[255][1] = 0x66;
	char text[512];
	dmashim_sysfs_read(&pdev.dev, "pools", text, sizeof(text));
	for (int i = 0; i < 256; i++)
		bv[i] = dma_pool_alloc(big, GFP_KERNEL, &bd[i]); /* MARK big-realloc */
	for (int i = 0; i < 256; i++)
		dma_pool_free(big, bv[i], bd[i]);
	dma_pool_destroy(big);

	/* Destroyed busy: the report lists the blocks in use, with their lines under --sites. */
	dma_pool_free(a, s2, y_dma);
	dma_pool_destroy(a); /* MARK destroy-busy */
	dma_pool_destroy(b);
}

int main(int argc, char **argv)
{
	seed = argc > 1 ? (unsigned int)strtoul(argv[1], NULL, 0) : 1;
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:08.0");
	if (device_register(&pdev.dev))
		return 1;
	scenarios();
	pool[0] = dma_pool_create("mix-64", &pdev.dev, 64, 64, 0);
	pool[1] = dma_pool_create("mix-4k", &pdev.dev, 4096, 4096, 0);
	pool[2] = dma_pool_create("mix-68", &pdev.dev, 68, 32, 4096);
	u8 *gone = NULL;
	dma_addr_t gone_dma = 0;
	int gone_pool = 0, fails = 0, cached = 0;
	for (int step = 0; step < 4000; step++) {
		int i = (int)(rnd() % N);
		int pi = i % NPOOLS;
		unsigned int what = rnd() % 100;
		if (v[i]) {
			mix(v[i][0] | (unsigned long long)v[i][psize[pi] - 1] << 8);
			dma_pool_free(pool[pi], v[i], d[i]); /* MARK mix-free */
			gone = v[i];
			gone_dma = d[i];
			gone_pool = pi;
			v[i] = NULL;
			/* A write after free; not to the 4K blocks, whose dumps would flood the log. */
			if (what < 1 && pi != 1)
				gone[step % psize[pi]] = (u8)step;
		} else if (what < 1 && gone && !live_at(gone)) {
			dma_pool_free(pool[gone_pool], gone, gone_dma); /* MARK mix-double-free */
		} else {
			gfp_t gfp = what & 1 ? GFP_ATOMIC : GFP_KERNEL;
			v[i] = what < 20 ? dma_pool_zalloc(pool[pi], gfp, &d[i])
					 : dma_pool_alloc(pool[pi], gfp, &d[i]); /* MARK mix-alloc */
			if (!v[i]) {
				printf("step %d: pool %d alloc failed\n", step, pi);
				fails++;
				continue;
			}
			mix(d[i]);
			mix(v[i][0] | (unsigned long long)v[i][psize[pi] - 1] << 8);
			memset(v[i], 0x40 + pi, 4);
		}
		if (step % 1000 == 999)
			cached += dmashim_pool_cached(pool[0]) + dmashim_pool_cached(pool[1]) +
				  dmashim_pool_cached(pool[2]);
	}
	printf("mix %016llx fails %d\n", h, fails);
	printf("cached=%d\n", cached > 0);
	/* Half of what is left is freed; the rest leaks, by line. */
	for (int i = 0; i < N; i += 2)
		if (v[i])
			dma_pool_free(pool[i % NPOOLS], v[i], d[i]);
	return 0;
}
