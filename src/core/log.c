/* log.c - see log.h. */
#include "config.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static atomic_int g_level = TLOG_INFO;
static bool g_stderr = true;
static int g_fd = -1;                   /* file target, or -1 */
static char g_path[512];
static pthread_mutex_t g_fd_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "error", "warn", "notice", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void tlog_open(const char *ident, bool to_stderr)
{
	g_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int tlog_set_file(const char *path)
{
	int fd = -1;
	if (path) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
	}
	pthread_mutex_lock(&g_fd_lock);
	int old = g_fd;
	g_fd = fd;
	snprintf(g_path, sizeof g_path, "%s", path ? path : "");
	pthread_mutex_unlock(&g_fd_lock);
	if (old >= 0)
		close(old);
	return 0;
}

int tlog_reopen(void)
{
	char path[sizeof g_path];
	pthread_mutex_lock(&g_fd_lock);
	memcpy(path, g_path, sizeof path);
	pthread_mutex_unlock(&g_fd_lock);
	return path[0] ? tlog_set_file(path) : 0;
}

void tlog_set_level(enum tlog_level level) { atomic_store(&g_level, (int)level); }
enum tlog_level tlog_get_level(void) { return (enum tlog_level)atomic_load(&g_level); }

int tlog_level_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (!strcasecmp(name, level_names[i]))
			return (int)i;
	if (!strcasecmp(name, "warning"))
		return TLOG_WARN;
	return -1;
}

const char *tlog_level_name(enum tlog_level level)
{
	return (unsigned)level < 5 ? level_names[level] : "?";
}

void tlogv(enum tlog_level level, const char *fmt, va_list ap)
{
	if ((int)level > atomic_load(&g_level))
		return;
	char line[2048];
	size_t n = 0;
	int fd;

	pthread_mutex_lock(&g_fd_lock);
	fd = g_fd;
	pthread_mutex_unlock(&g_fd_lock);

	if (fd >= 0 || g_stderr) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ %-6s ",
				      ts.tv_nsec / 1000000, level_names[level]);
	}
	int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
	if (m < 0)
		return;
	n += (size_t)m;
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	/* Network input ends up in log lines: never let it forge a new line. */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';

	if (fd >= 0 || g_stderr) {
		line[n++] = '\n';
		ssize_t w = write(fd >= 0 ? fd : STDERR_FILENO, line, n);
		(void)w;
	} else {
		line[n] = '\0';
		syslog(syslog_prio[level], "%s", line);
	}
}

void tlog(enum tlog_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tlogv(level, fmt, ap);
	va_end(ap);
}
