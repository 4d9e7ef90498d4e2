/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Sinks: the exact bytes each format writes for every record kind, which
 * fields are null for which kind, hostile comm values that must not escape
 * their cell, the 100-column table budget, and write errors surfacing as
 * negative errno. Also the names flow.c gives the enums: they are output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/types.h>
#include "csv_reader.h"
#include "record.h"
#include "sink.h"

#define T_TIME	"2026-11-23T08:40:01.123456Z"
#define CID	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NCOLS	31

static const char csv_header[] =
	"time,kind,proto,family,side,pid,comm,thread,uid,cgroup_id,container_id,netns,"
	"client_addr,client_port,client_port_class,"
	"server_addr,server_port,server_port_class,"
	"flow_class,ephemeral_range,evidence,attribution,"
	"result,latency_us,duration_ms,tx_bytes,rx_bytes,closed_first,bound,"
	"community_id,schema_version\r\n";

/* comm is a fixed array: copy at most PT_COMM_LEN bytes, no NUL forced */
static void set_comm(struct pt_event *e, const char *s, size_t len)
{
	memset(e->comm, 0, sizeof(e->comm));
	memcpy(e->comm, s, len < sizeof(e->comm) ? len : sizeof(e->comm));
}

/* Both ends, as text (the flow) and as bytes (the event: IPv4 v4-mapped),
 * which community_id hashes */
static void set_addrs(struct pt_event *e, struct pt_flow *f, const char *client,
		      const char *server)
{
	const char *addr[2] = { client, server };
	__u8 *bytes[2] = { e->client_addr, e->server_addr };

	for (int i = 0; i < 2; i++) {
		struct in_addr v4;

		memset(bytes[i], 0, 16);
		if (inet_pton(AF_INET, addr[i], &v4) == 1) {
			bytes[i][10] = bytes[i][11] = 0xff;
			memcpy(bytes[i] + 12, &v4, 4);
		} else {
			assert_int_equal(inet_pton(AF_INET6, addr[i], bytes[i]), 1);
		}
	}
	strcpy(f->client_addr, client);
	strcpy(f->server_addr, server);
}

/* A successful IPv4 connect by curl: the base every test varies. */
static void make_flow(struct pt_event *e, struct pt_flow *f)
{
	memset(e, 0, sizeof(*e));
	e->kind = PT_EV_CONNECT;
	e->family = PT_FAMILY_IPV4;
	e->proto = PT_PROTO_TCP;
	e->attribution = PT_ATTR_SYSCALL;
	e->side = PT_SIDE_CLIENT;
	e->pid = 4242;
	e->tid = 4243;
	e->uid = 1000;
	e->netns = 4026531840u;
	e->client_port = 40000;
	e->server_port = 443;
	e->eph_lo = 32768;
	e->eph_hi = 60999;
	e->cgroup_id = 7654;
	e->latency_ns = 1234567;
	set_comm(e, "curl", 4);

	memset(f, 0, sizeof(*f));
	f->ev = e;
	strcpy(f->time, T_TIME);
	set_addrs(e, f, "10.0.0.1", "10.0.0.2");
	f->eph_lo = 32768;
	f->eph_hi = 60999;
	f->client_class = PT_PORT_EPHEMERAL;
	f->server_class = PT_PORT_STATIC;
	f->client_evidence = PT_EVID_SOCKET;
	f->server_evidence = PT_EVID_LISTENER;
	f->flow_class = PT_FLOW_EPH_TO_STATIC;
}

/* nginx listening on 0.0.0.0:80; only the server side is set */
static void make_listen(struct pt_event *e, struct pt_flow *f, bool bound)
{
	make_flow(e, f);
	e->kind = PT_EV_LISTEN;
	e->side = PT_SIDE_SERVER;
	e->pid = 880;
	e->uid = 0;
	e->client_port = 0;
	e->server_port = 80;
	e->latency_ns = 0;
	e->server_origin = bound ? PT_ORIGIN_BOUND : PT_ORIGIN_KERNEL;
	e->server_src = PT_SRC_SOCKET;
	set_comm(e, "nginx", 5);
	strcpy(f->client_addr, "0.0.0.0");
	strcpy(f->server_addr, "0.0.0.0");
	f->server_class = bound ? PT_PORT_STATIC : PT_PORT_EPHEMERAL;
	f->server_evidence = PT_EVID_SOCKET;
}

/* the curl connect, finished: 1.5 s, 1000 bytes out, 2 MB in */
static void make_close(struct pt_event *e, struct pt_flow *f)
{
	make_flow(e, f);
	e->kind = PT_EV_CLOSE;
	e->latency_ns = 0;
	e->duration_ns = 1500999999;
	e->tx_bytes = 1000;
	e->rx_bytes = 2000000;
	e->flags = PT_F_CLOSED_FIRST_PEER;
}

static void make_stats(struct pt_stats *st)
{
	memset(st, 0, sizeof(*st));
	strcpy(st->time, "2026-11-23T08:41:00.000001Z");
	st->events = 1000;
	st->lost = 11;
	st->lost_ringbuf = 5;
	st->lost_state = 1;
	st->lost_recursion = 2;
	st->lost_unseen = 3;
	st->found_unseen = 4;	/* reported late: not part of lost */
}

/* Output captured in memory; done() returns the whole text (caller frees). */
struct capture {
	char *buf;
	size_t len;
	struct pt_sink s;
};

static void cap_start(struct capture *c, const struct pt_sink_ops *ops,
		      bool lifetime)
{
	memset(c, 0, sizeof(*c));
	c->s.ops = ops;
	c->s.lifetime = lifetime;
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
static char *render(const struct pt_sink_ops *ops, const struct pt_flow *f,
		    bool lifetime)
{
	struct capture c;

	cap_start(&c, ops, lifetime);
	assert_int_equal(ops->write_flow(&c.s, f), 0);
	assert_int_equal(c.s.rows, 1);
	return cap_done(&c);
}

static char *render_flow(const struct pt_sink_ops *ops, const struct pt_flow *f)
{
	return render(ops, f, false);
}

/* ---- names (flow.c) ---- */

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(pt_kind_str(PT_EV_CONNECT), "connect");
	assert_string_equal(pt_kind_str(PT_EV_ACCEPT), "accept");
	assert_string_equal(pt_kind_str(PT_EV_LISTEN), "listen");
	assert_string_equal(pt_kind_str(PT_EV_UNLISTEN), "unlisten");
	assert_string_equal(pt_kind_str(PT_EV_CLOSE), "close");
	assert_string_equal(pt_kind_str(0), "unknown");
	assert_string_equal(pt_kind_str(PT_EV_MAX), "unknown");
	assert_string_equal(pt_proto_str(PT_PROTO_TCP), "tcp");
	assert_string_equal(pt_proto_str(PT_PROTO_UDP), "udp");
	assert_string_equal(pt_proto_str(0), "unknown");
	assert_string_equal(pt_attribution_str(PT_ATTR_NONE), "none");
	assert_string_equal(pt_attribution_str(PT_ATTR_SYSCALL), "syscall");
	assert_string_equal(pt_attribution_str(PT_ATTR_LISTENER), "listener");
	assert_string_equal(pt_attribution_str(PT_ATTR_OWNER), "owner");
	assert_string_equal(pt_attribution_str(4), "unknown");
	assert_string_equal(pt_side_str(PT_SIDE_NONE), "none");
	assert_string_equal(pt_side_str(PT_SIDE_CLIENT), "client");
	assert_string_equal(pt_side_str(PT_SIDE_SERVER), "server");
	assert_string_equal(pt_side_str(3), "unknown");
}

