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

/*
 * Compile-time checks, as the kernel's: BUILD_BUG_ON(cond) calls a function
 * declared with the error attribute when cond holds, so the build fails only if
 * that call survives: in a branch the compiler removes (a constant condition,
 * `if (sizeof(long) == 4) BUILD_BUG();`) it compiles. dmashim builds at -O2, as
 * the kernel does; at -O0 a condition that only becomes constant after inlining
 * or constant propagation (a static inline's argument, a static const) fails
 * where the kernel's would not, since nothing is inlined (the kernel cannot be
 * built at -O0 either). BUILD_BUG_ON_ZERO stays an integer constant
 * expression (a negative bit-field width), as it must be usable in sizeof.
 */
#define __dmashim_compiletime_assert(condition, msg, prefix, suffix)		\
	do {									\
		__noreturn extern void prefix##suffix(void)			\
			__attribute__((__error__(msg)));			\
		if (!(condition))						\
			prefix##suffix();					\
	} while (0)
#define __dmashim_compiletime_assert_n(condition, msg, n) \
	__dmashim_compiletime_assert(condition, msg, __compiletime_assert_, n)
#define compiletime_assert(condition, msg) __dmashim_compiletime_assert_n(condition, msg, __COUNTER__)
#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int : (-!!(e)); })))
#define BUILD_BUG_ON_MSG(cond, msg) compiletime_assert(!(cond), msg)
#define BUILD_BUG_ON(condition) BUILD_BUG_ON_MSG(condition, "BUILD_BUG_ON failed: " #condition)
#define BUILD_BUG_ON_NOT_POWER_OF_2(n) BUILD_BUG_ON((n) == 0 || (((n) & ((n) - 1)) != 0))
#define BUILD_BUG() BUILD_BUG_ON_MSG(1, "BUILD_BUG failed")

#endif /* _LINUX_BUG_H */
