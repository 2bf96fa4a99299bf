#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testns.h"
#include "xmalloc.h"

#ifndef NSD_PATH
#define NSD_PATH "/usr/sbin/nsd"
#endif

#define READY_TIMEOUT_MS 15000

struct tzone {
	char *name;
	uint32_t serial;
	bool broken; /* a NAME.broken-zone fixture: unloadable on purpose, never waited for */
};

struct testns {
	char *dir;
	pid_t pid;
	bool owner; /* started by this process: stop kills and cleans up */
	uint16_t port;
	char server[32];
	char server6[48];
	bool has6;
	struct tzone *zones;
	size_t nzones;
	time_t epoch; /* base of the mtimes given to zone files */
};

/* Returns the current monotonic time in milliseconds. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a whole file (see testns.h). */
char *
testns_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Writes text to path, replacing it. */
static int
spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* Picks a port free for UDP and TCP on 127.0.0.1 (and ::1 when asked). */
static uint16_t
free_port(bool v6)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in sin = {.sin_family = AF_INET};
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
					    .sin6_addr = IN6ADDR_LOOPBACK_INIT};
		socklen_t sl = sizeof(sin);
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = -1, u6 = -1, t6 = -1;
		uint16_t port = 0;
		bool ok;

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (u < 0 || bind(u, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
		    getsockname(u, (struct sockaddr *)&sin, &sl) != 0) {
			if (u >= 0)
				close(u);
			continue;
		}
		port = ntohs(sin.sin_port);
		t = socket(AF_INET, SOCK_STREAM, 0);
		ok = t >= 0 && bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		if (ok && v6) {
			sin6.sin6_port = htons(port);
			u6 = socket(AF_INET6, SOCK_DGRAM, 0);
			t6 = socket(AF_INET6, SOCK_STREAM, 0);
			ok = u6 >= 0 && t6 >= 0 &&
			     bind(u6, (struct sockaddr *)&sin6, sizeof(sin6)) == 0 &&
			     bind(t6, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
		}
		for (int *fd = (int[]){u, t, u6, t6}, i = 0; i < 4; i++)
			if (fd[i] >= 0)
				close(fd[i]);
		if (ok)
			return port;
	}
	return 0;
}

/* Tells whether this host can bind ::1. */
static bool
have_ipv6_loopback(void)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok = s >= 0 && bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;

	if (s >= 0)
		close(s);
	return ok;
}

/* Returns the offset after the name at i, or past n when it runs off the end. */
static size_t
skip_name(const uint8_t *a, size_t n, size_t i)
{
	while (i < n) {
		if ((a[i] & 0xc0) == 0xc0)
			return i + 2;
		if (a[i] == 0)
			return i + 1;
		i += (size_t)a[i] + 1;
	}
	return n + 1;
}