static void test_result_names(void **state)
{
	static const struct {
		unsigned int result;
		const char *want;
	} cases[] = {
		{ 0, "ok" },
		{ ECONNREFUSED, "refused" },
		{ ETIMEDOUT, "timeout" },
		{ EHOSTUNREACH, "unreachable" },
		{ ENETUNREACH, "unreachable" },
		{ ECONNRESET, "reset" },
		{ EADDRNOTAVAIL, "no-ephemeral-port" },
		{ PT_RESULT_ABORTED, "aborted" },
		{ ECONNABORTED, "econnaborted" },
		{ EPERM, "eperm" },
		{ EACCES, "eacces" },
		{ ENOTRECOVERABLE, "enotrecoverable" },
		{ 255, "errno-255" },
		{ 4000, "errno-4000" },
		{ 65534, "errno-65534" },
	};
	const char *a, *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = pt_result_str(cases[i].result);

		if (strcmp(got, cases[i].want))
			fail_msg("result %u: \"%s\", want \"%s\"",
				 cases[i].result, got, cases[i].want);
	}
	/* a name handed out stays what it was, whatever is asked next */
	a = pt_result_str(EPERM);
	b = pt_result_str(EACCES);
	assert_ptr_equal(pt_result_str(EPERM), a);
	assert_string_equal(a, "eperm");
	assert_string_equal(b, "eacces");
}

/* JSON takes porttrace's own words unescaped (PT_CELL_TEXT): each must be
 * printable ASCII without '"' or '\\', whatever value a record carries */
static void assert_plain(const char *what, unsigned int v, const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			fail_msg("%s %u: \"%s\" needs JSON escaping", what, v, s);
}

/* v in decimal both ways: pt_u64_dec() from the buffer's start, NUL and
 * length; a number cell (pt_cell_u64) from its buffer's end */
static void assert_dec(uint64_t v)
{
	char got[24], want[24], cellbuf[PT_NUM_SIZE];
	struct pt_cell c;
	size_t n = pt_u64_dec(got, v);

	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	if (strcmp(got, want) || n != strlen(want))
		fail_msg("pt_u64_dec: \"%s\" (%zu), want %s", got, n, want);
	memset(cellbuf, 'x', sizeof(cellbuf));
	pt_cell_u64(&c, cellbuf, v);
	if (c.t != PT_CELL_NUM || c.len != strlen(want) || memcmp(c.s, want, c.len) ||
	    c.s + c.len != cellbuf + sizeof(cellbuf))
		fail_msg("pt_cell_u64: \"%.*s\", want %s at the buffer's end",
			 (int)c.len, c.s, want);
}

static void test_u64_dec(void **state)
{
	static const uint64_t cases[] = {
		0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 4026531840ULL,
		10000000000000000000ULL, UINT64_MAX,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_dec(cases[i]);
	/* every value below 100,000 */
	for (uint64_t v = 0; v < 100000; v++)
		assert_dec(v);
	/* each side of every power of ten: where the length changes */
	for (uint64_t p = 10; p; p = p <= UINT64_MAX / 10 ? p * 10 : 0) {
		for (uint64_t v = p - 1; v <= p; v++)
			assert_dec(v);
	}
}

/*
 * A JSON row is built whole in one line buffer (4 KiB) before it is written:
 * one that cannot fit is refused (-ENOBUFS) and leaves nothing in the
 * stream, never half a line; one that fits to the last byte the room check
 * allows is written whole. Each value's length in turn, 0 to 40: values are
 * copied in pieces by length.
 */
static void test_json_row_room(void **state)
{
	static const char *const names[] = { "a", "b" };
	static char keys[2][PT_KEY_WIDTH];
	static unsigned char keys_len[2];
	static const struct pt_row_shape shape = {
		.ncols = 2, .names = names, .keys = keys, .keys_len = keys_len,
	};
	struct pt_line l;
	static char big[sizeof(l.buf)], want[2 * sizeof(l.buf)];
	struct pt_cell cells[2];
	struct pt_row row = { .shape = &shape, .c = cells };
	struct capture c;
	char *out;
	/* the room a TEXT cell asks for: its key, copied whole, and quotes;
	 * 3 more for the closing "}\n" */
	size_t most = sizeof(l.buf) - PT_KEY_WIDTH - 2 - 3;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);

	/* short values, every length: "b" a number, then a null */
	for (size_t n = 0; n <= 40; n++) {
		/* a number of n digits */
		const char *digits = "1234567890123456789012345678901234567890" + 40 - n;

		pt_cell_textn(&cells[0], big, n);
		pt_cell_numstr(&cells[1], digits);
		cap_start(&c, &pt_sink_json_ops, false);
		assert_int_equal(pt_sink_json_ops.write_row(&c.s, &row), 0);
		pt_cell_null(&cells[1]);
		assert_int_equal(pt_sink_json_ops.write_row(&c.s, &row), 0);
		out = cap_done(&c);
		snprintf(want, sizeof(want), "{\"a\":\"%.*s\",\"b\":%.*s}\n{\"a\":\"%.*s\",\"b\":null}\n",
			 (int)n, big, (int)n, digits, (int)n, big);
		assert_string_equal(out, want);
		free(out);
	}

	/* the longest value that fits, alone in its row: written whole */
	pt_cell_textn(&cells[0], big, most);
	cells[1] = (struct pt_cell){ .t = PT_CELL_UNSET };
	cap_start(&c, &pt_sink_json_ops, false);
	assert_int_equal(pt_sink_json_ops.write_row(&c.s, &row), 0);
	out = cap_done(&c);
	snprintf(want, sizeof(want), "{\"a\":\"%.*s\"}\n", (int)most, big);
	assert_string_equal(out, want);
	free(out);

	/* a byte more; then a second cell that no longer fits: refused, and
	 * nothing of either row is in the stream */
	cap_start(&c, &pt_sink_json_ops, false);
	pt_cell_textn(&cells[0], big, most + 1);
	assert_int_equal(pt_sink_json_ops.write_row(&c.s, &row), -ENOBUFS);
	pt_cell_textn(&cells[0], big, most - 40);
	pt_cell_str(&cells[1], "a string that the escaper could make six times as long");
	assert_int_equal(pt_sink_json_ops.write_row(&c.s, &row), -ENOBUFS);
	assert_int_equal(c.s.rows, 0);
	out = cap_done(&c);
	assert_int_equal(c.len, 0);
	free(out);
}

static void test_own_words_plain(void **state)
{
	struct pt_event ev = {};
	unsigned int v;

	(void)state;
	for (v = 0; v <= 0xffff; v++)	/* a record's result is 16 bits */
		assert_plain("result", v, pt_result_str(v));
	for (v = 0; v <= 0xff; v++) {
		assert_plain("kind", v, pt_kind_str(v));
		assert_plain("family", v, pt_family_str(v));
		assert_plain("proto", v, pt_proto_str(v));
		assert_plain("attribution", v, pt_attribution_str(v));
		assert_plain("side", v, pt_side_str(v));
		assert_plain("port class", v, pt_port_class_str((enum pt_port_class)v));
		assert_plain("flow class", v, pt_flow_class_str((enum pt_flow_class)v));
		assert_plain("evidence", v, pt_evidence_str((enum pt_evidence)v));
		ev.flags = (__u8)v;
		if (pt_closed_first_str(&ev))
			assert_plain("closed_first", v, pt_closed_first_str(&ev));
	}
}

static void test_closed_first(void **state)
{
	static const struct {
		unsigned int kind, side, flags;
		const char *want;
	} cases[] = {
		{ PT_EV_CLOSE, PT_SIDE_CLIENT, PT_F_CLOSED_FIRST_LOCAL, "client" },
		{ PT_EV_CLOSE, PT_SIDE_CLIENT, PT_F_CLOSED_FIRST_PEER, "server" },
		{ PT_EV_CLOSE, PT_SIDE_SERVER, PT_F_CLOSED_FIRST_LOCAL, "server" },
		{ PT_EV_CLOSE, PT_SIDE_SERVER, PT_F_CLOSED_FIRST_PEER, "client" },
		{ PT_EV_CLOSE, PT_SIDE_SERVER,
		  PT_F_CLOSED_FIRST_PEER | PT_F_PEER_LOCAL, "client" },
		{ PT_EV_CLOSE, PT_SIDE_CLIENT, 0, NULL },
		{ PT_EV_CLOSE, PT_SIDE_CLIENT,
		  PT_F_CLOSED_FIRST_LOCAL | PT_F_CLOSED_FIRST_PEER, NULL },
		{ PT_EV_CLOSE, PT_SIDE_NONE, PT_F_CLOSED_FIRST_LOCAL, NULL },
		{ PT_EV_CONNECT, PT_SIDE_CLIENT, PT_F_CLOSED_FIRST_LOCAL, NULL },
	};
	struct pt_event e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got;

		memset(&e, 0, sizeof(e));
		e.kind = cases[i].kind;
		e.side = cases[i].side;
		e.flags = cases[i].flags;
		got = pt_closed_first_str(&e);
		if (!cases[i].want ? got != NULL :
		    !got || strcmp(got, cases[i].want))
			fail_msg("case %zu: \"%s\", want \"%s\"", i,
				 got ? got : "(null)",
				 cases[i].want ? cases[i].want : "(null)");
	}
}

