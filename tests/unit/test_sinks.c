/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Sinks: the exact bytes each format writes for a known flow, hostile comm
 * values that must not escape their cell, the 100-column table budget, and
 * write errors surfacing as negative errno.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/types.h>
#include "sink.h"

#define T_TIME	"2026-11-23T08:40:01.123456Z"

static const char csv_header[] =
	"time,kind,proto,family,pid,comm,uid,cgroup_id,netns,"
	"client_addr,client_port,client_port_class,"
	"server_addr,server_port,server_port_class,"
	"flow_class,ephemeral_range,evidence,attribution\r\n";

/* comm is a fixed array: copy at most PT_COMM_LEN bytes, no NUL forced */
static void set_comm(struct pt_event *e, const char *s, size_t len)
{
	memset(e->comm, 0, sizeof(e->comm));
	memcpy(e->comm, s, len < sizeof(e->comm) ? len : sizeof(e->comm));
}

static void make_flow(struct pt_event *e, struct pt_flow *f)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_EV_CONNECT;
	e->family = PT_FAMILY_IPV4;
	e->proto = PT_PROTO_TCP;
	e->attribution = PT_ATTR_SYSCALL;
	e->pid = 4242;
	e->tid = 4243;
	e->uid = 1000;
	e->netns = 4026531840u;
	e->client_port = 40000;
	e->server_port = 443;
	e->eph_lo = 32768;
	e->eph_hi = 60999;
	e->cgroup_id = 7654;
	set_comm(e, "curl", 4);

	memset(f, 0, sizeof(*f));
	f->ev = e;
	strcpy(f->time, T_TIME);
	strcpy(f->client_addr, "10.0.0.1");
	strcpy(f->server_addr, "10.0.0.2");
	f->eph_lo = 32768;
	f->eph_hi = 60999;
	f->client_class = PT_PORT_EPHEMERAL;
	f->server_class = PT_PORT_STATIC;
	f->client_evidence = PT_EVID_SOCKET;
	f->server_evidence = PT_EVID_LISTENER;
	f->flow_class = PT_FLOW_EPH_TO_STATIC;
}

static void make_stats(struct pt_stats *st)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->time, "2026-11-23T08:41:00.000001Z");
	st->events = 1000;
	st->lost = 7;
	st->lost_ringbuf = 5;
	st->lost_recursion = 2;
}

/* Output captured in memory; done() returns the whole text (caller frees). */
struct capture {
	char *buf;
	size_t len;
	struct sink s;
};

static void cap_start(struct capture *c, const struct sink_ops *ops)
{
	memset(c, 0, sizeof(*c));
	c->s.ops = ops;
	c->s.out = open_memstream(&c->buf, &c->len);
	assert_non_null(c->s.out);
	assert_int_equal(ops->open(&c->s), 0);
}

static char *cap_done(struct capture *c)
{
	assert_int_equal(c->s.ops->close(&c->s), 0);
	assert_int_equal(fclose(c->s.out), 0);
	return c->buf;
}

/* One flow through a sink, header included. */
static char *render_flow(const struct sink_ops *ops, const struct pt_flow *f)
{
	struct capture c;

	cap_start(&c, ops);
	assert_int_equal(ops->write_flow(&c.s, f), 0);
	assert_int_equal(c.s.rows, 1);
	return cap_done(&c);
}

/* ---- JSON ---- */

static void test_json_line(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	out = render_flow(&sink_json_ops, &f);
	assert_string_equal(out,
		"{\"time\":\"" T_TIME "\",\"kind\":\"connect\",\"proto\":\"tcp\","
		"\"family\":\"ipv4\",\"pid\":4242,\"comm\":\"curl\",\"uid\":1000,"
		"\"cgroup_id\":7654,\"netns\":4026531840,"
		"\"client_addr\":\"10.0.0.1\",\"client_port\":40000,"
		"\"client_port_class\":\"ephemeral\","
		"\"server_addr\":\"10.0.0.2\",\"server_port\":443,"
		"\"server_port_class\":\"static\","
		"\"flow_class\":\"ephemeral-to-static\","
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"client=socket server=listener\","
		"\"attribution\":\"syscall\"}\n");
	free(out);
}

