/*
 * zt-vl1d's local.conf parser: any bytes either parse into values that
 * stay within their ranges, or fail with a one-line error.  The same
 * bytes are read as a legacy trustedpaths file too.
 */
#include <stdlib.h>
#include <string.h>

#include "localconf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_localconf_check(const struct localconf *);
static void	fuzz_trustedpaths(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct localconf lc;
	char err[LOCALCONF_ERR_MAX];

	if (localconf_parse(&lc, (const char *)data, len, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
	} else
		fuzz_localconf_check(&lc);
	fuzz_trustedpaths(data, len);
	return 0;
}

static void
fuzz_localconf_check(const struct localconf *lc)
{
	unsigned int i;

	if (lc->nbinds > LOCALCONF_MAX_BINDS ||
	    lc->nifprefix > LOCALCONF_MAX_PREFIXES ||
	    lc->nphysical > LOCALCONF_MAX_PHYSICAL)
		abort();
	for (i = 0; i < lc->nifprefix; i++)
		if (lc->ifprefix[i][0] == '\0' ||
		    strlen(lc->ifprefix[i]) >= IFNAMSIZ ||
		    !localconf_if_blacklisted(lc, lc->ifprefix[i]))
			abort();
	for (i = 0; i < lc->nphysical; i++)
		if (lc->physical[i].mtu != 0 && (lc->physical[i].mtu < 1400 ||
		    lc->physical[i].mtu > 10324))
			abort();
	for (i = 0; i < lc->nbinds; i++)
		if (lc->binds[i].port != 0)
			abort();
	if (lc->nvirt > LOCALCONF_MAX_VIRTUAL || lc->nmgmt > LOCALCONF_MAX_MGMT)
		abort();
	for (i = 0; i < lc->nvirt; i++)
		if (lc->virt[i].address == 0 ||
		    lc->virt[i].ntry > LOCALCONF_MAX_TRY ||
		    lc->virt[i].nblacklist > LOCALCONF_MAX_VBLACKLIST)
			abort();
}

static void
fuzz_trustedpaths(const uint8_t *data, size_t len)
{
	static struct localconf lc;
	char err[LOCALCONF_ERR_MAX];
	unsigned int i;

	localconf_init(&lc);
	if (localconf_parse_trustedpaths(&lc, (const char *)data, len, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		return;
	}
	if (lc.nphysical > LOCALCONF_MAX_PHYSICAL)
		abort();
	for (i = 0; i < lc.nphysical; i++)
		if (lc.physical[i].trusted_id == 0)
			abort();
}