static void test_has_client(void **state)
{
	struct pt_event e = { 0 };

	(void)state;
	e.kind = PT_EV_CONNECT;
	assert_true(pt_has_client(&e));
	e.kind = PT_EV_ACCEPT;
	assert_true(pt_has_client(&e));
	e.kind = PT_EV_CLOSE;
	assert_true(pt_has_client(&e));
	e.kind = PT_EV_LISTEN;
	assert_false(pt_has_client(&e));
	e.kind = PT_EV_UNLISTEN;
	assert_false(pt_has_client(&e));
}

/* ---- JSON ---- */

static void json_is(const struct pt_flow *f, const char *want)
{
	char *out = render_flow(&pt_sink_json_ops, f);

	assert_string_equal(out, want);
	free(out);
}

static void test_json_connect_ok(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_flow(&e, &f);
	json_is(&f,
		"{\"time\":\"" T_TIME "\",\"kind\":\"connect\",\"proto\":\"tcp\","
		"\"family\":\"ipv4\",\"side\":\"client\",\"pid\":4242,"
		"\"comm\":\"curl\",\"thread\":null,\"uid\":1000,\"cgroup_id\":7654,"
		"\"container_id\":null,\"netns\":4026531840,"
		"\"client_addr\":\"10.0.0.1\",\"client_port\":40000,"
		"\"client_port_class\":\"ephemeral\","
		"\"server_addr\":\"10.0.0.2\",\"server_port\":443,"
		"\"server_port_class\":\"static\","
		"\"flow_class\":\"ephemeral-to-static\","
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"client=socket server=listener\","
		"\"attribution\":\"syscall\",\"result\":\"ok\","
		"\"latency_us\":1234,\"duration_ms\":null,\"tx_bytes\":null,"
		"\"rx_bytes\":null,\"closed_first\":null,\"bound\":null,"
		"\"community_id\":\"1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=\",\"schema_version\":1}\n");
}

static void test_json_connect_refused(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_flow(&e, &f);
	e.result = ECONNREFUSED;
	e.latency_ns = 250999;
	json_is(&f,
		"{\"time\":\"" T_TIME "\",\"kind\":\"connect\",\"proto\":\"tcp\","
		"\"family\":\"ipv4\",\"side\":\"client\",\"pid\":4242,"
		"\"comm\":\"curl\",\"thread\":null,\"uid\":1000,\"cgroup_id\":7654,"
		"\"container_id\":null,\"netns\":4026531840,"
		"\"client_addr\":\"10.0.0.1\",\"client_port\":40000,"
		"\"client_port_class\":\"ephemeral\","
		"\"server_addr\":\"10.0.0.2\",\"server_port\":443,"
		"\"server_port_class\":\"static\","
		"\"flow_class\":\"ephemeral-to-static\","
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"client=socket server=listener\","
		"\"attribution\":\"syscall\",\"result\":\"refused\","
		"\"latency_us\":250,\"duration_ms\":null,\"tx_bytes\":null,"
		"\"rx_bytes\":null,\"closed_first\":null,\"bound\":null,"
		"\"community_id\":\"1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=\",\"schema_version\":1}\n");
}

/* The port-exhaustion signal; the kernel found no port: client_port null. */
static void test_json_connect_no_ephemeral_port(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	e.result = EADDRNOTAVAIL;
	e.client_port = 0;
	e.latency_ns = 999;
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"client_port\":null,"));
	assert_non_null(strstr(out, ",\"result\":\"no-ephemeral-port\","
				    "\"latency_us\":0,"));
	free(out);
}

/* Connected UDP, as a resolver does, from inside a container. */
static void test_json_udp_container(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_flow(&e, &f);
	e.proto = PT_PROTO_UDP;
	e.server_port = 53;
	e.latency_ns = 0;
	e.cgroup_id = 18446744073709551615ull;
	f.container_id = CID;
	f.server_evidence = PT_EVID_RANGE;
	json_is(&f,
		"{\"time\":\"" T_TIME "\",\"kind\":\"connect\",\"proto\":\"udp\","
		"\"family\":\"ipv4\",\"side\":\"client\",\"pid\":4242,"
		"\"comm\":\"curl\",\"thread\":null,\"uid\":1000,"
		"\"cgroup_id\":18446744073709551615,"
		"\"container_id\":\"" CID "\",\"netns\":4026531840,"
		"\"client_addr\":\"10.0.0.1\",\"client_port\":40000,"
		"\"client_port_class\":\"ephemeral\","
		"\"server_addr\":\"10.0.0.2\",\"server_port\":53,"
		"\"server_port_class\":\"static\","
		"\"flow_class\":\"ephemeral-to-static\","
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"client=socket server=range\","
		"\"attribution\":\"syscall\",\"result\":\"ok\","
		"\"latency_us\":0,\"duration_ms\":null,\"tx_bytes\":null,"
		"\"rx_bytes\":null,\"closed_first\":null,\"bound\":null,"
		"\"community_id\":\"1:RXKURpyQITZU13SCYbIzaVPTxaQ=\",\"schema_version\":1}\n");
}

/*
 * Reset before any process accepted it: no pid, no uid, and the comm of
 * whatever ran in softirq is not printed.
 */
static void test_json_accept_unattributed(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_flow(&e, &f);
	e.kind = PT_EV_ACCEPT;
	e.family = PT_FAMILY_IPV6;
	e.side = PT_SIDE_SERVER;
	e.attribution = PT_ATTR_NONE;
	e.pid = 0;
	e.uid = 0;
	e.result = ECONNRESET;
	set_comm(&e, "swapper/3", 9);
	set_addrs(&e, &f, "fe80::1", "::1");
	f.client_evidence = PT_EVID_PEER;
	f.server_evidence = PT_EVID_USER_RANGE;
	f.client_class = PT_PORT_STATIC;
	f.server_class = PT_PORT_EPHEMERAL;
	f.flow_class = PT_FLOW_STATIC_TO_EPH;
	json_is(&f,
		"{\"time\":\"" T_TIME "\",\"kind\":\"accept\",\"proto\":\"tcp\","
		"\"family\":\"ipv6\",\"side\":\"server\",\"pid\":null,"
		"\"comm\":\"\",\"thread\":null,\"uid\":null,\"cgroup_id\":null,"
		"\"container_id\":null,\"netns\":4026531840,"
		"\"client_addr\":\"fe80::1\",\"client_port\":40000,"
		"\"client_port_class\":\"static\","
		"\"server_addr\":\"::1\",\"server_port\":443,"
		"\"server_port_class\":\"ephemeral\","
		"\"flow_class\":\"static-to-ephemeral\","
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"client=peer-socket server=user-range\","
		"\"attribution\":\"none\",\"result\":\"reset\","
		"\"latency_us\":null,\"duration_ms\":null,\"tx_bytes\":null,"
		"\"rx_bytes\":null,\"closed_first\":null,\"bound\":null,"
		"\"community_id\":\"1:eQfPZTTO7/gpajxZndN8XhhIOzE=\",\"schema_version\":1}\n");
}

/* A prefork worker's accept, attributed to the listener's owner. */
static void test_json_accept_listener(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	e.kind = PT_EV_ACCEPT;
	e.side = PT_SIDE_SERVER;
	e.attribution = PT_ATTR_LISTENER;
	e.pid = 880;
	set_comm(&e, "nginx", 5);
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"side\":\"server\",\"pid\":880,"
				    "\"comm\":\"nginx\",\"thread\":null,\"uid\":1000,"));
	assert_non_null(strstr(out, ",\"attribution\":\"listener\","
				    "\"result\":\"ok\",\"latency_us\":null,"));
	free(out);
}