static void test_json_ipv6_accept(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	e.kind = PT_EV_ACCEPT;
	e.family = PT_FAMILY_IPV6;
	e.attribution = PT_ATTR_NONE;
	e.cgroup_id = 18446744073709551615ull;
	strcpy(f.client_addr, "fe80::1");
	strcpy(f.server_addr, "::1");
	f.client_evidence = PT_EVID_PEER;
	f.server_evidence = PT_EVID_USER_RANGE;
	f.client_class = PT_PORT_STATIC;
	f.server_class = PT_PORT_EPHEMERAL;
	f.flow_class = PT_FLOW_STATIC_TO_EPH;
	out = render_flow(&sink_json_ops, &f);
	assert_string_equal(out,
		"{\"time\":\"" T_TIME "\",\"kind\":\"accept\",\"proto\":\"tcp\","
		"\"family\":\"ipv6\",\"pid\":4242,\"comm\":\"curl\",\"uid\":1000,"
		"\"cgroup_id\":18446744073709551615,\"netns\":4026531840,"
		"\"client_addr\":\"fe80::1\",\"client_port\":40000,"
		"\"client_port_class\":\"static\","
		"\"server_addr\":\"::1\",\"server_port\":443,"
		"\"server_port_class\":\"ephemeral\","
		"\"flow_class\":\"static-to-ephemeral\","
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"client=peer-socket server=user-range\","
		"\"attribution\":\"none\"}\n");
	free(out);
}

static void test_json_hostile_comm(void **state)
{
	static const struct {
		const char *comm;
		size_t len;
		const char *want;
	} cases[] = {
		{ "\x1b[2J", 4, "\\u001b[2J" },
		{ "a\"b\\c\n", 6, "a\\\"b\\\\c\\n" },
		{ "\"},\"pid\":0,\"x", 13, "\\\"},\\\"pid\\\":0,\\\"x" },
		{ "\x7f\xff\xc3\xa9", 4, "\\u007f\\u00ff\xc3\xa9" },
		{ "ABCDEFGHIJKLMNOP", 16, "ABCDEFGHIJKLMNOP" },
		{ "", 0, "" },
	};
	struct pt_event e;
	struct pt_flow f;
	size_t i;

	(void)state;
	make_flow(&e, &f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[256], *out;

		set_comm(&e, cases[i].comm, cases[i].len);
		out = render_flow(&sink_json_ops, &f);
		snprintf(want, sizeof(want), ",\"comm\":\"%s\",\"uid\":1000,",
			 cases[i].want);
		if (!strstr(out, want))
			fail_msg("case %zu: %s lacks %s", i, out, want);
		/* one record, one line, whatever comm held */
		assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
		free(out);
	}
}

static void test_json_stats(void **state)
{
	struct pt_stats st;
	struct capture c;
	char *out;

	(void)state;
	make_stats(&st);
	cap_start(&c, &sink_json_ops);
	assert_int_equal(sink_json_ops.write_stats(&c.s, &st), 0);
	out = cap_done(&c);
	assert_string_equal(out,
		"{\"time\":\"2026-11-23T08:41:00.000001Z\",\"kind\":\"stats\","
		"\"events\":1000,\"lost\":7,\"lost_ringbuf\":5,"
		"\"lost_recursion\":2}\n");
	free(out);
}

/* ---- CSV ---- */

#define CSV_MAX_FIELDS	32
#define CSV_MAX_FIELD	256

struct csv_rec {
	int nf;
	char f[CSV_MAX_FIELDS][CSV_MAX_FIELD];
};

