/* SPDX-License-Identifier: MIT */
/*
 * kunit/resource.h: deferred actions, run when the case ends (its exit first,
 * then these, last added first), whether the case passed, failed or asserted.
 * kunit_kmalloc() and friends are actions too. The kernel's older
 * kunit_resource API (kunit_alloc_resource, ...) is not here: new tests use
 * actions.
 */
#ifndef _KUNIT_RESOURCE_H
#define _KUNIT_RESOURCE_H

struct kunit;

typedef void(kunit_action_t)(void *);

/*
 * KUNIT_DEFINE_ACTION_WRAPPER() - a kunit_action_t that calls @orig(@arg_type), so a
 * function taking a typed pointer can be deferred.
 */
#define KUNIT_DEFINE_ACTION_WRAPPER(wrapper, orig, arg_type)                                  \
	static void wrapper(void *in)                                                          \
	{                                                                                      \
		arg_type arg = (arg_type)in;                                                   \
		orig(arg);                                                                     \
	}

/**
 * kunit_add_action() - call @action(@ctx) when @test ends.
 * Returns 0, or -ENOMEM when the action cannot be recorded (it is then not called).
 */
int kunit_add_action(struct kunit *test, kunit_action_t *action, void *ctx);

/**
 * kunit_add_action_or_reset() - as kunit_add_action(), but when the action cannot
 * be recorded it is called at once and -ENOMEM returned.
 */
int kunit_add_action_or_reset(struct kunit *test, kunit_action_t *action, void *ctx);

/* kunit_remove_action() - forget the (@action, @ctx) added last, without calling it. */
void kunit_remove_action(struct kunit *test, kunit_action_t *action, void *ctx);

/* kunit_release_action() - call the (@action, @ctx) added last now, and forget it. */
void kunit_release_action(struct kunit *test, kunit_action_t *action, void *ctx);

#endif /* _KUNIT_RESOURCE_H */
