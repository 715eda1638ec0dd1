/* prack.c - see prack.h. */
#include "config.h"

#include "sip/prack.h"

bool prack_caller_wants(sip_t const *invite)
{
	return invite && (sip_has_feature(invite->sip_supported, "100rel") ||
			  sip_has_feature(invite->sip_require, "100rel"));
}

const char *prack_supported(const struct tconf_trunk *t, bool timer)
{
	bool rel = !t || t->prack != TCONF_PRACK_NO;
	if (rel && timer)
		return "100rel, timer";
	return rel ? "100rel" : timer ? "timer" : "";
}

const char *prack_require(const struct tconf_trunk *t)
{
	return t && t->prack == TCONF_PRACK_REQUIRED ? "100rel" : NULL;
}
