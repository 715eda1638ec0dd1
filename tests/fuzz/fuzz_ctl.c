/* fuzz_ctl.c - the control socket's request-line parser, tctl_parse_line().
 *
 * Any local user allowed to connect can send these bytes. Besides "no crash",
 * it checks the parser's contract: argc within bounds, every word inside the
 * store and NUL-terminated, store of len + 1 always enough, and that quoting
 * the words again (as tandemctl does) parses back to the same words.
 */
/* fuzz-sources: src/core/ctl.c src/core/log.c */
/* fuzz-pkgs: libevent jansson */
#include "config.h"
#include "core/ctl.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tandemctl's quoting: "..." around words that are empty or hold a space, tab
 * or quote, with \" and \\ escaped inside. */
static size_t requote(char **argv, int argc, char *out)
{
	char *o = out;
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		int quote = *w == '\0' || strpbrk(w, " \t\"") != NULL;
		if (i)
			*o++ = ' ';
		if (quote)
			*o++ = '"';
		for (; *w; w++) {
			if (quote && (*w == '"' || *w == '\\'))
				*o++ = '\\';
			*o++ = *w;
		}
		if (quote)
			*o++ = '"';
	}
	return (size_t)(o - out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * TCTL_MAX_LINE)
		return 0;
	/* first byte picks maxargs, so the E2BIG path gets exercised too */
	int maxargs = size ? data[0] % (TCTL_MAX_ARGS + 2) : TCTL_MAX_ARGS;
	const char *buf = size ? (const char *)data + 1 : "";
	size_t len = size ? size - 1 : 0;

	char *line = malloc(len ? len : 1);     /* exact size: ASan sees overreads */
	char *store = malloc(len + 1);
	char **argv = malloc((size_t)(maxargs + 1) * sizeof *argv);
	memcpy(line, buf, len);

	int argc = tctl_parse_line(line, len, argv, maxargs, store, len + 1);
	if (argc < 0) {
		if (argc != -EINVAL && argc != -EILSEQ && argc != -E2BIG && argc != -EBADMSG)
			abort();        /* -ENOBUFS must not happen with len + 1 */
		goto out;
	}
	if (argc > maxargs || argv[argc] != NULL)
		abort();
	for (int i = 0; i < argc; i++) {
		size_t room = (size_t)(store + len + 1 - argv[i]);
		if (argv[i] < store || argv[i] >= store + len + 1 || !memchr(argv[i], '\0', room))
			abort();
	}

	/* A smaller store fails cleanly or gives the same words. */
	char *small = malloc(len / 2 + 1);
	char **argv2 = malloc((size_t)(maxargs + 1) * sizeof *argv2);
	int argc2 = tctl_parse_line(line, len, argv2, maxargs, small, len / 2 + 1);
	if (argc2 >= 0 && argc2 != argc)
		abort();
	if (argc2 < 0 && argc2 != -ENOBUFS)
		abort();
	for (int i = 0; i < argc2; i++)
		if (strcmp(argv[i], argv2[i]) != 0)
			abort();
	free(small);

	/* Round trip through tandemctl's quoting. */
	size_t cap = 0;
	for (int i = 0; i < argc; i++)
		cap += 2 * strlen(argv[i]) + 3;
	char *again = malloc(cap + 1);
	size_t alen = requote(argv, argc, again);
	char *store2 = malloc(alen + 1);
	argc2 = tctl_parse_line(again, alen, argv2, maxargs, store2, alen + 1);
	if (argc2 != argc)
		abort();
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], argv2[i]) != 0)
			abort();
	free(store2);
	free(again);
	free(argv2);
out:
	free(argv);
	free(store);
	free(line);
	return 0;
}
