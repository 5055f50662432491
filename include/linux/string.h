/* SPDX-License-Identifier: MIT */
/* linux/string.h: the C library's string functions are the kernel's here. */
#ifndef _LINUX_STRING_H_
#define _LINUX_STRING_H_

#include <string.h>
#include <linux/types.h>

static inline size_t strscpy(char *dst, const char *src, size_t count)
{
	size_t n = strnlen(src, count);
	if (count == 0)
		return (size_t)-7; /* -E2BIG */
	if (n == count) {
		memcpy(dst, src, count - 1);
		dst[count - 1] = '\0';
		return (size_t)-7;
	}
	memcpy(dst, src, n + 1);
	return n;
}

#endif /* _LINUX_STRING_H_ */
