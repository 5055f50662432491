/* SPDX-License-Identifier: MIT */
/*
 * KUnit's runner and its library (kunit/test.h): `dmashim test` links the
 * program with main defined as dmashim_kunit_main, which runs every suite the
 * program's files registered, printing KTAP version 1 on stdout as the kernel
 * prints it.
 *
 * A case runs on this thread under setjmp(); an assertion or kunit_skip()
 * longjmps back, then the suite's exit and the case's deferred actions run.
 * Around each case the kunit op tells TypeScript where the case starts and
 * ends, so that what the sanitizer finds in between (reports, DMA memory
 * left allocated) fails that case and is printed among its diagnostic lines.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/preempt.h>
#include <linux/slab.h>

#include "internal.h"

/* ---- text: the failure's message, built up before it is printed ---- */

struct string_stream {
	struct outbuf o;
	char buf[8192];
};

static void stream_add(struct string_stream *s, const char *fmt, ...) __printf(2, 3);
static void stream_add(struct string_stream *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dmashim_format(&s->o, fmt, ap);
	va_end(ap);
}

/* Every KTAP line goes through here: stdout, one line per call, a newline added when missing. */
static void ktap_line(const char *text)
{
	size_t n = strlen(text);
	fputs(text, stdout);
	if (n == 0 || text[n - 1] != '\n')
		fputc('\n', stdout);
}

void __kunit_log(const char *lvl, const char *fmt, ...)
{
	char buf[4096];
	struct outbuf o = { buf, sizeof(buf), 0 };
	va_list ap;
	(void)lvl;
	va_start(ap, fmt);
	dmashim_format(&o, fmt, ap);
	va_end(ap);
	buf[o.len < sizeof(buf) ? o.len : sizeof(buf) - 1] = 0;
	ktap_line(buf);
}

void kunit_log_append(char *log, const char *fmt, ...)
{
	if (!log)
		return;
	size_t used = strlen(log);
	if (used + 1 >= KUNIT_LOG_SIZE)
		return;
	struct outbuf o = { log + used, KUNIT_LOG_SIZE - used, 0 };
	va_list ap;
	va_start(ap, fmt);
	dmashim_format(&o, fmt, ap);
	va_end(ap);
	log[used + (o.len < KUNIT_LOG_SIZE - used ? o.len : KUNIT_LOG_SIZE - used - 1)] = 0;
}

/* ---- the failure texts (the kernel's words) ---- */

void kunit_assert_prologue(const struct kunit_loc *loc, enum kunit_assert_type type, struct string_stream *stream)
{
	stream_add(stream, "%s FAILED at %s:%d\n", type == KUNIT_ASSERTION ? "ASSERTION" : "EXPECTATION", loc->file,
		   loc->line);
}

static void print_msg(const struct va_format *message, struct string_stream *stream)
{
	if (message->fmt)
		stream_add(stream, "\n%pV", message);
}

void kunit_fail_assert_format(const struct kunit_assert *assert, const struct va_format *message,
			      struct string_stream *stream)
{
	(void)assert;
	if (message->fmt)
		stream_add(stream, "%pV", message);
}

void kunit_unary_assert_format(const struct kunit_assert *assert, const struct va_format *message,
			       struct string_stream *stream)
{
	const struct kunit_unary_assert *a = container_of(assert, struct kunit_unary_assert, assert);
	stream_add(stream, KUNIT_SUBTEST_INDENT "Expected %s to be %s, but is %s\n", a->condition,
		   a->expected_true ? "true" : "false", a->expected_true ? "false" : "true");
	print_msg(message, stream);
}

void kunit_ptr_not_err_assert_format(const struct kunit_assert *assert, const struct va_format *message,
				     struct string_stream *stream)
{
	const struct kunit_ptr_not_err_assert *a = container_of(assert, struct kunit_ptr_not_err_assert, assert);
	if (!a->value)
		stream_add(stream, KUNIT_SUBTEST_INDENT "Expected %s is not null, but is\n", a->text);
	else if (IS_ERR(a->value))
		stream_add(stream, KUNIT_SUBTEST_INDENT "Expected %s is not error, but is: %ld\n", a->text,
			   PTR_ERR(a->value));
	print_msg(message, stream);
}

/* An operand written as the literal of its own value ("5" for 5) is not printed again. */
static bool is_literal(const char *text, long long value)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", value);
	return strcmp(buf, text) == 0;
}

