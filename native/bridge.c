/* SPDX-License-Identifier: MIT */
/*
 * The C half of the dmashim bridge. Compiled into every C program that
 * `dmashim run` loads (one shared object), it implements the functions our
 * include/linux headers declare by forwarding them through one table of
 * callbacks into the TypeScript core (DMASHIM_OPS in dmashim/abi.h). Memory
 * the core hands out lives in the arena, a native mapping TypeScript sees
 * through koffi.view, so a returned block is a plain C pointer: arena base +
 * offset.
 *
 * Threads: by default the program runs synchronously on the JS thread, and a
 * call from any other thread is refused (koffi would relay it to the JS thread,
 * which is blocked in main(): a deadlock). With --threads, main() runs on a
 * koffi worker and every call is relayed; each thread then gets its own
 * scratch slot for out-values.
 *
 * This file: the bridge's state, the thread check, scratch slots and the
 * handshake with the runner. The rest, by subject: printk.c, device.c,
 * dmapool.c, mapping.c, mm.c, context.c, extras.c, device_side.c.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <dmashim/bridge.h>

#include "internal.h"

struct dmashim_ops dmashim_ts;
int dmashim_ready;
int dmashim_threads_on;
pthread_t dmashim_js_thread;
char *dmashim_arena;
uint64_t dmashim_arena_size;
uint64_t dmashim_scratch[DMASHIM_SCRATCH_SLOTS * DMASHIM_SCRATCH_WORDS] __attribute__((aligned(64)));
pthread_mutex_t dmashim_state_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static atomic_int refused;

/* ------------------------------------------------------------------ entry */

/* enter() for the kernel functions defined as static inlines in the headers (dmashim/call.h). */
int dmashim_enter(const char *fn) { return enter(fn); }

void dmashim_not_ready(const char *fn)
{
	fprintf(stderr, "dmashim: %s() called before the bridge was initialised (from a constructor?): "
			"run the program with `dmashim run`\n", fn);
	fflush(NULL);
	abort();
}

void dmashim_refuse(const char *fn)
{
	/* Say it once per program: the first refusal explains, the rest would only repeat it. */
	if (atomic_fetch_add(&refused, 1) == 0)
		fprintf(stderr,
			"dmashim: %s() called from a second thread; this program starts threads, "
			"so run it with `dmashim run --threads` (the call was refused and returned failure)\n",
			fn);
}

static pthread_key_t slot_key;
static atomic_uchar slot_used[DMASHIM_SCRATCH_SLOTS];

static void slot_release(void *v)
{
	atomic_store(&slot_used[(uintptr_t)v - 1], 0);
}

/* my_slot() with --threads: one slot per live thread, taken on its first call. */
int dmashim_thread_slot(void)
{
	uintptr_t v = (uintptr_t)pthread_getspecific(slot_key);
	if (v)
		return (int)(v - 1);
	for (int s = 1; s < DMASHIM_SCRATCH_SLOTS; s++) {
		unsigned char expected = 0;
		if (atomic_compare_exchange_strong(&slot_used[s], &expected, 1)) {
			pthread_setspecific(slot_key, (void *)(uintptr_t)(s + 1));
			return s;
		}
	}
	fprintf(stderr, "dmashim: more than %d threads talk to the bridge at once\n", DMASHIM_SCRATCH_SLOTS - 1);
	abort();
}

/* -------------------------------------------------------------- handshake */

EXPORT uint32_t dmashim_abi_version(void) { return DMASHIM_ABI_VERSION; }
EXPORT int32_t dmashim_nr_ops(void) { return DMASHIM_NR_OPS; }
EXPORT void *dmashim_scratch_area(void) { return dmashim_scratch; }
EXPORT int32_t dmashim_scratch_size(void) { return (int32_t)sizeof(dmashim_scratch); }
EXPORT int32_t dmashim_refused(void) { return atomic_load(&refused); }

/*
 * Called once by the TypeScript runner, on the JS thread, before main().
 * Returns 0, or -1 after printing why (ABI mismatch).
 */
