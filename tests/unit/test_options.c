// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Option and number parsing: every value lands where the loader reads it,
 * every bad value is refused with a one-line reason. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "flow.h"
#include "options.h"

#define ARGV(...) ((char *[]){ "porttrace", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "porttrace", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, ...) pt_parse_options(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o))

static void test_defaults(void **state)
{
	struct pt_options o;
	char *argv[] = { "porttrace", NULL };
	(void)state;

	assert_int_equal(pt_parse_options(1, argv, &o), PT_OPTS_OK);
	assert_int_equal(o.output, PT_OUT_AUTO);
	assert_int_equal(o.kinds, PT_KIND_BIT(PT_EV_CONNECT) | PT_KIND_BIT(PT_EV_ACCEPT));
	assert_int_equal(o.family, 0);
	assert_int_equal(o.npids, 0);
	assert_int_equal(o.nports, 0);
	assert_int_equal(o.eph.mode, PT_EPH_AUTO);
	assert_int_equal(o.duration, 0);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.ring_kib, 4096);
}

static void test_values(void **state)
{
	struct pt_options o;
	(void)state;

	assert_int_equal(PARSE(&o, "-o", "csv", "-d", "5", "-n", "10", "-p", "1,22,333",
			       "--port=80,443", "-k", "accept", "-6", "--ephemeral=20000-20999",
			       "--attach=tracepoint", "--ring-size=256", "-v"), PT_OPTS_OK);
	assert_int_equal(o.output, PT_OUT_CSV);
	assert_int_equal(o.duration, 5);
	assert_int_equal(o.count, 10);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 1);
	assert_int_equal(o.pids[2], 333);
	assert_int_equal(o.nports, 2);
	assert_int_equal(o.ports[0], 80);
	assert_int_equal(o.ports[1], 443);
	assert_int_equal(o.kinds, PT_KIND_BIT(PT_EV_ACCEPT));
	assert_int_equal(o.family, PT_FAMILY_IPV6);
	assert_int_equal(o.eph.mode, PT_EPH_RANGE);
	assert_int_equal(o.eph.lo, 20000);
	assert_int_equal(o.eph.hi, 20999);
	assert_int_equal(o.attach, PT_ATTACH_TRACEPOINT);
	assert_int_equal(o.ring_kib, 256);
	assert_true(o.verbose);

	assert_int_equal(PARSE(&o, "--ephemeral=iana", "-4", "-k", "connect,accept"), PT_OPTS_OK);
	assert_int_equal(o.eph.mode, PT_EPH_IANA);
	assert_int_equal(o.eph.lo, 49152);
	assert_int_equal(o.eph.hi, 65535);
	assert_int_equal(o.family, PT_FAMILY_IPV4);
	assert_int_equal(o.kinds, PT_KIND_BIT(PT_EV_CONNECT) | PT_KIND_BIT(PT_EV_ACCEPT));

	assert_int_equal(PARSE(&o, "-k", "all", "-u", "0,1000", "-c", "nginx", "-C", "eph-eph,static-to-static",
			       "--udp", "--cgroup=/system.slice", "--netns=4026531840", "--listeners"), PT_OPTS_OK);
	assert_int_equal(o.kinds, PT_KIND_BIT(PT_EV_CONNECT) | PT_KIND_BIT(PT_EV_ACCEPT) |
			 PT_KIND_BIT(PT_EV_LISTEN) | PT_KIND_BIT(PT_EV_UNLISTEN) | PT_KIND_BIT(PT_EV_CLOSE) |
			 PT_KIND_BIT(PT_EV_RESET));
	assert_int_equal(o.nuids, 2);
	assert_int_equal(o.uids[0], 0);
	assert_int_equal(o.uids[1], 1000);
	assert_string_equal(o.comm, "nginx");
	assert_int_equal(o.classes, (1u << PT_FLOW_EPH_TO_EPH) | (1u << PT_FLOW_STATIC_TO_STATIC));
	assert_int_equal(o.protos, PT_PROTO_BIT(PT_PROTO_UDP));
	assert_string_equal(o.cgroup, "/system.slice");
	assert_int_equal(o.netns, 4026531840u);
	assert_int_equal(o.mode, PT_MODE_LISTENERS);

	/* --lifetime means close records */
	assert_int_equal(PARSE(&o, "--lifetime"), PT_OPTS_OK);
	assert_int_equal(o.mode, PT_MODE_LIFETIME);
	assert_int_equal(o.kinds, PT_KIND_BIT(PT_EV_CLOSE));
	/* the same option twice is no conflict */
	assert_int_equal(PARSE(&o, "-4", "-4"), PT_OPTS_OK);
	assert_int_equal(o.family, PT_FAMILY_IPV4);

	/* JSON keys: porttrace's by default, ECS's on request */
	assert_int_equal(PARSE(&o, "-o", "json"), PT_OPTS_OK);
	assert_false(o.ecs);
	assert_int_equal(PARSE(&o, "--field-names=ecs"), PT_OPTS_OK);
	assert_true(o.ecs);
	assert_int_equal(PARSE(&o, "--field-names=porttrace"), PT_OPTS_OK);
	assert_false(o.ecs);
	assert_int_equal(PARSE(&o, "--field-names=otel"), -EINVAL);
	assert_string_equal(o.err, "invalid --field-names 'otel': porttrace or ecs");

	/* --metrics: an address to serve on; every kind unless -k says */
	assert_int_equal(PARSE(&o, "--metrics=127.0.0.1:9465", "-o", "none"), PT_OPTS_OK);
	assert_string_equal(o.metrics, "127.0.0.1:9465");
	assert_int_equal(o.output, PT_OUT_NONE);
	assert_int_equal(o.kinds, ~0u);
	assert_int_equal(PARSE(&o, "--metrics=9465", "-k", "accept"), PT_OPTS_OK);
	assert_int_equal(o.kinds, PT_KIND_BIT(PT_EV_ACCEPT));
	assert_int_equal(PARSE(&o, "--metrics=localhost:9465"), -EINVAL);
	assert_string_equal(o.err, "invalid --metrics 'localhost:9465': [ADDR:]PORT, ADDR IPv4 or [IPv6], PORT 1-65535");
	assert_int_equal(PARSE(&o, "--listeners", "--metrics=9465"), -EINVAL);
	assert_string_equal(o.err, "--metrics is for tracing and the audit, not --listeners");

	/* -p twice accumulates */
	assert_int_equal(PARSE(&o, "-p", "7", "-p", "8"), PT_OPTS_OK);
	assert_int_equal(o.npids, 2);
	assert_int_equal(o.pids[1], 8);
}