void kunit_binary_assert_format(const struct kunit_assert *assert, const struct va_format *message,
				struct string_stream *stream)
{
	const struct kunit_binary_assert *a = container_of(assert, struct kunit_binary_assert, assert);
	stream_add(stream, KUNIT_SUBTEST_INDENT "Expected %s %s %s, but\n", a->text->left_text, a->text->operation,
		   a->text->right_text);
	if (!is_literal(a->text->left_text, a->left_value))
		stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s == %lld (0x%llx)\n", a->text->left_text, a->left_value,
			   (unsigned long long)a->left_value);
	if (!is_literal(a->text->right_text, a->right_value))
		stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s == %lld (0x%llx)", a->text->right_text, a->right_value,
			   (unsigned long long)a->right_value);
	print_msg(message, stream);
}

void kunit_binary_ptr_assert_format(const struct kunit_assert *assert, const struct va_format *message,
				    struct string_stream *stream)
{
	const struct kunit_binary_ptr_assert *a = container_of(assert, struct kunit_binary_ptr_assert, assert);
	stream_add(stream, KUNIT_SUBTEST_INDENT "Expected %s %s %s, but\n", a->text->left_text, a->text->operation,
		   a->text->right_text);
	stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s == %px\n", a->text->left_text, a->left_value);
	stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s == %px", a->text->right_text, a->right_value);
	print_msg(message, stream);
}

/* A string operand written as a literal of its value ("abc" for abc) is not printed again. */
static bool is_str_literal(const char *text, const char *value)
{
	size_t len = strlen(text);
	if (len < 2 || text[0] != '"' || text[len - 1] != '"')
		return false;
	return strlen(value) == len - 2 && strncmp(text + 1, value, len - 2) == 0;
}

void kunit_binary_str_assert_format(const struct kunit_assert *assert, const struct va_format *message,
				    struct string_stream *stream)
{
	const struct kunit_binary_str_assert *a = container_of(assert, struct kunit_binary_str_assert, assert);
	stream_add(stream, KUNIT_SUBTEST_INDENT "Expected %s %s %s, but\n", a->text->left_text, a->text->operation,
		   a->text->right_text);
	if (!is_str_literal(a->text->left_text, a->left_value))
		stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s == \"%s\"\n", a->text->left_text, a->left_value);
	if (!is_str_literal(a->text->right_text, a->right_value))
		stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s == \"%s\"", a->text->right_text, a->right_value);
	print_msg(message, stream);
}

/* 16 bytes a line; a byte that differs from the other buffer's is shown as <xx>. */
static void hexdump(struct string_stream *s, const u8 *buf, const u8 *other, size_t len)
{
	stream_add(s, KUNIT_SUBSUBTEST_INDENT);
	for (size_t i = 0; i < len; i++) {
		if (i && !(i % 16))
			stream_add(s, "\n" KUNIT_SUBSUBTEST_INDENT);
		stream_add(s, buf[i] != other[i] ? "<%02x>" : " %02x ", buf[i]);
	}
}

void kunit_mem_assert_format(const struct kunit_assert *assert, const struct va_format *message,
			     struct string_stream *stream)
{
	const struct kunit_mem_assert *a = container_of(assert, struct kunit_mem_assert, assert);
	stream_add(stream, KUNIT_SUBTEST_INDENT "Expected %s %s %s, but\n", a->text->left_text, a->text->operation,
		   a->text->right_text);
	if (!a->left_value || !a->right_value) {
		/* One of them is NULL: nothing to dump. */
		stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s == %px\n", a->text->left_text, a->left_value);
		stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s == %px", a->text->right_text, a->right_value);
	} else {
		stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s ==\n", a->text->left_text);
		hexdump(stream, a->left_value, a->right_value, a->size);
		stream_add(stream, "\n");
		stream_add(stream, KUNIT_SUBSUBTEST_INDENT "%s ==\n", a->text->right_text);
		hexdump(stream, a->right_value, a->left_value, a->size);
	}
	print_msg(message, stream);
}

void __kunit_do_failed_assertion(struct kunit *test, const struct kunit_loc *loc, enum kunit_assert_type type,
				 const struct kunit_assert *assert, assert_format_t assert_format, const char *fmt, ...)
{
	static struct string_stream s;
	va_list args;
	struct va_format message;

	kunit_set_failure(test);
	s.o = (struct outbuf){ s.buf, sizeof(s.buf), 0 };
	va_start(args, fmt);
	message.fmt = fmt;
	message.va = &args;
	kunit_assert_prologue(loc, type, &s);
	assert_format(assert, &message, &s);
	va_end(args);
	s.buf[s.o.len < sizeof(s.buf) ? s.o.len : sizeof(s.buf) - 1] = 0;
	kunit_err(test, "%s", s.buf);
}

