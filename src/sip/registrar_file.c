/* registrar_file.c - bindings saved to a file and loaded at start
 * (treg_save, treg_load in registrar.h).
 *
 * Format: one JSON object
 *   {"tandem_bindings": 1, "bindings": [ {"aor": ..., "contact": ...,
 *     "instance": ..., "reg_id": N, "received_ip": ..., "received_port": N,
 *     "transport": ..., "call_id": ..., "cseq": N, "expires_at": T,
 *     "updated": T}, ... ]}
 * with wall-clock times. JSON because it is self-describing, escapes every
 * byte a URI may hold, and jansson is already a dependency.
 */
#include "config.h"
#include "sip/registrar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#define FORMAT_VERSION 1

static void add_one(const struct treg_binding *b, void *arg)
{
	json_t *arr = arg;
	json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:I}",
			      "aor", b->aor, "contact", b->contact, "reg_id", (json_int_t)b->reg_id,
			      "received_ip", b->received_ip, "received_port", (json_int_t)b->received_port,
			      "transport", b->transport, "call_id", b->call_id, "cseq", (json_int_t)b->cseq,
			      "expires_at", (json_int_t)b->expires_at, "updated", (json_int_t)b->updated);
	if (o && b->instance)
		json_object_set_new(o, "instance", json_string(b->instance));
	if (o && b->user_agent)
		json_object_set_new(o, "user_agent", json_string(b->user_agent));
	if (o)
		json_array_append_new(arr, o);
}

/* Make the rename itself durable: fsync the directory holding 'path'. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Write all of 'text' to a new file next to 'path', then rename it over. */
static int write_atomic(const char *path, const char *text)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 32);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int rc = -errno;
		free(tmp);
		return rc;
	}
	int rc = 0;
	for (size_t off = 0, len = strlen(text); off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	if (rc == 0)
		sync_dir(path);
	return rc;
}

int treg_save(const treg_t *r, const char *path)
{
	json_t *arr = json_array();
	json_t *root = arr ? json_pack("{s:i, s:o}", "tandem_bindings", FORMAT_VERSION, "bindings", arr) : NULL;
	if (!root) {
		json_decref(arr);
		return -ENOMEM;
	}
	treg_foreach(r, add_one, arr);
	if (json_array_size(arr) != treg_count(r)) {
		json_decref(root);
		return -ENOMEM;
	}
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	int rc = write_atomic(path, text);
	free(text);
	return rc;
}

/* One saved binding back into the store; 1 restored, 0 skipped. */
static int load_one(treg_t *r, json_t *o, int64_t now)
{
	const char *aor = NULL, *contact = NULL, *ip = NULL, *tp = NULL, *cid = NULL, *inst = NULL;
	const char *ua = NULL;
	json_int_t reg_id = 0, port = 0, cseq = 0, exp = 0, upd = 0;
	if (json_unpack(o, "{s:s, s:s, s?s, s?s, s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:I}",
			"aor", &aor, "contact", &contact, "instance", &inst, "user_agent", &ua, "reg_id", &reg_id,
			"received_ip", &ip, "received_port", &port, "transport", &tp, "call_id", &cid,
			"cseq", &cseq, "expires_at", &exp, "updated", &upd) < 0)
		return 0;
	if (reg_id < 0 || reg_id > UINT32_MAX || port < 0 || port > 65535 || cseq < 0 || cseq > UINT32_MAX)
		return 0;
	struct treg_binding b = {
		.aor = aor, .contact = contact, .instance = inst, .reg_id = (unsigned)reg_id,
		.received_ip = ip, .received_port = (uint16_t)port, .transport = tp, .call_id = cid,
		.cseq = (uint32_t)cseq, .expires_at = (int64_t)exp, .updated = (int64_t)upd,
		.user_agent = ua,
	};
	return treg_restore(r, &b, now) > 0;
}

int treg_load(treg_t *r, const char *path, int64_t now)
{
	json_error_t err;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!root)
		return access(path, R_OK) < 0 ? -errno : -EINVAL;
	json_t *ver = json_object_get(root, "tandem_bindings");
	json_t *arr = json_object_get(root, "bindings");
	if (!json_is_integer(ver) || json_integer_value(ver) != FORMAT_VERSION || !json_is_array(arr)) {
		json_decref(root);
		return -EINVAL;
	}
	int n = 0;
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o)
		n += load_one(r, o, now);
	json_decref(root);
	return n;
}
