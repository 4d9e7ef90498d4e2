// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* getopt_long rather than argp: argp's errors take two lines and exit from
 * inside the parser; ours are one line and the parser is unit-testable. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "flow.h"
#include "metrics.h"
#include "options.h"

static const char usage[] =
"Usage: porttrace [OPTIONS]\n"
"       porttrace audit [OPTIONS]\n"
"Trace TCP and UDP connects, accepts, listeners and closes live, with both\n"
"ports, the process on each side, and each flow's class: ephemeral-to-static,\n"
"static-to-static, ephemeral-to-ephemeral or static-to-ephemeral.\n"
"\n"
"  -o, --output=FORMAT        table, json (JSON Lines), csv or none;\n"
"                             default: table on a terminal, else json\n"
"      --metrics=[ADDR:]PORT  serve Prometheus metrics on GET /metrics\n"
"                             (ADDR: IPv4, [IPv6]; default every address);\n"
"                             every kind is traced unless -k says\n"
"  -d, --duration=SECS        stop after SECS seconds\n"
"  -n, --count=N              stop after N events\n"
"  -k, --kind=KIND[,KIND...]  event kinds: connect, accept, listen, unlisten,\n"
"                             close, reset (a SYN to a closed port), or all\n"
"                             (default: connect,accept)\n"
"  -p, --pid=PID[,PID...]     only events of these processes (the one that\n"
"                             connected, accepted, listened or closed), up to 16\n"
"  -u, --uid=UID[,UID...]     only events of processes with these uids, up to 8\n"
"  -c, --comm=NAME            only events of processes named NAME (exact)\n"
"  -P, --port=PORT[,PORT...]  only flows with one of these ports at either\n"
"                             end, up to 16\n"
"  -C, --class=CLASS[,...]    only flows of these classes: ephemeral-to-static,\n"
"                             static-to-static, ephemeral-to-ephemeral,\n"
"                             static-to-ephemeral (or eph-static, ...)\n"
"  -4, --ipv4                 only IPv4 (including IPv4-mapped IPv6)\n"
"  -6, --ipv6                 only IPv6\n"
"      --tcp                  only TCP\n"
"      --udp                  only UDP (connected UDP sockets)\n"
"      --cgroup=PATH          only processes in this cgroup v2 (or below it)\n"
"      --netns=INODE          only sockets in this network namespace\n"
"      --ephemeral=MODE       how a port is judged ephemeral:\n"
"                             auto  by kernel evidence (default): a port\n"
"                                   bound by the application is static, one\n"
"                                   the kernel chose is ephemeral, a remote\n"
"                                   port is tested against the socket's\n"
"                                   namespace ip_local_port_range\n"
"                             iana  49152-65535\n"
"                             LO-HI that range\n"
"      --listeners            print the listening TCP and bound UDP sockets\n"
"                             of every network namespace, and exit\n"
"      --connections          print the open TCP connections of every network\n"
"                             namespace, with owners and classes, and exit\n"
"      --lifetime             one record per finished flow, with duration\n"
"                             and bytes (close records)\n"
"  -w, --write=FILE           also write records (audit: the report) to FILE,\n"
"                             created 0600, never through a symlink; the\n"
"                             format comes from the extension (.csv, .json,\n"
"                             .jsonl) or --write-format; SIGHUP reopens it\n"
"      --write-format=FORMAT  json or csv\n"
"      --force                overwrite an existing --write file\n"
"      --csv-raw              no ' before CSV cells starting with = + - @\n"
"      --field-names=NAMES    JSON keys: porttrace (default) or ecs (Elastic\n"
"                             Common Schema, dotted)\n"
"  -N, --numeric              no service names\n"
"\n"
"Audit (porttrace audit): aggregate instead of printing every event; on exit\n"
"print which services accepted connections, from whom, on which kind of port,\n"
"the outbound destinations, and ranked findings.\n"
"      --interval=SECS        refresh the report every SECS (a snapshot per\n"
"                             interval with -o json|csv)\n"
"      --expect-port=PORT,... ports allowed to listen on all addresses; the\n"
"                             others become findings\n"
"      --scan-ports=N         port-scan finding: N distinct closed ports (20)\n"
"      --scan-window=SECS     ... tried within SECS by one address (60)\n"
"\n"
"      --ring-size=KIB        ring buffer size in KiB, a power of two\n"
"                             (default 4096)\n"
"      --attach=MODE          auto, tp_btf or tracepoint (default auto:\n"
"                             tp_btf, else the classic tracepoint)\n"
"  -v, --verbose              libbpf and debug messages on stderr\n"
"  -h, --help                 this help\n"
"  -V, --version              print the version\n"
"\n"
"Examples:\n"
"  porttrace                      live table of every connect and accept\n"
"  porttrace -P 443 -k accept     who connects to this host's port 443\n"
"  porttrace -k connect -C static-to-static   clients on fixed source ports\n"
"  porttrace -o csv -d 60 > f.csv one minute of flows as CSV\n"
"  porttrace --lifetime -c nginx  nginx's connections as they end\n"
"  porttrace --listeners          every listening port, its owner and class\n"
"  porttrace --connections -P 22  who is connected over port 22 right now\n"
"  porttrace --ephemeral=iana     classify by IANA's 49152-65535\n"
"  porttrace audit -d 3600 -w audit.csv       an hour's audit as CSV\n"
"\n"
"Needs root (or CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH: see the README) and\n"
"Linux >= 5.13 with BTF (tested on Debian's 6.1 and 6.12, and 6.18). Reset\n"
"records need Linux >= 6.10.\n"
"porttrace says at start what the running kernel turns off (-v: every probe).\n"
"Ends on Ctrl-C, SIGTERM, --duration or --count, printing a summary of\n"
"events seen and lost on stderr.\n";