/*
 * A strict RFC 4180 reader, so the test needs nothing outside C: quotes only
 * around whole fields, "" inside them, every record ending in CRLF. Returns 1
 * for a record, 0 at the end, -1 on anything malformed.
 */
static int csv_next(const char **pp, const char *end, struct csv_rec *r)
{
	const char *p = *pp;

	if (p == end)
		return 0;
	r->nf = 0;
	for (;;) {
		size_t len = 0;
		char *out;

		if (r->nf == CSV_MAX_FIELDS)
			return -1;
		out = r->f[r->nf++];
		if (*p == '"') {
			for (p++;; p++) {
				if (p == end)
					return -1;
				if (*p == '"') {
					if (p + 1 == end || p[1] != '"')
						break;
					p++;
				}
				if (len + 1 >= CSV_MAX_FIELD)
					return -1;
				out[len++] = *p;
			}
			p++;
		} else {
			for (; p < end && *p != ',' && *p != '\r' && *p != '\n'; p++) {
				if (*p == '"' || len + 1 >= CSV_MAX_FIELD)
					return -1;
				out[len++] = *p;
			}
		}
		out[len] = '\0';
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			break;
		return -1;
	}
	*pp = p + 2;
	return 1;
}

static void test_csv_reader_rejects(void **state)
{
	static const char *bad[] = {
		"a,b\n", "a\"b\r\n", "\"a\"b\r\n", "\"a\r\n", "a,b",
	};
	struct csv_rec r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = bad[i];

		assert_int_equal(csv_next(&p, p + strlen(p), &r), -1);
	}
}

static void test_csv_header_and_row(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	out = render_flow(&sink_csv_ops, &f);
	assert_int_equal(strncmp(out, csv_header, strlen(csv_header)), 0);
	assert_string_equal(out + strlen(csv_header),
		T_TIME ",connect,tcp,ipv4,4242,curl,1000,7654,4026531840,"
		"10.0.0.1,40000,ephemeral,10.0.0.2,443,static,"
		"ephemeral-to-static,32768-60999,client=socket server=listener,"
		"syscall\r\n");
	free(out);
}

static void test_csv_stats(void **state)
{
	struct pt_stats st;
	struct capture c;
	char *out;

	(void)state;
	make_stats(&st);
	cap_start(&c, &sink_csv_ops);
	assert_int_equal(sink_csv_ops.write_stats(&c.s, &st), 0);
	out = cap_done(&c);
	assert_int_equal(strncmp(out, csv_header, strlen(csv_header)), 0);
	assert_string_equal(out + strlen(csv_header),
		"2026-11-23T08:41:00.000001Z,stats,,,,,,,,,,,,,,,,"
		"events=1000 lost=7 lost_ringbuf=5 lost_recursion=2,\r\n");
	free(out);
}

