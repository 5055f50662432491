/* SPDX-License-Identifier: MIT */
/*
 * The C-side dma_map_ops of devices (set_dma_ops from C), shared by
 * native/dma_ops.c and native/mapping.c. The count is 0 until a program sets
 * ops, so the default path tests one integer and never looks a device up.
 */
#ifndef DMASHIM_NATIVE_DMA_OPS_H
#define DMASHIM_NATIVE_DMA_OPS_H

struct device;
struct dma_map_ops;

#pragma GCC visibility push(hidden)
/* How many devices have C-side ops now. */
extern int dmashim_c_dma_ops_nr;
/* The C-side ops of a device, or NULL. */
const struct dma_map_ops *dmashim_c_dma_ops(const struct device *dev);
#pragma GCC visibility pop

/* The device's C-side ops when any device has some, else NULL without a look-up. */
#define C_DMA_OPS(dev) (__builtin_expect(dmashim_c_dma_ops_nr != 0, 0) ? dmashim_c_dma_ops(dev) : NULL)

#endif
