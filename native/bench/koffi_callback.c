/*
 * koffi_callback.c: the "one bare koffi callback" yardstick of `npm run bench`.
 * A C loop calls a registered JS callback n times on the main thread and times
 * itself, exactly the shape of a C driver calling into the TypeScript core
 * through the bridge, minus the core. Built as a shared object and loaded with
 * koffi directly (no bridge needed).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <time.h>

typedef void noop_cb(void);
typedef int64_t args_cb(int32_t a, uint32_t b);

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per call of a `void (void)` callback. */
double bench_noop_loop(noop_cb *cb, int64_t n)
{
	double t0 = now_ns();
	for (int64_t i = 0; i < n; i++)
		cb();
	return (now_ns() - t0) / (double)n;
}

/* ns per call of an `int64_t (int32_t, uint32_t)` callback: the shape of a bridge pool_alloc. */
double bench_args_loop(args_cb *cb, int64_t n)
{
	int64_t sink = 0;
	double t0 = now_ns();
	for (int64_t i = 0; i < n; i++)
		sink += cb((int32_t)i, 0xcc0u);
	double t = (now_ns() - t0) / (double)n;
	return sink == -1 ? -t : t;
}
