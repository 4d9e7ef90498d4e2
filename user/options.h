/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command line: parsed once into struct pt_options. */
#ifndef PT_OPTIONS_H
#define PT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "porttrace.h"

enum pt_output {
	PT_OUT_AUTO = 0,	/* table on a terminal, else json */
	PT_OUT_TABLE,
	PT_OUT_JSON,
	PT_OUT_CSV,
	PT_OUT_NONE,		/* no records on stdout (--metrics, -w) */
};

enum pt_eph_mode {
	PT_EPH_AUTO = 0,	/* evidence: socket origin, else the socket's range */
	PT_EPH_IANA,		/* plain test against 49152-65535 */
	PT_EPH_RANGE,		/* plain test against --ephemeral=LO-HI */
};

enum pt_attach_mode {
	PT_ATTACH_AUTO = 0,	/* tp_btf, falling back to the classic tracepoint */
	PT_ATTACH_BTF,
	PT_ATTACH_TRACEPOINT,
};

struct pt_eph_policy {
	enum pt_eph_mode mode;
	uint16_t lo, hi;	/* for PT_EPH_IANA and PT_EPH_RANGE */
};

enum pt_mode {
	PT_MODE_LIVE = 0,	/* print events as they happen */
	PT_MODE_LISTENERS,	/* print the listeners found at start and exit */
	PT_MODE_LIFETIME,	/* one close record per finished flow */
	PT_MODE_AUDIT,		/* porttrace audit: aggregate, then report */
	PT_MODE_CONNECTIONS,	/* print the TCP connections open at start and exit */
};

/* the modes that print what is there at start, and trace nothing */
#define PT_MODE_SNAPSHOT(m)	((m) == PT_MODE_LISTENERS || (m) == PT_MODE_CONNECTIONS)

#define PT_MAX_EXPECT_PORTS	64

struct pt_options {
	enum pt_mode mode;
	enum pt_output output;
	unsigned long duration;	/* seconds, 0: until interrupted */
	unsigned long count;	/* events, 0: unlimited */
	__u32 pids[PT_MAX_PIDS];
	unsigned int npids;
	__u16 ports[PT_MAX_PORTS];
	unsigned int nports;
	__u32 uids[PT_MAX_UIDS];
	unsigned int nuids;
	__u32 kinds;		/* PT_KIND_BIT() mask */
	__u32 protos;		/* PT_PROTO_BIT(proto) mask */
	__u32 classes;		/* 1 << enum pt_flow_class; 0: all */
	__u8 family;		/* 0 or PT_FAMILY_IPV4/6 */
	char comm[PT_COMM_LEN];	/* exact process name, "" for any */
	const char *cgroup;	/* --cgroup=PATH */
	__u32 netns;		/* --netns=INODE, 0 for any */
	struct pt_eph_policy eph;
	enum pt_attach_mode attach;
	unsigned long ring_kib;
	/* -w/--write: records (live) or the report (audit) also go to a file */
	const char *write_path;
	enum pt_output write_format;	/* PT_OUT_AUTO: from the extension */
	bool force;		/* --force: overwrite an existing file */
	bool csv_raw;		/* --csv-raw: no formula neutralisation */
	bool ecs;		/* --field-names=ecs: JSON keys from ECS */
	const char *metrics;	/* --metrics=[ADDR:]PORT, or NULL */
	bool numeric;		/* -N: no service names */
	/* audit */
	unsigned long interval;	/* --interval=SECS: snapshots, 0: none */
	__u16 expect_ports[PT_MAX_EXPECT_PORTS];
	unsigned int nexpect_ports;
	bool expect_given;	/* --expect-port was used: flag the rest */
	unsigned long scan_ports;	/* port-scan threshold: distinct closed ports */
	unsigned long scan_window;	/* ... within this many seconds */
	bool verbose;
	/* PORTTRACE_FAULT=unseen-close, for tests: no run of porttrace's sees
	 * a server side end, as in the skips some kernels do not count */
	bool fault_unseen;
	char err[256];		/* why parsing failed, one line */
};

enum {
	PT_OPTS_OK = 0,
	PT_OPTS_EXIT = 1,	/* --help or --version was printed */
};

/* Returns PT_OPTS_OK, PT_OPTS_EXIT, or -EINVAL with o->err set. */
int pt_parse_options(int argc, char **argv, struct pt_options *o);

/* Parse a decimal number in [min, max]; 0 or -EINVAL. */
int pt_parse_ulong(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out);

/* "LO-HI" with 1 <= LO <= HI <= 65535; 0 or -EINVAL. */
int pt_parse_range(const char *s, uint16_t *lo, uint16_t *hi);

#endif /* PT_OPTIONS_H */