static void test_json_listen_bound(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_listen(&e, &f, true);
	json_is(&f,
		"{\"time\":\"" T_TIME "\",\"kind\":\"listen\",\"proto\":\"tcp\","
		"\"family\":\"ipv4\",\"side\":\"server\",\"pid\":880,"
		"\"comm\":\"nginx\",\"thread\":null,\"uid\":0,\"cgroup_id\":7654,"
		"\"container_id\":null,\"netns\":4026531840,"
		"\"client_addr\":null,\"client_port\":null,"
		"\"client_port_class\":null,"
		"\"server_addr\":\"0.0.0.0\",\"server_port\":80,"
		"\"server_port_class\":\"static\",\"flow_class\":null,"
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"server=socket\","
		"\"attribution\":\"syscall\",\"result\":null,"
		"\"latency_us\":null,\"duration_ms\":null,\"tx_bytes\":null,"
		"\"rx_bytes\":null,\"closed_first\":null,\"bound\":true,"
		"\"community_id\":null,\"schema_version\":1}\n");
}

/* listen() on a socket never bound: the kernel picked the port */
static void test_json_listen_unbound(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_listen(&e, &f, false);
	e.server_port = 45123;
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"server_port\":45123,"
				    "\"server_port_class\":\"ephemeral\","
				    "\"flow_class\":null,"));
	assert_non_null(strstr(out, ",\"bound\":false,\"community_id\":null,\"schema_version\":1}\n"));
	free(out);
}

static void test_json_unlisten(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_listen(&e, &f, true);
	e.kind = PT_EV_UNLISTEN;
	e.family = PT_FAMILY_IPV6;
	strcpy(f.server_addr, "::");
	json_is(&f,
		"{\"time\":\"" T_TIME "\",\"kind\":\"unlisten\",\"proto\":\"tcp\","
		"\"family\":\"ipv6\",\"side\":\"server\",\"pid\":880,"
		"\"comm\":\"nginx\",\"thread\":null,\"uid\":0,\"cgroup_id\":7654,"
		"\"container_id\":null,\"netns\":4026531840,"
		"\"client_addr\":null,\"client_port\":null,"
		"\"client_port_class\":null,"
		"\"server_addr\":\"::\",\"server_port\":80,"
		"\"server_port_class\":\"static\",\"flow_class\":null,"
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"server=socket\","
		"\"attribution\":\"syscall\",\"result\":null,"
		"\"latency_us\":null,\"duration_ms\":null,\"tx_bytes\":null,"
		"\"rx_bytes\":null,\"closed_first\":null,\"bound\":true,"
		"\"community_id\":null,\"schema_version\":1}\n");
}

static void test_json_close(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_close(&e, &f);
	json_is(&f,
		"{\"time\":\"" T_TIME "\",\"kind\":\"close\",\"proto\":\"tcp\","
		"\"family\":\"ipv4\",\"side\":\"client\",\"pid\":4242,"
		"\"comm\":\"curl\",\"thread\":null,\"uid\":1000,\"cgroup_id\":7654,"
		"\"container_id\":null,\"netns\":4026531840,"
		"\"client_addr\":\"10.0.0.1\",\"client_port\":40000,"
		"\"client_port_class\":\"ephemeral\","
		"\"server_addr\":\"10.0.0.2\",\"server_port\":443,"
		"\"server_port_class\":\"static\","
		"\"flow_class\":\"ephemeral-to-static\","
		"\"ephemeral_range\":\"32768-60999\","
		"\"evidence\":\"client=socket server=listener\","
		"\"attribution\":\"syscall\",\"result\":null,"
		"\"latency_us\":null,\"duration_ms\":1500,\"tx_bytes\":1000,"
		"\"rx_bytes\":2000000,\"closed_first\":\"server\","
		"\"bound\":null,"
		"\"community_id\":\"1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=\",\"schema_version\":1}\n");
}

/*
 * A connection open before the start (PT_F_INVENTORY): its row in
 * --connections has no latency, its close no duration; both name the
 * holder (owner). CSV leaves the same cells empty.
 */
static void test_inventory_connection(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	e.flags = PT_F_INVENTORY;
	e.attribution = PT_ATTR_OWNER;
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"attribution\":\"owner\",\"result\":\"ok\","
				    "\"latency_us\":null,\"duration_ms\":null,"));
	free(out);
	make_close(&e, &f);
	e.flags |= PT_F_INVENTORY;
	e.attribution = PT_ATTR_OWNER;
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"attribution\":\"owner\",\"result\":null,"
				    "\"latency_us\":null,\"duration_ms\":null,\"tx_bytes\":1000,"
				    "\"rx_bytes\":2000000,\"closed_first\":\"server\","));
	free(out);
	out = render_flow(&pt_sink_csv_ops, &f);
	assert_non_null(strstr(out, ",owner,,,,1000,2000000,server,,1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=,1\r\n"));
	free(out);
}

/* The server's side of a flow that died with a reset, no first closer seen. */
static void test_json_close_reset(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_close(&e, &f);
	e.side = PT_SIDE_SERVER;
	e.result = ECONNRESET;
	e.flags = 0;
	e.duration_ns = 999999;
	e.tx_bytes = 0;
	e.rx_bytes = 18446744073709551615ull;
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"result\":\"reset\",\"latency_us\":null,"
				    "\"duration_ms\":0,\"tx_bytes\":0,"
				    "\"rx_bytes\":18446744073709551615,"
				    "\"closed_first\":null,\"bound\":null,"
				    "\"community_id\":\"1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=\",\"schema_version\":1}\n"));
	e.flags = PT_F_CLOSED_FIRST_LOCAL;
	free(out);
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"closed_first\":\"server\","));
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
		{ "\x7f\xff\xc3\xa9", 4, "\\u007f\\ufffd\xc3\xa9" },
		{ "ABCDEFGHIJKLMNOP", 16, "ABCDEFGHIJKLMNOP" },
		{ "", 0, "" },
	};
	static const unsigned int kinds[] = {
		PT_EV_CONNECT, PT_EV_ACCEPT, PT_EV_LISTEN, PT_EV_UNLISTEN,
		PT_EV_CLOSE,
	};
	struct pt_event e;
	struct pt_flow f;
	size_t i, k;

	(void)state;
	make_flow(&e, &f);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		e.kind = kinds[k];
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char want[256], *out;

			set_comm(&e, cases[i].comm, cases[i].len);
			out = render_flow(&pt_sink_json_ops, &f);
			snprintf(want, sizeof(want),
				 ",\"comm\":\"%s\",\"thread\":null,\"uid\":1000,", cases[i].want);
			if (!strstr(out, want))
				fail_msg("kind %u case %zu: %s lacks %s",
					 kinds[k], i, out, want);
			/* one record, one line, whatever comm held */
			assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
			free(out);
		}
	}
}

static void test_json_stats(void **state)
{
	struct pt_stats st;
	struct capture c;
	char *out;

	(void)state;
	make_stats(&st);
	cap_start(&c, &pt_sink_json_ops, false);
	assert_int_equal(pt_sink_json_ops.write_stats(&c.s, &st), 0);
	out = cap_done(&c);
	assert_string_equal(out,
		"{\"time\":\"2026-11-23T08:41:00.000001Z\",\"kind\":\"stats\","
		"\"events\":1000,\"lost\":11,\"lost_ringbuf\":5,"
		"\"lost_state\":1,\"lost_recursion\":2,\"lost_unseen\":3,"
		"\"closes_reported_late\":4,\"schema_version\":1}\n");
	free(out);
}

/* ---- CSV ---- */

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

static char *csv_row(const struct pt_flow *f)
{
	char *out = render_flow(&pt_sink_csv_ops, f), *row;

	assert_int_equal(strncmp(out, csv_header, strlen(csv_header)), 0);
	row = strdup(out + strlen(csv_header));
	assert_non_null(row);
	free(out);
	return row;
}

