/* The scheduler on a virtual clock. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

START_TEST(test_new_domains_are_spread_evenly_over_the_interval)
{
	struct sched *s = sched_new();
	static const char *names[] = {"a.example", "b.example", "c.example", "d.example"};

	for (size_t i = 0; i < 4; i++)
		sched_add(s, names[i], 300, 0, 1000, i, 4);
	ck_assert_int_eq(sched_count(s), 4);
	ck_assert_int_eq(sched_due_of(s, "a.example"), 1000);
	ck_assert_int_eq(sched_due_of(s, "b.example"), 1075);
	ck_assert_int_eq(sched_due_of(s, "c.example"), 1150);
	ck_assert_int_eq(sched_due_of(s, "d.example"), 1225);
	ck_assert_int_eq(sched_next(s), 1000);
	sched_free(s);
}
END_TEST

START_TEST(test_a_large_fleet_spreads_without_bursts)
{
	struct sched *s = sched_new();
	unsigned buckets[10] = {0};
	char name[32];

	for (size_t i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "d%zu.example", i);
		sched_add(s, name, 300, 0, 0, i, 100000);
	}
	for (int64_t now = 0; now < 300; now++) {
		const char *n;

		while ((n = sched_take(s, now)) != NULL)
			buckets[now / 30]++;
	}
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(buckets[i], 10000);
	sched_free(s);
}
END_TEST

START_TEST(test_due_domains_come_in_order_and_each_once)
{
	struct sched *s = sched_new();

	sched_add(s, "late.example", 60, 0, 100, 1, 2);	 /* due 130 */
	sched_add(s, "early.example", 60, 0, 100, 0, 2); /* due 100 */
	ck_assert_ptr_null(sched_take(s, 99));
	ck_assert_str_eq(sched_take(s, 140), "early.example");
	ck_assert_str_eq(sched_take(s, 140), "late.example");
	/* Both are running: nothing more to take, however late it gets. */
	ck_assert_ptr_null(sched_take(s, 10000));
	ck_assert_int_eq(sched_next(s), -1);
	ck_assert_int_eq(sched_done(s, "early.example", 141), 160);
	ck_assert_int_eq(sched_next(s), 160);
	sched_free(s);
}
END_TEST

START_TEST(test_slow_check_skips_missed_slots_instead_of_overlapping)
{
	struct sched *s = sched_new();

	sched_add(s, "slow.example", 300, 0, 1000, 0, 1);
	ck_assert_str_eq(sched_take(s, 1000), "slow.example");
	/* The check took 700 s: the slots at 1300 and 1600 are gone, the next is 1900. */
	ck_assert_int_eq(sched_done(s, "slow.example", 1700), 1900);
	ck_assert_ptr_null(sched_take(s, 1899));
	ck_assert_str_eq(sched_take(s, 1900), "slow.example");
	/* Exactly on a slot boundary: that slot is missed too. */
	ck_assert_int_eq(sched_done(s, "slow.example", 2200), 2500);
	sched_free(s);
}
END_TEST

START_TEST(test_restart_keeps_future_due_times_and_spreads_overdue_ones)
{
	struct sched *s = sched_new();
	char name[32];

	sched_add(s, "future.example", 300, 1200, 1000, 0, 1);
	ck_assert_int_eq(sched_due_of(s, "future.example"), 1200);
	/* Down for an hour: every domain is overdue; they spread over one interval. */
	for (int i = 0; i < 1000; i++) {
		int64_t due;

		snprintf(name, sizeof(name), "over%d.example", i);
		sched_add(s, name, 300, 1000 - 3600, 1000, 0, 1);
		due = sched_due_of(s, name);
		ck_assert_int_ge(due, 1000);
		ck_assert_int_lt(due, 1300);
	}
	{
		size_t at_once = 0;

		while (sched_take(s, 1000) != NULL)
			at_once++;
		ck_assert_int_lt(at_once, 20); /* about 1000 / 300 per second, not 1000 */
	}
	/* A due time further out than one interval (the interval was shortened): afresh. */
	sched_add(s, "shortened.example", 60, 5000, 1000, 0, 1);
	ck_assert_int_eq(sched_due_of(s, "shortened.example"), 1000);
	sched_free(s);
}
END_TEST

START_TEST(test_removed_domains_are_not_scheduled_again)
{
	struct sched *s = sched_new();

	sched_add(s, "a.example", 60, 0, 0, 0, 2);
	sched_add(s, "b.example", 60, 0, 0, 1, 2);
	ck_assert_str_eq(sched_take(s, 0), "a.example");
	sched_remove(s, "a.example"); /* removed while running */
	sched_remove(s, "b.example"); /* removed while waiting */
	sched_remove(s, "never.example");
	ck_assert_int_eq(sched_done(s, "a.example", 10), -1);
	ck_assert_int_eq(sched_count(s), 0);
	ck_assert_ptr_null(sched_take(s, 1000));
	/* Adding a known domain again changes only its interval. */
	sched_add(s, "c.example", 60, 0, 0, 0, 1);
	sched_add(s, "c.example", 600, 0, 0, 0, 1);
	ck_assert_str_eq(sched_take(s, 0), "c.example");
	ck_assert_int_eq(sched_done(s, "c.example", 1), 600);
	sched_free(s);
}
END_TEST

static Suite *
sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("sched");

	tcase_add_test(tc, test_new_domains_are_spread_evenly_over_the_interval);
	tcase_add_test(tc, test_a_large_fleet_spreads_without_bursts);
	tcase_add_test(tc, test_due_domains_come_in_order_and_each_once);
	tcase_add_test(tc, test_slow_check_skips_missed_slots_instead_of_overlapping);
	tcase_add_test(tc, test_restart_keeps_future_due_times_and_spreads_overdue_ones);
	tcase_add_test(tc, test_removed_domains_are_not_scheduled_again);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sched_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
