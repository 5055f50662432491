/*
 * The pool cache under --threads. Each argument is a scenario, run in order:
 *   mix      4 threads take and give back rings of blocks from a shared pool and
 *            from a pool of their own: no block handed out twice, none lost; the
 *            order each thread gets from its own pool, and that pool's pools line
 *   double   thread 1 frees a block twice (in the cache), then one with a bad dma,
 *            while the others churn their own pools
 *   leak     each thread leaves blocks of its own pool allocated (others in the cache)
 *   poison   (with --poison) thread 1 writes to a block it freed, then allocates
 *   destroy  main destroys own-3 (busy after leak; its cached blocks are not)
 *   running  main returns while the threads still allocate and free
 *   exit     thread 1 calls exit() while the others still allocate and free
 *   bench N  4 threads, N alloc+free each, in rings of 32, own and shared pools
 * "cached=f" says each own pool held blocks in C after mix (bit i: own-i).
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4
#define RING 32

static struct pci_dev pdev;
static struct dma_pool *shared;
static struct dma_pool *own[NTHREADS];
static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;
/* Which thread holds each shared block (by dma / 64 from the first); 0 = nobody. */
static int owner[1 << 16];
static dma_addr_t shared_base; /* a window below the first block */
static int errors;
static int cached;
static volatile int stop;

static void claim(dma_addr_t dma, int who)
{
	size_t i = (size_t)((dma - shared_base) / 64);
	pthread_mutex_lock(&owners_lock);
	if (dma < shared_base || i >= ARRAY_SIZE(owner) || owner[i] != 0) {
		fprintf(stderr, "shared block %#llx handed out twice (thread %d)\n", (unsigned long long)dma, who);
		errors++;
	} else {
		owner[i] = who;
	}
	pthread_mutex_unlock(&owners_lock);
}

static void release(dma_addr_t dma)
{
	pthread_mutex_lock(&owners_lock);
	owner[(dma - shared_base) / 64] = 0;
	pthread_mutex_unlock(&owners_lock);
}

/* One round: a ring from each pool, written, checked, given back. Returns a hash of the own pool's handles. */
static dma_addr_t own_base[NTHREADS];

static unsigned long ring(int who, unsigned long h)
{
	void *v[RING], *s[RING];
	dma_addr_t d[RING], sd[RING];
	for (int i = 0; i < RING; i++) {
		v[i] = dma_pool_alloc(own[who], GFP_KERNEL, &d[i]);
		s[i] = dma_pool_zalloc(shared, GFP_KERNEL, &sd[i]);
		if (!v[i] || !s[i]) {
			fprintf(stderr, "thread %d: allocation failed\n", who);
			errors++;
			return h;
		}
		claim(sd[i], who + 1);
		if (((u8 *)s[i])[0] != 0 || ((u8 *)s[i])[63] != 0)
			errors++;
		memset(v[i], who + 1, 128);
		memset(s[i], who + 1, 64);
		/* Relative to the pool's first page: which page a pool gets depends on the other threads. */
		if (!own_base[who])
			own_base[who] = d[i];
		h = h * 31 + (unsigned long)(d[i] - own_base[who]);
	}
	for (int i = RING - 1; i >= 0; i--) {
		if (((u8 *)v[i])[127] != who + 1 || ((u8 *)s[i])[0] != who + 1) {
			fprintf(stderr, "thread %d: block overwritten\n", who);
			errors++;
		}
		release(sd[i]);
		dma_pool_free(shared, s[i], sd[i]);
		dma_pool_free(own[who], v[i], d[i]);
	}
	return h;
}

static unsigned long hashes[NTHREADS];

static void *mix(void *arg)
{
	int who = (int)(long)arg;
	unsigned long h = 0;
	for (int r = 0; r < 50; r++)
		h = ring(who, h);
	hashes[who] = h;
	if (dmashim_pool_cached(own[who]) > 0)
		__atomic_fetch_or(&cached, 1 << who, __ATOMIC_RELAXED);
	return NULL;
}

/* Churn until told to stop (the others' background while thread 1 errs, or the program ends). */
static void *churn(void *arg)
{
	int who = (int)(long)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		dma_addr_t d;
		void *v = dma_pool_alloc(own[who], GFP_KERNEL, &d);
		if (v)
			dma_pool_free(own[who], v, d);
	}
	return NULL;
}