/* the reason, one line: a value echoed in it has its control bytes escaped */
static int fail(struct pt_options *o, const char *fmt, ...)
{
	char raw[sizeof(o->err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	pt_esc_term(o->err, sizeof(o->err), raw, strlen(raw));
	return -EINVAL;
}

int pt_parse_ulong(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int pt_parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long l, h;
	const char *dash = strchr(s, '-');
	char buf[16];
	size_t n;

	if (!dash)
		return -EINVAL;
	n = (size_t)(dash - s);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (pt_parse_ulong(buf, 1, 65535, &l) || pt_parse_ulong(dash + 1, 1, 65535, &h) || l > h)
		return -EINVAL;
	*lo = (uint16_t)l;
	*hi = (uint16_t)h;
	return 0;
}

/*
 * Each item of a comma list, in order, to fn; an empty item ("80,", "1,,2")
 * is a mistake, not nothing. Stops at the first error fn returns.
 */
static int each_item(struct pt_options *o, const char *opt, const char *arg,
		     int (*fn)(struct pt_options *o, const char *item, void *ctx), void *ctx)
{
	char *copy = strdup(arg), *item, *next;
	int err = 0;

	if (!copy)
		return fail(o, "out of memory");
	for (item = copy; item && !err; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (!*item)
			err = fail(o, "empty item in %s list '%s'", opt, arg);
		else
			err = fn(o, item, ctx);
	}
	free(copy);
	return err;
}

struct num_list {
	const char *opt;
	unsigned long min, max;
	void *vals;
	size_t width;
	unsigned int cap, *n;
};

static int num_item(struct pt_options *o, const char *item, void *ctx)
{
	struct num_list *l = ctx;
	unsigned long v;

	if (pt_parse_ulong(item, l->min, l->max, &v))
		return fail(o, "invalid %s '%s': must be %lu-%lu", l->opt, item, l->min, l->max);
	if (*l->n >= l->cap)
		return fail(o, "too many values for %s: at most %u", l->opt, l->cap);
	if (l->width == sizeof(__u32))
		((__u32 *)l->vals)[(*l->n)++] = (__u32)v;
	else
		((__u16 *)l->vals)[(*l->n)++] = (__u16)v;
	return 0;
}

/* Split a comma list, parse each item in [min, max] into vals (u32 or u16). */
static int parse_list(struct pt_options *o, const char *opt, const char *arg,
		      unsigned long min, unsigned long max, void *vals,
		      size_t width, unsigned int cap, unsigned int *n)
{
	struct num_list l = { opt, min, max, vals, width, cap, n };

	if (!*arg)
		return fail(o, "empty %s list", opt);
	return each_item(o, opt, arg, num_item, &l);
}

static int kind_item(struct pt_options *o, const char *item, void *ctx)
{
	int k;

	(void)ctx;
	if (!strcmp(item, "all")) {
		for (k = 1; k < PT_EV_MAX; k++)
			o->kinds |= PT_KIND_BIT(k);
		return 0;
	}
	for (k = 1; k < PT_EV_MAX; k++)
		if (!strcmp(item, pt_kind_str(k)))
			break;
	if (k == PT_EV_MAX)
		return fail(o, "invalid --kind '%s': must be connect, accept, listen, unlisten, close, reset or all", item);
	o->kinds |= PT_KIND_BIT(k);
	return 0;
}

static int parse_kinds(struct pt_options *o, const char *arg)
{
	o->kinds = 0;
	if (!*arg)
		return fail(o, "empty --kind list");
	return each_item(o, "--kind", arg, kind_item, NULL);
}

static const char *const class_names[][2] = {
	[PT_FLOW_EPH_TO_STATIC] = { "ephemeral-to-static", "eph-static" },
	[PT_FLOW_STATIC_TO_STATIC] = { "static-to-static", "static-static" },
	[PT_FLOW_EPH_TO_EPH] = { "ephemeral-to-ephemeral", "eph-eph" },
	[PT_FLOW_STATIC_TO_EPH] = { "static-to-ephemeral", "static-eph" },
};

static int class_item(struct pt_options *o, const char *item, void *ctx)
{
	unsigned int c;

	(void)ctx;
	for (c = 0; c < 4; c++)
		if (!strcmp(item, class_names[c][0]) || !strcmp(item, class_names[c][1]))
			break;
	if (c == 4)
		return fail(o, "invalid --class '%s': must be ephemeral-to-static, static-to-static, ephemeral-to-ephemeral or static-to-ephemeral", item);
	o->classes |= 1u << c;
	return 0;
}

static int parse_classes(struct pt_options *o, const char *arg)
{
	o->classes = 0;
	if (!*arg)
		return fail(o, "empty --class list");
	return each_item(o, "--class", arg, class_item, NULL);
}

static const char *mode_name(enum pt_mode m)
{
	switch (m) {
	case PT_MODE_LISTENERS:
		return "--listeners";
	case PT_MODE_CONNECTIONS:
		return "--connections";
	case PT_MODE_LIFETIME:
		return "--lifetime";
	case PT_MODE_AUDIT:
		return "audit";
	default:
		return "live tracing";
	}
}

/* one mode per run: a second one is a mistake, not a choice */
static int set_mode(struct pt_options *o, enum pt_mode m)
{
	if (o->mode != PT_MODE_LIVE && o->mode != m)
		return fail(o, "%s and %s exclude each other", mode_name(o->mode), mode_name(m));
	o->mode = m;
	return 0;
}

enum {
	OPT_EPHEMERAL = 256, OPT_ATTACH, OPT_RING_SIZE, OPT_TCP, OPT_UDP, OPT_CGROUP,
	OPT_NETNS, OPT_LISTENERS, OPT_CONNECTIONS, OPT_LIFETIME, OPT_WRITE_FORMAT, OPT_FORCE,
	OPT_CSV_RAW, OPT_INTERVAL, OPT_EXPECT_PORT, OPT_SCAN_PORTS, OPT_SCAN_WINDOW,
	OPT_FIELD_NAMES, OPT_METRICS,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'n' },
	{ "pid", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, 'P' },
	{ "kind", required_argument, NULL, 'k' },
	{ "uid", required_argument, NULL, 'u' },
	{ "comm", required_argument, NULL, 'c' },
	{ "class", required_argument, NULL, 'C' },
	{ "tcp", no_argument, NULL, OPT_TCP },
	{ "udp", no_argument, NULL, OPT_UDP },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "listeners", no_argument, NULL, OPT_LISTENERS },
	{ "connections", no_argument, NULL, OPT_CONNECTIONS },
	{ "lifetime", no_argument, NULL, OPT_LIFETIME },
	{ "write", required_argument, NULL, 'w' },
	{ "write-format", required_argument, NULL, OPT_WRITE_FORMAT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "csv-raw", no_argument, NULL, OPT_CSV_RAW },
	{ "field-names", required_argument, NULL, OPT_FIELD_NAMES },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "numeric", no_argument, NULL, 'N' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "expect-port", required_argument, NULL, OPT_EXPECT_PORT },
	{ "scan-ports", required_argument, NULL, OPT_SCAN_PORTS },
	{ "scan-window", required_argument, NULL, OPT_SCAN_WINDOW },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "ephemeral", required_argument, NULL, OPT_EPHEMERAL },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int pt_parse_options(int argc, char **argv, struct pt_options *o)
{
	bool kinds_given = false;
	const char *fault;
	unsigned long v;
	int c, err;

	memset(o, 0, sizeof(*o));
	o->kinds = PT_KIND_BIT(PT_EV_CONNECT) | PT_KIND_BIT(PT_EV_ACCEPT);
	o->protos = PT_PROTO_BIT(PT_PROTO_TCP) | PT_PROTO_BIT(PT_PROTO_UDP);
	o->ring_kib = 4096;

	o->scan_ports = 20;
	o->scan_window = 60;
	/* `porttrace audit [OPTIONS]`: the subcommand comes first */
	if (argc > 1 && !strcmp(argv[1], "audit")) {
		o->mode = PT_MODE_AUDIT;
		argv[1] = argv[0];
		argv++;
		argc--;
	}

	optind = 0;	/* glibc: full re-initialisation, so tests can parse twice */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:d:n:p:P:k:u:c:C:w:N46vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!strcmp(optarg, "table"))
				o->output = PT_OUT_TABLE;
			else if (!strcmp(optarg, "json"))
				o->output = PT_OUT_JSON;
			else if (!strcmp(optarg, "csv"))
				o->output = PT_OUT_CSV;
			else if (!strcmp(optarg, "none"))
				o->output = PT_OUT_NONE;
			else
				return fail(o, "invalid --output '%s': must be table, json, csv or none", optarg);
			break;
		case 'd':
			if (pt_parse_ulong(optarg, 1, 31536000, &o->duration))
				return fail(o, "invalid --duration '%s': must be 1-31536000 seconds", optarg);
			break;
		case 'n':
			if (pt_parse_ulong(optarg, 1, ~0UL, &o->count))
				return fail(o, "invalid --count '%s': must be a positive number", optarg);
			break;
		case 'p':
			err = parse_list(o, "--pid", optarg, 1, 4194304, o->pids,
					 sizeof(__u32), PT_MAX_PIDS, &o->npids);
			if (err)
				return err;
			break;
		case 'P':
			err = parse_list(o, "--port", optarg, 1, 65535, o->ports,
					 sizeof(__u16), PT_MAX_PORTS, &o->nports);
			if (err)
				return err;
			break;
		case 'k':
			if (parse_kinds(o, optarg))
				return -EINVAL;
			kinds_given = true;
			break;
		case 'u':
			err = parse_list(o, "--uid", optarg, 0, 4294967294UL, o->uids,
					 sizeof(__u32), PT_MAX_UIDS, &o->nuids);
			if (err)
				return err;
			break;
		case 'c':
			if (!*optarg || strlen(optarg) >= PT_COMM_LEN)
				return fail(o, "invalid --comm '%s': must be 1-%d characters", optarg, PT_COMM_LEN - 1);
			strcpy(o->comm, optarg);
			break;
		case 'C':
			if (parse_classes(o, optarg))
				return -EINVAL;
			break;
		case OPT_TCP:
		case OPT_UDP:
			if (o->protos != (PT_PROTO_BIT(PT_PROTO_TCP) | PT_PROTO_BIT(PT_PROTO_UDP)))
				return fail(o, "--tcp and --udp exclude each other");
			o->protos = c == OPT_TCP ? PT_PROTO_BIT(PT_PROTO_TCP) : PT_PROTO_BIT(PT_PROTO_UDP);
			break;
		case OPT_CGROUP:
			if (!*optarg)
				return fail(o, "invalid --cgroup '': must be a cgroup v2 path");
			o->cgroup = optarg;
			break;
		case OPT_NETNS:
			if (pt_parse_ulong(optarg, 1, 4294967295UL, &v))
				return fail(o, "invalid --netns '%s': must be a namespace inode number (stat -L -c %%i /proc/PID/ns/net)", optarg);
			o->netns = (__u32)v;
			break;
		case 'w':
			if (!*optarg)
				return fail(o, "invalid --write '': must be a file name");
			o->write_path = optarg;
			break;
		case OPT_WRITE_FORMAT:
			if (!strcmp(optarg, "json"))
				o->write_format = PT_OUT_JSON;
			else if (!strcmp(optarg, "csv"))
				o->write_format = PT_OUT_CSV;
			else
				return fail(o, "invalid --write-format '%s': must be json or csv", optarg);
			break;
		case OPT_FORCE:
			o->force = true;
			break;
		case OPT_METRICS: {
			struct sockaddr_storage ss;

			if (pt_metrics_parse_addr(optarg, &ss))
				return fail(o, "invalid --metrics '%s': [ADDR:]PORT, ADDR IPv4 or [IPv6], PORT 1-65535",
					    optarg);
			o->metrics = optarg;
			break;
		}
		case OPT_FIELD_NAMES:
			if (!strcmp(optarg, "ecs"))
				o->ecs = true;
			else if (strcmp(optarg, "porttrace"))
				return fail(o, "invalid --field-names '%s': porttrace or ecs", optarg);
			break;
		case OPT_CSV_RAW:
			o->csv_raw = true;
			break;
		case 'N':
			o->numeric = true;
			break;
		case OPT_INTERVAL:
			if (pt_parse_ulong(optarg, 1, 86400, &o->interval))
				return fail(o, "invalid --interval '%s': must be 1-86400 seconds", optarg);
			break;
		case OPT_EXPECT_PORT:
			err = parse_list(o, "--expect-port", optarg, 1, 65535, o->expect_ports,
					 sizeof(__u16), PT_MAX_EXPECT_PORTS, &o->nexpect_ports);
			if (err)
				return err;
			o->expect_given = true;
			break;
		case OPT_SCAN_PORTS:
			if (pt_parse_ulong(optarg, 2, 65535, &o->scan_ports))
				return fail(o, "invalid --scan-ports '%s': must be 2-65535", optarg);
			break;
		case OPT_SCAN_WINDOW:
			if (pt_parse_ulong(optarg, 1, 86400, &o->scan_window))
				return fail(o, "invalid --scan-window '%s': must be 1-86400 seconds", optarg);
			break;
		case OPT_LISTENERS:
		case OPT_CONNECTIONS:
		case OPT_LIFETIME:
			err = set_mode(o, c == OPT_LISTENERS ? PT_MODE_LISTENERS :
					  c == OPT_CONNECTIONS ? PT_MODE_CONNECTIONS : PT_MODE_LIFETIME);
			if (err)
				return err;
			break;
		case '4':
		case '6':
			if (o->family && o->family != (c == '4' ? PT_FAMILY_IPV4 : PT_FAMILY_IPV6))
				return fail(o, "-4 and -6 exclude each other");
			o->family = c == '4' ? PT_FAMILY_IPV4 : PT_FAMILY_IPV6;
			break;
		case OPT_EPHEMERAL:
			if (!strcmp(optarg, "auto")) {
				o->eph.mode = PT_EPH_AUTO;
			} else if (!strcmp(optarg, "iana")) {
				o->eph.mode = PT_EPH_IANA;
				o->eph.lo = 49152;
				o->eph.hi = 65535;
			} else if (!pt_parse_range(optarg, &o->eph.lo, &o->eph.hi)) {
				o->eph.mode = PT_EPH_RANGE;
			} else {
				return fail(o, "invalid --ephemeral '%s': must be auto, iana or LO-HI with 1 <= LO <= HI <= 65535", optarg);
			}
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "auto"))
				o->attach = PT_ATTACH_AUTO;
			else if (!strcmp(optarg, "tp_btf"))
				o->attach = PT_ATTACH_BTF;
			else if (!strcmp(optarg, "tracepoint"))
				o->attach = PT_ATTACH_TRACEPOINT;
			else
				return fail(o, "invalid --attach '%s': must be auto, tp_btf or tracepoint", optarg);
			break;
		case OPT_RING_SIZE:
			if (pt_parse_ulong(optarg, 64, 1048576, &v) || (v & (v - 1)))
				return fail(o, "invalid --ring-size '%s': must be a power of two, 64-1048576 KiB", optarg);
			o->ring_kib = v;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return PT_OPTS_EXIT;
		case 'V':
			printf("porttrace %s\n", PORTTRACE_VERSION);
			return PT_OPTS_EXIT;
		/* a short option may sit inside a cluster (-x4): name it alone */
		case ':':
			if (strncmp(argv[optind - 1], "--", 2) && optopt > 0 && optopt < 128)
				return fail(o, "option '-%c' needs a value", optopt);
			return fail(o, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt > 0 && optopt < 128)
				return fail(o, "unknown option '-%c'; see porttrace --help", optopt);
			return fail(o, "unknown option '%s'; see porttrace --help", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(o, "unexpected argument '%s'; see porttrace --help", argv[optind]);
	/* --lifetime is about finished flows: close records; an audit needs
	 * every kind to build its tables. A -k there would be ignored. */
	if (kinds_given && (o->mode == PT_MODE_LIFETIME || o->mode == PT_MODE_AUDIT))
		return fail(o, "-k does not apply to %s: it %s", mode_name(o->mode),
			    o->mode == PT_MODE_AUDIT ? "takes every kind" : "shows close records");
	if (o->mode == PT_MODE_LIFETIME)
		o->kinds = PT_KIND_BIT(PT_EV_CLOSE);
	/* the metrics count every kind (listeners, closes, refused SYNs);
	 * -k narrows records and metrics alike */
	if (o->mode == PT_MODE_AUDIT || (o->metrics && !kinds_given && o->mode == PT_MODE_LIVE))
		o->kinds = ~0u;
	if (o->mode != PT_MODE_AUDIT && (o->interval || o->expect_given))
		return fail(o, "--interval and --expect-port are for porttrace audit");
	if (o->write_format && !o->write_path)
		return fail(o, "--write-format needs --write=FILE");
	if (o->metrics && PT_MODE_SNAPSHOT(o->mode))
		return fail(o, "--metrics is for tracing and the audit, not %s", mode_name(o->mode));
	if (o->ecs && o->mode == PT_MODE_AUDIT)
		return fail(o, "--field-names=ecs is for live records; the audit's rows keep their names");
	/* for the tests only: a kernel's uncounted skips, made to order */
	fault = getenv("PORTTRACE_FAULT");
	if (fault && *fault) {
		if (strcmp(fault, "unseen-close"))
			return fail(o, "unknown PORTTRACE_FAULT '%s': tests set unseen-close or nothing",
				    fault);
		o->fault_unseen = true;
	}
	return PT_OPTS_OK;
}
