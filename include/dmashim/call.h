/* SPDX-License-Identifier: MIT */
/*
 * dmashim/call.h: what a kernel header needs to define a kernel function as a
 * static inline that calls straight into TypeScript, so that a function with a
 * plain argument mapping costs one header body, one DMASHIM_OPS row
 * (dmashim/abi.h) and one TypeScript op (src/bridge/ops.ts), and no file in
 * native/. Functions with C-side state (pairing, caches, formatting) live in
 * native/ instead.
 *
 * The names here are hidden: the program and the bridge are linked into one
 * shared object, so they resolve inside it and are never exported.
 */
#ifndef _DMASHIM_CALL_H
#define _DMASHIM_CALL_H

#include <stdint.h>
#include <stddef.h>
#include <dmashim/abi.h>

struct device;

/* The callbacks into TypeScript, in DMASHIM_OPS order: the order is the ABI. */
struct dmashim_ops {
#define DMASHIM_OP_MEMBER(ret, name, args) ret (*name) args;
	DMASHIM_OPS(DMASHIM_OP_MEMBER)
#undef DMASHIM_OP_MEMBER
};

#pragma GCC visibility push(hidden)
/* The table, filled once by the runner before main(). */
extern struct dmashim_ops dmashim_ts;
/* 1 when the caller may call into TypeScript now (see native/internal.h's enter()). */
int dmashim_enter(const char *fn);
/* The TypeScript device paired with a C struct device (0 for NULL). */
int32_t dmashim_devid(const struct device *cdev);
#pragma GCC visibility pop

/* A size or address from TypeScript (a double) as C's size_t: values at 2^64 and above saturate. */
static inline size_t dmashim_size(double v)
{
	return v >= 18446744073709551615.0 ? SIZE_MAX : v <= 0 ? 0 : (size_t)v;
}

#endif /* _DMASHIM_CALL_H */
