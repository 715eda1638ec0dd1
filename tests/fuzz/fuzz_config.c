/* fuzz_config.c - libFuzzer target for the configuration loader.
 *
 * Loads the input as a configuration, with #include disabled (no file access
 * from fuzz input). Beyond "no crash, no leak", it checks a property: a
 * configuration that loads prints (tandemd -t) as a configuration that loads
 * again and prints the same.
 */
/* fuzz-sources: src/core/config.c src/core/config_ini.c src/core/config_schema.c src/core/config_util.c src/core/config_value.c src/core/config_print.c src/core/config_snapshot.c src/core/config_routes.c src/core/routetab.c src/core/cidr.c */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print(const tconf_t *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	tconf_print(c, f);
	fclose(f);
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tconf_errors errs = { 0 };
	tconf_t *c = tconf_load_buffer("fuzz", (const char *)data, size, 1, TCONF_LOAD_NO_INCLUDE, &errs);
	if (!c) {
		if (errs.n == 0)
			abort();  /* a failed load must say why */
		tconf_errors_free(&errs);
		return 0;
	}
	if (errs.n)
		abort();  /* a successful load has no errors */
	const char *numbers[] = { "", "1", "+44123", "600", "1004", "999999999999" };
	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		const struct tconf_route *r = tconf_route_lookup(c, numbers[i]);
		if (r && strncmp(numbers[i], r->prefix, strlen(r->prefix)))
			abort();
	}
	(void)tconf_map_response(c, 503);

	char *first = print(c);
	tconf_t *again = tconf_load_buffer("printed", first, strlen(first), 2, TCONF_LOAD_NO_INCLUDE, &errs);
	if (!again) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "reload of printed config: %s\n", errs.msgs[i]);
		abort();
	}
	char *second = print(again);
	if (strcmp(strchr(first, '\n'), strchr(second, '\n')))
		abort();
	struct tconf_errors notes = { 0 };
	if (tconf_check_reload(c, again, &notes) != 0) {
		for (size_t i = 0; i < notes.n; i++)
			fprintf(stderr, "printed config differs: %s\n", notes.msgs[i]);
		abort();
	}
	free(first);
	free(second);
	tconf_unref(again);
	tconf_unref(tconf_ref(c));
	tconf_unref(c);
	return 0;
}
