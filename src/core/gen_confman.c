/* gen_confman.c - build tool: write tandem.conf(5), generated from the config
 * schema, to stdout. Used by doc/local.mk. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */

#include <stdio.h>

#include "core/config.h"

int main(void)
{
	tconf_schema_man(stdout);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
