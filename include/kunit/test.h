/* SPDX-License-Identifier: MIT */
/*
 * kunit/test.h: KUnit, so that a test file written for the kernel compiles
 * unchanged and runs under `dmashim test` (docs/kunit.md): suites, cases,
 * parameters, every KUNIT_EXPECT_* and KUNIT_ASSERT_* with the kernel's
 * failure text, skipping, logging, test-managed memory and deferred actions.
 *
 * Where we differ: a case runs on the calling thread and an assertion returns
 * to the runner with longjmp() (kunit/try-catch.h), not by ending a kthread;
 * kunit_info() and friends print to the KTAP stream on stdout, not to the
 * kernel log; suites are found through the "kunit_test_suites" section of the
 * program (the kernel's is ".kunit_test_suites").
 */
#ifndef _KUNIT_TEST_H
#define _KUNIT_TEST_H

#include <stdio.h>
#include <string.h>

#include <kunit/assert.h>
#include <kunit/try-catch.h>

#include <linux/compiler.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>

#ifndef __used
#define __used __attribute__((__used__))
#endif
#ifndef __section
#define __section(s) __attribute__((__section__(s)))
#endif
#ifndef __PASTE
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#endif
#ifndef __UNIQUE_ID
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#endif
#ifndef CONCATENATE
#define __CONCAT_(a, b) a##b
#define CONCATENATE(a, b) __CONCAT_(a, b)
#endif

struct kunit;

/* Size of the log kept per case (kept for source compatibility; our log is the KTAP stream). */
#define KUNIT_LOG_SIZE 2048

/* Maximum size of parameter description string. */
#define KUNIT_PARAM_DESC_SIZE 128

/* Maximum size of a status comment. */
#define KUNIT_STATUS_COMMENT_SIZE 256

/* KTAP indents a subtest's lines by 4 spaces, a sub-subtest's by 8. */
#define KUNIT_INDENT_LEN 4
#define KUNIT_SUBTEST_INDENT "    "
#define KUNIT_SUBSUBTEST_INDENT "        "

enum kunit_status {
	KUNIT_SUCCESS,
	KUNIT_FAILURE,
	KUNIT_SKIPPED,
};

/* Case and suite attributes: accepted, not used to filter (dmashim test --filter matches names). */
enum kunit_speed {
	KUNIT_SPEED_UNSET,
	KUNIT_SPEED_VERY_SLOW,
	KUNIT_SPEED_SLOW,
	KUNIT_SPEED_NORMAL,
	KUNIT_SPEED_MAX = KUNIT_SPEED_NORMAL,
};

struct kunit_attributes {
	enum kunit_speed speed;
};

/* One case: a function `void (*)(struct kunit *)`; parameterised when it has a generator. */
struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
	const void *(*generate_params)(struct kunit *test, const void *prev, char *desc);
	struct kunit_attributes attr;

	/* private: internal use only. */
	enum kunit_status status;
	char *module_name;
	char *log;
	/* A generator of the older (prev, desc) form: KUNIT_CASE_PARAM takes either. */
	const void *(*__generate_params_old)(const void *prev, char *desc);
};

static inline char *kunit_status_to_ok_not_ok(enum kunit_status status)
{
	switch (status) {
	case KUNIT_SKIPPED:
	case KUNIT_SUCCESS:
		return "ok";
	case KUNIT_FAILURE:
		return "not ok";
	}
	return "invalid";
}

#define KUNIT_CASE(test_name) { .run_case = test_name, .name = #test_name }

#define KUNIT_CASE_ATTR(test_name, attributes) { .run_case = test_name, .name = #test_name, .attr = attributes }

#define KUNIT_CASE_SLOW(test_name) { .run_case = test_name, .name = #test_name, .attr.speed = KUNIT_SPEED_SLOW }

/*
 * Generators take (test, prev, desc) in current kernels and (prev, desc) in
 * older ones; the generator's type picks the field, so test files of either
 * age compile unchanged.
 */
typedef const void *(*__kunit_gen_params_t)(struct kunit *, const void *, char *);
typedef const void *(*__kunit_gen_params_old_t)(const void *, char *);
#define __KUNIT_GEN_PARAMS(g)                                                                     \
	.generate_params = _Generic((g), __kunit_gen_params_t: (g), default: (__kunit_gen_params_t)0), \
	.__generate_params_old = _Generic((g), __kunit_gen_params_old_t: (g), default: (__kunit_gen_params_old_t)0)