EXPORT int32_t dmashim_bridge_init(const struct dmashim_ops *o, uint32_t abi, int32_t nr_ops, void *arena_base,
				   double size, int32_t threaded_mode)
{
	if (abi != DMASHIM_ABI_VERSION || nr_ops != DMASHIM_NR_OPS) {
		fprintf(stderr,
			"dmashim: ABI mismatch: the C bridge (include/, native/) is version %u with %d ops, "
			"the TypeScript runner is version %u with %d ops; use matching checkouts\n",
			DMASHIM_ABI_VERSION, DMASHIM_NR_OPS, abi, nr_ops);
		return -1;
	}
	dmashim_ts = *o;
	dmashim_arena = arena_base;
	dmashim_arena_size = (uint64_t)size;
	dmashim_threads_on = threaded_mode;
	dmashim_js_thread = pthread_self();
	pthread_key_create(&slot_key, slot_release);
	/* Line-buffered stdout keeps the program's output in step with the kernel log on stderr. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * Node puts a pipe or socket on fds 0-2 in non-blocking mode, and the flag
	 * belongs to the open file, which the program's stdio shares: a printf that
	 * meets a full pipe (a slow reader) gets EAGAIN, and stdio drops the text.
	 * The runner has made node's stdout/stderr streams before this call (so node
	 * does not set the flag again later); C gets blocking descriptors, as any
	 * program started from a shell has. Node's own writes to them then block too:
	 * in synchronous mode that is what the program does anyway; with --threads a
	 * full pipe also holds the JS thread (and C threads waiting on a callback)
	 * until the reader catches up, which is a slower program, not a lost line.
	 */
	for (int fd = 0; fd <= 2; fd++) {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_NONBLOCK))
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		/* Node marks them close-on-exec; a program that execs (or our crash aftermath) must pass them on. */
		int fdf = fcntl(fd, F_GETFD);
		if (fdf >= 0 && (fdf & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fdf & ~FD_CLOEXEC);
	}
	dmashim_ready = 1;
	return 0;
}

/*
 * A program that calls exit() never returns to the runner, so the runner's end
 * of run (the pending printk continuation, the pool cache drained, --pools,
 * --leaks, the findings) would be skipped. on_exit() (glibc) gives the status:
 * the runner's hook does that work and says which status to exit with. The
 * runner disarms it before its own exit.
 */
static int32_t (*exit_hook)(int32_t status);

static void run_exit_hook(int status, void *arg)
{
	(void)arg;
	int32_t (*hook)(int32_t) = exit_hook;
	exit_hook = NULL;
	if (!hook || !dmashim_ready)
		return;
	/* Without --threads only the JS thread may call TypeScript; another thread's exit() skips the hook. */
	if (!dmashim_threads_on && !pthread_equal(pthread_self(), dmashim_js_thread))
		return;
	/*
	 * With --threads the pool caches are emptied here, on the exiting thread,
	 * which may wait for other threads' batches in flight; the JS thread must
	 * not (it serves them), and drains again only what was cached since.
	 */
	if (dmashim_threads_on && !pthread_equal(pthread_self(), dmashim_js_thread))
		dmashim_pool_cache_drain_all();
	dmashim_log_flush();
	fflush(NULL);
	int32_t st = hook(status);
	fflush(NULL);
	_exit(st & 0xff);
}

EXPORT void dmashim_set_exit_hook(int32_t (*hook)(int32_t status))
{
	static int registered;
	if (hook && !registered) {
		registered = 1;
		on_exit(run_exit_hook, NULL);
	}
	exit_hook = hook;
}

EXPORT int32_t dmashim_threaded_mode(void) { return dmashim_threads_on; }
int dmashim_threaded(void) { return dmashim_threads_on; }

/*
 * The benchmarks' yardstick: exactly the crossing of a fast op (an indirect
 * call through the table, void(void)) and nothing else, not even enter(), so
 * "bridge op / this" is the bridge's cost over one bare koffi callback.
 */
void dmashim_bench_noop(void) { dmashim_ts.bench_noop(); }
