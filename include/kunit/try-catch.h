/* SPDX-License-Identifier: MIT */
/*
 * kunit/try-catch.h: how a case is run so that an assertion can end it. The
 * kernel runs each case in a kthread and ends the thread; we run it on the
 * same thread under setjmp() and longjmp() back (native/kunit.c): no second
 * thread means every report the case causes is made, and counted, before the
 * case's result is printed.
 */
#ifndef _KUNIT_TRY_CATCH_H
#define _KUNIT_TRY_CATCH_H

#include <setjmp.h>
#include <linux/compiler.h>

struct kunit;

struct kunit_try_catch {
	/* private: internal use only. */
	struct kunit *test;
	int try_result;
	jmp_buf env;
};

/* Ends the running case: back to the runner, which runs the case's exit and cleanup. */
void __noreturn kunit_try_catch_throw(struct kunit_try_catch *try_catch);

static inline int kunit_try_catch_get_result(struct kunit_try_catch *try_catch)
{
	return try_catch->try_result;
}

#endif /* _KUNIT_TRY_CATCH_H */