struct bad_case {
	char *opt, *val;
	const char *err;
};

static void test_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "--port", "70000", "invalid --port '70000': must be 1-65535" },
		{ "--port", "0", "invalid --port '0': must be 1-65535" },
		{ "--port", "80,x", "invalid --port 'x': must be 1-65535" },
		{ "--port", ",", "empty item in --port list ','" },
		{ "--pid", "-3", "invalid --pid '-3': must be 1-4194304" },
		{ "--pid", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "too many values for --pid: at most 16" },
		{ "-o", "xml", "invalid --output 'xml': must be table, json, csv or none" },
		{ "-d", "0", "invalid --duration '0': must be 1-31536000 seconds" },
		{ "-d", "1.5", "invalid --duration '1.5': must be 1-31536000 seconds" },
		{ "-n", "", "invalid --count '': must be a positive number" },
		{ "-k", "open", "invalid --kind 'open': must be connect, accept, listen, unlisten, close, reset or all" },
		{ "-C", "eph", "invalid --class 'eph': must be ephemeral-to-static, static-to-static, ephemeral-to-ephemeral or static-to-ephemeral" },
		{ "--uid", "x", "invalid --uid 'x': must be 0-4294967294" },
		{ "--comm", "0123456789abcdef", "invalid --comm '0123456789abcdef': must be 1-15 characters" },
		{ "--netns", "0", "invalid --netns '0': must be a namespace inode number (stat -L -c %i /proc/PID/ns/net)" },
		{ "--ephemeral", "5-3", "invalid --ephemeral '5-3': must be auto, iana or LO-HI with 1 <= LO <= HI <= 65535" },
		{ "--ephemeral", "1000", "invalid --ephemeral '1000': must be auto, iana or LO-HI with 1 <= LO <= HI <= 65535" },
		{ "--ephemeral", "0-10", "invalid --ephemeral '0-10': must be auto, iana or LO-HI with 1 <= LO <= HI <= 65535" },
		{ "--ring-size", "100", "invalid --ring-size '100': must be a power of two, 64-1048576 KiB" },
		{ "--attach", "kprobe", "invalid --attach 'kprobe': must be auto, tp_btf or tracepoint" },
		{ "--pid", "1,,2", "empty item in --pid list '1,,2'" },
		{ "--port", "80,", "empty item in --port list '80,'" },
		{ "--kind", "connect,", "empty item in --kind list 'connect,'" },
		{ "--class", ",eph-eph", "empty item in --class list ',eph-eph'" },
		{ "--port", "", "empty --port list" },
		/* what a user typed is echoed with its control bytes escaped */
		{ "--comm", "ab\033[2Jcdefghijklmnop", "invalid --comm 'ab\\x1b[2Jcdefghijklmnop': must be 1-15 characters" },
		{ "--kind", "x\ny", "invalid --kind 'x\\x0ay': must be connect, accept, listen, unlisten, close, reset or all" },
	};
	struct pt_options o;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "porttrace", cases[i].opt, cases[i].val, NULL };

		assert_int_equal(pt_parse_options(3, argv, &o), -EINVAL);
		assert_string_equal(o.err, cases[i].err);
		assert_null(strchr(o.err, '\n'));
	}
	assert_int_equal(PARSE(&o, "--tcp", "--udp"), -EINVAL);
	assert_string_equal(o.err, "--tcp and --udp exclude each other");
	assert_int_equal(PARSE(&o, "-4", "-6"), -EINVAL);
	assert_string_equal(o.err, "-4 and -6 exclude each other");
	assert_int_equal(PARSE(&o, "--bogus"), -EINVAL);
	assert_string_equal(o.err, "unknown option '--bogus'; see porttrace --help");
	assert_int_equal(PARSE(&o, "-p"), -EINVAL);
	assert_string_equal(o.err, "option '-p' needs a value");
	assert_int_equal(PARSE(&o, "--pid"), -EINVAL);
	assert_string_equal(o.err, "option '--pid' needs a value");
	assert_int_equal(PARSE(&o, "--tcp", "-x4"), -EINVAL);
	assert_string_equal(o.err, "unknown option '-x'; see porttrace --help");
	assert_int_equal(PARSE(&o, "-4x"), -EINVAL);
	assert_string_equal(o.err, "unknown option '-x'; see porttrace --help");
	assert_int_equal(PARSE(&o, "-k", "accept", "--lifetime"), -EINVAL);
	assert_string_equal(o.err, "-k does not apply to --lifetime: it shows close records");
	assert_int_equal(PARSE(&o, "extra"), -EINVAL);
	assert_string_equal(o.err, "unexpected argument 'extra'; see porttrace --help");
}