/* Hostile rows written to a real file, read back by the RFC 4180 reader. */
static void test_csv_roundtrip(void **state)
{
	static const struct {
		const char *comm;
		size_t len;
		const char *want;	/* the cell value a reader returns */
	} cases[] = {
		{ "\x1b[2J", 4, "\\x1b[2J" },
		{ "a\nb", 3, "a\nb" },
		{ "a\r\nb", 4, "a\r\nb" },
		{ "a\"b", 3, "a\"b" },
		{ "\"\",", 3, "\"\"," },
		{ "a\\b", 3, "a\\\\b" },
		{ "a,b", 3, "a,b" },
		{ "=cmd|' /C calc", 14, "'=cmd|' /C calc" },
		{ "=HYPERLINK(\"x\")", 16, "'=HYPERLINK(\"x\")" },
		{ "+1", 2, "'+1" },
		{ "-1", 2, "'-1" },
		{ "@x", 2, "'@x" },
		{ "\tx", 2, "'\tx" },
		{ "\rx", 2, "'\rx" },
		{ "\x7f", 1, "\\x7f" },
		{ "\xff", 1, "\\xff" },
		{ "\xc3(", 2, "\\xc3(" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ " x ", 3, " x " },
		{ "ABCDEFGHIJKLMNOP", 16, "ABCDEFGHIJKLMNOP" },
		{ "", 0, "" },
	};
	const size_t ncases = sizeof(cases) / sizeof(cases[0]);
	struct pt_event e;
	struct pt_flow f;
	struct pt_stats st;
	struct sink s = { .ops = &sink_csv_ops };
	struct csv_rec *r;
	const char *p, *end;
	char *buf;
	long len;
	size_t i;
	int col;

	(void)state;
	r = malloc(sizeof(*r));
	assert_non_null(r);
	make_flow(&e, &f);
	make_stats(&st);
	s.out = tmpfile();
	assert_non_null(s.out);
	assert_int_equal(sink_csv_ops.open(&s), 0);
	for (i = 0; i < ncases; i++) {
		set_comm(&e, cases[i].comm, cases[i].len);
		assert_int_equal(sink_csv_ops.write_flow(&s, &f), 0);
	}
	assert_int_equal(sink_csv_ops.write_stats(&s, &st), 0);
	assert_int_equal(sink_csv_ops.close(&s), 0);

	len = ftell(s.out);
	assert_true(len > 0);
	buf = malloc(len);
	assert_non_null(buf);
	rewind(s.out);
	assert_int_equal(fread(buf, 1, len, s.out), (size_t)len);
	fclose(s.out);
	p = buf;
	end = buf + len;

	assert_int_equal(csv_next(&p, end, r), 1);
	assert_int_equal(r->nf, 19);
	assert_string_equal(r->f[0], "time");
	assert_string_equal(r->f[5], "comm");
	assert_string_equal(r->f[18], "attribution");

	for (i = 0; i < ncases; i++) {
		if (csv_next(&p, end, r) != 1)
			fail_msg("case %zu: malformed CSV record", i);
		assert_int_equal(r->nf, 19);
		assert_string_equal(r->f[0], T_TIME);
		assert_string_equal(r->f[4], "4242");
		if (strcmp(r->f[5], cases[i].want))
			fail_msg("case %zu: comm \"%s\", want \"%s\"", i,
				 r->f[5], cases[i].want);
		/* no cell may reach a spreadsheet as a formula */
		for (col = 0; col < r->nf; col++)
			if (r->f[col][0] && strchr("=+-@\t\r", r->f[col][0]))
				fail_msg("case %zu: column %d starts a formula: %s",
					 i, col, r->f[col]);
		assert_string_equal(r->f[18], "syscall");
	}

	assert_int_equal(csv_next(&p, end, r), 1);
	assert_int_equal(r->nf, 19);
	assert_string_equal(r->f[1], "stats");
	for (col = 2; col < 19; col++)
		if (col != 17)
			assert_string_equal(r->f[col], "");
	assert_string_equal(r->f[17],
			    "events=1000 lost=7 lost_ringbuf=5 lost_recursion=2");
	assert_int_equal(csv_next(&p, end, r), 0);
	free(buf);
	free(r);
}

/* The contract: JSON keys and CSV columns are the same names, same order. */
static void test_json_keys_match_csv_header(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char keys[512] = "", *out, *p, *q;

	(void)state;
	make_flow(&e, &f);
	out = render_flow(&sink_json_ops, &f);
	/* every key is preceded by '{' or ',' and followed by ':' */
	for (p = out; (p = strpbrk(p, "{,")); p = q) {
		q = p + 1;
		if (*q != '"')
			continue;
		q = strchr(q + 1, '"');
		assert_non_null(q);
		if (q[1] != ':')
			continue;
		if (keys[0])
			strcat(keys, ",");
		strncat(keys, p + 2, q - p - 2);
	}
	strcat(keys, "\r\n");
	assert_string_equal(keys, csv_header);
	free(out);
}

/* ---- table ---- */

#define TABLE_HEADER \
	"TIME     EVENT       PID COMM            CLIENT                " \
	"SERVER                CLASS\n"

