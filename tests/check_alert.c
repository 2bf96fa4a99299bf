/* The alert lifecycle on a virtual clock: confirm, resolve, unknown, reminders, flapping,
 * baseline. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"

#define HOUR 3600LL

static const char *const action_names[] = {"-", "fire", "resolve", "remind", "flapping"};

/* Feeds observations ('F' failing, 'P' passing, 'U' unknown), one a minute from start, and
 * returns the actions as "fire resolve ..." with "-" for none. */
static char *
run(struct alert_state *s, const struct alert_policy *p, const char *obs, long long start)
{
	static char out[1024];
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; obs[i] != '\0'; i++) {
		enum alert_obs o = obs[i] == 'F'   ? ALERT_FAILING
				   : obs[i] == 'P' ? ALERT_PASSING
						   : ALERT_UNKNOWN;
		enum alert_action a = alert_observe(s, o, start + 60 * (long long)i, p);

		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? " " : "",
					action_names[a]);
	}
	return out;
}

START_TEST(test_confirm_then_resolve)
{
	struct alert_state s = {0};
	struct alert_policy p;

	alert_policy_init(&p, 2, 2, 0);
	ck_assert_str_eq(run(&s, &p, "FFFPP", 1000), "- fire - - resolve");
	ck_assert_int_eq(s.phase, ALERT_OK);
	ck_assert(!s.notified);
	/* Fired at the second failing check, a minute after the first. */
	memset(&s, 0, sizeof(s));
	run(&s, &p, "FF", 1000);
	ck_assert_int_eq(s.since, 1060);
	ck_assert_int_eq(s.phase, ALERT_FIRING);
}
END_TEST

START_TEST(test_pending_that_passes_is_never_notified)
{
	struct alert_state s = {0};
	struct alert_policy p;

	alert_policy_init(&p, 3, 2, 0);
	ck_assert_str_eq(run(&s, &p, "FFPFFPP", 0), "- - - - - - -");
	ck_assert_int_eq(s.phase, ALERT_OK);
	/* One pass between firing checks does not resolve with resolve_after 2. */
	ck_assert_str_eq(run(&s, &p, "FFFPFPP", 0), "- - fire - - - resolve");
}
END_TEST

START_TEST(test_unknown_neither_fires_nor_resolves)
{
	struct alert_state s = {0};
	struct alert_policy p;

	alert_policy_init(&p, 2, 2, 0);
	ck_assert_str_eq(run(&s, &p, "FUUUUF", 0), "- - - - - fire");
	ck_assert_str_eq(run(&s, &p, "PUUUP", 0), "- - - - resolve");
	ck_assert_uint_eq(s.nhistory, 4); /* unknowns are not history */
}
END_TEST

START_TEST(test_reminders_every_repeat_after)
{
	struct alert_state s = {0};
	struct alert_policy p;
	long long t0 = 100000;

	alert_policy_init(&p, 1, 1, 4 * HOUR);
	ck_assert_int_eq(alert_observe(&s, ALERT_FAILING, t0, &p), ALERT_FIRE);
	ck_assert_int_eq(alert_observe(&s, ALERT_FAILING, t0 + HOUR, &p), ALERT_NONE);
	ck_assert_int_eq(alert_observe(&s, ALERT_FAILING, t0 + 4 * HOUR - 1, &p), ALERT_NONE);
	ck_assert_int_eq(alert_observe(&s, ALERT_FAILING, t0 + 4 * HOUR, &p), ALERT_REMIND);
	ck_assert_int_eq(alert_observe(&s, ALERT_FAILING, t0 + 5 * HOUR, &p), ALERT_NONE);
	ck_assert_int_eq(alert_observe(&s, ALERT_FAILING, t0 + 8 * HOUR, &p), ALERT_REMIND);
	ck_assert_int_eq(s.since, t0);
	/* repeat_after 0: never. */
	alert_policy_init(&p, 1, 1, 0);
	ck_assert_int_eq(alert_observe(&s, ALERT_FAILING, t0 + 100 * HOUR, &p), ALERT_NONE);
}
END_TEST

