/* SPDX-License-Identifier: MIT */
/*
 * linux/compiler.h for dmashim: the attribute and access macros driver code
 * uses. Kernel-only annotations (sparse's __iomem, __user, __bitwise ...) mean
 * nothing to gcc/clang and expand to nothing, as they do in a non-sparse build.
 */
#ifndef __LINUX_COMPILER_H
#define __LINUX_COMPILER_H

/* The kernel's build force-includes linux/kconfig.h; every dmashim header reaches this one. */
#include <linux/kconfig.h>

#ifndef __iomem
#define __iomem
#endif
#ifndef __user
#define __user
#endif
#ifndef __kernel
#define __kernel
#endif
#ifndef __force
#define __force
#endif
#ifndef __bitwise
#define __bitwise
#endif
#ifndef __must_check
#define __must_check __attribute__((__warn_unused_result__))
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#ifndef noinline
#define noinline __attribute__((__noinline__))
#endif
#ifndef __maybe_unused
#define __maybe_unused __attribute__((__unused__))
#endif
#ifndef __always_unused
#define __always_unused __attribute__((__unused__))
#endif
#ifndef __packed
#define __packed __attribute__((__packed__))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((__aligned__(x)))
#endif
#ifndef __printf
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#endif
#ifndef __noreturn
#define __noreturn __attribute__((__noreturn__))
#endif
#ifndef __cold
#define __cold __attribute__((__cold__))
#endif
#ifndef __init
#define __init
#endif
#ifndef __exit
#define __exit
#endif
#ifndef __devinit
#define __devinit
#endif
#ifndef __devexit
#define __devexit
#endif
/* Section annotations (linux/init.h): one program, nothing is discarded after init. */
#ifndef __initdata
#define __initdata
#define __initconst
#define __exitdata
#define __refdata
#define __ref
#define __devinitdata
#define __devinitconst
#define __devexitdata
#define __cpuinit
#define __cpuinitdata
#endif
/* 2.6-era: the remove hook of a driver that could not be unloaded (HOTPLUG=n) was NULL; here always kept. */
#ifndef __devexit_p
#define __devexit_p(x) (x)
#define __exit_p(x) (x)
#endif
#ifndef __read_mostly
#define __read_mostly
#endif

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define barrier() __asm__ __volatile__("" : : : "memory")
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile __typeof__(x) *)&(x) = (val); } while (0)

/* "a" ":" "b" glue for the call-site strings the bridge receives. */
#define __dmashim_stringify_1(x) #x
#define __stringify(x) __dmashim_stringify_1(x)

/*
 * The call site of an API call, as the address of a static string
 * "file.c:LINE". The bridge hands the address to TypeScript, which decodes it
 * once and caches it, so reports can name the C line that made the call.
 */
#define DMASHIM_SITE (__FILE__ ":" __stringify(__LINE__))

#endif /* __LINUX_COMPILER_H */