static void test_table_header_and_row(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	out = render_flow(&sink_table_ops, &f);
	assert_string_equal(out, TABLE_HEADER
		"08:40:01 connect    4242 curl            10.0.0.1:40000        "
		"10.0.0.2:443          eph-static\n");
	free(out);
}

static void test_table_ipv6(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	e.kind = PT_EV_ACCEPT;
	e.family = PT_FAMILY_IPV6;
	strcpy(f.client_addr, "2001:db8::1");
	strcpy(f.server_addr, "::1");
	f.flow_class = PT_FLOW_EPH_TO_EPH;
	out = render_flow(&sink_table_ops, &f);
	/* an over-wide endpoint pushes the line, still one space apart */
	assert_string_equal(out, TABLE_HEADER
		"08:40:01 accept     4242 curl            [2001:db8::1]:40000   "
		"[::1]:443             eph-eph\n");
	free(out);
}

static void test_table_hostile_comm(void **state)
{
	static const struct {
		const char *comm;
		size_t len;
		const char *want;	/* padded to 15 */
	} cases[] = {
		{ "\x1b[2J", 4, "\\x1b[2J        " },
		{ "a\nb\\", 4, "a\\x0ab\\\\       " },
		{ "\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b",
		  16, "\\x1b\\x1b\\x1b   " },
		{ "ABCDEFGHIJKLMNOP", 16, "ABCDEFGHIJKLMNO" },
		{ "\x7f\xff\xc3\xa9", 4, "\\x7f\\xff\\xc3   " },
		{ "", 0, "               " },
	};
	struct pt_event e;
	struct pt_flow f;
	size_t i;

	(void)state;
	make_flow(&e, &f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[128], *out, *p;

		set_comm(&e, cases[i].comm, cases[i].len);
		out = render_flow(&sink_table_ops, &f);
		snprintf(want, sizeof(want), "    4242 %s 10.0.0.1:40000 ",
			 cases[i].want);
		if (!strstr(out, want))
			fail_msg("case %zu: %s lacks \"%s\"", i, out, want);
		/* nothing but printable ASCII and the two line ends reaches the tty */
		for (p = out; *p; p++)
			if (*p != '\n' && (*p < 0x20 || *p > 0x7e))
				fail_msg("case %zu: raw byte 0x%02x", i,
					 (unsigned char)*p);
		free(out);
	}
}

/* Widest IPv4 line: 7-digit pid (PID_MAX_LIMIT), full comm, max addresses. */
static void test_table_width(void **state)
{
	static const enum pt_flow_class classes[] = {
		PT_FLOW_EPH_TO_STATIC, PT_FLOW_STATIC_TO_STATIC,
		PT_FLOW_EPH_TO_EPH, PT_FLOW_STATIC_TO_EPH,
	};
	static const unsigned int kinds[] = { PT_EV_CONNECT, PT_EV_ACCEPT };
	struct pt_event e;
	struct pt_flow f;
	size_t k, c, widest = 0;

	(void)state;
	make_flow(&e, &f);
	e.pid = 4194304;
	e.client_port = 65535;
	e.server_port = 65535;
	set_comm(&e, "WWWWWWWWWWWWWWWW", 16);
	strcpy(f.client_addr, "255.255.255.255");
	strcpy(f.server_addr, "255.255.255.255");
	for (k = 0; k < 2; k++) {
		for (c = 0; c < 4; c++) {
			char *out, *line, *nl;

			e.kind = kinds[k];
			f.flow_class = classes[c];
			out = render_flow(&sink_table_ops, &f);
			for (line = out; (nl = strchr(line, '\n')); line = nl + 1) {
				size_t w = nl - line;

				if (w > widest)
					widest = w;
				assert_true(w <= 100);
				assert_true(w > 0 && line[w - 1] != ' ');
			}
			free(out);
		}
	}
	/* 8+7+7+15+21+21 columns, 6 spaces, "static-static" */
	assert_int_equal(widest, 98);
}