static void csv_is(const struct pt_flow *f, const char *want)
{
	char *row = csv_row(f);

	assert_string_equal(row, want);
	free(row);
}

static void test_csv_header(void **state)
{
	struct capture c;
	char *out;
	size_t i, commas = 0;

	(void)state;
	cap_start(&c, &pt_sink_csv_ops, false);
	out = cap_done(&c);
	assert_string_equal(out, csv_header);
	for (i = 0; out[i]; i++)
		commas += out[i] == ',';
	assert_int_equal(commas + 1, NCOLS);
	assert_int_equal(PT_NFIELDS, NCOLS);
	free(out);
}

static void test_csv_rows(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_flow(&e, &f);
	csv_is(&f, T_TIME ",connect,tcp,ipv4,client,4242,curl,,1000,7654,,"
		   "4026531840,10.0.0.1,40000,ephemeral,10.0.0.2,443,static,"
		   "ephemeral-to-static,32768-60999,"
		   "client=socket server=listener,syscall,ok,1234,,,,,,1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=,1\r\n");

	e.result = ECONNREFUSED;
	e.latency_ns = 250999;
	csv_is(&f, T_TIME ",connect,tcp,ipv4,client,4242,curl,,1000,7654,,"
		   "4026531840,10.0.0.1,40000,ephemeral,10.0.0.2,443,static,"
		   "ephemeral-to-static,32768-60999,"
		   "client=socket server=listener,syscall,refused,250,,,,,,1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=,1\r\n");

	make_flow(&e, &f);
	e.proto = PT_PROTO_UDP;
	e.server_port = 53;
	e.latency_ns = 0;
	f.container_id = CID;
	csv_is(&f, T_TIME ",connect,udp,ipv4,client,4242,curl,,1000,7654," CID ","
		   "4026531840,10.0.0.1,40000,ephemeral,10.0.0.2,53,static,"
		   "ephemeral-to-static,32768-60999,"
		   "client=socket server=listener,syscall,ok,0,,,,,,1:RXKURpyQITZU13SCYbIzaVPTxaQ=,1\r\n");

	make_flow(&e, &f);
	e.kind = PT_EV_ACCEPT;
	e.family = PT_FAMILY_IPV6;
	e.side = PT_SIDE_SERVER;
	e.attribution = PT_ATTR_NONE;
	e.pid = 0;
	e.result = ECONNRESET;
	set_comm(&e, "swapper/3", 9);
	set_addrs(&e, &f, "fe80::1", "::1");
	f.client_evidence = PT_EVID_PEER;
	csv_is(&f, T_TIME ",accept,tcp,ipv6,server,,,,,,,"
		   "4026531840,fe80::1,40000,ephemeral,::1,443,static,"
		   "ephemeral-to-static,32768-60999,"
		   "client=peer-socket server=listener,none,reset,,,,,,,1:eQfPZTTO7/gpajxZndN8XhhIOzE=,1\r\n");

	make_listen(&e, &f, true);
	csv_is(&f, T_TIME ",listen,tcp,ipv4,server,880,nginx,,0,7654,,"
		   "4026531840,,,,0.0.0.0,80,static,,32768-60999,"
		   "server=socket,syscall,,,,,,,true,,1\r\n");

	make_listen(&e, &f, false);
	e.kind = PT_EV_UNLISTEN;
	e.flags = PT_F_INVENTORY;
	csv_is(&f, T_TIME ",unlisten,tcp,ipv4,server,880,nginx,,0,7654,,"
		   "4026531840,,,,0.0.0.0,80,ephemeral,,32768-60999,"
		   "server=socket,syscall,,,,,,,false,,1\r\n");

	make_close(&e, &f);
	csv_is(&f, T_TIME ",close,tcp,ipv4,client,4242,curl,,1000,7654,,"
		   "4026531840,10.0.0.1,40000,ephemeral,10.0.0.2,443,static,"
		   "ephemeral-to-static,32768-60999,"
		   "client=socket server=listener,syscall,,,1500,1000,2000000,"
		   "server,,1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=,1\r\n");

	e.result = ECONNRESET;
	e.flags = 0;
	csv_is(&f, T_TIME ",close,tcp,ipv4,client,4242,curl,,1000,7654,,"
		   "4026531840,10.0.0.1,40000,ephemeral,10.0.0.2,443,static,"
		   "ephemeral-to-static,32768-60999,"
		   "client=socket server=listener,syscall,reset,,1500,1000,"
		   "2000000,,,1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=,1\r\n");
}

/*
 * A close no run of porttrace saw, made up later from its acceptor's claim
 * (PT_X_UNSEEN): duration, bytes and the first closer are unknown, null in
 * JSON and empty in CSV, whatever the record's own numbers and flags say.
 */
static void test_unseen_close(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_close(&e, &f);
	e.flags |= PT_F_LATE;
	e.xflags = PT_X_UNSEEN;
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"attribution\":\"syscall\",\"result\":null,"
				    "\"latency_us\":null,\"duration_ms\":null,\"tx_bytes\":null,"
				    "\"rx_bytes\":null,\"closed_first\":null,\"bound\":null,"));
	free(out);
	csv_is(&f, T_TIME ",close,tcp,ipv4,client,4242,curl,,1000,7654,,"
		   "4026531840,10.0.0.1,40000,ephemeral,10.0.0.2,443,static,"
		   "ephemeral-to-static,32768-60999,"
		   "client=socket server=listener,syscall,,,,,,"
		   ",,1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=,1\r\n");
}

static void test_csv_stats(void **state)
{
	struct pt_stats st;
	struct capture c;
	char *out;

	(void)state;
	make_stats(&st);
	cap_start(&c, &pt_sink_csv_ops, false);
	assert_int_equal(pt_sink_csv_ops.write_stats(&c.s, &st), 0);
	out = cap_done(&c);
	assert_int_equal(strncmp(out, csv_header, strlen(csv_header)), 0);
	/* time, kind, 18 empty, evidence, 8 empty */
	assert_string_equal(out + strlen(csv_header),
		"2026-11-23T08:41:00.000001Z,stats,,,,,,,,,,,,,,,,,,,"
		"events=1000 lost=11 lost_ringbuf=5 lost_state=1 lost_recursion=2 lost_unseen=3"
		" closes_reported_late=4,,,,,,,,,,1\r\n");
	free(out);
}

/*
 * Hostile rows of every kind written to a real file, read back by the
 * RFC 4180 reader: the file stays rectangular and comm stays in its cell.
 */