static void *double_free(void *arg)
{
	(void)arg;
	dma_addr_t d[3];
	void *v[3];
	for (int i = 0; i < 3; i++)
		v[i] = dma_pool_alloc(own[1], GFP_KERNEL, &d[i]);
	dma_pool_free(own[1], v[0], d[0]);
	dma_pool_free(own[1], v[0], d[0]); /* MARK double */
	dma_pool_free(own[1], v[1], d[1] + 8); /* MARK baddma */
	dma_pool_free(own[1], v[1], d[1]);
	dma_pool_free(own[1], v[2], d[2]);
	return NULL;
}

static void *leak(void *arg)
{
	int who = (int)(long)arg;
	void *v[10];
	dma_addr_t d[10];
	for (int i = 0; i < 10; i++)
		v[i] = dma_pool_alloc(own[who], GFP_KERNEL, &d[i]); /* MARK leak */
	/* who + 1 stay allocated, the rest wait in the cache. */
	for (int i = who + 1; i < 10; i++)
		dma_pool_free(own[who], v[i], d[i]);
	return NULL;
}

static void *poison(void *arg)
{
	(void)arg;
	dma_addr_t d;
	u8 *v = dma_pool_alloc(own[1], GFP_KERNEL, &d);
	dma_pool_free(own[1], v, d);
	v[5] = 0x55; /* written after the free */
	void *again = dma_pool_alloc(own[1], GFP_KERNEL, &d); /* MARK corrupted */
	if (again)
		dma_pool_free(own[1], again, d);
	return NULL;
}

static void *bench(void *arg)
{
	long n = (long)arg;
	void *v[RING];
	dma_addr_t d[RING];
	static int next;
	int who = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) % NTHREADS;
	for (long done = 0; done < n; done += RING) {
		struct dma_pool *p = (done / RING) % 4 == 0 ? shared : own[who];
		for (int i = 0; i < RING; i++)
			v[i] = dma_pool_alloc(p, GFP_KERNEL, &d[i]);
		for (int i = 0; i < RING; i++)
			dma_pool_free(p, v[i], d[i]);
	}
	return NULL;
}

/* Run fn on NTHREADS threads (arg: the thread's number) and wait for them. */
static void on_threads(void *(*fn)(void *), long arg, int numbered)
{
	pthread_t t[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, fn, (void *)(numbered ? i : arg));
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
}

/* fn on thread 1 while threads 0, 2 and 3 churn their own pools. */
static void alone_among_others(void *(*fn)(void *))
{
	pthread_t t[NTHREADS];
	stop = 0;
	for (long i = 0; i < NTHREADS; i++)
		if (i != 1)
			pthread_create(&t[i], NULL, churn, (void *)i);
	pthread_create(&t[1], NULL, fn, NULL);
	pthread_join(t[1], NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < NTHREADS; i++)
		if (i != 1)
			pthread_join(t[i], NULL);
}

/*
 * A drain of the whole cache in flight (a bad free: the pool drains before the
 * core reports it) while another thread reads the pools file: the read must
 * come after the drain, not count its blocks as in use.
 */