/* Asks 127.0.0.1:port for the SOA serial of zone over UDP. Returns -1 on no usable answer. */
static long long
soa_serial(uint16_t port, const char *zone)
{
	static uint16_t qid = 0x4d58;
	uint8_t q[300], a[1500];
	size_t o = 12;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct pollfd pfd;
	ssize_t n;
	int s;
	const char *p = zone;

	memset(q, 0, sizeof(q));
	qid++;
	q[0] = (uint8_t)(qid >> 8);
	q[1] = (uint8_t)qid;
	q[5] = 1; /* QDCOUNT */
	while (*p != '\0' && o < sizeof(q) - 70) {
		size_t l = strcspn(p, ".");

		if (l == 0 || l > 63)
			return -1;
		q[o++] = (uint8_t)l;
		memcpy(q + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	q[o++] = 0;
	q[o++] = 0, q[o++] = 6; /* SOA */
	q[o++] = 0, q[o++] = 1; /* IN */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -1;
	if (sendto(s, q, o, 0, (struct sockaddr *)&sin, sizeof(sin)) != (ssize_t)o) {
		close(s);
		return -1;
	}
	pfd.fd = s;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, 200) == 1 ? recv(s, a, sizeof(a), 0) : -1;
	close(s);
	/* Header, the same question back, RCODE 0, one answer or more. */
	if (n < (ssize_t)(o + 12) || a[0] != q[0] || a[1] != q[1] || (a[3] & 0x0f) != 0 ||
	    (a[6] == 0 && a[7] == 0))
		return -1;
	{
		size_t i = skip_name(a, (size_t)n, o); /* the answer's owner */

		i = skip_name(a, (size_t)n, i + 10); /* type, class, TTL, length; mname */
		i = skip_name(a, (size_t)n, i);	     /* rname */
		if (i + 4 > (size_t)n)
			return -1;
		return (long long)((uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 |
				   (uint32_t)a[i + 2] << 8 | a[i + 3]);
	}
}

/* Writes the zone file of z: the harness SOA and NS, then the fixture records. */
static int
write_zone(struct testns *ns, struct tzone *z, const char *records)
{
	char *path = xasprintf("%s/%s.records", ns->dir, z->name);
	char *zpath = xasprintf("%s/%s.zone", ns->dir, z->name);
	char *text;
	struct timespec ts[2];
	int rc = -1;

	if (spit(path, records) != 0)
		goto out;
	text = xasprintf("$ORIGIN %s.\n$TTL 300\n"
			 "@ 300 IN SOA ns1.%s. hostmaster.%s. %u 3600 900 604800 60\n"
			 "$INCLUDE %s\n",
			 z->name, z->name, z->name, z->serial, path);
	rc = spit(zpath, text);
	free(text);
	/* NSD reloads a zone when its file's mtime changes: make every version a new second. */
	ts[0].tv_sec = ts[1].tv_sec = ns->epoch + z->serial;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (rc == 0)
		rc = utimensat(AT_FDCWD, zpath, ts, 0);
out:
	free(path);
	free(zpath);
	return rc;
}

/* Writes nsd.conf for the zones. */
static int
write_conf(struct testns *ns)
{
	char *path = xasprintf("%s/nsd.conf", ns->dir);
	FILE *f = fopen(path, "w");

	free(path);
	if (f == NULL)
		return -1;
	fprintf(f,
		"server:\n"
		"  ip-address: 127.0.0.1@%u\n"
		"%s"
		"  port: %u\n"
		"  server-count: 1\n"
		"  username: \"\"\n"
		"  chroot: \"\"\n"
		"  database: \"\"\n"
		"  zonesdir: \"%s\"\n"
		"  zonelistfile: \"%s/zone.list\"\n"
		"  xfrdfile: \"%s/xfrd.state\"\n"
		"  xfrdir: \"%s\"\n"
		"  pidfile: \"%s/nsd.pid\"\n"
		"  logfile: \"%s/nsd.log\"\n"
		"  verbosity: 1\n"
		"  hide-version: yes\n"
		"  refuse-any: yes\n"
		"  rrl-ratelimit: 0\n"
		"  rrl-whitelist-ratelimit: 0\n"
		"remote-control:\n"
		"  control-enable: no\n",
		ns->port, ns->has6 ? "" : "  do-ip6: no\n", ns->port, ns->dir, ns->dir, ns->dir,
		ns->dir, ns->dir, ns->dir);
	if (ns->has6)
		fprintf(f, "server:\n  ip-address: ::1@%u\n", ns->port);
	for (size_t i = 0; i < ns->nzones; i++)
		fprintf(f, "zone:\n  name: \"%s\"\n  zonefile: \"%s.zone\"\n", ns->zones[i].name,
			ns->zones[i].name);
	return fclose(f) == 0 ? 0 : -1;
}

/* Saves what testns_attach needs. */
static int
write_state(const struct testns *ns)
{
	char *path = xasprintf("%s/testns.state", ns->dir);
	FILE *f = fopen(path, "w");

	free(path);
	if (f == NULL)
		return -1;
	fprintf(f, "%ld %u %d %lld\n", (long)ns->pid, ns->port, ns->has6, (long long)ns->epoch);
	for (size_t i = 0; i < ns->nzones; i++)
		fprintf(f, "%s %u\n", ns->zones[i].name, ns->zones[i].serial);
	return fclose(f) == 0 ? 0 : -1;
}

/* Refreshes the zone serials from the state file. */
static void
load_serials(struct testns *ns)
{
	char *path = xasprintf("%s/testns.state", ns->dir);
	FILE *f = fopen(path, "r");
	char line[300], name[256];
	unsigned serial;

	free(path);
	if (f == NULL)
		return;
	if (fgets(line, sizeof(line), f) != NULL) {
		while (fscanf(f, "%255s %u", name, &serial) == 2)
			for (size_t i = 0; i < ns->nzones; i++)
				if (strcmp(ns->zones[i].name, name) == 0)
					ns->zones[i].serial = serial;
	}
	fclose(f);
}

/* Waits until zone z serves its current serial; -1 when NSD died or time ran out. */
static int
wait_serial(struct testns *ns, const struct tzone *z)
{
	long long deadline = now_ms() + READY_TIMEOUT_MS;

	while (now_ms() < deadline) {
		int st;

		if (ns->owner && waitpid(ns->pid, &st, WNOHANG) == ns->pid) {
			ns->pid = -1;
			return -1;
		}
		if (soa_serial(ns->port, z->name) == (long long)z->serial)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* Returns the tail of NSD's log, for error messages; caller frees. */
static char *
log_tail(const struct testns *ns)
{
	char *path = xasprintf("%s/nsd.log", ns->dir);
	char *text = testns_slurp(path);
	char *tail;
	size_t n;

	free(path);
	if (text == NULL)
		return xstrdup("(no log)");
	n = strlen(text);
	tail = xstrdup(n > 600 ? text + n - 600 : text);
	free(text);
	return tail;
}

/* Removes the work directory and everything in it. */
static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Forks NSD in the foreground; it gets SIGTERM when this process dies. */
static pid_t
spawn_nsd(const struct testns *ns)
{
	char *conf = xasprintf("%s/nsd.conf", ns->dir);
	char *errlog = xasprintf("%s/nsd.stderr", ns->dir);
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		int fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execl(NSD_PATH, "nsd", "-d", "-c", conf, (char *)NULL);
		_exit(127);
	}
	free(conf);
	free(errlog);
	return pid;
}

/* Compares zones by name, for a stable order. */
static int
zone_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tzone *)a)->name, ((const struct tzone *)b)->name);
}

