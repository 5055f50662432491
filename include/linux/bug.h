/* SPDX-License-Identifier: MIT */
/*
 * linux/bug.h for dmashim: WARN and BUG. A WARN prints the kernel's "cut here"
 * banner with the C file and line to the kernel log and carries on; BUG prints
 * "kernel BUG at file:line!" and aborts the program (the kernel would oops), so
 * `dmashim run` reports it; never silent.
 */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H

#include <linux/compiler.h>

__printf(4, 5) void __dmashim_warn(const char *file, int line, const char *func, const char *fmt, ...);
__noreturn void __dmashim_bug(const char *file, int line, const char *func, const char *cond);

#define WARN(condition, format...) ({						\
	int __ret_warn_on = !!(condition);					\
	if (unlikely(__ret_warn_on))						\
		__dmashim_warn(__FILE__, __LINE__, __func__, format);		\
	unlikely(__ret_warn_on);						\
})

#define WARN_ON(condition) ({							\
	int __ret_warn_on = !!(condition);					\
	if (unlikely(__ret_warn_on))						\
		__dmashim_warn(__FILE__, __LINE__, __func__, "%s", "WARN_ON(" #condition ")"); \
	unlikely(__ret_warn_on);						\
})

#define WARN_ONCE(condition, format...) ({					\
	static bool __warned;							\
	int __ret_warn_once = !!(condition);					\
	if (unlikely(__ret_warn_once && !__warned)) {				\
		__warned = true;						\
		__dmashim_warn(__FILE__, __LINE__, __func__, format);		\
	}									\
	unlikely(__ret_warn_once);						\
})

#define WARN_ON_ONCE(condition) ({						\
	static bool __warned;							\
	int __ret_warn_once = !!(condition);					\
	if (unlikely(__ret_warn_once && !__warned)) {				\
		__warned = true;						\
		__dmashim_warn(__FILE__, __LINE__, __func__, "%s", "WARN_ON_ONCE(" #condition ")"); \
	}									\
	unlikely(__ret_warn_once);						\
})

#define BUG() __dmashim_bug(__FILE__, __LINE__, __func__, NULL)
#define BUG_ON(condition) do {							\
	if (unlikely(condition))						\
		__dmashim_bug(__FILE__, __LINE__, __func__, "BUG_ON(" #condition ")"); \
} while (0)

/* Compile-time checks: a negative array size when the condition holds. */
#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int : (-!!(e)); })))
#define BUILD_BUG_ON(condition) ((void)sizeof(char[1 - 2 * !!(condition)]))
#define BUILD_BUG_ON_MSG(cond, msg) BUILD_BUG_ON(cond)
#define BUILD_BUG() BUILD_BUG_ON(1)

#endif /* _LINUX_BUG_H */