#define KUNIT_CASE_PARAM(test_name, gen_params) \
	{ .run_case = test_name, .name = #test_name, __KUNIT_GEN_PARAMS(gen_params) }

#define KUNIT_CASE_PARAM_ATTR(test_name, gen_params, attributes) \
	{ .run_case = test_name, .name = #test_name, __KUNIT_GEN_PARAMS(gen_params), .attr = attributes }

/* A suite: its cases (ending with an empty one) and the hooks around them and around each case. */
struct kunit_suite {
	const char name[256];
	int (*suite_init)(struct kunit_suite *suite);
	void (*suite_exit)(struct kunit_suite *suite);
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
	struct kunit_attributes attr;

	/* private: internal use only */
	char status_comment[KUNIT_STATUS_COMMENT_SIZE];
	struct dentry *debugfs;
	char *log;
	int suite_init_err;
	bool is_init;
};

/* A running case. Only @priv is the test's own (data from init for the case). */
struct kunit {
	void *priv;

	/* private: internal use only. */
	const char *name;
	char *log;
	struct kunit_try_catch try_catch;
	const void *param_value;
	int param_index;
	enum kunit_status status;
	/* Deferred actions (kunit/resource.h), run last added first when the case ends. */
	struct list_head resources;
	char status_comment[KUNIT_STATUS_COMMENT_SIZE];
};

static inline void kunit_set_failure(struct kunit *test)
{
	test->status = KUNIT_FAILURE;
}

/* Always true here: `dmashim test` runs every suite it finds. */
bool kunit_enabled(void);

size_t kunit_suite_num_test_cases(struct kunit_suite *suite);

unsigned int kunit_test_case_num(struct kunit_suite *suite, struct kunit_case *test_case);

enum kunit_status kunit_suite_has_succeeded(struct kunit_suite *suite);

void kunit_cleanup(struct kunit *test);

/* The suites of a file, in a section the runner walks (native/kunit.c). */
#define __kunit_test_suites(unique_array, ...) \
	static struct kunit_suite *unique_array[] __aligned(sizeof(struct kunit_suite *)) \
		__used __section("kunit_test_suites") = { __VA_ARGS__ }

#define kunit_test_suites(__suites...) __kunit_test_suites(__UNIQUE_ID(array), ##__suites)

#define kunit_test_suite(suite) kunit_test_suites(&suite)

#define kunit_test_init_section_suites(__suites...) \
	__kunit_test_suites(CONCATENATE(__UNIQUE_ID(array), _probe), ##__suites)

#define kunit_test_init_section_suite(suite) kunit_test_init_section_suites(&suite)

#define kunit_suite_for_each_test_case(suite, test_case) \
	for (test_case = suite->test_cases; test_case->run_case; test_case++)

/*
 * Test-managed memory: kmalloc'd, freed when the case ends. kmalloc is not DMA
 * memory: a block left over is freed, never reported.
 */
void *kunit_kmalloc_array(struct kunit *test, size_t n, size_t size, gfp_t gfp);

static inline void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc_array(test, 1, size, gfp);
}

void kunit_kfree(struct kunit *test, const void *ptr);

static inline void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc(test, size, gfp | __GFP_ZERO);
}

static inline void *kunit_kcalloc(struct kunit *test, size_t n, size_t size, gfp_t gfp)
{
	return kunit_kmalloc_array(test, n, size, gfp | __GFP_ZERO);
}

/* Appends to a case's log buffer when it has one (ours have none: the log is the KTAP stream). */
void __printf(2, 3) kunit_log_append(char *log, const char *fmt, ...);

/* A KTAP line on stdout, kernel formats (%pad, %pa, ...) understood; lvl is accepted for source compatibility. */
void __printf(2, 3) __kunit_log(const char *lvl, const char *fmt, ...);

#define kunit_mark_skipped(test_or_suite, fmt, ...)                                                          \
	do {                                                                                                 \
		(test_or_suite)->status = KUNIT_SKIPPED;                                                     \
		snprintf((test_or_suite)->status_comment, KUNIT_STATUS_COMMENT_SIZE, fmt, ##__VA_ARGS__);    \
	} while (0)

#define kunit_skip(test_or_suite, fmt, ...)                                              \
	do {                                                                             \
		kunit_mark_skipped((test_or_suite), fmt, ##__VA_ARGS__);                 \
		kunit_try_catch_throw(&((test_or_suite)->try_catch));                    \
	} while (0)

#define kunit_log(lvl, test_or_suite, fmt, ...)                  \
	do {                                                     \
		(void)(test_or_suite);                           \
		__kunit_log(lvl, fmt, ##__VA_ARGS__);            \
	} while (0)

#define kunit_printk(lvl, test, fmt, ...) \
	kunit_log(lvl, test, KUNIT_SUBTEST_INDENT "# %s: " fmt, (test)->name, ##__VA_ARGS__)

#define kunit_info(test, fmt, ...) kunit_printk(KERN_INFO, test, fmt, ##__VA_ARGS__)

#define kunit_warn(test, fmt, ...) kunit_printk(KERN_WARNING, test, fmt, ##__VA_ARGS__)

#define kunit_err(test, fmt, ...) kunit_printk(KERN_ERR, test, fmt, ##__VA_ARGS__)

#define KUNIT_SUCCEED(test) do {} while (0)

void __noreturn __kunit_abort(struct kunit *test);

void __kunit_do_failed_assertion(struct kunit *test, const struct kunit_loc *loc, enum kunit_assert_type type,
				 const struct kunit_assert *assert, assert_format_t assert_format,
				 const char *fmt, ...);

#define _KUNIT_FAILED(test, assert_type, assert_class, assert_format, INITIALIZER, fmt, ...)      \
	do {                                                                                       \
		static const struct kunit_loc __loc = KUNIT_CURRENT_LOC;                           \
		const struct assert_class __assertion = INITIALIZER;                               \
		__kunit_do_failed_assertion(test, &__loc, assert_type, &__assertion.assert,        \
					    assert_format, fmt, ##__VA_ARGS__);                    \
		if (assert_type == KUNIT_ASSERTION)                                                \
			__kunit_abort(test);                                                       \
	} while (0)

#define KUNIT_FAIL_ASSERTION(test, assert_type, fmt, ...) \
	_KUNIT_FAILED(test, assert_type, kunit_fail_assert, kunit_fail_assert_format, {}, fmt, ##__VA_ARGS__)

#define KUNIT_FAIL(test, fmt, ...) KUNIT_FAIL_ASSERTION(test, KUNIT_EXPECTATION, fmt, ##__VA_ARGS__)

#define KUNIT_INIT_ASSERT(initializers...) { initializers }

#define KUNIT_UNARY_ASSERTION(test, assert_type, condition_, expected_true_, fmt, ...)                       \
	do {                                                                                                  \
		if (likely(!!(condition_) == !!expected_true_))                                               \
			break;                                                                                \
		_KUNIT_FAILED(test, assert_type, kunit_unary_assert, kunit_unary_assert_format,               \
			      KUNIT_INIT_ASSERT(.condition = #condition_, .expected_true = expected_true_), fmt, \
			      ##__VA_ARGS__);                                                                 \
	} while (0)

#define KUNIT_TRUE_MSG_ASSERTION(test, assert_type, condition, fmt, ...) \
	KUNIT_UNARY_ASSERTION(test, assert_type, condition, true, fmt, ##__VA_ARGS__)

#define KUNIT_FALSE_MSG_ASSERTION(test, assert_type, condition, fmt, ...) \
	KUNIT_UNARY_ASSERTION(test, assert_type, condition, false, fmt, ##__VA_ARGS__)

/*
 * Compared in the operands' own types; printed as long long (integers) or as
 * pointers. typeof keeps each operand evaluated once.
 */
#define KUNIT_BASE_BINARY_ASSERTION(test, assert_class, format_func, assert_type, left, op, right, fmt, ...)  \
	do {                                                                                                  \
		const typeof(left) __left = (left);                                                           \
		const typeof(right) __right = (right);                                                        \
		static const struct kunit_binary_assert_text __text = {                                       \
			.operation = #op,                                                                     \
			.left_text = #left,                                                                   \
			.right_text = #right,                                                                 \
		};                                                                                            \
		if (likely(__left op __right))                                                                \
			break;                                                                                \
		_KUNIT_FAILED(test, assert_type, assert_class, format_func,                                   \
			      KUNIT_INIT_ASSERT(.text = &__text, .left_value = __left, .right_value = __right), \
			      fmt, ##__VA_ARGS__);                                                            \
	} while (0)

#define KUNIT_BINARY_INT_ASSERTION(test, assert_type, left, op, right, fmt, ...)                         \
	KUNIT_BASE_BINARY_ASSERTION(test, kunit_binary_assert, kunit_binary_assert_format, assert_type, left, \
				    op, right, fmt, ##__VA_ARGS__)

#define KUNIT_BINARY_PTR_ASSERTION(test, assert_type, left, op, right, fmt, ...)                           \
	KUNIT_BASE_BINARY_ASSERTION(test, kunit_binary_ptr_assert, kunit_binary_ptr_assert_format, assert_type, \
				    left, op, right, fmt, ##__VA_ARGS__)

#define KUNIT_BINARY_STR_ASSERTION(test, assert_type, left, op, right, fmt, ...)                              \
	do {                                                                                                   \
		const char *__left = (left);                                                                   \
		const char *__right = (right);                                                                 \
		static const struct kunit_binary_assert_text __text = {                                        \
			.operation = #op,                                                                      \
			.left_text = #left,                                                                    \
			.right_text = #right,                                                                  \
		};                                                                                             \
		if (likely(strcmp(__left, __right) op 0))                                                      \
			break;                                                                                 \
		_KUNIT_FAILED(test, assert_type, kunit_binary_str_assert, kunit_binary_str_assert_format,      \
			      KUNIT_INIT_ASSERT(.text = &__text, .left_value = __left, .right_value = __right), \
			      fmt, ##__VA_ARGS__);                                                             \
	} while (0)

#define KUNIT_MEM_ASSERTION(test, assert_type, left, op, right, size_, fmt, ...)                            \
	do {                                                                                                 \
		const void *__left = (left);                                                                 \
		const void *__right = (right);                                                               \
		const size_t __size = (size_);                                                               \
		static const struct kunit_binary_assert_text __text = {                                      \
			.operation = #op,                                                                    \
			.left_text = #left,                                                                  \
			.right_text = #right,                                                                \
		};                                                                                           \
		if (likely(__left && __right))                                                               \
			if (likely(memcmp(__left, __right, __size) op 0))                                    \
				break;                                                                       \
		_KUNIT_FAILED(test, assert_type, kunit_mem_assert, kunit_mem_assert_format,                  \
			      KUNIT_INIT_ASSERT(.text = &__text, .left_value = __left, .right_value = __right, \
						.size = __size),                                             \
			      fmt, ##__VA_ARGS__);                                                           \
	} while (0)

#define KUNIT_PTR_NOT_ERR_OR_NULL_MSG_ASSERTION(test, assert_type, ptr, fmt, ...)                   \
	do {                                                                                         \
		const typeof(ptr) __ptr = (ptr);                                                     \
		if (!IS_ERR_OR_NULL(__ptr))                                                          \
			break;                                                                       \
		_KUNIT_FAILED(test, assert_type, kunit_ptr_not_err_assert,                           \
			      kunit_ptr_not_err_assert_format, KUNIT_INIT_ASSERT(.text = #ptr, .value = __ptr), \
			      fmt, ##__VA_ARGS__);                                                   \
	} while (0)

/* The expectations (the case goes on) and the assertions (the case ends), each with its _MSG form. */
#define KUNIT_EXPECT_TRUE(test, condition) KUNIT_EXPECT_TRUE_MSG(test, condition, NULL)
#define KUNIT_EXPECT_TRUE_MSG(test, condition, fmt, ...) \
	KUNIT_TRUE_MSG_ASSERTION(test, KUNIT_EXPECTATION, condition, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_FALSE(test, condition) KUNIT_EXPECT_FALSE_MSG(test, condition, NULL)
#define KUNIT_EXPECT_FALSE_MSG(test, condition, fmt, ...) \
	KUNIT_FALSE_MSG_ASSERTION(test, KUNIT_EXPECTATION, condition, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_EQ(test, left, right) KUNIT_EXPECT_EQ_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_EQ_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_EXPECTATION, left, ==, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NE(test, left, right) KUNIT_EXPECT_NE_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_NE_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_EXPECTATION, left, !=, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_LT(test, left, right) KUNIT_EXPECT_LT_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_LT_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_EXPECTATION, left, <, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_LE(test, left, right) KUNIT_EXPECT_LE_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_LE_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_EXPECTATION, left, <=, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_GT(test, left, right) KUNIT_EXPECT_GT_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_GT_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_EXPECTATION, left, >, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_GE(test, left, right) KUNIT_EXPECT_GE_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_GE_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_EXPECTATION, left, >=, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_PTR_EQ(test, left, right) KUNIT_EXPECT_PTR_EQ_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_PTR_EQ_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_PTR_ASSERTION(test, KUNIT_EXPECTATION, left, ==, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_PTR_NE(test, left, right) KUNIT_EXPECT_PTR_NE_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_PTR_NE_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_PTR_ASSERTION(test, KUNIT_EXPECTATION, left, !=, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_STREQ(test, left, right) KUNIT_EXPECT_STREQ_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_STREQ_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_STR_ASSERTION(test, KUNIT_EXPECTATION, left, ==, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_STRNEQ(test, left, right) KUNIT_EXPECT_STRNEQ_MSG(test, left, right, NULL)
#define KUNIT_EXPECT_STRNEQ_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_STR_ASSERTION(test, KUNIT_EXPECTATION, left, !=, right, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_MEMEQ(test, left, right, size) KUNIT_EXPECT_MEMEQ_MSG(test, left, right, size, NULL)
#define KUNIT_EXPECT_MEMEQ_MSG(test, left, right, size, fmt, ...) \
	KUNIT_MEM_ASSERTION(test, KUNIT_EXPECTATION, left, ==, right, size, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_MEMNEQ(test, left, right, size) KUNIT_EXPECT_MEMNEQ_MSG(test, left, right, size, NULL)
#define KUNIT_EXPECT_MEMNEQ_MSG(test, left, right, size, fmt, ...) \
	KUNIT_MEM_ASSERTION(test, KUNIT_EXPECTATION, left, !=, right, size, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NULL(test, ptr) KUNIT_EXPECT_NULL_MSG(test, ptr, NULL)
#define KUNIT_EXPECT_NULL_MSG(test, ptr, fmt, ...) \
	KUNIT_BINARY_PTR_ASSERTION(test, KUNIT_EXPECTATION, ptr, ==, NULL, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NOT_NULL(test, ptr) KUNIT_EXPECT_NOT_NULL_MSG(test, ptr, NULL)
#define KUNIT_EXPECT_NOT_NULL_MSG(test, ptr, fmt, ...) \
	KUNIT_BINARY_PTR_ASSERTION(test, KUNIT_EXPECTATION, ptr, !=, NULL, fmt, ##__VA_ARGS__)
#define KUNIT_EXPECT_NOT_ERR_OR_NULL(test, ptr) KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, ptr, NULL)
#define KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, ptr, fmt, ...) \
	KUNIT_PTR_NOT_ERR_OR_NULL_MSG_ASSERTION(test, KUNIT_EXPECTATION, ptr, fmt, ##__VA_ARGS__)

#define KUNIT_ASSERT_TRUE(test, condition) KUNIT_ASSERT_TRUE_MSG(test, condition, NULL)
#define KUNIT_ASSERT_TRUE_MSG(test, condition, fmt, ...) \
	KUNIT_TRUE_MSG_ASSERTION(test, KUNIT_ASSERTION, condition, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_FALSE(test, condition) KUNIT_ASSERT_FALSE_MSG(test, condition, NULL)
#define KUNIT_ASSERT_FALSE_MSG(test, condition, fmt, ...) \
	KUNIT_FALSE_MSG_ASSERTION(test, KUNIT_ASSERTION, condition, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_EQ(test, left, right) KUNIT_ASSERT_EQ_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_EQ_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_ASSERTION, left, ==, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NE(test, left, right) KUNIT_ASSERT_NE_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_NE_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_ASSERTION, left, !=, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_LT(test, left, right) KUNIT_ASSERT_LT_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_LT_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_ASSERTION, left, <, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_LE(test, left, right) KUNIT_ASSERT_LE_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_LE_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_ASSERTION, left, <=, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_GT(test, left, right) KUNIT_ASSERT_GT_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_GT_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_ASSERTION, left, >, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_GE(test, left, right) KUNIT_ASSERT_GE_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_GE_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_INT_ASSERTION(test, KUNIT_ASSERTION, left, >=, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_PTR_EQ(test, left, right) KUNIT_ASSERT_PTR_EQ_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_PTR_EQ_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_PTR_ASSERTION(test, KUNIT_ASSERTION, left, ==, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_PTR_NE(test, left, right) KUNIT_ASSERT_PTR_NE_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_PTR_NE_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_PTR_ASSERTION(test, KUNIT_ASSERTION, left, !=, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_STREQ(test, left, right) KUNIT_ASSERT_STREQ_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_STREQ_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_STR_ASSERTION(test, KUNIT_ASSERTION, left, ==, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_STRNEQ(test, left, right) KUNIT_ASSERT_STRNEQ_MSG(test, left, right, NULL)
#define KUNIT_ASSERT_STRNEQ_MSG(test, left, right, fmt, ...) \
	KUNIT_BINARY_STR_ASSERTION(test, KUNIT_ASSERTION, left, !=, right, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_MEMEQ(test, left, right, size) KUNIT_ASSERT_MEMEQ_MSG(test, left, right, size, NULL)
#define KUNIT_ASSERT_MEMEQ_MSG(test, left, right, size, fmt, ...) \
	KUNIT_MEM_ASSERTION(test, KUNIT_ASSERTION, left, ==, right, size, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_MEMNEQ(test, left, right, size) KUNIT_ASSERT_MEMNEQ_MSG(test, left, right, size, NULL)
#define KUNIT_ASSERT_MEMNEQ_MSG(test, left, right, size, fmt, ...) \
	KUNIT_MEM_ASSERTION(test, KUNIT_ASSERTION, left, !=, right, size, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NULL(test, ptr) KUNIT_ASSERT_NULL_MSG(test, ptr, NULL)
#define KUNIT_ASSERT_NULL_MSG(test, ptr, fmt, ...) \
	KUNIT_BINARY_PTR_ASSERTION(test, KUNIT_ASSERTION, ptr, ==, NULL, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NOT_NULL(test, ptr) KUNIT_ASSERT_NOT_NULL_MSG(test, ptr, NULL)
#define KUNIT_ASSERT_NOT_NULL_MSG(test, ptr, fmt, ...) \
	KUNIT_BINARY_PTR_ASSERTION(test, KUNIT_ASSERTION, ptr, !=, NULL, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ptr) KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, ptr, NULL)
#define KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, ptr, fmt, ...) \
	KUNIT_PTR_NOT_ERR_OR_NULL_MSG_ASSERTION(test, KUNIT_ASSERTION, ptr, fmt, ##__VA_ARGS__)

/* KUNIT_FAIL() that also ends the case; KUNIT_ASSERT_FAILURE is its name in kernels before 6.10. */
#define KUNIT_FAIL_AND_ABORT(test, fmt, ...) KUNIT_FAIL_ASSERTION(test, KUNIT_ASSERTION, fmt, ##__VA_ARGS__)
#define KUNIT_ASSERT_FAILURE(test, fmt, ...) KUNIT_FAIL_AND_ABORT(test, fmt, ##__VA_ARGS__)

/*
 * KUNIT_ARRAY_PARAM() - name##_gen_params: a parameter generator over @array;
 * @get_desc(param, desc) names each parameter (NULL: "param-N").
 */
#define KUNIT_ARRAY_PARAM(name, array, get_desc)                                                \
	static const void *name##_gen_params(struct kunit *test, const void *prev, char *desc)  \
	{                                                                                       \
		typeof((array)[0]) *__next = prev ? ((typeof(__next))prev) + 1 : (array);       \
		(void)test;                                                                     \
		if (__next - (array) < (long)ARRAY_SIZE((array))) {                             \
			void (*__get_desc)(typeof(__next), char *) = get_desc;                  \
			if (__get_desc)                                                         \
				__get_desc(__next, desc);                                       \
			return __next;                                                          \
		}                                                                               \
		return NULL;                                                                    \
	}

/* KUNIT_ARRAY_PARAM_DESC() - as KUNIT_ARRAY_PARAM(), each parameter named by its @desc_member string. */
#define KUNIT_ARRAY_PARAM_DESC(name, array, desc_member)                                        \
	static const void *name##_gen_params(struct kunit *test, const void *prev, char *desc)  \
	{                                                                                       \
		typeof((array)[0]) *__next = prev ? ((typeof(__next))prev) + 1 : (array);       \
		(void)test;                                                                     \
		if (__next - (array) < (long)ARRAY_SIZE((array))) {                             \
			snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", __next->desc_member);       \
			return __next;                                                          \
		}                                                                               \
		return NULL;                                                                    \
	}

#include <kunit/resource.h>

#endif /* _KUNIT_TEST_H */
