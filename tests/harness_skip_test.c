// SPDX-License-Identifier: GPL-2.0
/*
 * harness_skip_test: TC_SKIP (test_common.h) does what it promises on the
 * kselftest harness it is built with.  Every case here either passes for
 * real or skips; a case whose body or teardown runs after a skip fails.
 * scripts/check-harness-skip builds this against each installed
 * linux-source's harness and requires exactly
 * "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:3 error:0".
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "test_common.h"

FIXTURE(skipped) {
	int acquired;
};

FIXTURE_SETUP(skipped)
{
	TC_SKIP("setup skips");
	self->acquired = 1;
}

/* Runs only if the setup completed, which it never does. */
FIXTURE_TEARDOWN(skipped)
{
	fprintf(stderr, "# teardown ran after a skipped setup\n");
	_exit(3);
}

TEST_F(skipped, body_never_runs)
{
	fprintf(stderr, "# body ran after a skipped setup\n");
	_exit(1);
}

FIXTURE(gate) {
	int set_up;
};

FIXTURE_VARIANT(gate) {
	int skip;
};

FIXTURE_VARIANT_ADD(gate, skips) { .skip = 1 };
FIXTURE_VARIANT_ADD(gate, runs) { .skip = 0 };

FIXTURE_SETUP(gate)
{
	if (variant->skip)
		TC_SKIP("variant skips");
	self->set_up = 1;
}

FIXTURE_TEARDOWN(gate)
{
	if (variant->skip || !self->set_up) {
		fprintf(stderr, "# teardown of a skipped variant ran\n");
		_exit(3);
	}
}

/* The variant that does not skip passes here: a skip is not a no-op. */
TEST_F(gate, only_the_runs_variant_gets_here)
{
	ASSERT_EQ(0, variant->skip);
	ASSERT_EQ(1, self->set_up);
}

TEST(skip_in_body_stops_the_body)
{
	TC_SKIP("body skips");
	fprintf(stderr, "# body went on after TC_SKIP\n");
	_exit(1);
}

TEST_HARNESS_MAIN
