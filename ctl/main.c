/*
 * zt-ctl: the command line of zt-privsep.  It talks only to the daemons'
 * control sockets and never reads their state files.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

static int	ctl_help(const struct ctl_opts *, int, char **);
static int	ctl_version(const struct ctl_opts *, int, char **);

static const struct ctl_cmd ctl_cmds[] = {
	{ "help", "[command]", "show commands and their use", ctl_help,
	    NULL },
	{ "version", "", "print the version of zt-ctl", ctl_version, NULL },
	{ "info", "", "this node's address, version and status (zt-vl1d)",
	    ctl_info, NULL },
	{ "peers", "", "peers, their paths, latency and role (zt-vl1d)",
	    ctl_peers, NULL },
	{ "ping", "<address>", "send a VL1 ECHO to a node (finds a path)",
	    ctl_ping, NULL },
	{ "listpeers", "", "peers, one line each as zerotier-cli listpeers",
	    ctl_listpeers, NULL },
	{ "listmoons", "", "moons orbited or being fetched (JSON)",
	    ctl_listmoons, NULL },
	{ "orbit", "<world id> <seed>",
	    "orbit a moon, fetching it from its root <seed>", ctl_orbit,
	    NULL },
	{ "deorbit", "<world id>", "leave a moon and forget its file",
	    ctl_deorbit, NULL },
	{ "moon", "<init|gen> ...",
	    "make moons as zerotier-idtool initmoon/genmoon do", NULL,
	    ctl_moon_cmds },
	{ "import-zerotier", "<ZeroTier home> [zt-vl1d state dir]",
	    "take over a ZeroTier One node's identity, worlds and networks",
	    ctl_import_zerotier, NULL },
	{ "world", "<genkey|make|create|show> ...",
	    "make and inspect private planets and moons", NULL,
	    ctl_world_cmds },
	{ "join", "<nwid>", "join a network (zt-vl2d)", ctl_join, NULL },
	{ "leave", "<nwid>", "leave a network, deleting its device",
	    ctl_leave, NULL },
	{ "listnetworks", "", "joined networks as zerotier-cli lists them",
	    ctl_listnetworks, NULL },
	{ "set", "<nwid> <setting>=<value>",
	    "allowManaged|allowGlobal|allowDefault|allowDNS (zt-tapd), "
	    "joinToken (zt-vl2d)", ctl_net_set, NULL },
	{ "get", "<nwid> <field>", "a setting, a listnetworks -j field, or "
	    "ip|ip4|ip6|ip6plane|ip6prefix", ctl_net_get, NULL },
	{ "tap", "<list>", "TAP devices held by zt-tapd", NULL,
	    ctl_tap_cmds },
	{ "controller", "<network|member|token|history|export|import> ...",
	    "manage zt-controllerd's networks, members and API tokens", NULL,
	    ctl_controller_cmds },
	{ "identity", "<generate|validate|getpublic|sign|verify> ...",
	    "create, check, sign and verify with ZeroTier identities", NULL,
	    ctl_identity_cmds },
	{ "rules", "<compile> ...",
	    "compile ZeroTier's rule text language to controller JSON", NULL,
	    ctl_rules_cmds },
	{ "status", "", "each daemon up or down, version, uptime, IPC links",
	    ctl_status, NULL },
	{ "doctor", "", "health for monitoring: exit 0 OK, 1 WARNING, "
	    "2 CRITICAL, 3 UNKNOWN", ctl_doctor, NULL },
	{ "sandbox", "[show|verify]", "declared sandbox policy beside the "
	    "kernel's view of each daemon", ctl_sandbox, NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

int
ctl_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("zt-ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see 'zt-ctl help')\n", stderr);
	return 2;
}

int
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("zt-ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void
ctl_print_table(FILE *f, const struct ctl_cmd *t, const char *prefix)
{
	char name[128];

	for (; t->name != NULL; t++) {
		snprintf(name, sizeof(name), "%s%s%s %s", prefix,
		    *prefix ? " " : "", t->name, t->args);
		fprintf(f, "  %-52s %s\n", name, t->help);
	}
}

/*
 * --commands: every command path, its argument synopsis and its help,
 * one per line, tab-separated; the build turns it into the bash
 * completion and the command list of zt-ctl(1).
 */
