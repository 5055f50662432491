// SPDX-License-Identifier: MIT
/*
 * Suites whose suite_init goes wrong, for test/kunit/: one WARNs (the report
 * fails the suite, not its case), one fails with -ENOMEM (no case runs), and
 * one with no problem at all.
 */
#include <kunit/test.h>
#include <linux/bug.h>

static int warning_init(struct kunit_suite *suite)
{
	WARN_ON(1);
	return 0;
}

static void fine(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, true);
}

static struct kunit_case warning_cases[] = { KUNIT_CASE(fine), {} };
static struct kunit_suite warning_suite = {
	.name = "warning_init",
	.suite_init = warning_init,
	.test_cases = warning_cases,
};

static int failing_init(struct kunit_suite *suite)
{
	return -ENOMEM;
}

static void never(struct kunit *test)
{
	KUNIT_FAIL(test, "suite_init failed: this case must not run");
}

static struct kunit_case failing_cases[] = { KUNIT_CASE(never), {} };
static struct kunit_suite failing_suite = {
	.name = "failing_init",
	.suite_init = failing_init,
	.test_cases = failing_cases,
};

static void also_fine(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, false);
}

/* (A case named as its suite would confuse kunit.py's parser: it takes the case's result line for the suite's.) */
static struct kunit_case fine_cases[] = { KUNIT_CASE(also_fine), {} };
static struct kunit_suite fine_suite = { .name = "fine", .test_cases = fine_cases };

kunit_test_suites(&warning_suite, &failing_suite, &fine_suite);