static void test_csv_roundtrip(void **state)
{
	static const struct {
		const char *comm;
		size_t len;
		const char *want;	/* the cell value a reader returns */
	} cases[] = {
		{ "\x1b[2J", 4, "\\x1b[2J" },
		{ "a\nb", 3, "a\\x0ab" },
		{ "a\r\nb", 4, "a\\x0d\\x0ab" },
		{ "a\"b", 3, "a\"b" },
		{ "\"\",", 3, "\"\"," },
		{ "a\\b", 3, "a\\\\b" },
		{ "a,b", 3, "a,b" },
		{ "=cmd|' /C calc", 14, "'=cmd|' /C calc" },
		{ "=HYPERLINK(\"x\")", 16, "'=HYPERLINK(\"x\")" },
		{ "+1", 2, "'+1" },
		{ "-1", 2, "'-1" },
		{ "@x", 2, "'@x" },
		{ "\tx", 2, "'\\x09x" },
		{ "\rx", 2, "'\\x0dx" },
		{ "\x7f", 1, "\\x7f" },
		{ "\xff", 1, "\\xff" },
		{ "\xc3(", 2, "\\xc3(" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
		{ " x ", 3, " x " },
		{ "ABCDEFGHIJKLMNOP", 16, "ABCDEFGHIJKLMNOP" },
		{ "", 0, "" },
	};
	static const unsigned int kinds[] = {
		PT_EV_CONNECT, PT_EV_ACCEPT, PT_EV_LISTEN, PT_EV_UNLISTEN,
		PT_EV_CLOSE,
	};
	const size_t ncases = sizeof(cases) / sizeof(cases[0]);
	const size_t nkinds = sizeof(kinds) / sizeof(kinds[0]);
	struct pt_event e;
	struct pt_flow f;
	struct pt_stats st;
	struct pt_sink s = { .ops = &pt_sink_csv_ops };
	struct csv_rec *r;
	const char *p, *end;
	char *buf;
	long len;
	size_t i, k;
	int col;

	(void)state;
	r = malloc(sizeof(*r));
	assert_non_null(r);
	make_flow(&e, &f);
	make_stats(&st);
	s.out = tmpfile();
	assert_non_null(s.out);
	assert_int_equal(pt_sink_csv_ops.open(&s), 0);
	for (k = 0; k < nkinds; k++) {
		e.kind = kinds[k];
		for (i = 0; i < ncases; i++) {
			set_comm(&e, cases[i].comm, cases[i].len);
			assert_int_equal(pt_sink_csv_ops.write_flow(&s, &f), 0);
		}
	}
	assert_int_equal(pt_sink_csv_ops.write_stats(&s, &st), 0);
	assert_int_equal(pt_sink_csv_ops.close(&s), 0);

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
	assert_int_equal(r->nf, NCOLS);
	assert_string_equal(r->f[0], "time");
	assert_string_equal(r->f[6], "comm");
	assert_string_equal(r->f[7], "thread");
	assert_string_equal(r->f[21], "attribution");
	assert_string_equal(r->f[28], "bound");

	for (k = 0; k < nkinds; k++) {
		for (i = 0; i < ncases; i++) {
			if (csv_next(&p, end, r) != 1)
				fail_msg("kind %u case %zu: malformed CSV record",
					 kinds[k], i);
			assert_int_equal(r->nf, NCOLS);
			assert_string_equal(r->f[0], T_TIME);
			assert_string_equal(r->f[1], pt_kind_str(kinds[k]));
			assert_string_equal(r->f[5], "4242");
			if (strcmp(r->f[6], cases[i].want))
				fail_msg("kind %u case %zu: comm \"%s\", want \"%s\"",
					 kinds[k], i, r->f[6], cases[i].want);
			/* no cell may reach a spreadsheet as a formula */
			for (col = 0; col < r->nf; col++)
				if (r->f[col][0] && strchr("=+-@\t\r", r->f[col][0]))
					fail_msg("kind %u case %zu: column %d "
						 "starts a formula: %s", kinds[k],
						 i, col, r->f[col]);
			assert_string_equal(r->f[21], "syscall");
		}
	}

	assert_int_equal(csv_next(&p, end, r), 1);
	assert_int_equal(r->nf, NCOLS);
	assert_string_equal(r->f[1], "stats");
	for (col = 2; col < NCOLS - 1; col++)
		if (col != 20)
			assert_string_equal(r->f[col], "");
	assert_string_equal(r->f[NCOLS - 1], "1");
	assert_string_equal(r->f[20],
			    "events=1000 lost=11 lost_ringbuf=5 lost_state=1 lost_recursion=2 lost_unseen=3"
			    " closes_reported_late=4");
	assert_int_equal(csv_next(&p, end, r), 0);
	free(buf);
	free(r);
}

/* --csv-raw: the formula-like comm reaches the reader as it was */
static void test_csv_raw(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	struct capture c;
	char *out;

	(void)state;
	make_flow(&e, &f);
	set_comm(&e, "=1+1,\"x\"", 9);
	cap_start(&c, &pt_sink_csv_ops, false);
	c.s.csv_raw = true;
	assert_int_equal(pt_sink_csv_ops.write_flow(&c.s, &f), 0);
	out = cap_done(&c);
	assert_string_equal(out + strlen(csv_header),
		T_TIME ",connect,tcp,ipv4,client,4242,\"=1+1,\"\"x\"\"\",,1000,7654,,"
		"4026531840,10.0.0.1,40000,ephemeral,10.0.0.2,443,static,"
		"ephemeral-to-static,32768-60999,"
		"client=socket server=listener,syscall,ok,1234,,,,,,1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=,1\r\n");
	free(out);
}

/* The contract: JSON keys and CSV columns are the same names, same order. */
static void test_json_keys_match_csv_header(void **state)
{
	static const unsigned int kinds[] = {
		PT_EV_CONNECT, PT_EV_ACCEPT, PT_EV_LISTEN, PT_EV_UNLISTEN,
		PT_EV_CLOSE,
	};
	struct pt_event e;
	struct pt_flow f;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char keys[1024] = "", *out, *p, *q;

		make_close(&e, &f);
		e.kind = kinds[k];
		f.container_id = k % 2 ? CID : NULL;
		out = render_flow(&pt_sink_json_ops, &f);
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
}

/* ---- table ---- */

#define TABLE_HEADER \
	"TIME     EVENT        PID COMM            CLIENT                " \
	"SERVER                CLASS\n"
#define LIFE_HEADER \
	"TIME         PID COMM         CLIENT                " \
	"SERVER                     TX      RX MS\n"

static void table_is(const struct pt_flow *f, const char *row)
{
	char *out = render_flow(&pt_sink_table_ops, f);
	char want[512];

	snprintf(want, sizeof(want), "%s%s", TABLE_HEADER, row);
	assert_string_equal(out, want);
	free(out);
}

/*
 * A worker thread with a name of its own: comm stays the process's name
 * (what -c matches), thread carries the worker's, in every format; a thread
 * named like its process, or the leader itself, has thread null.
 */
static void test_thread_field(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	make_flow(&e, &f);
	memcpy(e.thread, "acceptor", 8);
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"comm\":\"curl\",\"thread\":\"acceptor\",\"uid\":1000,"));
	free(out);
	csv_is(&f, T_TIME ",connect,tcp,ipv4,client,4242,curl,acceptor,1000,7654,,"
		"4026531840,10.0.0.1,40000,ephemeral,10.0.0.2,443,static,"
		"ephemeral-to-static,32768-60999,client=socket server=listener,"
		"syscall,ok,1234,,,,,,1:UWHKJ/x6OQ1YiVv4rIl0t3yhjg8=,1\r\n");
	table_is(&f,
		"08:40:01 connect     4242 curl/acceptor   10.0.0.1:40000        "
		"10.0.0.2:443          eph-static\n");

	/* a hostile thread name is escaped like comm */
	memset(e.thread, 0, sizeof(e.thread));
	memcpy(e.thread, "\x1b[2J", 4);
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"thread\":\"\\u001b[2J\","));
	free(out);
	out = render_flow(&pt_sink_table_ops, &f);
	assert_null(strchr(out, '\x1b'));
	free(out);

	/* the same name as the process's, or the leader: null */
	memset(e.thread, 0, sizeof(e.thread));
	memcpy(e.thread, "curl", 4);
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"comm\":\"curl\",\"thread\":null,"));
	free(out);
	memcpy(e.thread, "other", 5);
	e.tid = e.pid;
	out = render_flow(&pt_sink_json_ops, &f);
	assert_non_null(strstr(out, ",\"thread\":null,"));
	free(out);
}

static void test_table_header_and_row(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_flow(&e, &f);
	table_is(&f,
		"08:40:01 connect     4242 curl            10.0.0.1:40000        "
		"10.0.0.2:443          eph-static\n");
}

static void test_table_ipv6(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_flow(&e, &f);
	e.kind = PT_EV_ACCEPT;
	e.family = PT_FAMILY_IPV6;
	set_addrs(&e, &f, "2001:db8::1", "::1");
	f.flow_class = PT_FLOW_EPH_TO_EPH;
	table_is(&f,
		"08:40:01 accept      4242 curl            [2001:db8::1]:40000   "
		"[::1]:443             eph-eph\n");
}