static int
ctl_list_commands(const struct ctl_cmd *t, const char *prefix)
{
	char name[128];

	for (; t->name != NULL; t++) {
		snprintf(name, sizeof(name), "%s%s%s", prefix,
		    *prefix ? " " : "", t->name);
		if (t->sub != NULL)
			ctl_list_commands(t->sub, name);
		else
			printf("%s\t%s\t%s\n", name, t->args, t->help);
	}
	return 0;
}

static int
ctl_help(const struct ctl_opts *o, int argc, char **argv)
{
	const struct ctl_cmd *c;

	if (argc > 1)
		return ctl_usage("help takes at most one command");
	if (argc == 1) {
		for (c = ctl_cmds; c->name != NULL; c++)
			if (strcmp(c->name, argv[0]) == 0)
				break;
		if (c->name == NULL)
			return ctl_usage("unknown command '%s'", argv[0]);
		if (c->sub != NULL)
			ctl_print_table(stdout, c->sub, c->name);
		else
			printf("  zt-ctl %s %s\n      %s\n", c->name, c->args,
			    c->help);
		return 0;
	}
	printf("usage: zt-ctl [-j] [-R rundir] <command> [arguments]\n"
	    "  -j  print the reply as JSON\n"
	    "  -R  directory of the daemons' control sockets (%s)\n"
	    "\ncommands:\n", ZT_RUNDIR);
	ctl_print_table(stdout, ctl_cmds, "");
	return 0;
}

static int
ctl_version(const struct ctl_opts *o, int argc, char **argv)
{
	if (argc != 0)
		return ctl_usage("version takes no arguments");
	if (o->json)
		printf("{\"version\":\"%s\"}\n", ZT_VERSION);
	else
		printf("zt-ctl %s\n", ZT_VERSION);
	return 0;
}

int
ctl_dispatch(const struct ctl_cmd *t, const char *prefix,
    const struct ctl_opts *o, int argc, char **argv)
{
	const struct ctl_cmd *c;
	char sub[128];

	if (argc < 1)
		return ctl_usage("%s%smissing command", prefix,
		    *prefix ? ": " : "");
	for (c = t; c->name != NULL; c++) {
		if (strcmp(c->name, argv[0]) != 0)
			continue;
		if (c->sub != NULL) {
			snprintf(sub, sizeof(sub), "%s%s%s", prefix,
			    *prefix ? " " : "", c->name);
			return ctl_dispatch(c->sub, sub, o, argc - 1,
			    argv + 1);
		}
		return c->fn(o, argc - 1, argv + 1);
	}
	return ctl_usage("unknown command '%s%s%s'", prefix,
	    *prefix ? " " : "", argv[0]);
}

int
main(int argc, char **argv)
{
	struct ctl_opts o = { 0 };
	int i;

	if ((o.rundir = getenv("ZT_RUNDIR")) == NULL)
		o.rundir = ZT_RUNDIR;

	log_init("zt-ctl", LOG_LVL_WARN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-j") == 0)
			o.json = true;
		else if (strcmp(argv[i], "-R") == 0) {
			if (++i == argc)
				return ctl_usage("-R needs a directory");
			o.rundir = argv[i];
		}
		else if (strcmp(argv[i], "--version") == 0)
			return ctl_version(&o, 0, NULL);
		else if (strcmp(argv[i], "--commands") == 0)
			return ctl_list_commands(ctl_cmds, "");
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return ctl_help(&o, 0, NULL);
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			return ctl_usage("unknown option '%s'", argv[i]);
	}
	if (i == argc) {
		ctl_help(&o, 0, NULL);
		return 2;
	}
	return ctl_dispatch(ctl_cmds, "", &o, argc - i, argv + i);
}