static int transit_go, transit_stop;
static void *transit_drainer(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&transit_stop, __ATOMIC_ACQUIRE)) {
		if (!__atomic_load_n(&transit_go, __ATOMIC_ACQUIRE)) {
			sched_yield();
			continue;
		}
		dma_addr_t d;
		void *v = dma_pool_alloc(own[0], GFP_KERNEL, &d);
		dma_pool_free(own[0], v, d + 8); /* MARK transit */
		dma_pool_free(own[0], v, d);
		__atomic_store_n(&transit_go, 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void transit(void)
{
	static void *tv[2000];
	static dma_addr_t td[2000];
	static char text[4096];
	pthread_t t;
	int wrong = 0;
	pthread_create(&t, NULL, transit_drainer, NULL);
	for (int r = 0; r < 10; r++) {
		for (int i = 0; i < 2000; i++)
			tv[i] = dma_pool_alloc(own[0], GFP_KERNEL, &td[i]);
		for (int i = 0; i < 2000; i++)
			dma_pool_free(own[0], tv[i], td[i]);
		__atomic_store_n(&transit_go, 1, __ATOMIC_RELEASE);
		/* The drainer has taken the blocks out of the cache: its crossings are in flight. */
		while (dmashim_pool_cached(own[0]) > 1 && __atomic_load_n(&transit_go, __ATOMIC_ACQUIRE))
			sched_yield();
		dmashim_sysfs_read(&pdev.dev, "pools", text, sizeof(text));
		char *l = strstr(text, "own-0 ");
		int used = -1;
		if (l)
			sscanf(l + 6, "%d", &used);
		if (used < 0 || used > 1)
			wrong++;
		while (__atomic_load_n(&transit_go, __ATOMIC_ACQUIRE))
			sched_yield();
	}
	__atomic_store_n(&transit_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	printf("transit wrong=%d\n", wrong);
}

/* Print until the program ends: a thread waits for its printk's crossing while the run's end flushes the log. */
static void *chatter(void *arg)
{
	for (unsigned long i = 0;; i++) {
		printk(KERN_DEBUG "chatter %ld: %lu", (long)arg, i);
		printk(KERN_CONT " more\n");
	}
	return NULL;
}

static void *exit_now(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		ring(1, 0);
	printf("exiting\n");
	exit(3);
}

static void pools_lines(void)
{
	static char text[4096];
	dmashim_sysfs_read(&pdev.dev, "pools", text, sizeof(text));
	/* The shared pool's page count depends on how the threads interleave: only its blocks in use. */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		int used;
		if (sscanf(line, "shared-64 %d", &used) == 1)
			printf("shared-64 in use %d\n", used);
		else
			printf("%s\n", line);
	}
}

int main(int argc, char **argv)
{
	static char names[NTHREADS][16];
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:03.0");
	if (device_register(&pdev.dev))
		return 1;
	shared = dma_pool_create("shared-64", &pdev.dev, 64, 64, 0);
	for (int i = 0; i < NTHREADS; i++) {
		snprintf(names[i], sizeof(names[i]), "own-%d", i);
		own[i] = dma_pool_create(names[i], &pdev.dev, 128, 64, 0);
	}
	dma_addr_t d;
	void *first = dma_pool_alloc(shared, GFP_KERNEL, &d);
	shared_base = d & ~(dma_addr_t)0xfffff;
	dma_pool_free(shared, first, d);
	printf("threaded=%d\n", dmashim_threaded());
	for (int a = 1; a < argc; a++) {
		const char *s = argv[a];
		if (!strcmp(s, "mix")) {
			on_threads(mix, 0, 1);
			for (int i = 0; i < NTHREADS; i++)
				printf("own-%d order %lx\n", i, hashes[i]);
			printf("errors=%d cached=%x\n", errors, cached);
			pools_lines();
		} else if (!strcmp(s, "double")) {
			alone_among_others(double_free);
		} else if (!strcmp(s, "leak")) {
			on_threads(leak, 0, 1);
		} else if (!strcmp(s, "poison")) {
			alone_among_others(poison);
		} else if (!strcmp(s, "destroy")) {
			dma_pool_destroy(own[3]); /* MARK destroy */
			own[3] = NULL;
		} else if (!strcmp(s, "running")) {
			pthread_t t;
			for (long i = 0; i < NTHREADS; i++)
				pthread_create(&t, NULL, churn, (void *)i);
			printf("returning\n");
			return 0;
		} else if (!strcmp(s, "transit")) {
			transit();
		} else if (!strcmp(s, "printing")) {
			pthread_t t;
			for (long i = 0; i < NTHREADS; i++)
				pthread_create(&t, NULL, chatter, (void *)i);
			usleep(20000);
			printf("returning while printing\n");
			return 0;
		} else if (!strcmp(s, "exit")) {
			pthread_t t;
			for (long i = 0; i < NTHREADS; i++)
				pthread_create(&t, NULL, i == 1 ? exit_now : churn, (void *)i);
			for (;;)
				pause();
		} else if (!strcmp(s, "bench") && a + 1 < argc) {
			on_threads(bench, atol(argv[++a]), 0);
		}
	}
	return 0;
}