static void test_table_stats_silent(void **state)
{
	struct pt_stats st;
	struct capture c;
	char *out;

	(void)state;
	make_stats(&st);
	cap_start(&c, &sink_table_ops);
	assert_int_equal(sink_table_ops.write_stats(&c.s, &st), 0);
	out = cap_done(&c);
	assert_string_equal(out, TABLE_HEADER);
	free(out);
}

/* ---- errors ---- */

static const struct sink_ops *const all_sinks[] = {
	&sink_table_ops, &sink_json_ops, &sink_csv_ops,
};

static FILE *open_full(int mode)
{
	FILE *fp = fopen("/dev/full", "w");

	if (!fp)
		skip();
	if (mode == _IONBF)
		assert_int_equal(setvbuf(fp, NULL, _IONBF, 0), 0);
	return fp;
}

static void test_dev_full_unbuffered(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	struct pt_stats st;
	size_t i;

	(void)state;
	make_flow(&e, &f);
	make_stats(&st);
	for (i = 0; i < 3; i++) {
		const struct sink_ops *ops = all_sinks[i];
		struct sink s = { .ops = ops, .out = open_full(_IONBF) };
		int ret = ops->open(&s);

		/* JSON has no header: open writes nothing and cannot fail */
		assert_int_equal(ret, ops == &sink_json_ops ? 0 : -ENOSPC);
		assert_int_equal(ops->write_flow(&s, &f), -ENOSPC);
		assert_int_equal(s.rows, 0);
		if (ops != &sink_table_ops)
			assert_int_equal(ops->write_stats(&s, &st), -ENOSPC);
		fclose(s.out);
	}
}

/* A terminal-style sink must see the error on the record that caused it. */
static void test_dev_full_line_flush(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	size_t i;

	(void)state;
	make_flow(&e, &f);
	for (i = 0; i < 3; i++) {
		const struct sink_ops *ops = all_sinks[i];
		struct sink s = {
			.ops = ops, .out = open_full(_IOFBF), .line_flush = true,
		};

		assert_int_equal(ops->open(&s),
				 ops == &sink_json_ops ? 0 : -ENOSPC);
		assert_int_equal(ops->write_flow(&s, &f), -ENOSPC);
		fclose(s.out);
	}
}

/* Fully buffered, the error only shows at close: it must not be lost there. */
static void test_dev_full_close(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	size_t i;

	(void)state;
	make_flow(&e, &f);
	for (i = 0; i < 3; i++) {
		const struct sink_ops *ops = all_sinks[i];
		struct sink s = { .ops = ops, .out = open_full(_IOFBF) };

		assert_int_equal(ops->open(&s), 0);
		assert_int_equal(ops->write_flow(&s, &f), 0);
		assert_int_equal(ops->close(&s), -ENOSPC);
		fclose(s.out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_line),
		cmocka_unit_test(test_json_ipv6_accept),
		cmocka_unit_test(test_json_hostile_comm),
		cmocka_unit_test(test_json_stats),
		cmocka_unit_test(test_csv_reader_rejects),
		cmocka_unit_test(test_csv_header_and_row),
		cmocka_unit_test(test_csv_stats),
		cmocka_unit_test(test_csv_roundtrip),
		cmocka_unit_test(test_json_keys_match_csv_header),
		cmocka_unit_test(test_table_header_and_row),
		cmocka_unit_test(test_table_ipv6),
		cmocka_unit_test(test_table_hostile_comm),
		cmocka_unit_test(test_table_width),
		cmocka_unit_test(test_table_stats_silent),
		cmocka_unit_test(test_dev_full_unbuffered),
		cmocka_unit_test(test_dev_full_line_flush),
		cmocka_unit_test(test_dev_full_close),
	};

	return cmocka_run_group_tests_name("sinks", tests, NULL, NULL);
}
