/*
 * dmapool_bridge_bench.c: row (c) of `npm run bench`, the TypeScript core driven
 * from C through the koffi bridge. An ordinary C driver-style program written
 * against the kernel API (this project's include/linux headers), run by the bridge
 * runner: `npx dmashim run native/bench/dmapool_bridge_bench.c`.
 *
 * Workload: mm/dmapool_test's table on a direct-mapped device "dmapool-test" with
 * 64-bit masks (our own code, shaped like that test module). Each row is timed in
 * C with CLOCK_MONOTONIC, separately for the alloc and the free half, and printed
 * as one JSON line prefixed "BENCH ", which bench/run.ts parses.
 *
 * Row (c') is the same program run with `--pool-cache` (the C-side block
 * cache); "cached" in each line says whether the cache held blocks.
 *
 * The yardstick, "noop_ns": each round also times as many calls of
 * dmashim_bench_noop() (one bare koffi callback of the fast ops' shape) as the
 * row has blocks, right before its alloc half and again after its free half.
 * koffi's callback cost differs by several ns from one process to the next,
 * and within one process this VM has phases of 0.1-4 s in which every JS call
 * (the bare callback too) runs up to 1.9x slower while C barely moves, so the
 * target divides by the callback measured in this process, in the same round:
 * "per_round" carries each round's [noop before, alloc, free, noop after] ns
 * per call for bench/run.ts to pair.
 *
 * Environment: BENCH_REPS timed passes (default 3) after one warm-up pass;
 * BENCH_ROUNDS rounds per row (default 100).
 */
#define _POSIX_C_SOURCE 200809L
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct param {
	size_t size, align, boundary;
};

static const struct param params[] = {
	{ 16, 16, 0 }, { 64, 64, 0 }, { 256, 256, 0 }, { 1024, 1024, 0 }, { 4096, 4096, 0 }, { 68, 32, 4096 },
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

struct pair {
	dma_addr_t dma;
	void *v;
};

static struct device test_dev;

/* A static device: nothing to free, but the driver core warns about a device without a release(). */
static void test_dev_release(struct device *dev)
{
	(void)dev;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static unsigned int nr_blocks(size_t size)
{
	size_t b = (4096 / size) * 512;
	return (unsigned int)(b < 1024 ? 1024 : b > 8192 ? 8192 : b);
}

static int run_row(size_t k, int rep, unsigned int rounds, struct pair *p, double *per)
{
	const struct param *pr = &params[k];
	unsigned int blocks = nr_blocks(pr->size);
	struct dma_pool *pool = dma_pool_create("test pool", &test_dev, pr->size, pr->align, pr->boundary);
	double ta = 0, tf = 0, tn = 0;
	int cached = 0;
	if (!pool) {
		fprintf(stderr, "dmapool_bridge_bench: dma_pool_create(%zu) failed\n", pr->size);
		return -1;
	}
	for (unsigned int r = 0; r < rounds; r++) {
		double tn0 = now_ns();
		for (unsigned int i = 0; i < blocks; i++)
			dmashim_bench_noop();
		double t0 = now_ns();
		tn += t0 - tn0;
		for (unsigned int i = 0; i < blocks; i++) {
			p[i].v = dma_pool_alloc(pool, GFP_KERNEL, &p[i].dma);
			if (!p[i].v) {
				fprintf(stderr, "dmapool_bridge_bench: dma_pool_alloc failed (size %zu)\n", pr->size);
				for (unsigned int j = 0; j < i; j++)
					dma_pool_free(pool, p[j].v, p[j].dma);
				dma_pool_destroy(pool);
				return -1;
			}
		}
		double t1 = now_ns();
		for (unsigned int i = 0; i < blocks; i++)
			dma_pool_free(pool, p[i].v, p[i].dma);
		double t2 = now_ns();
		/* The callback again after the free half: a round counts as undisturbed only if both timings are. */
		for (unsigned int i = 0; i < blocks; i++)
			dmashim_bench_noop();
		double t3 = now_ns();
		tf += t2 - t1;
		ta += t1 - t0;
		per[4 * r] = (t0 - tn0) / blocks;
		per[4 * r + 1] = (t1 - t0) / blocks;
		per[4 * r + 2] = (t2 - t1) / blocks;
		per[4 * r + 3] = (t3 - t2) / blocks;
		/* Row (c') must really have run through the C-side cache (dmashim run --pool-cache). */
		cached |= dmashim_pool_cached(pool) > 0;
	}
	dma_pool_destroy(pool);
	if (rep < 0)
		return 0;
	printf("BENCH {\"row\":%zu,\"size\":%zu,\"rep\":%d,\"rounds\":%u,\"alloc_ns\":%.4f,\"free_ns\":%.4f,"
	       "\"ns\":%.4f,\"cached\":%d,\"noop_ns\":%.4f,\"per_round\":[",
	       k, pr->size, rep, rounds, ta / ((double)rounds * blocks), tf / ((double)rounds * blocks),
	       (ta + tf) / (2.0 * rounds * blocks), cached, tn / ((double)rounds * blocks));
	for (unsigned int r = 0; r < rounds; r++)
		printf("%s[%.2f,%.2f,%.2f,%.2f]", r ? "," : "", per[4 * r], per[4 * r + 1], per[4 * r + 2],
		       per[4 * r + 3]);
	printf("]}\n");
	return 0;
}

int main(void)
{
	const char *e = getenv("BENCH_REPS");
	int reps = e ? atoi(e) : 3;
	e = getenv("BENCH_ROUNDS");
	unsigned int rounds = e ? (unsigned int)atoi(e) : 100;
	struct pair *p = calloc(8192, sizeof(*p));
	double *per = calloc((size_t)rounds * 4 + 4, sizeof(*per));
	if (!p || !per || rounds == 0)
		return 2;
	dev_set_name(&test_dev, "dmapool-test");
	test_dev.release = test_dev_release;
	/* A static device has no dma_mask storage of its own; give it the usual one. */
	test_dev.dma_mask = &test_dev.coherent_dma_mask;
	if (device_register(&test_dev)) {
		fprintf(stderr, "dmapool_bridge_bench: register failed\n");
		return 1;
	}
	if (dma_set_mask_and_coherent(&test_dev, DMA_BIT_MASK(64))) {
		fprintf(stderr, "dmapool_bridge_bench: mask failed\n");
		return 1;
	}
	for (int rep = -1; rep < reps; rep++)
		for (size_t k = 0; k < NPARAMS; k++)
			if (run_row(k, rep, rounds, p, per))
				return 1;
	device_unregister(&test_dev);
	free(p);
	free(per);
	fflush(stdout);
	return 0;
}