/* PORTTRACE_FAULT, for the tests: unseen-close or nothing; else refused */
static void test_fault(void **state)
{
	struct pt_options o;
	(void)state;

	unsetenv("PORTTRACE_FAULT");
	assert_int_equal(PARSE(&o, "-v"), PT_OPTS_OK);
	assert_false(o.fault_unseen);
	setenv("PORTTRACE_FAULT", "unseen-close", 1);
	assert_int_equal(PARSE(&o, "-v"), PT_OPTS_OK);
	assert_true(o.fault_unseen);
	setenv("PORTTRACE_FAULT", "unseen", 1);
	assert_int_equal(PARSE(&o, "-v"), -EINVAL);
	assert_string_equal(o.err, "unknown PORTTRACE_FAULT 'unseen': tests set unseen-close or nothing");
	setenv("PORTTRACE_FAULT", "", 1);
	assert_int_equal(PARSE(&o, "-v"), PT_OPTS_OK);
	assert_false(o.fault_unseen);
	unsetenv("PORTTRACE_FAULT");
}

/* one mode per run: a second is refused, naming both; the same twice is fine */
static void test_modes(void **state)
{
	struct pt_options o;
	char *audit_lifetime[] = { "porttrace", "audit", "--lifetime", NULL };
	char *audit_conns[] = { "porttrace", "audit", "--connections", NULL };
	(void)state;

	assert_int_equal(PARSE(&o, "--connections"), PT_OPTS_OK);
	assert_int_equal(o.mode, PT_MODE_CONNECTIONS);
	assert_true(PT_MODE_SNAPSHOT(o.mode));
	assert_int_equal(PARSE(&o, "--listeners", "--listeners"), PT_OPTS_OK);
	assert_int_equal(o.mode, PT_MODE_LISTENERS);
	assert_true(PT_MODE_SNAPSHOT(o.mode));
	assert_int_equal(PARSE(&o, "--lifetime"), PT_OPTS_OK);
	assert_false(PT_MODE_SNAPSHOT(o.mode));

	assert_int_equal(PARSE(&o, "--listeners", "--connections"), -EINVAL);
	assert_string_equal(o.err, "--listeners and --connections exclude each other");
	assert_int_equal(PARSE(&o, "--connections", "--lifetime"), -EINVAL);
	assert_string_equal(o.err, "--connections and --lifetime exclude each other");
	assert_int_equal(PARSE(&o, "--lifetime", "--listeners"), -EINVAL);
	assert_string_equal(o.err, "--lifetime and --listeners exclude each other");
	assert_int_equal(pt_parse_options(3, audit_lifetime, &o), -EINVAL);
	assert_string_equal(o.err, "audit and --lifetime exclude each other");
	assert_int_equal(pt_parse_options(3, audit_conns, &o), -EINVAL);
	assert_string_equal(o.err, "audit and --connections exclude each other");
	{
		char *audit_k[] = { "porttrace", "audit", "-k", "connect", NULL };

		assert_int_equal(pt_parse_options(4, audit_k, &o), -EINVAL);
		assert_string_equal(o.err, "-k does not apply to audit: it takes every kind");
	}
	{
		char *audit_ecs[] = { "porttrace", "audit", "--field-names=ecs", NULL };

		assert_int_equal(pt_parse_options(3, audit_ecs, &o), -EINVAL);
		assert_string_equal(o.err,
				    "--field-names=ecs is for live records; the audit's rows keep their names");
	}
}

