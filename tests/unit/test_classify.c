// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Classification over the port-class/evidence table (README: classification). */
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "classify.h"

static const struct pt_eph_policy autopol = { PT_EPH_AUTO, 0, 0 };
static const struct pt_eph_policy iana = { PT_EPH_IANA, 49152, 65535 };
static const struct pt_eph_policy user = { PT_EPH_RANGE, 20000, 20999 };

struct port_case {
	const struct pt_eph_policy *pol;
	uint16_t port;
	unsigned int origin, src;
	uint16_t lo, hi;
	bool reserved;
	enum pt_port_class cls;
	enum pt_evidence evid;
};

static void test_port_table(void **state)
{
	static const struct port_case cases[] = {
		/* origin wins wherever the port lies */
		{ &autopol, 50055, PT_ORIGIN_BOUND, PT_SRC_LISTENER, 32768, 60999, false, PT_PORT_STATIC, PT_EVID_LISTENER },
		{ &autopol, 41234, PT_ORIGIN_KERNEL, PT_SRC_LISTENER, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_LISTENER },
		{ &autopol, 1000, PT_ORIGIN_KERNEL, PT_SRC_SOCKET, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_SOCKET },
		{ &autopol, 5555, PT_ORIGIN_BOUND, PT_SRC_SOCKET, 32768, 60999, false, PT_PORT_STATIC, PT_EVID_SOCKET },
		{ &autopol, 40000, PT_ORIGIN_BOUND, PT_SRC_PEER, 32768, 60999, false, PT_PORT_STATIC, PT_EVID_PEER },
		{ &autopol, 40000, PT_ORIGIN_KERNEL, PT_SRC_PEER, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_PEER },
		/* no socket on this host: the flow's own range, edges included */
		{ &autopol, 32768, PT_ORIGIN_UNKNOWN, PT_SRC_NONE, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_RANGE },
		{ &autopol, 60999, PT_ORIGIN_UNKNOWN, PT_SRC_NONE, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_RANGE },
		{ &autopol, 32767, PT_ORIGIN_UNKNOWN, PT_SRC_NONE, 32768, 60999, false, PT_PORT_STATIC, PT_EVID_RANGE },
		{ &autopol, 61000, PT_ORIGIN_UNKNOWN, PT_SRC_NONE, 32768, 60999, false, PT_PORT_STATIC, PT_EVID_RANGE },
		{ &autopol, 20500, PT_ORIGIN_UNKNOWN, PT_SRC_NONE, 20000, 20999, false, PT_PORT_EPHEMERAL, PT_EVID_RANGE },
		{ &autopol, 40000, PT_ORIGIN_UNKNOWN, PT_SRC_NONE, 20000, 20999, false, PT_PORT_STATIC, PT_EVID_RANGE },
		/* a reserved port is never handed out: static by range */
		{ &autopol, 40000, PT_ORIGIN_UNKNOWN, PT_SRC_NONE, 32768, 60999, true, PT_PORT_STATIC, PT_EVID_RANGE },
		/* ... but origin still wins over a reservation */
		{ &autopol, 40000, PT_ORIGIN_KERNEL, PT_SRC_SOCKET, 32768, 60999, true, PT_PORT_EPHEMERAL, PT_EVID_SOCKET },
		/* an origin without a source is no evidence */
		{ &autopol, 40000, PT_ORIGIN_BOUND, PT_SRC_NONE, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_RANGE },
		/* plain range modes ignore origin */
		{ &iana, 49152, PT_ORIGIN_BOUND, PT_SRC_SOCKET, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_IANA },
		{ &iana, 49151, PT_ORIGIN_KERNEL, PT_SRC_SOCKET, 32768, 60999, false, PT_PORT_STATIC, PT_EVID_IANA },
		{ &iana, 65535, PT_ORIGIN_UNKNOWN, PT_SRC_NONE, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_IANA },
		{ &user, 20999, PT_ORIGIN_BOUND, PT_SRC_LISTENER, 32768, 60999, false, PT_PORT_EPHEMERAL, PT_EVID_USER_RANGE },
		{ &user, 21000, PT_ORIGIN_KERNEL, PT_SRC_SOCKET, 32768, 60999, false, PT_PORT_STATIC, PT_EVID_USER_RANGE },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct port_case *c = &cases[i];
		enum pt_port_class cls;
		enum pt_evidence evid;

		pt_classify_port(c->pol, c->port, c->origin, c->src, c->lo, c->hi, c->reserved, &cls, &evid);
		if (cls != c->cls || evid != c->evid)
			fail_msg("case %zu (port %u): class %s evidence %s, want %s %s", i,
				 c->port, pt_port_class_str(cls), pt_evidence_str(evid),
				 pt_port_class_str(c->cls), pt_evidence_str(c->evid));
	}
}

