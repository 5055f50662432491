/* SPDX-License-Identifier: MIT */
/*
 * linux/errno.h for dmashim: the kernel's errno values. glibc's <errno.h>
 * includes <linux/errno.h>, which resolves here once -I include is given, so
 * the user-visible codes come from the installed uapi <asm/errno.h> (the same
 * numbers the kernel uses); the kernel-internal codes follow.
 */
#ifndef _LINUX_ERRNO_H
#define _LINUX_ERRNO_H

#include <asm/errno.h>

/* Kernel-internal codes (never seen by user space). */
#ifndef ERESTARTSYS
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ENOIOCTLCMD 515
#define ERESTART_RESTARTBLOCK 516
#define EPROBE_DEFER 517
#define EOPENSTALE 518
#define ENOPARAM 519
#define EBADHANDLE 521
#define ENOTSYNC 522
#define EBADCOOKIE 523
#define ENOTSUPP 524
#define ETOOSMALL 525
#define ESERVERFAULT 526
#define EBADTYPE 527
#define EJUKEBOX 528
#define EIOCBQUEUED 529
#define ERECALLCONFLICT 530
#define ENOGRACE 531
#endif

#endif /* _LINUX_ERRNO_H */