/* Starts NSD with the zones of zonedir. */
struct testns *
testns_start(const char *zonedir, char **errstr)
{
	const char *tmp = getenv("TMPDIR");
	struct testns *ns = xcalloc(1, sizeof(*ns));
	DIR *d;
	struct dirent *e;

	ns->dir = xasprintf("%s/mxw-testns.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ns->owner = true;
	ns->pid = -1;
	ns->epoch = time(NULL) - 1000000;
	if (mkdtemp(ns->dir) == NULL) {
		*errstr = xasprintf("cannot create %s: %s", ns->dir, strerror(errno));
		free(ns->dir);
		free(ns);
		return NULL;
	}
	if ((d = opendir(zonedir)) == NULL) {
		*errstr = xasprintf("cannot read %s: %s", zonedir, strerror(errno));
		goto fail;
	}
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		bool broken = l > 12 && strcmp(e->d_name + l - 12, ".broken-zone") == 0;

		if (e->d_name[0] == '.' ||
		    (!broken && (l <= 5 || strcmp(e->d_name + l - 5, ".zone") != 0)))
			continue;
		ns->zones = xreallocarray(ns->zones, ns->nzones + 1, sizeof(*ns->zones));
		ns->zones[ns->nzones].name = xstrndup(e->d_name, l - (broken ? 12 : 5));
		ns->zones[ns->nzones].serial = 1;
		ns->zones[ns->nzones].broken = broken;
		ns->nzones++;
	}
	closedir(d);
	if (ns->nzones == 0) {
		*errstr = xasprintf("no NAME.zone files in %s", zonedir);
		goto fail;
	}
	qsort(ns->zones, ns->nzones, sizeof(*ns->zones), zone_cmp);
	for (size_t i = 0; i < ns->nzones; i++) {
		char *src = xasprintf("%s/%s.%s", zonedir, ns->zones[i].name,
				      ns->zones[i].broken ? "broken-zone" : "zone");
		char *text = testns_slurp(src);

		if (text == NULL || write_zone(ns, &ns->zones[i], text) != 0) {
			*errstr = xasprintf("cannot copy zone %s: %s", src, strerror(errno));
			free(src);
			free(text);
			goto fail;
		}
		free(src);
		free(text);
	}
	ns->has6 = have_ipv6_loopback();
	for (int attempt = 0; attempt < 5; attempt++) {
		size_t i;

		ns->port = free_port(ns->has6);
		if (ns->port == 0 || write_conf(ns) != 0) {
			*errstr =
			    xasprintf("cannot find a free port or write nsd.conf in %s", ns->dir);
			goto fail;
		}
		ns->pid = spawn_nsd(ns);
		for (i = 0; i < ns->nzones; i++)
			if (!ns->zones[i].broken && wait_serial(ns, &ns->zones[i]) != 0)
				break;
		if (i == ns->nzones) {
			snprintf(ns->server, sizeof(ns->server), "127.0.0.1:%u", ns->port);
			snprintf(ns->server6, sizeof(ns->server6), "[::1]:%u", ns->port);
			write_state(ns);
			return ns;
		}
		if (ns->pid > 0) {
			kill(ns->pid, SIGTERM);
			waitpid(ns->pid, NULL, 0);
			ns->pid = -1;
		}
	}
	{
		char *tail = log_tail(ns);

		*errstr = xasprintf("NSD did not start serving the zones of %s; its log ends:\n%s",
				    zonedir, tail);
		free(tail);
	}
fail:
	testns_stop(ns);
	return NULL;
}