void kunit_try_catch_throw(struct kunit_try_catch *try_catch)
{
	try_catch->try_result = 0;
	longjmp(try_catch->env, 1);
}

void __kunit_abort(struct kunit *test)
{
	kunit_try_catch_throw(&test->try_catch);
}

/* ---- deferred actions and test-managed memory ---- */

struct kunit_action_entry {
	struct list_head node;
	kunit_action_t *action;
	void *ctx;
};

int kunit_add_action(struct kunit *test, kunit_action_t *action, void *ctx)
{
	/* malloc, not kmalloc: our bookkeeping is not the program's memory and must not show in its accounting. */
	struct kunit_action_entry *e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->action = action;
	e->ctx = ctx;
	list_add_tail(&e->node, &test->resources);
	return 0;
}

int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action, void *ctx)
{
	int ret = kunit_add_action(test, action, ctx);
	if (ret)
		action(ctx);
	return ret;
}

static struct kunit_action_entry *find_action(struct kunit *test, kunit_action_t *action, void *ctx)
{
	struct kunit_action_entry *e;
	list_for_each_entry_reverse(e, &test->resources, node)
		if (e->action == action && e->ctx == ctx)
			return e;
	return NULL;
}

void kunit_remove_action(struct kunit *test, kunit_action_t *action, void *ctx)
{
	struct kunit_action_entry *e = find_action(test, action, ctx);
	if (!e)
		return;
	list_del(&e->node);
	free(e);
}

void kunit_release_action(struct kunit *test, kunit_action_t *action, void *ctx)
{
	struct kunit_action_entry *e = find_action(test, action, ctx);
	if (!e)
		return;
	list_del(&e->node);
	free(e);
	action(ctx);
}

/* Last added first; each is taken off the list before it runs, so an action that asserts is not run twice. */
void kunit_cleanup(struct kunit *test)
{
	while (!list_empty(&test->resources)) {
		struct kunit_action_entry *e = list_last_entry(&test->resources, struct kunit_action_entry, node);
		kunit_action_t *action = e->action;
		void *ctx = e->ctx;
		list_del(&e->node);
		free(e);
		action(ctx);
	}
}

static void kunit_kfree_action(void *p)
{
	kfree(p);
}

void *kunit_kmalloc_array(struct kunit *test, size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = kmalloc(n * size, gfp);
	if (p && kunit_add_action_or_reset(test, kunit_kfree_action, p))
		return NULL;
	return p;
}

void kunit_kfree(struct kunit *test, const void *ptr)
{
	if (!ptr)
		return;
	kunit_release_action(test, kunit_kfree_action, (void *)ptr);
}

/* ---- the runner ---- */

extern struct kunit_suite *const __start_kunit_test_suites[] __attribute__((weak));
extern struct kunit_suite *const __stop_kunit_test_suites[] __attribute__((weak));

bool kunit_enabled(void)
{
	return true;
}

size_t kunit_suite_num_test_cases(struct kunit_suite *suite)
{
	size_t n = 0;
	for (struct kunit_case *c = suite->test_cases; c && c->run_case; c++)
		n++;
	return n;
}

unsigned int kunit_test_case_num(struct kunit_suite *suite, struct kunit_case *test_case)
{
	unsigned int i = 1;
	for (struct kunit_case *c = suite->test_cases; c && c->run_case; c++, i++)
		if (c == test_case)
			return i;
	return 0;
}

enum kunit_status kunit_suite_has_succeeded(struct kunit_suite *suite)
{
	enum kunit_status status = KUNIT_SKIPPED;
	if (suite->suite_init_err)
		return KUNIT_FAILURE;
	for (struct kunit_case *c = suite->test_cases; c && c->run_case; c++) {
		if (c->status == KUNIT_FAILURE)
			return KUNIT_FAILURE;
		if (c->status == KUNIT_SUCCESS)
			status = KUNIT_SUCCESS;
	}
	return status;
}

struct stats {
	unsigned long passed, skipped, failed, total;
};

static void stats_add(struct stats *s, enum kunit_status status)
{
	if (status == KUNIT_SUCCESS)
		s->passed++;
	else if (status == KUNIT_SKIPPED)
		s->skipped++;
	else
		s->failed++;
	s->total++;
}

/* The filter (`dmashim test --filter`): "suite_glob[.case_glob]", as the kernel's kunit.filter_glob. */
static const char *filter_suite, *filter_case;

static bool suite_selected(const struct kunit_suite *s)
{
	return !filter_suite || fnmatch(filter_suite, s->name, 0) == 0;
}

