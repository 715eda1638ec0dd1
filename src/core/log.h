/* log.h - the daemon's log: levels, stderr in the foreground, syslog otherwise.
 *
 * Thread-safe: every line is formatted into a stack buffer and written with a
 * single write(2), so lines from the SIP thread and media workers never
 * interleave. Nothing here allocates. Never call from the relay fast path.
 */
#ifndef TANDEM_CORE_LOG_H
#define TANDEM_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum tlog_level {
	TLOG_ERROR = 0,
	TLOG_WARN,
	TLOG_NOTICE,
	TLOG_INFO,
	TLOG_DEBUG,
};

/* Where lines go: stderr (foreground, tests) or syslog (daemon), or a file. */
void tlog_open(const char *ident, bool to_stderr);
/* Reopen a file target after logrotate (SIGUSR1); no-op for stderr/syslog. */
int tlog_reopen(void);
/* Log to the given file instead (appending); NULL reverts to the open() target. */
int tlog_set_file(const char *path);
void tlog_set_level(enum tlog_level level);
enum tlog_level tlog_get_level(void);
/* Parse "error|warn|notice|info|debug"; returns -1 if unknown. */
int tlog_level_parse(const char *name);
const char *tlog_level_name(enum tlog_level level);

void tlog(enum tlog_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tlogv(enum tlog_level level, const char *fmt, va_list ap);

#define LOG_ERR(...)    tlog(TLOG_ERROR, __VA_ARGS__)
#define LOG_WARN(...)   tlog(TLOG_WARN, __VA_ARGS__)
#define LOG_NOTICE(...) tlog(TLOG_NOTICE, __VA_ARGS__)
#define LOG_INFO(...)   tlog(TLOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(...)  do { if (tlog_get_level() >= TLOG_DEBUG) tlog(TLOG_DEBUG, __VA_ARGS__); } while (0)

#endif