/* Starts NSD with the fixture zones or exits. */
struct testns *
testns_start_fixtures(void)
{
	const char *src = getenv("MXW_SRCDIR");
	char *dir = xasprintf("%s/tests/zones", src ? src : ".");
	char *err = NULL;
	struct testns *ns = testns_start(dir, &err);

	if (ns == NULL) {
		fprintf(stderr, "testns: %s\n", err);
		exit(1);
	}
	free(dir);
	return ns;
}

/* Re-opens a running server from its work directory. */
struct testns *
testns_attach(const char *workdir, char **errstr)
{
	char *path = xasprintf("%s/testns.state", workdir);
	FILE *f = fopen(path, "r");
	struct testns *ns;
	long pid;
	unsigned port, serial;
	int has6;
	long long epoch;
	char name[256];

	free(path);
	if (f == NULL) {
		*errstr = xasprintf("no test DNS server in %s: %s", workdir, strerror(errno));
		return NULL;
	}
	ns = xcalloc(1, sizeof(*ns));
	ns->dir = xstrdup(workdir);
	if (fscanf(f, "%ld %u %d %lld", &pid, &port, &has6, &epoch) != 4) {
		fclose(f);
		*errstr = xasprintf("bad state file in %s", workdir);
		testns_detach(ns);
		return NULL;
	}
	ns->pid = (pid_t)pid;
	ns->port = (uint16_t)port;
	ns->has6 = has6 != 0;
	ns->epoch = (time_t)epoch;
	while (fscanf(f, "%255s %u", name, &serial) == 2) {
		ns->zones = xreallocarray(ns->zones, ns->nzones + 1, sizeof(*ns->zones));
		ns->zones[ns->nzones].name = xstrdup(name);
		ns->zones[ns->nzones].serial = serial;
		ns->nzones++;
	}
	fclose(f);
	snprintf(ns->server, sizeof(ns->server), "127.0.0.1:%u", ns->port);
	snprintf(ns->server6, sizeof(ns->server6), "[::1]:%u", ns->port);
	return ns;
}

const char *
testns_server(const struct testns *ns)
{
	return ns->server;
}

const char *
testns_server6(const struct testns *ns)
{
	return ns->has6 ? ns->server6 : NULL;
}

const char *
testns_workdir(const struct testns *ns)
{
	return ns->dir;
}

/* Replaces a zone's records and waits for NSD to serve them. */
int
testns_set_zone(struct testns *ns, const char *zone, const char *records, char **errstr)
{
	struct tzone *z = NULL;

	for (size_t i = 0; i < ns->nzones; i++)
		if (strcmp(ns->zones[i].name, zone) == 0)
			z = &ns->zones[i];
	if (z == NULL) {
		*errstr = xasprintf("zone %s is not served by the test server", zone);
		return -1;
	}
	/* Another process (a forked test, a script) may have changed the zone since. */
	load_serials(ns);
	z->serial++;
	z->broken = false;
	if (write_zone(ns, z, records) != 0 || write_state(ns) != 0) {
		*errstr =
		    xasprintf("cannot write zone %s in %s: %s", zone, ns->dir, strerror(errno));
		return -1;
	}
	if (kill(ns->pid, SIGHUP) != 0 || wait_serial(ns, z) != 0) {
		char *tail = log_tail(ns);

		*errstr = xasprintf("NSD did not load serial %u of %s; its log ends:\n%s",
				    z->serial, zone, tail);
		free(tail);
		return -1;
	}
	return 0;
}

/* Replaces a zone's records from a file. */
int
testns_set_zone_file(struct testns *ns, const char *zone, const char *path, char **errstr)
{
	char *text = testns_slurp(path);
	int rc;

	if (text == NULL) {
		*errstr = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	rc = testns_set_zone(ns, zone, text, errstr);
	free(text);
	return rc;
}

/* Frees the handle only. */
void
testns_detach(struct testns *ns)
{
	if (ns == NULL)
		return;
	for (size_t i = 0; i < ns->nzones; i++)
		free(ns->zones[i].name);
	free(ns->zones);
	free(ns->dir);
	free(ns);
}

/* Stops NSD and cleans up. */
void
testns_stop(struct testns *ns)
{
	if (ns == NULL)
		return;
	if (ns->owner && ns->pid > 0) {
		kill(ns->pid, SIGTERM);
		waitpid(ns->pid, NULL, 0);
	}
	if (ns->owner && getenv("MXW_KEEP_TESTNS") == NULL)
		remove_dir(ns->dir);
	testns_detach(ns);
}