static bool case_selected(const struct kunit_case *c)
{
	return !filter_case || fnmatch(filter_case, c->name, 0) == 0;
}

static size_t selected_cases(struct kunit_suite *suite)
{
	size_t n = 0;
	for (struct kunit_case *c = suite->test_cases; c && c->run_case; c++)
		n += case_selected(c);
	return n;
}

/* TypeScript's side of a case boundary; everything printed so far must be out before it prints. */
static int32_t ts_kunit(int32_t op, const char *name)
{
	dmashim_pool_cache_drain_all();
	dmashim_log_flush();
	fflush(stdout);
	int32_t n = dmashim_ts.kunit(op, name);
	return n;
}

static void kunit_init_test(struct kunit *test, const char *name)
{
	test->name = name;
	test->log = NULL;
	test->status = KUNIT_SUCCESS;
	test->status_comment[0] = 0;
	INIT_LIST_HEAD(&test->resources);
}

/*
 * An assertion that jumps out of a spinlock or an irq-off section leaves this
 * thread's simulated context atomic: the case fails, and the context is put
 * back so that the next case is not blamed for sleeping in it.
 */
static void end_atomic(struct kunit *test)
{
	struct ctx_state *c = &dmashim_cctx;
	if (!ctx_atomic())
		return;
	kunit_err(test,
		  "dmashim: the case ended in atomic context (preempt_count %d, irqs %s%s); reset for the next case",
		  c->preempt, c->irqs_off ? "off" : "on", c->hardirq ? ", in interrupt" : "");
	kunit_set_failure(test);
	while (c->hardirq > 0)
		__dmashim_context(__DMASHIM_CTX_IRQ_EXIT, 0, NULL);
	if (c->irqs_off)
		__dmashim_context(__DMASHIM_CTX_IRQ_ENABLE, 0, NULL);
	while (c->preempt > 0)
		__dmashim_context(__DMASHIM_CTX_PREEMPT_ENABLE, 0, NULL);
}

/* One run of a case (one parameter of a parameterised one): init, the case, exit, cleanup, then the sanitizer. */
static void run_case(struct kunit_suite *suite, struct kunit_case *tc, struct kunit *test)
{
	kunit_init_test(test, tc->name);
	test->try_catch.test = test;
	ts_kunit(DMASHIM_KUNIT_CASE_START, tc->name);
	if (setjmp(test->try_catch.env) == 0) {
		int ret = suite->init ? suite->init(test) : 0;
		if (ret) {
			kunit_err(test, "failed to initialize: %d\n", ret);
			kunit_set_failure(test);
		} else {
			tc->run_case(test);
		}
	}
	/* exit and the actions run even after an assertion; one of them asserting ends only itself. */
	if (setjmp(test->try_catch.env) == 0) {
		if (suite->exit)
			suite->exit(test);
	}
	while (setjmp(test->try_catch.env) != 0)
		;
	kunit_cleanup(test);
	end_atomic(test);
	if (ts_kunit(DMASHIM_KUNIT_CASE_END, tc->name) > 0)
		kunit_set_failure(test);
}

static void print_ok_not_ok(int level, enum kunit_status status, size_t number, const char *description,
			    const char *directive)
{
	bool skip = status == KUNIT_SKIPPED;
	printf("%*s%s %zu %s%s%s\n", KUNIT_INDENT_LEN * level, "", kunit_status_to_ok_not_ok(status), number,
	       description, skip ? " # SKIP " : "", skip ? directive : "");
}

static void print_stats(const char *indent, const char *name, struct stats s)
{
	if (s.total > 1)
		printf("%s# %s: pass:%lu fail:%lu skip:%lu total:%lu\n", indent, name, s.passed, s.failed, s.skipped,
		       s.total);
}

static const void *next_param(struct kunit_case *tc, struct kunit *test, const void *prev, char *desc)
{
	return tc->generate_params ? tc->generate_params(test, prev, desc) : tc->__generate_params_old(prev, desc);
}