START_TEST(test_flapping_is_notified_once_then_calms)
{
	struct alert_state s = {0};
	struct alert_policy p;

	alert_policy_init(&p, 1, 1, 0);
	/* Every flip notifies until the weighted state change reaches 50% at the 9th
	 * transition; then one flapping notice and silence while it flips on. */
	ck_assert_str_eq(run(&s, &p, "FPFPFPFPFPFPFPFP", 0),
			 "fire resolve fire resolve fire resolve fire resolve fire flapping - - - "
			 "- - -");
	ck_assert(s.flapping);
	ck_assert(s.notified);
	/* Steady passing: the flips age out of the history; below 25% it calms, and as it
	 * passes, the resolve goes out (once). */
	ck_assert_str_eq(run(&s, &p, "PPPPPPPPPPPPPPPPP", 0),
			 "- - - - - - - - - - - - - - resolve - -");
	ck_assert(!s.flapping);
	ck_assert(!s.notified);
}
END_TEST

START_TEST(test_flap_percent)
{
	struct alert_state s = {0};

	ck_assert(alert_flap_percent(&s) == 0.0);
	s.nhistory = ALERT_HISTORY;
	s.history = 0x155555; /* 21 alternating observations: every transition */
	ck_assert(alert_flap_percent(&s) > 99.999 && alert_flap_percent(&s) < 100.001);
	s.history = 0x1; /* one transition, the newest: weight 1.2 of 20 */
	ck_assert(alert_flap_percent(&s) > 5.999 && alert_flap_percent(&s) < 6.001);
	s.history = 0x100000; /* the oldest observation differs: weight 0.8 */
	ck_assert(alert_flap_percent(&s) > 3.999 && alert_flap_percent(&s) < 4.001);
}
END_TEST

START_TEST(test_baseline_fires_and_resolves_like_any)
{
	struct alert_state s;
	struct alert_policy p;

	alert_policy_init(&p, 2, 2, 0);
	alert_baseline(&s, 500);
	ck_assert_int_eq(s.phase, ALERT_FIRING);
	ck_assert(s.notified);
	ck_assert_int_eq(s.since, 500);
	ck_assert_str_eq(run(&s, &p, "FPP", 600), "- - resolve");
	ck_assert(!alert_forgettable(&s)); /* its history still holds the failures */
}
END_TEST

START_TEST(test_forgettable_and_names)
{
	struct alert_state s = {0};
	struct alert_policy p;
	enum alert_phase ph;

	ck_assert(alert_forgettable(&s));
	alert_policy_init(&p, 2, 1, 0);
	run(&s, &p, "F", 0);
	ck_assert(!alert_forgettable(&s));
	run(&s, &p, "PPPPPPPPPPPPPPPPPPPPP", 0);
	ck_assert(alert_forgettable(&s));
	ck_assert_str_eq(alert_phase_name(ALERT_PENDING), "pending");
	ck_assert(alert_phase_parse("firing", &ph));
	ck_assert_int_eq(ph, ALERT_FIRING);
	ck_assert(!alert_phase_parse("resolved", &ph));
}
END_TEST

static Suite *
alert_suite(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_test(tc, test_confirm_then_resolve);
	tcase_add_test(tc, test_pending_that_passes_is_never_notified);
	tcase_add_test(tc, test_unknown_neither_fires_nor_resolves);
	tcase_add_test(tc, test_reminders_every_repeat_after);
	tcase_add_test(tc, test_flapping_is_notified_once_then_calms);
	tcase_add_test(tc, test_flap_percent);
	tcase_add_test(tc, test_baseline_fires_and_resolves_like_any);
	tcase_add_test(tc, test_forgettable_and_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(alert_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