static void test_flow_classes(void **state)
{
	(void)state;
	assert_int_equal(pt_flow_class_of(PT_PORT_EPHEMERAL, PT_PORT_STATIC), PT_FLOW_EPH_TO_STATIC);
	assert_int_equal(pt_flow_class_of(PT_PORT_STATIC, PT_PORT_STATIC), PT_FLOW_STATIC_TO_STATIC);
	assert_int_equal(pt_flow_class_of(PT_PORT_EPHEMERAL, PT_PORT_EPHEMERAL), PT_FLOW_EPH_TO_EPH);
	assert_int_equal(pt_flow_class_of(PT_PORT_STATIC, PT_PORT_EPHEMERAL), PT_FLOW_STATIC_TO_EPH);
	assert_string_equal(pt_flow_class_str(PT_FLOW_STATIC_TO_EPH), "static-to-ephemeral");
}

static struct pt_event make_event(void)
{
	struct pt_event ev = {
		.kind = PT_EV_CONNECT, .family = PT_FAMILY_IPV4, .proto = PT_PROTO_TCP,
		.client_origin = PT_ORIGIN_KERNEL, .client_src = PT_SRC_SOCKET,
		.server_origin = PT_ORIGIN_UNKNOWN, .server_src = PT_SRC_NONE,
		.client_port = 45000, .server_port = 443, .eph_lo = 32768, .eph_hi = 60999,
		.ts_ns = 1000,
		.client_addr = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 },
		.server_addr = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 7 },
	};
	return ev;
}

/* Both ends of one local flow, seen as connect and as accept, agree. */
static void test_both_ends_agree(void **state)
{
	struct pt_event c = make_event(), a;
	struct pt_flow fc, fa;
	(void)state;

	/* client bound 45000 (inside the range), server listener on 443 */
	c.client_origin = PT_ORIGIN_BOUND;
	c.server_origin = PT_ORIGIN_BOUND;
	c.server_src = PT_SRC_LISTENER;
	a = c;
	a.kind = PT_EV_ACCEPT;
	a.client_src = PT_SRC_PEER;
	pt_decode_event(&c, 0, &autopol, &fc);
	pt_decode_event(&a, 0, &autopol, &fa);
	assert_int_equal(fc.flow_class, PT_FLOW_STATIC_TO_STATIC);
	assert_int_equal(fa.flow_class, PT_FLOW_STATIC_TO_STATIC);
	assert_int_equal(fa.client_evidence, PT_EVID_PEER);
	assert_int_equal(fc.client_evidence, PT_EVID_SOCKET);
}

static void test_decode(void **state)
{
	struct pt_event ev = make_event();
	struct pt_flow f;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	(void)state;

	/* 2026-11-23T08:40:01.123456Z */
	pt_decode_event(&ev, 1795423201123456000LL - 1000, &autopol, &f);
	assert_string_equal(f.time, "2026-11-23T08:40:01.123456Z");
	assert_string_equal(f.client_addr, "10.0.0.1");
	assert_string_equal(f.server_addr, "192.0.2.7");
	assert_int_equal(f.client_class, PT_PORT_EPHEMERAL);
	assert_int_equal(f.server_class, PT_PORT_STATIC);
	assert_int_equal(f.server_evidence, PT_EVID_RANGE);
	assert_int_equal(f.flow_class, PT_FLOW_EPH_TO_STATIC);
	assert_int_equal(f.eph_lo, 32768);
	assert_int_equal(f.eph_hi, 60999);

	memcpy(ev.client_addr, v6, 16);
	ev.family = PT_FAMILY_IPV6;
	pt_decode_event(&ev, 0, &iana, &f);
	assert_string_equal(f.client_addr, "2001:db8::1");
	/* a plain range mode reports the range it tested against */
	assert_int_equal(f.eph_lo, 49152);
	assert_int_equal(f.eph_hi, 65535);
	assert_int_equal(f.client_class, PT_PORT_STATIC);
	assert_int_equal(f.flow_class, PT_FLOW_STATIC_TO_STATIC);
}

static void test_format_time(void **state)
{
	char buf[32];
	(void)state;

	pt_format_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
	pt_format_time(1000999999LL, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:01.000999Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_table),
		cmocka_unit_test(test_flow_classes),
		cmocka_unit_test(test_both_ends_agree),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_format_time),
	};

	return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