static void run_suite(struct kunit_suite *suite, size_t number)
{
	char param_desc[KUNIT_PARAM_DESC_SIZE];
	struct stats suite_stats = { 0 }, total_stats = { 0 };
	size_t n = 0;

	suite->status_comment[0] = 0;
	suite->suite_init_err = 0;
	ts_kunit(DMASHIM_KUNIT_SUITE_START, suite->name);
	if (suite->suite_init) {
		suite->suite_init_err = suite->suite_init(suite);
		if (suite->suite_init_err) {
			printf(KUNIT_SUBTEST_INDENT "# failed to initialize (%d)\n", suite->suite_init_err);
			goto suite_end;
		}
	}
	printf(KUNIT_SUBTEST_INDENT "KTAP version 1\n");
	printf(KUNIT_SUBTEST_INDENT "# Subtest: %s\n", suite->name);
	printf(KUNIT_SUBTEST_INDENT "1..%zu\n", selected_cases(suite));

	for (struct kunit_case *tc = suite->test_cases; tc->run_case; tc++) {
		struct kunit test = { .param_value = NULL, .param_index = 0 };
		struct stats param_stats = { 0 };

		if (!case_selected(tc))
			continue;
		n++;
		tc->status = KUNIT_SKIPPED;
		if (!tc->generate_params && !tc->__generate_params_old) {
			run_case(suite, tc, &test);
			tc->status = test.status;
			stats_add(&param_stats, test.status);
		} else {
			param_desc[0] = 0;
			test.param_value = next_param(tc, &test, NULL, param_desc);
			printf(KUNIT_SUBTEST_INDENT KUNIT_SUBTEST_INDENT "KTAP version 1\n");
			printf(KUNIT_SUBTEST_INDENT KUNIT_SUBTEST_INDENT "# Subtest: %s\n", tc->name);
			while (test.param_value) {
				const void *value = test.param_value;
				int index = test.param_index;
				run_case(suite, tc, &test);
				test.param_value = value;
				test.param_index = index;
				if (test.status == KUNIT_FAILURE)
					tc->status = KUNIT_FAILURE;
				else if (tc->status != KUNIT_FAILURE && test.status == KUNIT_SUCCESS)
					tc->status = KUNIT_SUCCESS;
				if (param_desc[0] == 0)
					snprintf(param_desc, sizeof(param_desc), "param-%d", test.param_index);
				print_ok_not_ok(2, test.status, (size_t)test.param_index + 1, param_desc,
						test.status_comment);
				stats_add(&param_stats, test.status);
				param_desc[0] = 0;
				test.param_value = next_param(tc, &test, test.param_value, param_desc);
				test.param_index++;
				test.status = KUNIT_SUCCESS;
				test.status_comment[0] = 0;
				test.priv = NULL;
			}
		}
		print_stats(KUNIT_SUBTEST_INDENT, tc->name, param_stats);
		print_ok_not_ok(1, tc->status, n, tc->name, test.status_comment);
		stats_add(&suite_stats, tc->status);
		total_stats.passed += param_stats.passed;
		total_stats.failed += param_stats.failed;
		total_stats.skipped += param_stats.skipped;
		total_stats.total += param_stats.total;
	}
	if (suite->suite_exit)
		suite->suite_exit(suite);
	print_stats("", suite->name, suite_stats);
	if (total_stats.total > 1)
		printf("# Totals: pass:%lu fail:%lu skip:%lu total:%lu\n", total_stats.passed, total_stats.failed,
		       total_stats.skipped, total_stats.total);
suite_end:
	/* What the sanitizer found outside the cases (suite_init, suite_exit) fails the suite. */
	if (ts_kunit(DMASHIM_KUNIT_SUITE_END, suite->name) > 0 && !suite->suite_init_err)
		suite->suite_init_err = -EIO;
	print_ok_not_ok(0, kunit_suite_has_succeeded(suite), number, suite->name, suite->status_comment);
}

/*
 * main() of a `dmashim test` program (the link defines main as this). argv[1],
 * when given, is the filter. Returns 1 when a suite failed, else 0.
 */
EXPORT int dmashim_kunit_main(int argc, char **argv)
{
	static char glob[512];
	size_t nr = 0, number = 0;
	int failed = 0;

	if (argc > 1 && argv[1][0]) {
		snprintf(glob, sizeof(glob), "%s", argv[1]);
		filter_suite = glob;
		char *dot = strchr(glob, '.');
		if (dot) {
			*dot = 0;
			filter_case = dot + 1;
		}
	}
	struct kunit_suite *const *start = __start_kunit_test_suites, *const *stop = __stop_kunit_test_suites;
	for (struct kunit_suite *const *s = start; s && s < stop; s++)
		nr += *s && suite_selected(*s) && selected_cases(*s) > 0;
	printf("KTAP version 1\n1..%zu\n", nr);
	for (struct kunit_suite *const *s = start; s && s < stop; s++) {
		if (!*s || !suite_selected(*s) || selected_cases(*s) == 0)
			continue;
		run_suite(*s, ++number);
		failed |= kunit_suite_has_succeeded(*s) == KUNIT_FAILURE;
	}
	fflush(stdout);
	return failed;
}
