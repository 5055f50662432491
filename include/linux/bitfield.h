/* SPDX-License-Identifier: MIT */
/*
 * linux/bitfield.h for dmashim: FIELD_PREP/FIELD_GET and friends over a
 * constant GENMASK() mask. A constant value that does not fit the field, or a
 * mask that is zero or not contiguous, fails to compile, as in the kernel.
 */
#ifndef _LINUX_BITFIELD_H
#define _LINUX_BITFIELD_H

#include <linux/bits.h>
#include <linux/bug.h>
#include <asm/byteorder.h>

#define __bf_shf(x) (__builtin_ffsll(x) - 1)

#define __BF_FIELD_CHECK(_mask, _reg, _val)						\
	({										\
		BUILD_BUG_ON(!__builtin_constant_p(_mask));				\
		BUILD_BUG_ON((_mask) == 0);						\
		BUILD_BUG_ON(__builtin_constant_p(_val) &&				\
			     ~((_mask) >> __bf_shf(_mask)) & (0 + (_val)));		\
		BUILD_BUG_ON((_mask) > (__typeof__(_reg))~0ull);			\
		BUILD_BUG_ON((((_mask) + (1ULL << __bf_shf(_mask))) &			\
			      ((_mask) + (1ULL << __bf_shf(_mask)) - 1)) != 0);		\
	})

#define FIELD_MAX(_mask) ({ __BF_FIELD_CHECK(_mask, 0ULL, 0ULL); (__typeof__(_mask))((_mask) >> __bf_shf(_mask)); })
#define FIELD_FIT(_mask, _val) ({ __BF_FIELD_CHECK(_mask, 0ULL, 0ULL); \
	!((((__typeof__(_mask))(_val)) << __bf_shf(_mask)) & ~(_mask)); })
#define FIELD_PREP(_mask, _val) ({ __BF_FIELD_CHECK(_mask, 0ULL, _val); \
	((__typeof__(_mask))(_val) << __bf_shf(_mask)) & (_mask); })
#define FIELD_GET(_mask, _reg) ({ __BF_FIELD_CHECK(_mask, _reg, 0U); \
	(__typeof__(_mask))(((_reg) & (_mask)) >> __bf_shf(_mask)); })

#define u32_encode_bits(v, field) FIELD_PREP(field, v)
#define u32_get_bits(v, field) FIELD_GET(field, v)
#define le32_encode_bits(v, field) cpu_to_le32(FIELD_PREP(field, v))
#define le32_get_bits(v, field) FIELD_GET(field, le32_to_cpu(v))
#define le64_encode_bits(v, field) cpu_to_le64(FIELD_PREP(field, v))
#define le64_get_bits(v, field) FIELD_GET(field, le64_to_cpu(v))

#endif /* _LINUX_BITFIELD_H */