/* A failed connect or accept shows its outcome where the class would be. */
static void test_table_failures(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_flow(&e, &f);
	e.result = ECONNREFUSED;
	table_is(&f,
		"08:40:01 connect     4242 curl            10.0.0.1:40000        "
		"10.0.0.2:443          !refused\n");
	e.result = ETIMEDOUT;
	table_is(&f,
		"08:40:01 connect     4242 curl            10.0.0.1:40000        "
		"10.0.0.2:443          !timeout\n");
	e.result = ECONNABORTED;
	table_is(&f,
		"08:40:01 connect     4242 curl            10.0.0.1:40000        "
		"10.0.0.2:443          !econnaborted\n");
	/* shortened for the width budget; JSON and CSV carry the full name */
	e.result = EADDRNOTAVAIL;
	e.client_port = 0;
	table_is(&f,
		"08:40:01 connect     4242 curl            10.0.0.1:0            "
		"10.0.0.2:443          !no-eph-port\n");
	/* a name too long for the column is shown as its number */
	e.result = ENOTRECOVERABLE;
	table_is(&f,
		"08:40:01 connect     4242 curl            10.0.0.1:0            "
		"10.0.0.2:443          !errno-131\n");

	/* reset before any process took it: no pid, no comm */
	make_flow(&e, &f);
	e.kind = PT_EV_ACCEPT;
	e.family = PT_FAMILY_IPV6;
	e.side = PT_SIDE_SERVER;
	e.attribution = PT_ATTR_NONE;
	e.pid = 0;
	e.result = ECONNRESET;
	set_comm(&e, "swapper/3", 9);
	set_addrs(&e, &f, "2001:db8::1", "::1");
	table_is(&f,
		"08:40:01 accept         -                 [2001:db8::1]:40000   "
		"[::1]:443             !reset\n");
}

static void test_table_listen(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_listen(&e, &f, true);
	table_is(&f,
		"08:40:01 listen       880 nginx           -                     "
		"0.0.0.0:80            static\n");
	/* found at start: printed like any listen record */
	e.flags = PT_F_INVENTORY;
	table_is(&f,
		"08:40:01 listen       880 nginx           -                     "
		"0.0.0.0:80            static\n");

	make_listen(&e, &f, false);
	e.kind = PT_EV_UNLISTEN;
	e.family = PT_FAMILY_IPV6;
	e.server_port = 45123;
	strcpy(f.server_addr, "::");
	table_is(&f,
		"08:40:01 unlisten     880 nginx           -                     "
		"[::]:45123            eph\n");
}

static void test_table_close(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_close(&e, &f);
	table_is(&f,
		"08:40:01 close       4242 curl            10.0.0.1:40000        "
		"10.0.0.2:443          eph-static\n");
	/* sk_err on a close is no failed flow: the class stays */
	e.result = ECONNRESET;
	f.flow_class = PT_FLOW_STATIC_TO_STATIC;
	table_is(&f,
		"08:40:01 close       4242 curl            10.0.0.1:40000        "
		"10.0.0.2:443          static-static\n");
}

static void check_printable(const char *out, size_t i)
{
	const char *p;

	/* nothing but printable ASCII and the line ends reaches the tty */
	for (p = out; *p; p++)
		if (*p != '\n' && (*p < 0x20 || *p > 0x7e))
			fail_msg("case %zu: raw byte 0x%02x", i, (unsigned char)*p);
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
	static const unsigned int kinds[] = {
		PT_EV_CONNECT, PT_EV_ACCEPT, PT_EV_LISTEN, PT_EV_UNLISTEN,
		PT_EV_CLOSE,
	};
	struct pt_event e;
	struct pt_flow f;
	size_t i, k;

	(void)state;
	make_flow(&e, &f);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		e.kind = kinds[k];
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char want[128], *out;

			set_comm(&e, cases[i].comm, cases[i].len);
			out = render_flow(&pt_sink_table_ops, &f);
			snprintf(want, sizeof(want), "    4242 %s %s ",
				 cases[i].want,
				 pt_has_client(&e) ? "10.0.0.1:40000" : "-");
			if (!strstr(out, want))
				fail_msg("kind %u case %zu: %s lacks \"%s\"",
					 kinds[k], i, out, want);
			check_printable(out, i);
			free(out);
		}
	}
}

/* The widest line of out, and no line may end in a space. */
static size_t widest_line(const char *out)
{
	const char *line, *nl;
	size_t widest = 0;

	for (line = out; (nl = strchr(line, '\n')); line = nl + 1) {
		size_t w = nl - line;

		if (w > widest)
			widest = w;
		assert_true(w > 0 && line[w - 1] != ' ');
	}
	return widest;
}

/*
 * Widest IPv4 line: 7-digit pid (PID_MAX_LIMIT), full comm, max addresses,
 * every kind, every class and every outcome a result can hold.
 */
static void test_table_width(void **state)
{
	static const enum pt_flow_class classes[] = {
		PT_FLOW_EPH_TO_STATIC, PT_FLOW_STATIC_TO_STATIC,
		PT_FLOW_EPH_TO_EPH, PT_FLOW_STATIC_TO_EPH,
	};
	static const unsigned int kinds[] = {
		PT_EV_CONNECT, PT_EV_ACCEPT, PT_EV_LISTEN, PT_EV_UNLISTEN,
		PT_EV_CLOSE,
	};
	struct pt_event e;
	struct pt_flow f;
	size_t k, c, widest = 0, w;
	unsigned int r;

	(void)state;
	make_flow(&e, &f);
	e.pid = 4194304;
	e.client_port = 65535;
	e.server_port = 65535;
	set_comm(&e, "WWWWWWWWWWWWWWWW", 16);
	strcpy(f.client_addr, "255.255.255.255");
	strcpy(f.server_addr, "255.255.255.255");
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		e.kind = kinds[k];
		for (c = 0; c < 4; c++) {
			char *out;

			f.flow_class = classes[c];
			f.server_class = c % 2 ? PT_PORT_EPHEMERAL : PT_PORT_STATIC;
			e.result = 0;
			out = render_flow(&pt_sink_table_ops, &f);
			w = widest_line(out);
			if (w > 100)
				fail_msg("%zu columns: %s", w, out);
			widest = w > widest ? w : widest;
			free(out);
		}
		/* every errno, the ones past them and our own codes */
		for (r = 1; r < 300 + 4; r++) {
			static const unsigned int big[] = {
				4000, 65534, PT_RESULT_ABORTED, EADDRNOTAVAIL,
			};
			char *out;

			e.result = r < 300 ? r : big[r - 300];
			out = render_flow(&pt_sink_table_ops, &f);
			w = widest_line(out);
			if (w > 100)
				fail_msg("result %u: %zu columns: %s", e.result,
					 w, out);
			widest = w > widest ? w : widest;
			free(out);
		}
	}
	/* 8+8+7+15+21+21 columns, 6 spaces and a 14-wide class column */
	assert_true(widest >= 99 && widest <= 100);
}

static void test_table_stats_silent(void **state)
{
	struct pt_stats st;
	struct capture c;
	char *out;

	(void)state;
	make_stats(&st);
	cap_start(&c, &pt_sink_table_ops, false);
	assert_int_equal(pt_sink_table_ops.write_stats(&c.s, &st), 0);
	out = cap_done(&c);
	assert_string_equal(out, TABLE_HEADER);
	free(out);
}

/* ---- lifetime table ---- */

static void life_is(const struct pt_flow *f, const char *row)
{
	char *out = render(&pt_sink_table_ops, f, true);
	char want[512];

	snprintf(want, sizeof(want), "%s%s", LIFE_HEADER, row);
	assert_string_equal(out, want);
	free(out);
}

