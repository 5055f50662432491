/* SPDX-License-Identifier: MIT */
/*
 * kunit/assert.h: what a failed expectation or assertion carries (its kind,
 * where it is, the texts and values of its operands) and the functions that
 * turn it into the kernel's failure text. The KUNIT_EXPECT_* / KUNIT_ASSERT_*
 * macros of kunit/test.h fill these in; native/kunit.c formats them.
 */
#ifndef _KUNIT_ASSERT_H
#define _KUNIT_ASSERT_H

#include <stdarg.h>
#include <stddef.h>
#include <linux/compiler.h>
#include <linux/printk.h>

struct kunit;
/* The text a failure builds up before it is printed (native/kunit.c). */
struct string_stream;

/* KUNIT_ASSERTION ends the case; KUNIT_EXPECTATION only fails it. */
enum kunit_assert_type {
	KUNIT_ASSERTION,
	KUNIT_EXPECTATION,
};

/* Where a check is: its file and line. */
struct kunit_loc {
	int line;
	const char *file;
};

#define KUNIT_CURRENT_LOC { .file = __FILE__, .line = __LINE__ }

/* The common part of every kind of check (empty, as in the kernel). */
struct kunit_assert {
	char __dmashim_unused;
};

typedef void (*assert_format_t)(const struct kunit_assert *assert, const struct va_format *message,
				struct string_stream *stream);

void kunit_assert_prologue(const struct kunit_loc *loc, enum kunit_assert_type type, struct string_stream *stream);

/* KUNIT_FAIL(): only the message. */
struct kunit_fail_assert {
	struct kunit_assert assert;
};

void kunit_fail_assert_format(const struct kunit_assert *assert, const struct va_format *message,
			      struct string_stream *stream);

/* KUNIT_EXPECT_TRUE/FALSE: the condition's text and what it should have been. */
struct kunit_unary_assert {
	struct kunit_assert assert;
	const char *condition;
	bool expected_true;
};

void kunit_unary_assert_format(const struct kunit_assert *assert, const struct va_format *message,
			       struct string_stream *stream);

/* KUNIT_EXPECT_NOT_ERR_OR_NULL: the pointer's text and value. */
struct kunit_ptr_not_err_assert {
	struct kunit_assert assert;
	const char *text;
	const void *value;
};

void kunit_ptr_not_err_assert_format(const struct kunit_assert *assert, const struct va_format *message,
				     struct string_stream *stream);

/* The operator and both operands as written. */
struct kunit_binary_assert_text {
	const char *operation;
	const char *left_text;
	const char *right_text;
};

/* Integer comparisons: the values as long long, compared in their own types first. */
struct kunit_binary_assert {
	struct kunit_assert assert;
	const struct kunit_binary_assert_text *text;
	long long left_value;
	long long right_value;
};

void kunit_binary_assert_format(const struct kunit_assert *assert, const struct va_format *message,
				struct string_stream *stream);

struct kunit_binary_ptr_assert {
	struct kunit_assert assert;
	const struct kunit_binary_assert_text *text;
	const void *left_value;
	const void *right_value;
};

void kunit_binary_ptr_assert_format(const struct kunit_assert *assert, const struct va_format *message,
				    struct string_stream *stream);

struct kunit_binary_str_assert {
	struct kunit_assert assert;
	const struct kunit_binary_assert_text *text;
	const char *left_value;
	const char *right_value;
};

void kunit_binary_str_assert_format(const struct kunit_assert *assert, const struct va_format *message,
				    struct string_stream *stream);

/* KUNIT_EXPECT_MEMEQ/MEMNEQ: both buffers and their size (a failure prints both, differing bytes marked). */
struct kunit_mem_assert {
	struct kunit_assert assert;
	const struct kunit_binary_assert_text *text;
	const void *left_value;
	const void *right_value;
	const size_t size;
};

void kunit_mem_assert_format(const struct kunit_assert *assert, const struct va_format *message,
			     struct string_stream *stream);

#endif /* _KUNIT_ASSERT_H */
