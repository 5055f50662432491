// SPDX-License-Identifier: MIT
/*
 * An assertion inside a spinlock, for test/kunit/: the case fails, and the
 * next case does not inherit the atomic context (its GFP_KERNEL allocation
 * is no sleeping-in-atomic report).
 */
#include <kunit/test.h>
#include <linux/spinlock.h>
#include <linux/slab.h>

static DEFINE_SPINLOCK(lock);

static void asserts_under_lock(struct kunit *test)
{
	spin_lock(&lock);
	KUNIT_ASSERT_EQ(test, 1, 2);
	spin_unlock(&lock);
}

static void sleeps_after(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, in_atomic());
	kfree(kmalloc(64, GFP_KERNEL));
	might_sleep();
}

static struct kunit_case atomic_cases[] = { KUNIT_CASE(asserts_under_lock), KUNIT_CASE(sleeps_after), {} };
static struct kunit_suite atomic_suite = { .name = "atomic", .test_cases = atomic_cases };
kunit_test_suite(atomic_suite);