static void test_lifetime_rows(void **state)
{
	struct pt_event e;
	struct pt_flow f;

	(void)state;
	make_close(&e, &f);
	/* exact bytes up to 9999999 */
	life_is(&f,
		"08:40:01    4242 curl         10.0.0.1:40000        "
		"10.0.0.2:443             1000 2000000 1500\n");

	/* past 9999999 B the largest unit keeping six digits: same width */
	e.tx_bytes = 10240000000ull;		/* 10000000 KiB */
	e.rx_bytes = 18446744073709551615ull;	/* 16 EiB - 1 */
	e.duration_ns = 86400000000000ull;	/* a day */
	life_is(&f,
		"08:40:01    4242 curl         10.0.0.1:40000        "
		"10.0.0.2:443            9765M  16383P 86400000\n");
	e.tx_bytes = 9999999ull;		/* the last exact value */
	e.rx_bytes = 1073741824ull * 1000;	/* 1000 GiB */
	life_is(&f,
		"08:40:01    4242 curl         10.0.0.1:40000        "
		"10.0.0.2:443          9999999   1000G 86400000\n");
	e.tx_bytes = 10000000ull;		/* 9765 KiB */
	life_is(&f,
		"08:40:01    4242 curl         10.0.0.1:40000        "
		"10.0.0.2:443            9765K   1000G 86400000\n");

	/* IPv6, no process: pid "-", comm empty */
	make_close(&e, &f);
	e.family = PT_FAMILY_IPV6;
	e.attribution = PT_ATTR_NONE;
	set_addrs(&e, &f, "2001:db8::1", "::1");
	life_is(&f,
		"08:40:01       -              [2001:db8::1]:40000   "
		"[::1]:443                1000 2000000 1500\n");

	/* a record that is no finished flow still shows, with no numbers */
	make_flow(&e, &f);
	life_is(&f,
		"08:40:01    4242 curl         10.0.0.1:40000        "
		"10.0.0.2:443                -       - -\n");
	make_listen(&e, &f, true);
	life_is(&f,
		"08:40:01     880 nginx        -                     "
		"0.0.0.0:80                  -       - -\n");
}

static void test_lifetime_hostile_comm(void **state)
{
	static const struct {
		const char *comm;
		size_t len;
		const char *want;	/* cut and padded to 12 */
	} cases[] = {
		{ "\x1b[2J", 4, "\\x1b[2J     " },
		{ "\x1b\x1b\x1b\x1b", 4, "\\x1b\\x1b\\x1b" },
		{ "a\x1b\x1b\x1b", 4, "a\\x1b\\x1b   " },
		{ "ABCDEFGHIJKLMNOP", 16, "ABCDEFGHIJKL" },
		{ "", 0, "            " },
	};
	struct pt_event e;
	struct pt_flow f;
	size_t i;

	(void)state;
	make_close(&e, &f);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[128], *out;

		set_comm(&e, cases[i].comm, cases[i].len);
		out = render(&pt_sink_table_ops, &f, true);
		snprintf(want, sizeof(want), "    4242 %s 10.0.0.1:40000 ",
			 cases[i].want);
		if (!strstr(out, want))
			fail_msg("case %zu: %s lacks \"%s\"", i, out, want);
		check_printable(out, i);
		free(out);
	}
}

/*
 * Widest IPv4 lifetime line: as for the event table, any byte count, and a
 * flow of up to 9999999999 ms (115 days).
 */
static void test_lifetime_width(void **state)
{
	static const uint64_t bytes[] = {
		0, 10239999999ull, 10240000000ull, 1099511627776ull * 1000,
		18446744073709551615ull,
	};
	struct pt_event e;
	struct pt_flow f;
	size_t i, j, w, widest = 0;

	(void)state;
	make_close(&e, &f);
	e.pid = 4194304;
	e.client_port = 65535;
	e.server_port = 65535;
	e.duration_ns = 9999999999ull * 1000000;
	set_comm(&e, "WWWWWWWWWWWWWWWW", 16);
	strcpy(f.client_addr, "255.255.255.255");
	strcpy(f.server_addr, "255.255.255.255");
	for (i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		for (j = 0; j < sizeof(bytes) / sizeof(bytes[0]); j++) {
			char *out;

			e.tx_bytes = bytes[i];
			e.rx_bytes = bytes[j];
			out = render(&pt_sink_table_ops, &f, true);
			w = widest_line(out);
			if (w > 100)
				fail_msg("%zu columns: %s", w, out);
			widest = w > widest ? w : widest;
			free(out);
		}
	}
	/* 8+7+12+21+21+7+7 columns, 7 spaces, 10 digits of MS */
	assert_int_equal(widest, 100);
}

/* ---- errors ---- */

static const struct pt_sink_ops *const all_sinks[] = {
	&pt_sink_table_ops, &pt_sink_json_ops, &pt_sink_csv_ops,
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
		const struct pt_sink_ops *ops = all_sinks[i];
		struct pt_sink s = { .ops = ops, .out = open_full(_IONBF) };
		int ret = ops->open(&s);

		/* JSON has no header: open writes nothing and cannot fail */
		assert_int_equal(ret, ops == &pt_sink_json_ops ? 0 : -ENOSPC);
		assert_int_equal(ops->write_flow(&s, &f), -ENOSPC);
		assert_int_equal(s.rows, 0);
		if (ops != &pt_sink_table_ops)
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
		const struct pt_sink_ops *ops = all_sinks[i];
		struct pt_sink s = {
			.ops = ops, .out = open_full(_IOFBF), .line_flush = true,
		};

		assert_int_equal(ops->open(&s),
				 ops == &pt_sink_json_ops ? 0 : -ENOSPC);
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
		const struct pt_sink_ops *ops = all_sinks[i];
		struct pt_sink s = { .ops = ops, .out = open_full(_IOFBF) };

		assert_int_equal(ops->open(&s), 0);
		assert_int_equal(ops->write_flow(&s, &f), 0);
		assert_int_equal(ops->close(&s), -ENOSPC);
		fclose(s.out);
	}
}

/* The lifetime layout reports errors the same way. */
static void test_dev_full_lifetime(void **state)
{
	struct pt_event e;
	struct pt_flow f;
	struct pt_sink s = { .ops = &pt_sink_table_ops, .lifetime = true };

	(void)state;
	make_close(&e, &f);
	s.out = open_full(_IONBF);
	assert_int_equal(pt_sink_table_ops.open(&s), -ENOSPC);
	assert_int_equal(pt_sink_table_ops.write_flow(&s, &f), -ENOSPC);
	assert_int_equal(s.rows, 0);
	fclose(s.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_own_words_plain),
		cmocka_unit_test(test_u64_dec),
		cmocka_unit_test(test_json_row_room),
		cmocka_unit_test(test_closed_first),
		cmocka_unit_test(test_has_client),
		cmocka_unit_test(test_json_connect_ok),
		cmocka_unit_test(test_inventory_connection),
		cmocka_unit_test(test_json_connect_refused),
		cmocka_unit_test(test_json_connect_no_ephemeral_port),
		cmocka_unit_test(test_json_udp_container),
		cmocka_unit_test(test_json_accept_unattributed),
		cmocka_unit_test(test_json_accept_listener),
		cmocka_unit_test(test_json_listen_bound),
		cmocka_unit_test(test_json_listen_unbound),
		cmocka_unit_test(test_json_unlisten),
		cmocka_unit_test(test_json_close),
		cmocka_unit_test(test_thread_field),
		cmocka_unit_test(test_json_close_reset),
		cmocka_unit_test(test_unseen_close),
		cmocka_unit_test(test_json_hostile_comm),
		cmocka_unit_test(test_csv_raw),
		cmocka_unit_test(test_json_stats),
		cmocka_unit_test(test_csv_reader_rejects),
		cmocka_unit_test(test_csv_header),
		cmocka_unit_test(test_csv_rows),
		cmocka_unit_test(test_csv_stats),
		cmocka_unit_test(test_csv_roundtrip),
		cmocka_unit_test(test_json_keys_match_csv_header),
		cmocka_unit_test(test_table_header_and_row),
		cmocka_unit_test(test_table_ipv6),
		cmocka_unit_test(test_table_failures),
		cmocka_unit_test(test_table_listen),
		cmocka_unit_test(test_table_close),
		cmocka_unit_test(test_table_hostile_comm),
		cmocka_unit_test(test_table_width),
		cmocka_unit_test(test_table_stats_silent),
		cmocka_unit_test(test_lifetime_rows),
		cmocka_unit_test(test_lifetime_hostile_comm),
		cmocka_unit_test(test_lifetime_width),
		cmocka_unit_test(test_dev_full_unbuffered),
		cmocka_unit_test(test_dev_full_line_flush),
		cmocka_unit_test(test_dev_full_close),
		cmocka_unit_test(test_dev_full_lifetime),
	};

	return cmocka_run_group_tests_name("sinks", tests, NULL, NULL);
}
