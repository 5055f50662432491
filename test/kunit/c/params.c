// SPDX-License-Identifier: MIT
/*
 * Parameter generators of both ages, for test/kunit/: (test, prev, desc) as
 * current kernels write them, (prev, desc) as older ones did.
 */
#include <kunit/test.h>

static const int values[] = { 1, 2, 3 };

static const void *gen_new(struct kunit *test, const void *prev, char *desc)
{
	const int *next = prev ? (const int *)prev + 1 : values;
	/* No test, no parameters: the counts would show it. */
	if (!test || next == values + 3)
		return NULL;
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "new %d", *next);
	return next;
}

static const void *gen_old(const void *prev, char *desc)
{
	const int *next = prev ? (const int *)prev + 1 : values;
	return next == values + 2 ? NULL : next;
}

static void positive(struct kunit *test)
{
	KUNIT_EXPECT_GT(test, *(const int *)test->param_value, 0);
	KUNIT_EXPECT_EQ(test, values[test->param_index], *(const int *)test->param_value);
}

static void positive_old(struct kunit *test)
{
	positive(test);
}

static struct kunit_case params_cases[] = {
	KUNIT_CASE_PARAM(positive, gen_new),
	KUNIT_CASE_PARAM(positive_old, gen_old),
	{}
};
static struct kunit_suite params_suite = { .name = "params", .test_cases = params_cases };
kunit_test_suite(params_suite);
