/* sd_notify by hand: each message arrives as one exact datagram at a test-made NOTIFY_SOCKET. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sdnotify.h"

static char dir[64];
static char path[128];
static int listener = -1;

/* Binds a datagram socket named name (a path, or '@' and an abstract name). */
static int
bind_listener(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(n, sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@') {
		sa.sun_path[0] = '\0';
		len--; /* an abstract name counts no terminator */
	}
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa, len) == 0, "bind %s: %s", name,
		      strerror(errno));
	return fd;
}

/* A fresh directory with a listening socket in it, named by NOTIFY_SOCKET. */
static void
setup(void)
{
	strcpy(dir, "/tmp/check_sdnotify.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	listener = bind_listener(path);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", path, 1), 0);
}

static void
teardown(void)
{
	close(listener);
	unlink(path);
	rmdir(dir);
}

/* Receives the next datagram (waiting at most a second) into a string; NULL when none. */
static char *
receive(int fd)
{
	static char buf[4096];
	struct timeval tv = {1, 0};
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* True when nothing is waiting on fd. */
static bool
nothing_waiting(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN;
}

START_TEST(test_ready_arrives_as_exactly_ready_1)
{
	char *err = NULL;

	ck_assert_int_eq(sdnotify_ready(&err), 0);
	ck_assert_str_eq(receive(listener), "READY=1");
	ck_assert(nothing_waiting(listener));
}
END_TEST

START_TEST(test_stopping_and_watchdog_arrive_exactly)
{
	char *err = NULL;

	ck_assert_int_eq(sdnotify_stopping(&err), 0);
	ck_assert_int_eq(sdnotify_watchdog(&err), 0);
	ck_assert_str_eq(receive(listener), "STOPPING=1");
	ck_assert_str_eq(receive(listener), "WATCHDOG=1");
	ck_assert(nothing_waiting(listener));
}
END_TEST

START_TEST(test_status_is_one_line)
{
	char *err = NULL;

	ck_assert_int_eq(sdnotify_status("checking 1200 domains every 5m; 3 firing", &err), 0);
	ck_assert_str_eq(receive(listener), "STATUS=checking 1200 domains every 5m; 3 firing");
	/* A newline would start another assignment: the status ends there. */
	ck_assert_int_eq(sdnotify_status("reload failed\nREADY=1", &err), 0);
	ck_assert_str_eq(receive(listener), "STATUS=reload failed");
}
END_TEST

START_TEST(test_reloading_carries_the_monotonic_time)
{
	struct timespec a, b;
	unsigned long long before, after, usec;
	char *err = NULL, *msg, tail;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(sdnotify_reloading(&err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	msg = receive(listener);
	ck_assert_ptr_nonnull(msg);
	ck_assert_int_eq(sscanf(msg, "RELOADING=1\nMONOTONIC_USEC=%llu%c", &usec, &tail), 1);
	ck_assert_int_eq(strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	before = (unsigned long long)a.tv_sec * 1000000 + (unsigned long long)a.tv_nsec / 1000;
	after = (unsigned long long)b.tv_sec * 1000000 + (unsigned long long)b.tv_nsec / 1000;
	ck_assert_uint_ge(usec, before);
	ck_assert_uint_le(usec, after);
}
END_TEST

START_TEST(test_an_abstract_socket_name_is_reached)
{
	char name[64], *err = NULL;
	int fd;

	snprintf(name, sizeof(name), "@mxwatch-check-sdnotify-%ld", (long)getpid());
	fd = bind_listener(name);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
	ck_assert_int_eq(sdnotify_ready(&err), 0);
	ck_assert_str_eq(receive(fd), "READY=1");
	ck_assert(nothing_waiting(listener)); /* not the path socket */
	close(fd);
}
END_TEST

START_TEST(test_without_notify_socket_nothing_is_sent)
{
	char *err = NULL;

	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(sdnotify_ready(&err), 0);
	ck_assert_int_eq(sdnotify_status("idle", &err), 0);
	ck_assert_int_eq(sdnotify_watchdog(&err), 0);
	ck_assert_ptr_null(err);
	setenv("NOTIFY_SOCKET", "", 1);
	ck_assert_int_eq(sdnotify_stopping(&err), 0);
	ck_assert_ptr_null(err);
	ck_assert(nothing_waiting(listener));
}
END_TEST

START_TEST(test_a_too_long_path_is_an_error)
{
	char name[300], *err = NULL;

	memset(name, 'a', sizeof(name) - 1);
	name[0] = '/';
	name[sizeof(name) - 1] = '\0';
	setenv("NOTIFY_SOCKET", name, 1);
	ck_assert_int_eq(sdnotify_ready(&err), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 107 bytes"));
	free(err);
	err = NULL;
	name[0] = '@';
	ck_assert_int_eq(sdnotify_send_to(name, "READY=1", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than 107 bytes"));
	free(err);
}
END_TEST

START_TEST(test_a_relative_or_missing_socket_is_an_error)
{
	char missing[160], *err = NULL;

	ck_assert_int_eq(sdnotify_send_to("notify", "READY=1", &err), -1);
	ck_assert_str_eq(err,
			 "notify socket notify: neither an absolute path nor an abstract name");
	free(err);
	err = NULL;
	ck_assert_int_eq(sdnotify_send_to("@", "READY=1", &err), -1);
	free(err);
	err = NULL;
	snprintf(missing, sizeof(missing), "%s/nobody", dir);
	ck_assert_int_eq(sdnotify_send_to(missing, "READY=1", &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
	free(err);
}
END_TEST

START_TEST(test_watchdog_usec_is_read_for_this_process)
{
	uint64_t usec = 0;

	ck_assert(sdnotify_watchdog_parse("400000", NULL, 42, &usec));
	ck_assert_uint_eq(usec, 400000);
	ck_assert(sdnotify_watchdog_parse("60000000", "42", 42, &usec));
	ck_assert_uint_eq(usec, 60000000);
}
END_TEST

START_TEST(test_watchdog_for_another_pid_or_malformed_is_off)
{
	uint64_t usec = 7;

	ck_assert(!sdnotify_watchdog_parse("400000", "43", 42, &usec)); /* another process's */
	ck_assert(!sdnotify_watchdog_parse("400000", "", 42, &usec));
	ck_assert(!sdnotify_watchdog_parse("400000", "42x", 42, &usec));
	ck_assert(!sdnotify_watchdog_parse(NULL, NULL, 42, &usec));
	ck_assert(!sdnotify_watchdog_parse("", NULL, 42, &usec));
	ck_assert(!sdnotify_watchdog_parse("0", NULL, 42, &usec));
	ck_assert(!sdnotify_watchdog_parse("-5", NULL, 42, &usec));
	ck_assert(!sdnotify_watchdog_parse(" 5", NULL, 42, &usec));
	ck_assert(!sdnotify_watchdog_parse("5s", NULL, 42, &usec));
	ck_assert(!sdnotify_watchdog_parse("99999999999999999999999", NULL, 42, &usec));
	ck_assert_uint_eq(usec, 7); /* untouched */
}
END_TEST

START_TEST(test_watchdog_from_the_environment)
{
	char pid[32];
	uint64_t usec = 0;

	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	ck_assert(!sdnotify_watchdog_enabled(&usec));
	setenv("WATCHDOG_USEC", "400000", 1);
	ck_assert(sdnotify_watchdog_enabled(&usec));
	ck_assert_uint_eq(usec, 400000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert(sdnotify_watchdog_enabled(&usec));
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert(!sdnotify_watchdog_enabled(&usec));
}
END_TEST

static Suite *
sdnotify_suite(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("sdnotify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ready_arrives_as_exactly_ready_1);
	tcase_add_test(tc, test_stopping_and_watchdog_arrive_exactly);
	tcase_add_test(tc, test_status_is_one_line);
	tcase_add_test(tc, test_reloading_carries_the_monotonic_time);
	tcase_add_test(tc, test_an_abstract_socket_name_is_reached);
	tcase_add_test(tc, test_without_notify_socket_nothing_is_sent);
	tcase_add_test(tc, test_a_too_long_path_is_an_error);
	tcase_add_test(tc, test_a_relative_or_missing_socket_is_an_error);
	tcase_add_test(tc, test_watchdog_usec_is_read_for_this_process);
	tcase_add_test(tc, test_watchdog_for_another_pid_or_malformed_is_off);
	tcase_add_test(tc, test_watchdog_from_the_environment);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sdnotify_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
