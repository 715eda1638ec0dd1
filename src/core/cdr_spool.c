/* cdr_spool.c - see cdr_spool.h. */
#include "config.h"
#include "core/cdr_spool.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define OFFSET_LEN 21                   /* 20 digits and '\n' */

struct tcdr_spool {
	int fd;                 /* O_RDWR | O_APPEND */
	int off_fd;
	char *path, *off_path, *rej_path;
	off_t offset;           /* first undelivered byte */
	off_t size;             /* bytes in the spool */
	uint64_t pending;       /* lines in [offset, size) */
};

static char *path_of(const char *dir, const char *name, const char *ext)
{
	char *p = NULL;
	if (asprintf(&p, "%s/cdr-%s.%s", dir, name, ext) < 0)
		return NULL;
	return p;
}

static int save_offset(tcdr_spool_t *sp)
{
	char buf[OFFSET_LEN + 1];
	snprintf(buf, sizeof buf, "%020lld\n", (long long)sp->offset);
	return pwrite(sp->off_fd, buf, OFFSET_LEN, 0) == OFFSET_LEN ? 0 : -errno;
}

static off_t load_offset(tcdr_spool_t *sp)
{
	char buf[OFFSET_LEN + 1] = "";
	ssize_t n = pread(sp->off_fd, buf, OFFSET_LEN, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end;
	long long v = strtoll(buf, &end, 10);
	return end != buf && v > 0 ? (off_t)v : 0;
}

/* Scan the spool: cut a torn tail, check the offset lands on a line start,
 * count the pending lines. */
static int recover(tcdr_spool_t *sp)
{
	FILE *f = fdopen(dup(sp->fd), "r");
	if (!f)
		return -errno;
	off_t pos = 0, last_nl_end = 0, want = load_offset(sp);
	bool offset_ok = want == 0;
	uint64_t lines_after = 0;
	int ch;
	while ((ch = getc(f)) != EOF) {
		pos++;
		if (ch != '\n')
			continue;
		last_nl_end = pos;
		if (pos == want)
			offset_ok = true;
		else if (pos > want)
			lines_after++;
	}
	fclose(f);
	if (last_nl_end < pos) {
		LOG_WARN("cdr spool %s: cutting a torn last record (%lld bytes, from a crash "
			 "while writing it)", sp->path, (long long)(pos - last_nl_end));
		if (ftruncate(sp->fd, last_nl_end) < 0)
			return -errno;
	}
	sp->size = last_nl_end;
	if (!offset_ok || want > sp->size) {
		LOG_WARN("cdr spool %s: offset %lld is not a record boundary: replaying the "
			 "whole spool (the backend drops what it already has)", sp->path,
			 (long long)want);
		want = 0;
		sp->offset = 0;
		return recover(sp);
	}
	sp->offset = want;
	sp->pending = sp->size > sp->offset ? lines_after : 0;
	return 0;
}

int tcdr_spool_open(const char *dir, const char *name, tcdr_spool_t **out)
{
	int rc = -ENOMEM;
	tcdr_spool_t *sp = calloc(1, sizeof *sp);
	*out = NULL;
	if (!sp)
		return -ENOMEM;
	sp->fd = sp->off_fd = -1;
	if (!(sp->path = path_of(dir, name, "spool")) ||
	    !(sp->off_path = path_of(dir, name, "offset")) ||
	    !(sp->rej_path = path_of(dir, name, "rejected")))
		goto fail;
	/* the directory itself, one level, e.g. /var/lib/tandem/spool */
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	sp->fd = open(sp->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	sp->off_fd = open(sp->off_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (sp->fd < 0 || sp->off_fd < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = recover(sp)) < 0)
		goto fail;
	*out = sp;
	return 0;
fail:
	tcdr_spool_close(sp);
	return rc;
}

void tcdr_spool_close(tcdr_spool_t *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->off_fd >= 0)
		close(sp->off_fd);
	free(sp->path);
	free(sp->off_path);
	free(sp->rej_path);
	free(sp);
}

const char *tcdr_spool_path(const tcdr_spool_t *sp) { return sp->path; }
uint64_t tcdr_spool_pending(const tcdr_spool_t *sp) { return sp->pending; }

int tcdr_spool_append(tcdr_spool_t *sp, char *const *lines, size_t n)
{
	struct iovec iov[2 * 64];
	size_t done = 0;
	while (done < n) {
		size_t k = 0, total = 0;
		for (; done + k < n && 2 * k < sizeof iov / sizeof iov[0]; k++) {
			iov[2 * k] = (struct iovec){ lines[done + k], strlen(lines[done + k]) };
			iov[2 * k + 1] = (struct iovec){ "\n", 1 };
			total += iov[2 * k].iov_len + 1;
		}
		ssize_t w = writev(sp->fd, iov, (int)(2 * k));
		if (w != (ssize_t)total) {
			int err = w < 0 ? errno : ENOSPC;
			/* cut what a short write left, so the next append starts a line */
			if (w > 0 && ftruncate(sp->fd, sp->size) < 0)
				LOG_ERR("cdr spool %s: cannot cut a partial write: %s", sp->path,
					strerror(errno));
			return -err;
		}
		sp->size += (off_t)total;
		sp->pending += k;
		done += k;
	}
	return fdatasync(sp->fd) < 0 ? -errno : 0;
}

int tcdr_spool_peek(tcdr_spool_t *sp, size_t max, char **lines, size_t *bytes)
{
	size_t n = 0;
	*bytes = 0;
	if (sp->offset >= sp->size)
		return 0;
	FILE *f = fdopen(dup(sp->fd), "r");
	if (!f)
		return -errno;
	if (fseeko(f, sp->offset, SEEK_SET) < 0) {
		fclose(f);
		return -EIO;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while (n < max && sp->offset + (off_t)*bytes < sp->size &&
	       (len = getline(&line, &cap, f)) > 0) {
		*bytes += (size_t)len;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		lines[n++] = line;
		line = NULL;
		cap = 0;
	}
	free(line);
	fclose(f);
	return (int)n;
}

int tcdr_spool_commit(tcdr_spool_t *sp, size_t bytes, size_t nrecs)
{
	sp->offset += (off_t)bytes;
	sp->pending = sp->pending > nrecs ? sp->pending - nrecs : 0;
	if (sp->offset >= sp->size) {
		/* all delivered: start over with an empty file */
		if (ftruncate(sp->fd, 0) < 0)
			return -errno;
		sp->offset = sp->size = 0;
		sp->pending = 0;
	}
	return save_offset(sp);
}

int tcdr_spool_reject(tcdr_spool_t *sp, const char *line)
{
	int fd = open(sp->rej_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	struct iovec iov[2] = { { (void *)line, strlen(line) }, { "\n", 1 } };
	ssize_t w = writev(fd, iov, 2);
	int rc = w == (ssize_t)(iov[0].iov_len + 1) ? 0 : -EIO;
	if (fdatasync(fd) < 0 && rc == 0)
		rc = -errno;
	close(fd);
	return rc;
}
