/* benchutil.c - see benchutil.h. */
#include "config.h"

#include "benchutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

_Noreturn void bench_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
	printf("RESULT passed=0 failed=1\n");
	exit(1);
}

int bench_udp_lo(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;

	if (fd < 0)
		bench_die("socket");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		bench_die("bind");
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

void bench_lo_addr(struct sockaddr_in *sa, uint16_t port)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

uint64_t bench_threads_cpu_ns(const char *prefix)
{
	uint64_t wait;
	return bench_threads_sched_ns(prefix, &wait);
}

uint64_t bench_threads_sched_ns(const char *prefix, uint64_t *wait_ns)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	uint64_t total = 0, wait = 0;

	*wait_ns = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], comm[64] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof comm, f))
			comm[0] = '\0';
		fclose(f);
		if (strncmp(comm, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
		f = fopen(path, "r");
		unsigned long long ns = 0, wns = 0;
		if (f) {
			if (fscanf(f, "%llu %llu", &ns, &wns) != 2)
				ns = wns = 0;
			fclose(f);
		}
		total += ns;
		wait += wns;
	}
	closedir(d);
	*wait_ns = wait;
	return total;
}

uint16_t bench_sdp_port(const char *sdp)
{
	unsigned port = 0;
	const char *m = sdp ? strstr(sdp, "m=audio ") : NULL;
	if (m)
		sscanf(m, "m=audio %u", &port);
	return (uint16_t)port;
}

/* Apply fn(tid, v) to this process's threads whose name starts with
 * prefix; how many succeeded. */
static int for_threads(const char *prefix, int (*fn)(pid_t tid, int v), int v)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], comm[64] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof comm, f))
			comm[0] = '\0';
		fclose(f);
		if (strncmp(comm, prefix, strlen(prefix)) == 0 && fn((pid_t)atoi(e->d_name), v) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* Linux: nice value and scheduling policy are per thread, by thread id. */
static int set_nice(pid_t tid, int nice)
{
	return setpriority(PRIO_PROCESS, (id_t)tid, nice);
}

static int set_fifo(pid_t tid, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	return sched_setscheduler(tid, SCHED_FIFO, &sp);
}

int bench_threads_nice(const char *prefix, int nice)
{
	return for_threads(prefix, set_nice, nice);
}

int bench_threads_fifo(const char *prefix, int prio)
{
	return for_threads(prefix, set_fifo, prio);
}

int bench_rt(void)
{
	const char *v = getenv("BENCH_RT");
	int p = v && *v ? atoi(v) : 0;
	return p < 0 ? 0 : p > 99 ? 99 : p;
}

int bench_nice(void)
{
	const char *v = getenv("BENCH_NICE");
	return v && *v ? atoi(v) : -10;
}