static void test_numbers(void **state)
{
	unsigned long v = 0;
	uint16_t lo, hi;
	(void)state;

	assert_int_equal(pt_parse_ulong("65535", 1, 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(pt_parse_ulong("65536", 1, 65535, &v), -EINVAL);
	assert_int_equal(pt_parse_ulong(" 5", 1, 65535, &v), -EINVAL);
	assert_int_equal(pt_parse_ulong("5 ", 1, 65535, &v), -EINVAL);
	assert_int_equal(pt_parse_ulong("+5", 1, 65535, &v), -EINVAL);
	assert_int_equal(pt_parse_ulong("99999999999999999999999", 1, ~0UL, &v), -EINVAL);
	assert_int_equal(pt_parse_range("1-65535", &lo, &hi), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 65535);
	assert_int_equal(pt_parse_range("7-7", &lo, &hi), 0);
	assert_int_equal(pt_parse_range("-7", &lo, &hi), -EINVAL);
	assert_int_equal(pt_parse_range("7-", &lo, &hi), -EINVAL);
	assert_int_equal(pt_parse_range("1-2-3", &lo, &hi), -EINVAL);
	assert_int_equal(pt_parse_range("20000-70000", &lo, &hi), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_fault),
		cmocka_unit_test(test_numbers),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
