/*
 * zt-vl1d's local.conf parser: any bytes either parse into values that
 * stay within their ranges, or fail with a one-line error.
 */
#include <stdlib.h>
#include <string.h>

#include "localconf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct localconf lc;
	char err[LOCALCONF_ERR_MAX];
	unsigned int i;

	if (localconf_parse(&lc, (const char *)data, len, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	if (lc.nbinds > LOCALCONF_MAX_BINDS ||
	    lc.nifprefix > LOCALCONF_MAX_PREFIXES ||
	    lc.nphysical > LOCALCONF_MAX_PHYSICAL)
		abort();
	for (i = 0; i < lc.nifprefix; i++)
		if (lc.ifprefix[i][0] == '\0' ||
		    strlen(lc.ifprefix[i]) >= IFNAMSIZ ||
		    !localconf_if_blacklisted(&lc, lc.ifprefix[i]))
			abort();
	for (i = 0; i < lc.nphysical; i++)
		if (lc.physical[i].mtu != 0 && (lc.physical[i].mtu < 1400 ||
		    lc.physical[i].mtu > 10324))
			abort();
	for (i = 0; i < lc.nbinds; i++)
		if (lc.binds[i].port != 0)
			abort();
	return 0;
}
