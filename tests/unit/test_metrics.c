/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics without the server: the exposition of known records, exact
 * lines; hostile comm values escaped in label values; the comm cap and the
 * series cap counted; --metrics addresses parsed or refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/types.h>
#include "metrics.h"

static char *render(struct pt_metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	pt_metrics_render(m, out);
	assert_int_equal(fclose(out), 0);
	return buf;
}

static void has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line)))
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		else
			p++;
	fail_msg("no line '%s' in:\n%s", line, text);
}

/* an accept on port 443 from an ephemeral client port, by comm */
static void accept_by(struct pt_metrics *m, const char *comm, __u16 port)
{
	struct pt_event e;
	struct pt_flow f;

	memset(&e, 0, sizeof(e));
	memset(&f, 0, sizeof(f));
	e.kind = PT_EV_ACCEPT;
	e.proto = PT_PROTO_TCP;
	e.family = PT_FAMILY_IPV4;
	e.side = PT_SIDE_SERVER;
	e.client_port = 40000;
	e.server_port = port;
	strncpy(e.comm, comm, sizeof(e.comm) - 1);
	f.ev = &e;
	f.client_class = PT_PORT_EPHEMERAL;
	pt_metrics_flow(m, &f);
}

static void test_counts(void **state)
{
	struct pt_metrics *m = pt_metrics_new("tp_btf", NULL);
	struct pt_event e;
	struct pt_flow f;
	char *out;

	(void)state;
	assert_non_null(m);
	accept_by(m, "nginx", 443);
	accept_by(m, "nginx", 443);
	memset(&e, 0, sizeof(e));
	memset(&f, 0, sizeof(f));
	e.kind = PT_EV_CONNECT;
	e.proto = PT_PROTO_TCP;
	e.family = PT_FAMILY_IPV4;
	e.side = PT_SIDE_CLIENT;
	e.client_port = 40001;
	e.server_port = 443;
	e.result = 111;		/* ECONNREFUSED */
	e.latency_ns = 300000;	/* 0.3 ms */
	f.ev = &e;
	f.flow_class = PT_FLOW_EPH_TO_STATIC;
	pt_metrics_flow(m, &f);
	out = render(m);
	has_line(out, "porttrace_build_info{version=\"" PORTTRACE_VERSION "\",attach=\"tp_btf\"} 1");
	has_line(out, "porttrace_events_total{kind=\"accept\"} 2");
	has_line(out, "porttrace_accepts_total{proto=\"tcp\",port=\"443\","
		 "client_port_class=\"ephemeral\",comm=\"nginx\"} 2");
	has_line(out, "porttrace_connects_total{proto=\"tcp\",family=\"ipv4\","
		 "flow_class=\"ephemeral-to-static\",result=\"refused\"} 1");
	/* 0.3 ms: not in the 0.25 ms bucket, in the 0.5 ms one */
	has_line(out, "porttrace_connect_latency_seconds_bucket{proto=\"tcp\",result=\"refused\",le=\"0.00025\"} 0");
	has_line(out, "porttrace_connect_latency_seconds_bucket{proto=\"tcp\",result=\"refused\",le=\"0.0005\"} 1");
	has_line(out, "porttrace_connect_latency_seconds_bucket{proto=\"tcp\",result=\"refused\",le=\"+Inf\"} 1");
	has_line(out, "porttrace_connect_latency_seconds_count{proto=\"tcp\",result=\"refused\"} 1");
	free(out);
	pt_metrics_stop(m);
}

/* losses by why, and the closes reported late, which are none of them */
static void test_lost(void **state)
{
	struct pt_metrics *m = pt_metrics_new("tp_btf", NULL);
	struct pt_stats st = { .lost = 3, .lost_ringbuf = 2, .lost_unseen = 1, .found_unseen = 5 };
	char *out;

	(void)state;
	assert_non_null(m);
	pt_metrics_lost(m, &st);
	out = render(m);
	has_line(out, "porttrace_events_lost_total{reason=\"ring_full\"} 2");
	has_line(out, "porttrace_events_lost_total{reason=\"state_full\"} 0");
	has_line(out, "porttrace_events_lost_total{reason=\"close_unseen\"} 1");
	has_line(out, "# TYPE porttrace_closes_reported_late_total counter");
	has_line(out, "porttrace_closes_reported_late_total 5");
	free(out);
	pt_metrics_stop(m);
}

/* comm is hostile: a label value must stay one quoted value on one line */
static void test_hostile_comm(void **state)
{
	struct pt_metrics *m = pt_metrics_new("tp_btf", NULL);
	char *out;

	(void)state;
	accept_by(m, "a\"b\\c\nd\x1b\xff", 80);
	out = render(m);
	has_line(out, "porttrace_accepts_total{proto=\"tcp\",port=\"80\","
		 "client_port_class=\"ephemeral\",comm=\"a\\\"b\\\\c\\nd\\\\x1b\\\\xff\"} 1");
	free(out);
	pt_metrics_stop(m);
}

/* the first 20 names keep their label; the 21st is "other" */
static void test_comm_cap(void **state)
{
	struct pt_metrics *m = pt_metrics_new("tp_btf", NULL);
	char name[16], *out;

	(void)state;
	for (int i = 0; i < PT_METRICS_COMMS + 2; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		accept_by(m, name, 443);
	}
	out = render(m);
	has_line(out, "porttrace_accepts_total{proto=\"tcp\",port=\"443\","
		 "client_port_class=\"ephemeral\",comm=\"w19\"} 1");
	has_line(out, "porttrace_accepts_total{proto=\"tcp\",port=\"443\","
		 "client_port_class=\"ephemeral\",comm=\"other\"} 2");
	assert_null(strstr(out, "comm=\"w20\""));
	free(out);
	pt_metrics_stop(m);
}

/* past PT_METRICS_SERIES series of a metric, updates are dropped, counted */
static void test_series_cap(void **state)
{
	struct pt_metrics *m = pt_metrics_new("tp_btf", NULL);
	char *out, want[128];

	(void)state;
	for (int port = 1; port <= PT_METRICS_SERIES + 5; port++)
		accept_by(m, "x", (__u16)port);
	out = render(m);
	snprintf(want, sizeof(want), "porttrace_series_dropped_total{metric=\"porttrace_accepts_total\"} %d", 5);
	has_line(out, want);
	assert_null(strstr(out, "port=\"2001\""));
	free(out);
	pt_metrics_stop(m);
}

static void test_addr(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	(void)state;
	assert_int_equal(pt_metrics_parse_addr("9465", &ss), 0);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 9465);
	assert_int_equal(in->sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(pt_metrics_parse_addr("127.0.0.1:80", &ss), 0);
	assert_int_equal(in->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(pt_metrics_parse_addr("[::1]:9465", &ss), 0);
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 9465);
	for (const char *const *bad = (const char *const[]){ "", "0", "65536", "x", ":80", "1.2.3:80",
			"[::1:80", "::1:80", "127.0.0.1:", "-1", "+80", NULL }; *bad; bad++)
		if (pt_metrics_parse_addr(*bad, &ss) != -EINVAL)
			fail_msg("'%s' was taken", *bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_comm_cap),
		cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
