/*
 * Four threads allocate and free concurrently from one pool (run with
 * --threads): no block lost, none handed out twice, counters exact.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 4
#define NBLOCKS 64
#define ROUNDS 3

static struct pci_dev pdev;
static struct dma_pool *pool;
static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;
/* Which thread holds each block (by dma address / 64 within a window); 0 = nobody. */
static int owner[1 << 16];
static dma_addr_t dma_base;
static int errors;

static void claim(dma_addr_t dma, int who)
{
	size_t i = (size_t)((dma - dma_base) / 64);
	pthread_mutex_lock(&owners_lock);
	if (i >= ARRAY_SIZE(owner) || owner[i] != 0) {
		fprintf(stderr, "block %#llx handed out twice (thread %d, owner %d)\n", (unsigned long long)dma, who,
			i < ARRAY_SIZE(owner) ? owner[i] : -1);
		errors++;
	} else {
		owner[i] = who;
	}
	pthread_mutex_unlock(&owners_lock);
}

static void release(dma_addr_t dma)
{
	pthread_mutex_lock(&owners_lock);
	owner[(dma - dma_base) / 64] = 0;
	pthread_mutex_unlock(&owners_lock);
}

static void *worker(void *arg)
{
	int who = (int)(long)arg;
	void *v[NBLOCKS];
	dma_addr_t d[NBLOCKS];
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NBLOCKS; i++) {
			v[i] = dma_pool_alloc(pool, GFP_KERNEL, &d[i]);
			if (!v[i]) {
				fprintf(stderr, "thread %d: allocation failed\n", who);
				errors++;
				return NULL;
			}
			claim(d[i], who);
			memset(v[i], who, 64);
		}
		for (int i = 0; i < NBLOCKS; i++) {
			const u8 *p = v[i];
			if (p[0] != who || p[63] != who) {
				fprintf(stderr, "thread %d: block %#llx overwritten\n", who, (unsigned long long)d[i]);
				errors++;
			}
			release(d[i]);
			dma_pool_free(pool, v[i], d[i]);
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	dma_addr_t first;
	char text[512];

	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:02.0");
	if (device_register(&pdev.dev))
		return 1;
	pool = dma_pool_create("threads-64", &pdev.dev, 64, 64, 0);
	void *v = dma_pool_alloc(pool, GFP_KERNEL, &first);
	if (!v)
		return 1;
	dma_base = first & ~(dma_addr_t)0xfffff;
	dma_pool_free(pool, v, first);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	dmashim_sysfs_read(&pdev.dev, "pools", text, sizeof(text));
	printf("threaded=%d errors=%d\n%s", dmashim_threaded(), errors, text);
	dma_pool_destroy(pool);
	return errors ? 1 : 0;
}
