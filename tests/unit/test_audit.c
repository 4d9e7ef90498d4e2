/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit on synthetic records, decoded and classified by the real
 * pt_decode_event(): aggregation per service and destination, each finding
 * rule on the input that must fire it and on the near misses that must
 * not, ranking, and the three report formats (exact JSON lines, CSV read
 * back by an RFC 4180 reader with hostile comm values, the table).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/types.h>
#include "audit.h"
#include "sink.h"
#include "csv_reader.h"
#include "classify.h"
#include "services.h"

#define NS1		4026531840u
#define NS2		4026532999u
/* ts 0 is 2026-11-23T08:40:00Z */
#define REAL_BASE	(1795423200ll * 1000000000ll)
#define SEC		1000000000ull
#define EPH_LO		32768
#define EPH_HI		60999
#define CID	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct pt_eph_policy auto_pol = { .mode = PT_EPH_AUTO };

/* ---- records ---------------------------------------------------------- */

static void addr(uint8_t a[16], const char *s)
{
	struct in_addr v4;

	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, &v4) == 1) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &v4, 4);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static void base(struct pt_event *e, unsigned int kind, const char *comm, __u32 pid)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->family = PT_FAMILY_IPV4;
	e->proto = PT_PROTO_TCP;
	e->netns = NS1;
	e->eph_lo = EPH_LO;
	e->eph_hi = EPH_HI;
	if (comm) {
		e->attribution = PT_ATTR_SYSCALL;
		e->pid = e->tid = pid;
		e->uid = 33;
		/* comm is a fixed array, not NUL-terminated when full */
		memcpy(e->comm, comm, strnlen(comm, sizeof(e->comm)));
	}
}

static void listen_ev(struct pt_event *e, const char *saddr, __u16 port, bool bound,
		      const char *comm, __u32 pid)
{
	base(e, PT_EV_LISTEN, comm, pid);
	e->side = PT_SIDE_SERVER;
	addr(e->server_addr, saddr);
	if (strchr(saddr, ':'))
		e->family = PT_FAMILY_IPV6;
	e->server_port = port;
	e->server_origin = bound ? PT_ORIGIN_BOUND : PT_ORIGIN_KERNEL;
	e->server_src = PT_SRC_SOCKET;
	e->uid = 0;
}

/* a remote client: its port classified by the range */
static void accept_ev(struct pt_event *e, const char *caddr, __u16 cport,
		      const char *saddr, __u16 sport, const char *comm, __u32 pid,
		      uint64_t ts)
{
	base(e, PT_EV_ACCEPT, comm, pid);
	e->side = PT_SIDE_SERVER;
	addr(e->client_addr, caddr);
	addr(e->server_addr, saddr);
	e->client_port = cport;
	e->server_port = sport;
	e->server_origin = PT_ORIGIN_BOUND;
	e->server_src = PT_SRC_LISTENER;
	e->ts_ns = ts;
}

/* kport: the kernel chose the client port; else bound by the application */
static void connect_ev(struct pt_event *e, __u16 cport, const char *saddr, __u16 sport,
		       bool kport, __u16 result, uint64_t sock, const char *comm,
		       uint64_t ts)
{
	base(e, PT_EV_CONNECT, comm, 4242);
	e->side = PT_SIDE_CLIENT;
	addr(e->client_addr, "10.0.0.1");
	addr(e->server_addr, saddr);
	e->client_port = cport;
	e->server_port = sport;
	e->client_origin = kport ? PT_ORIGIN_KERNEL : PT_ORIGIN_BOUND;
	e->client_src = PT_SRC_SOCKET;
	e->result = result;
	e->sock_id = sock;
	e->ts_ns = ts;
}

static void close_ev(struct pt_event *e, __u8 side, const char *caddr, __u16 cport,
		     const char *saddr, __u16 sport, uint64_t sock, __u64 tx, __u64 rx)
{
	base(e, PT_EV_CLOSE, "x", 1);
	e->side = side;
	addr(e->client_addr, caddr);
	addr(e->server_addr, saddr);
	e->client_port = cport;
	e->server_port = sport;
	e->sock_id = sock;
	e->tx_bytes = tx;
	e->rx_bytes = rx;
}

/* the kernel answered a remote's SYN to a closed local port with a RST */
static void reset_ev(struct pt_event *e, const char *remote, __u16 port, uint64_t ts)
{
	base(e, PT_EV_RESET, NULL, 0);
	e->side = PT_SIDE_SERVER;
	addr(e->client_addr, remote);
	addr(e->server_addr, "192.0.2.1");
	e->client_port = 51000;
	e->server_port = port;
	e->ts_ns = ts;
}

static void feed_cid(struct pt_audit *a, const struct pt_event *e, const char *cid)
{
	struct pt_flow f;

	pt_decode_event(e, REAL_BASE, &auto_pol, &f);
	f.container_id = cid;
	assert_int_equal(pt_audit_add(a, &f), 0);
}

static void feed(struct pt_audit *a, const struct pt_event *e)
{
	feed_cid(a, e, NULL);
}

/* ---- reading reports back ---------------------------------------------- */

static const struct pt_audit_meta meta = {
	.host = "web1",
	.version = "0.1.0",
	.ephemeral_mode = "auto",
	.start = "2026-11-23T08:40:00.000000Z",
	.end = "2026-11-23T09:40:00.000000Z",
	.events = 1234,
	.lost = 0,
};

enum fmt { JSON, CSV, CSV_RAW, TABLE };

/* The whole report as text (caller frees). */
static char *report(struct pt_audit *a, enum fmt fmt, const struct pt_audit_meta *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct pt_sink s = {
		.ops = fmt == JSON ? &pt_sink_json_ops : &pt_sink_csv_ops,
		.out = out,
		.shape = &pt_audit_shape,
		.csv_raw = fmt == CSV_RAW,
	};
	int err;

	assert_non_null(out);
	/* JSON and CSV: the report's rows through the sink porttrace uses */
	if (fmt == TABLE)
		err = pt_audit_write_table(a, out, m);
	else
		err = pt_audit_rows(a, m, pt_sink_emit_row, &s);
	assert_int_equal(err, 0);
	assert_int_equal(fclose(out), 0);
	return buf;
}

/* The JSON line that contains needle, without its newline (caller frees). */
static char *json_line(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *start, *end;

	if (!p)
		fail_msg("no JSON line with %s in:\n%s", needle, text);
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	assert_non_null(end);
	return strndup(start, (size_t)(end - start));
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void json_line_is(const char *text, const char *needle, const char *want)
{
	char *got = json_line(text, needle);

	if (strcmp(got, want))
		fail_msg("got  %s\nwant %s", got, want);
	free(got);
}

#define MAX_FINDINGS	64

struct findings {
	struct pt_finding f[MAX_FINDINGS];
	size_t n;
};

static void get_findings(struct pt_audit *a, struct findings *fs)
{
	fs->n = pt_audit_findings(a, fs->f, MAX_FINDINGS);
	assert_true(fs->n <= MAX_FINDINGS);
}

static size_t count_rule(const struct findings *fs, const char *rule)
{
	size_t i, n = 0;

	for (i = 0; i < fs->n; i++)
		n += !strcmp(fs->f[i].rule, rule);
	return n;
}

/* The finding of rule about subject, or NULL. */
static const struct pt_finding *find(const struct findings *fs, const char *rule,
				     const char *subject)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->f[i].rule, rule) && !strcmp(fs->f[i].subject, subject))
			return &fs->f[i];
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	/* names from the built-in table only: the same on every host */
	return pt_services_set_file("/nonexistent/services");
}

static int teardown(void **state)
{
	(void)state;
	return pt_services_set_file(NULL);
}

/* ---- aggregation ------------------------------------------------------ */

static void test_service_counts(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	struct pt_event e;
	char *out;

	(void)state;
	assert_non_null(a);
	listen_ev(&e, "0.0.0.0", 80, true, "nginx", 880);
	feed_cid(a, &e, CID);
	/* out of order: first and last go by the record's time */
	accept_ev(&e, "10.0.0.1", 40000, "10.0.0.9", 80, "nginx", 881, 5 * SEC);
	feed(a, &e);
	accept_ev(&e, "10.0.0.1", 40001, "10.0.0.9", 80, "nginx", 882, 2 * SEC);
	feed(a, &e);
	accept_ev(&e, "10.0.0.2", 40000, "10.0.0.9", 80, "nginx", 881, 9 * SEC);
	feed(a, &e);
	accept_ev(&e, "10.0.0.1", 40000, "10.0.0.9", 80, "nginx", 881, 7 * SEC);
	feed(a, &e);
	/* a client that bound port 1000: static-to-static */
	accept_ev(&e, "10.0.0.3", 1000, "10.0.0.9", 80, "nginx", 881, 3 * SEC);
	feed(a, &e);
	/* died in the accept queue: counted, no process */
	accept_ev(&e, "10.0.0.4", 50000, "10.0.0.9", 80, NULL, 0, 4 * SEC);
	e.result = ECONNRESET;
	feed(a, &e);
	close_ev(&e, PT_SIDE_SERVER, "10.0.0.1", 40000, "10.0.0.9", 80, 7, 1000, 200);
	feed(a, &e);
	close_ev(&e, PT_SIDE_SERVER, "10.0.0.2", 40000, "10.0.0.9", 80, 8, 500, 20);
	feed(a, &e);

	out = report(a, JSON, &meta);
	json_line_is(out, "\"kind\":\"service\"",
		"{\"kind\":\"service\",\"netns\":4026531840,\"proto\":\"tcp\","
		"\"address\":\"0.0.0.0\",\"port\":80,\"service_hint\":\"http\","
		"\"state\":\"listening\",\"comms\":[\"nginx\"],\"pids\":[880,881,882],"
		"\"pid_count\":3,\"uid\":0,\"container_id\":\"" CID "\",\"bound\":true,"
		"\"in_ephemeral_range\":false,\"ephemeral_range\":\"32768-60999\","
		"\"accepts\":6,\"unaccepted\":1,\"distinct_clients\":4,"
		"\"distinct_client_ports\":4,\"eph_to_static\":5,\"static_to_static\":1,"
		"\"eph_to_eph\":0,\"static_to_eph\":0,"
		"\"first_accept\":\"2026-11-23T08:40:02.000000Z\","
		"\"last_accept\":\"2026-11-23T08:40:09.000000Z\","
		"\"bytes_in\":220,\"bytes_out\":1500,\"schema_version\":1}");
	free(out);
	pt_audit_free(a);
}

static void test_accept_matching(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	struct pt_event e;
	char *out;

	(void)state;
	/* dual-stack :: takes IPv4 too */
	listen_ev(&e, "::", 443, true, "envoy", 10);
	feed(a, &e);
	accept_ev(&e, "10.0.0.5", 40000, "10.0.0.9", 443, "envoy", 10, SEC);
	feed(a, &e);
	/* a specific address wins over the wildcard of the same port */
	listen_ev(&e, "0.0.0.0", 22, true, "sshd", 20);
	feed(a, &e);
	listen_ev(&e, "10.0.0.9", 22, true, "sshd2", 21);
	feed(a, &e);
	accept_ev(&e, "10.0.0.5", 40001, "10.0.0.9", 22, "sshd2", 21, SEC);
	feed(a, &e);
	accept_ev(&e, "10.0.0.5", 40002, "10.0.0.8", 22, "sshd", 20, SEC);
	feed(a, &e);
	accept_ev(&e, "10.0.0.5", 40003, "10.0.0.8", 22, "sshd", 20, SEC);
	feed(a, &e);
	/* another namespace is another service */
	accept_ev(&e, "10.0.0.5", 40004, "10.0.0.8", 22, "sshd", 30, SEC);
	e.netns = NS2;
	feed(a, &e);
	/* no listener known: an unlisted service on the exact address */
	accept_ev(&e, "10.0.0.5", 40005, "10.0.0.7", 9999, "old", 40, SEC);
	feed(a, &e);

	out = report(a, JSON, &meta);
	json_line_is(out, "\"port\":443",
		"{\"kind\":\"service\",\"netns\":4026531840,\"proto\":\"tcp\","
		"\"address\":\"::\",\"port\":443,\"service_hint\":\"https\","
		"\"state\":\"listening\",\"comms\":[\"envoy\"],\"pids\":[10],"
		"\"pid_count\":1,\"uid\":0,\"container_id\":null,\"bound\":true,"
		"\"in_ephemeral_range\":false,\"ephemeral_range\":\"32768-60999\","
		"\"accepts\":1,\"unaccepted\":0,\"distinct_clients\":1,"
		"\"distinct_client_ports\":1,\"eph_to_static\":1,\"static_to_static\":0,"
		"\"eph_to_eph\":0,\"static_to_eph\":0,"
		"\"first_accept\":\"2026-11-23T08:40:01.000000Z\","
		"\"last_accept\":\"2026-11-23T08:40:01.000000Z\","
		"\"bytes_in\":0,\"bytes_out\":0,\"schema_version\":1}");
	assert_non_null(strstr(out, "\"address\":\"10.0.0.9\",\"port\":22,"
				    "\"service_hint\":\"ssh\",\"state\":\"listening\","
				    "\"comms\":[\"sshd2\"],\"pids\":[21],"));
	assert_non_null(strstr(out, "\"netns\":4026531840,\"proto\":\"tcp\","
				    "\"address\":\"0.0.0.0\",\"port\":22,"
				    "\"service_hint\":\"ssh\",\"state\":\"listening\","
				    "\"comms\":[\"sshd\"],\"pids\":[20],\"pid_count\":1,"
				    "\"uid\":0,\"container_id\":null,\"bound\":true,"
				    "\"in_ephemeral_range\":false,"
				    "\"ephemeral_range\":\"32768-60999\",\"accepts\":2,"));
	assert_non_null(strstr(out, "\"netns\":4026532999,\"proto\":\"tcp\","
				    "\"address\":\"10.0.0.8\",\"port\":22,"
				    "\"service_hint\":\"ssh\",\"state\":\"unlisted\","));
	json_line_is(out, "\"port\":9999",
		"{\"kind\":\"service\",\"netns\":4026531840,\"proto\":\"tcp\","
		"\"address\":\"10.0.0.7\",\"port\":9999,\"service_hint\":null,"
		"\"state\":\"unlisted\",\"comms\":[\"old\"],\"pids\":[40],"
		"\"pid_count\":1,\"uid\":33,\"container_id\":null,\"bound\":null,"
		"\"in_ephemeral_range\":false,\"ephemeral_range\":\"32768-60999\","
		"\"accepts\":1,\"unaccepted\":0,\"distinct_clients\":1,"
		"\"distinct_client_ports\":1,\"eph_to_static\":1,\"static_to_static\":0,"
		"\"eph_to_eph\":0,\"static_to_eph\":0,"
		"\"first_accept\":\"2026-11-23T08:40:01.000000Z\","
		"\"last_accept\":\"2026-11-23T08:40:01.000000Z\","
		"\"bytes_in\":0,\"bytes_out\":0,\"schema_version\":1}");
	free(out);
	pt_audit_free(a);
}

/* SO_REUSEPORT: closed only when the last listening socket closes */
static void test_unlisten(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	struct pt_event e;
	char *out;

	(void)state;
	listen_ev(&e, "0.0.0.0", 80, true, "nginx", 881);
	feed(a, &e);
	listen_ev(&e, "0.0.0.0", 80, true, "nginx", 882);
	feed(a, &e);
	e.kind = PT_EV_UNLISTEN;
	feed(a, &e);
	out = report(a, JSON, &meta);
	assert_non_null(strstr(out, "\"state\":\"listening\""));
	free(out);
	feed(a, &e);
	out = report(a, JSON, &meta);
	assert_non_null(strstr(out, "\"state\":\"closed\""));
	free(out);
	/* an unlisten never preceded by its listen still makes a service */
	listen_ev(&e, "0.0.0.0", 81, true, "old", 5);
	e.kind = PT_EV_UNLISTEN;
	feed(a, &e);
	out = report(a, JSON, &meta);
	assert_non_null(strstr(out, "\"port\":81,\"service_hint\":null,"
				    "\"state\":\"closed\""));
	free(out);
	pt_audit_free(a);
}

static void test_destinations(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	struct pt_event e;
	char *out;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		connect_ev(&e, 40000 + i, "10.0.0.2", 443, true, 0, 100 + i, "curl",
			   (uint64_t)(i + 1) * SEC);
		feed(a, &e);
	}
	connect_ev(&e, 0, "10.0.0.2", 443, true, ECONNREFUSED, 0, "curl", 4 * SEC);
	feed(a, &e);
	connect_ev(&e, 0, "10.0.0.2", 443, true, ECONNREFUSED, 0, "wget", 5 * SEC);
	e.pid = 4343;
	feed(a, &e);
	connect_ev(&e, 0, "10.0.0.2", 443, true, ETIMEDOUT, 0, "curl", 6 * SEC);
	feed(a, &e);
	close_ev(&e, PT_SIDE_CLIENT, "10.0.0.1", 40000, "10.0.0.2", 443, 100, 100, 5000);
	feed(a, &e);

	out = report(a, JSON, &meta);
	json_line_is(out, "\"kind\":\"destination\"",
		"{\"kind\":\"destination\",\"netns\":4026531840,\"proto\":\"tcp\","
		"\"address\":\"10.0.0.2\",\"port\":443,\"service_hint\":\"https\","
		"\"comms\":[\"curl\",\"wget\"],\"pids\":[4242,4343],\"pid_count\":2,"
		"\"uid\":33,\"container_id\":null,\"ephemeral_range\":\"32768-60999\","
		"\"connects\":6,\"failures\":{\"refused\":2,\"timeout\":1},"
		"\"no_ephemeral_port\":0,\"peak_ephemeral_ports\":3,"
		"\"first_connect\":\"2026-11-23T08:40:01.000000Z\","
		"\"last_connect\":\"2026-11-23T08:40:06.000000Z\","
		"\"bytes_in\":5000,\"bytes_out\":100,\"schema_version\":1}");
	free(out);
	pt_audit_free(a);
}

/* ---- findings ----------------------------------------------------------- */

static void test_idle_listener(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	const struct pt_finding *f;
	struct findings fs;
	struct pt_event e;

	(void)state;
	listen_ev(&e, "0.0.0.0", 8081, true, "idle", 1);
	feed(a, &e);
	listen_ev(&e, "0.0.0.0", 8082, true, "found", 2);
	e.flags = PT_F_INVENTORY;
	feed(a, &e);
	listen_ev(&e, "0.0.0.0", 80, true, "busy", 3);
	feed(a, &e);
	accept_ev(&e, "10.0.0.1", 40000, "10.0.0.9", 80, "busy", 3, SEC);
	feed(a, &e);
	/* a connection accepted before the start, closed during the run */
	listen_ev(&e, "0.0.0.0", 5432, true, "postgres", 4);
	feed(a, &e);
	close_ev(&e, PT_SIDE_SERVER, "10.0.0.1", 40000, "10.0.0.9", 5432, 9, 1, 1);
	feed(a, &e);
	/* UDP has no accept */
	listen_ev(&e, "0.0.0.0", 53, true, "named", 5);
	e.proto = PT_PROTO_UDP;
	feed(a, &e);

	get_findings(a, &fs);
	assert_int_equal(count_rule(&fs, "idle-listener"), 2);
	f = find(&fs, "idle-listener", "tcp 0.0.0.0:8081 (netns 4026531840) idle");
	assert_non_null(f);
	assert_int_equal(f->severity, PT_SEV_LOW);
	assert_int_equal(f->count, 0);
	assert_string_equal(f->detail, "listening since 2026-11-23T08:40:00.000000Z, "
			    "accepted no connection during the run");
	f = find(&fs, "idle-listener", "tcp 0.0.0.0:8082 (netns 4026531840) found");
	assert_non_null(f);
	assert_string_equal(f->detail, "listening since before the start, found at "
			    "2026-11-23T08:40:00.000000Z, accepted no connection "
			    "during the run");
	pt_audit_free(a);
}

static void test_listener_in_ephemeral_range(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	const struct pt_finding *f;
	struct findings fs;
	struct pt_event e;

	(void)state;
	listen_ev(&e, "0.0.0.0", 45678, true, "app", 1);
	feed(a, &e);
	/* kernel-chosen (FTP passive, RPC): ephemeral on purpose */
	listen_ev(&e, "0.0.0.0", 45679, false, "rpc", 2);
	feed(a, &e);
	listen_ev(&e, "0.0.0.0", 8080, true, "web", 3);
	feed(a, &e);
	/* reserved: the kernel never hands it out */
	listen_ev(&e, "0.0.0.0", 45680, true, "safe", 4);
	e.flags = PT_F_SERVER_RESERVED;
	feed(a, &e);
	/* the edges of the range */
	listen_ev(&e, "127.0.0.1", EPH_LO, true, "lo", 5);
	feed(a, &e);
	listen_ev(&e, "127.0.0.1", EPH_HI + 1, true, "hi", 6);
	feed(a, &e);

	get_findings(a, &fs);
	assert_int_equal(count_rule(&fs, "listener-in-ephemeral-range"), 2);
	f = find(&fs, "listener-in-ephemeral-range",
		 "tcp 0.0.0.0:45678 (netns 4026531840) app");
	assert_non_null(f);
	assert_int_equal(f->severity, PT_SEV_MEDIUM);
	assert_string_equal(f->detail,
		"port 45678 was bound explicitly inside the ephemeral range "
		"32768-60999: a client's connect() can take it first and the service "
		"then fails to start; add it to net.ipv4.ip_local_reserved_ports");
	assert_non_null(find(&fs, "listener-in-ephemeral-range",
			     "tcp 127.0.0.1:32768 (netns 4026531840) lo"));
	pt_audit_free(a);
}

static void test_non_ephemeral_flows(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	const struct pt_finding *f;
	struct findings fs;
	struct pt_event e;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		connect_ev(&e, 179, "10.0.0.2", 179, false, 0, 10 + i, "bgpd", SEC);
		feed(a, &e);
	}
	/* failed: no flow */
	connect_ev(&e, 179, "10.0.0.2", 179, false, ECONNREFUSED, 20, "bgpd", SEC);
	feed(a, &e);
	connect_ev(&e, 40000, "10.0.0.2", 443, true, 0, 21, "curl", SEC);
	feed(a, &e);
	/* a listener the kernel placed, a remote ephemeral client */
	accept_ev(&e, "10.0.0.5", 50000, "10.0.0.9", 40123, "ftpd", 7, SEC);
	e.server_origin = PT_ORIGIN_KERNEL;
	feed(a, &e);
	/* active FTP: data from port 20 to a client's ephemeral port */
	connect_ev(&e, 20, "10.0.0.5", 50001, false, 0, 22, "ftpd", SEC);
	feed(a, &e);

	get_findings(a, &fs);
	assert_int_equal(count_rule(&fs, "non-ephemeral-to-static-flow"), 3);
	f = find(&fs, "non-ephemeral-to-static-flow", "bgpd: static-to-static, outbound");
	assert_non_null(f);
	assert_int_equal(f->count, 3);
	assert_int_equal(f->severity, PT_SEV_LOW);
	assert_string_equal(f->detail,
		"3 static-to-static connections made, e.g. 10.0.0.1:179 -> "
		"10.0.0.2:179 (client port static by socket, server port static by range)");
	f = find(&fs, "non-ephemeral-to-static-flow",
		 "ftpd: ephemeral-to-ephemeral, inbound");
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_non_null(strstr(f->detail, "1 ephemeral-to-ephemeral connection accepted"));
	assert_non_null(find(&fs, "non-ephemeral-to-static-flow",
			     "ftpd: static-to-ephemeral, outbound"));
	pt_audit_free(a);
}

/* n connects on kernel-chosen ports to dest, sockets sock0.. */
static void open_conns(struct pt_audit *a, const char *dest, __u16 lo, __u16 hi,
		       int n, uint64_t sock0)
{
	struct pt_event e;
	int i;

	for (i = 0; i < n; i++) {
		connect_ev(&e, (__u16)(lo + i), dest, 80, true, 0, sock0 + i, "client",
			   (uint64_t)(i + 1) * SEC);
		e.eph_lo = lo;
		e.eph_hi = hi;
		feed(a, &e);
	}
}

static void close_conn(struct pt_audit *a, const char *dest, uint64_t sock)
{
	struct pt_event e;

	close_ev(&e, PT_SIDE_CLIENT, "10.0.0.1", 40000, dest, 80, sock, 0, 0);
	feed(a, &e);
}

static void test_port_pressure(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	const struct pt_finding *f;
	struct findings fs;
	struct pt_event e;

	(void)state;
	/* 3 ports, all held: 100% */
	open_conns(a, "10.1.0.1", 40000, 40002, 3, 100);
	close_conn(a, "10.1.0.1", 100);
	open_conns(a, "10.1.0.1", 40000, 40002, 1, 103);
	/* 10 ports: 5 held at once is 50% */
	open_conns(a, "10.1.0.2", 40000, 40009, 5, 200);
	/* 4 held, one closed, one more: peak 4 of 10, no finding */
	open_conns(a, "10.1.0.3", 40000, 40009, 4, 300);
	close_conn(a, "10.1.0.3", 300);
	close_conn(a, "10.1.0.3", 301);
	open_conns(a, "10.1.0.3", 40000, 40009, 1, 304);
	/* a close of a socket never counted changes nothing */
	close_conn(a, "10.1.0.3", 999);
	/* 8 of 10: 80% is high */
	open_conns(a, "10.1.0.4", 40000, 40009, 8, 400);
	/* bound client ports and UDP do not draw from the pool */
	for (int i = 0; i < 10; i++) {
		connect_ev(&e, (__u16)(1000 + i), "10.1.0.5", 80, false, 0, 500 + i,
			   "client", SEC);
		e.eph_lo = 40000;
		e.eph_hi = 40009;
		feed(a, &e);
		connect_ev(&e, (__u16)(40000 + i), "10.1.0.6", 80, true, 0, 600 + i,
			   "client", SEC);
		e.eph_lo = 40000;
		e.eph_hi = 40009;
		e.proto = PT_PROTO_UDP;
		feed(a, &e);
	}
	/* exhausted: no peak seen (opened before the start), one failure */
	connect_ev(&e, 0, "10.1.0.7", 80, true, EADDRNOTAVAIL, 700, "client", SEC);
	feed(a, &e);

	get_findings(a, &fs);
	assert_int_equal(count_rule(&fs, "ephemeral-port-pressure"), 4);
	f = find(&fs, "ephemeral-port-pressure", "tcp 10.1.0.1:80 (netns 4026531840)");
	assert_non_null(f);
	assert_int_equal(f->severity, PT_SEV_HIGH);
	assert_int_equal(f->count, 3);
	assert_string_equal(f->detail, "peak 3 of 3 ephemeral ports (40000-40002) in "
			    "use at once (100%) at 2026-11-23T08:40:03.000000Z");
	f = find(&fs, "ephemeral-port-pressure", "tcp 10.1.0.2:80 (netns 4026531840)");
	assert_non_null(f);
	assert_int_equal(f->severity, PT_SEV_MEDIUM);
	assert_int_equal(f->count, 5);
	f = find(&fs, "ephemeral-port-pressure", "tcp 10.1.0.4:80 (netns 4026531840)");
	assert_non_null(f);
	assert_int_equal(f->severity, PT_SEV_HIGH);
	f = find(&fs, "ephemeral-port-pressure", "tcp 10.1.0.7:80 (netns 4026531840)");
	assert_non_null(f);
	assert_int_equal(f->severity, PT_SEV_HIGH);
	assert_int_equal(f->count, 0);
	assert_string_equal(f->detail, "ephemeral range 32768-60999 (28232 ports); "
			    "1 connect failed with no-ephemeral-port");
	pt_audit_free(a);
}

/* n resets from remote on ports 1..n, spread evenly over span_ns */
static void scan(struct pt_audit *a, const char *remote, int n, uint64_t start,
		 uint64_t span_ns)
{
	struct pt_event e;
	int i;

	for (i = 0; i < n; i++) {
		reset_ev(&e, remote, (__u16)(i + 1),
			 start + (n > 1 ? span_ns * (uint64_t)i / (uint64_t)(n - 1) : 0));
		feed(a, &e);
	}
}

static void test_port_scan(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	const struct pt_finding *f;
	struct findings fs;
	struct pt_event e;
	int i;

	(void)state;
	scan(a, "203.0.113.9", 50, SEC, 5 * SEC);
	scan(a, "203.0.113.10", 19, SEC, SEC);
	/* 20 ports, the last exactly one window after the first: counts */
	scan(a, "203.0.113.11", 20, SEC, 60 * SEC);
	/* one nanosecond later: the first has left the window */
	scan(a, "203.0.113.12", 20, SEC, 60 * SEC + 1);
	/* many resets, few ports */
	for (i = 0; i < 40; i++) {
		reset_ev(&e, "203.0.113.13", (__u16)(i % 10 + 1), SEC + (uint64_t)i);
		feed(a, &e);
	}
	/* 15 ports, then 15 more two windows later: never 20 at once */
	scan(a, "203.0.113.14", 15, SEC, SEC);
	for (i = 0; i < 15; i++) {
		reset_ev(&e, "203.0.113.14", (__u16)(100 + i), 200 * SEC);
		feed(a, &e);
	}
	/* a port hit again moves to the window's end: 1, 2..20 after 1 again */
	reset_ev(&e, "2001:db8::1", 1, SEC);
	feed(a, &e);
	reset_ev(&e, "2001:db8::1", 1, 50 * SEC);
	feed(a, &e);
	for (i = 2; i <= 20; i++) {
		reset_ev(&e, "2001:db8::1", (__u16)i, 100 * SEC);
		feed(a, &e);
	}

	get_findings(a, &fs);
	assert_int_equal(count_rule(&fs, "port-scan"), 3);
	f = find(&fs, "port-scan", "203.0.113.9 (netns 4026531840)");
	assert_non_null(f);
	assert_int_equal(f->severity, PT_SEV_HIGH);
	assert_int_equal(f->count, 50);
	assert_string_equal(f->detail,
		"50 distinct closed ports refused within 5.000 s (threshold 20 in 60 s), "
		"reached at 2026-11-23T08:40:06.000000Z; 50 refused attempts on ports "
		"1-50 from 2026-11-23T08:40:01.000000Z");
	f = find(&fs, "port-scan", "203.0.113.11 (netns 4026531840)");
	assert_non_null(f);
	assert_int_equal(f->count, 20);
	assert_non_null(find(&fs, "port-scan", "2001:db8::1 (netns 4026531840)"));
	pt_audit_free(a);

	/* thresholds are options */
	struct pt_audit_opts o = { .scan_ports = 5, .scan_window_s = 1 };

	a = pt_audit_new(&o);
	scan(a, "203.0.113.20", 5, SEC, SEC);
	scan(a, "203.0.113.21", 5, SEC, SEC + 1);
	scan(a, "203.0.113.22", 4, SEC, 0);
	get_findings(a, &fs);
	assert_int_equal(count_rule(&fs, "port-scan"), 1);
	assert_non_null(strstr(fs.f[0].detail, "(threshold 5 in 1 s)"));
	assert_string_equal(fs.f[0].subject, "203.0.113.20 (netns 4026531840)");
	pt_audit_free(a);
}

static void test_unexpected_listener(void **state)
{
	static const uint16_t expect[] = { 22, 80 };
	struct pt_audit_opts o = { .expect_ports = expect, .n_expect = 2 };
	struct pt_audit *a, *noexp;
	const struct pt_finding *f;
	struct findings fs;
	struct pt_event e;

	(void)state;
	a = pt_audit_new(&o);
	noexp = pt_audit_new(NULL);
	listen_ev(&e, "0.0.0.0", 22, true, "sshd", 1);
	feed(a, &e);
	feed(noexp, &e);
	listen_ev(&e, "0.0.0.0", 8080, true, "dev", 2);
	feed(a, &e);
	feed(noexp, &e);
	accept_ev(&e, "10.0.0.1", 40000, "10.0.0.9", 8080, "dev", 2, SEC);
	feed(a, &e);
	feed(noexp, &e);
	listen_ev(&e, "::", 9090, true, "prom", 3);
	feed(a, &e);
	feed(noexp, &e);
	/* loopback only: not reachable from outside */
	listen_ev(&e, "127.0.0.1", 6379, true, "redis", 4);
	feed(a, &e);
	feed(noexp, &e);
	listen_ev(&e, "0.0.0.0", 5353, true, "mdns", 5);
	e.proto = PT_PROTO_UDP;
	feed(a, &e);
	feed(noexp, &e);

	get_findings(noexp, &fs);
	assert_int_equal(count_rule(&fs, "unexpected-listener"), 0);
	get_findings(a, &fs);
	assert_int_equal(count_rule(&fs, "unexpected-listener"), 3);
	f = find(&fs, "unexpected-listener", "tcp 0.0.0.0:8080 (netns 4026531840) dev");
	assert_non_null(f);
	assert_int_equal(f->severity, PT_SEV_MEDIUM);
	assert_int_equal(f->count, 1);
	assert_string_equal(f->detail, "listening on all addresses on port 8080, which "
			    "is not in --expect-port; 1 connection accepted");
	assert_non_null(find(&fs, "unexpected-listener",
			     "tcp [::]:9090 (netns 4026531840) prom"));
	assert_non_null(find(&fs, "unexpected-listener",
			     "udp 0.0.0.0:5353 (netns 4026531840) mdns"));
	pt_audit_free(a);
	pt_audit_free(noexp);
}

static void test_ranking(void **state)
{
	static const uint16_t expect[] = { 80 };
	struct pt_audit_opts o = { .expect_ports = expect, .n_expect = 1 };
	static const char *const want[][2] = {
		{ "high", "port-scan" },		/* 25 */
		{ "high", "ephemeral-port-pressure" },	/* 3 */
		/* a tie on the count: by rule name */
		{ "medium", "listener-in-ephemeral-range" }, /* 2 accepts */
		{ "medium", "unexpected-listener" },	/* 2 */
		{ "medium", "unexpected-listener" },	/* 0 */
		{ "low", "non-ephemeral-to-static-flow" }, /* 2 */
		{ "low", "idle-listener" },		/* 0 */
	};
	struct pt_audit *a = pt_audit_new(&o);
	struct pt_finding top[2];
	struct findings fs;
	struct pt_event e;
	size_t i;

	(void)state;
	listen_ev(&e, "0.0.0.0", 45678, true, "app", 1);
	feed(a, &e);
	accept_ev(&e, "10.0.0.1", 40000, "10.0.0.9", 45678, "app", 1, SEC);
	feed(a, &e);
	accept_ev(&e, "10.0.0.1", 40001, "10.0.0.9", 45678, "app", 1, SEC);
	feed(a, &e);
	listen_ev(&e, "0.0.0.0", 8080, true, "idle", 2);
	feed(a, &e);
	scan(a, "203.0.113.9", 25, SEC, SEC);
	open_conns(a, "10.1.0.1", 40000, 40002, 3, 100);
	connect_ev(&e, 179, "10.0.0.2", 179, false, 0, 10, "bgpd", SEC);
	feed(a, &e);
	connect_ev(&e, 179, "10.0.0.3", 179, false, 0, 11, "bgpd", SEC);
	feed(a, &e);

	get_findings(a, &fs);
	assert_int_equal(fs.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < fs.n; i++) {
		if (strcmp(pt_severity_str(fs.f[i].severity), want[i][0]) ||
		    strcmp(fs.f[i].rule, want[i][1]))
			fail_msg("rank %zu: %s %s, want %s %s", i + 1,
				 pt_severity_str(fs.f[i].severity), fs.f[i].rule,
				 want[i][0], want[i][1]);
	}
	/* max cuts the list, the total is still returned */
	assert_int_equal(pt_audit_findings(a, top, 2), fs.n);
	assert_string_equal(top[1].rule, "ephemeral-port-pressure");
	assert_int_equal(pt_audit_findings(a, NULL, 0), fs.n);
	pt_audit_free(a);
}

/* ---- report formats ------------------------------------------------------ */

/* a comm that is a formula, with a quote, a comma and a newline: 15 bytes */
#define HOSTILE		"=1+2,\"x\"\nzz-@q"

/* one of each record kind, the listener and a client run by HOSTILE */
static struct pt_audit *sample(void)
{
	struct pt_audit *a = pt_audit_new(NULL);
	struct pt_event e;

	assert_non_null(a);
	listen_ev(&e, "0.0.0.0", 8080, true, HOSTILE, 7);
	feed(a, &e);
	connect_ev(&e, 179, "10.0.0.2", 179, false, 0, 10, HOSTILE, SEC);
	feed(a, &e);
	return a;
}

static int col(const struct csv_rec *header, const char *name)
{
	for (int i = 0; i < header->nf; i++)
		if (!strcmp(header->f[i], name))
			return i;
	fail_msg("no column %s", name);
	return -1;
}

static const char *const csv_columns =
	"record,host,version,ephemeral_mode,start,end,events,lost,complete,"
	"netns,proto,address,port,service_hint,state,comms,pids,pid_count,uid,"
	"container_id,bound,in_ephemeral_range,ephemeral_range,accepts,unaccepted,"
	"distinct_clients,distinct_client_ports,eph_to_static,static_to_static,"
	"eph_to_eph,static_to_eph,first_accept,last_accept,connects,failures,"
	"no_ephemeral_port,peak_ephemeral_ports,first_connect,last_connect,"
	"bytes_in,bytes_out,rank,severity,rule,subject,detail,count,schema_version\r\n";

static void check_csv(bool raw)
{
	struct pt_audit *a = sample();
	struct csv_rec *h = malloc(sizeof(*h)), *r = malloc(sizeof(*r));
	char *out = report(a, raw ? CSV_RAW : CSV, &meta);
	const char *p = out, *end = out + strlen(out);
	/* the newline comes back as the text \x0a: one record, one line */
#define HOSTILE_CSV	"=1+2,\"x\"\\x0azz-@q"
	const char *want_comm = raw ? HOSTILE_CSV : "'" HOSTILE_CSV;
	int i, rows = 0, findings = 0;

	assert_non_null(h);
	assert_non_null(r);
	assert_int_equal(strncmp(out, csv_columns, strlen(csv_columns)), 0);
	assert_int_equal(csv_next(&p, end, h), 1);
	assert_string_equal(h->f[0], "record");

	while ((i = csv_next(&p, end, r)) == 1) {
		const char *kind = r->f[0];

		rows++;
		assert_int_equal(r->nf, h->nf);
		/* every row says which schema it follows */
		assert_string_equal(r->f[col(h, "schema_version")], "1");
		if (!strcmp(kind, "report")) {
			assert_int_equal(rows, 1);
			assert_string_equal(r->f[col(h, "host")], "web1");
			assert_string_equal(r->f[col(h, "events")], "1234");
			assert_string_equal(r->f[col(h, "complete")], "true");
			assert_string_equal(r->f[col(h, "comms")], "");
		} else if (!strcmp(kind, "service")) {
			assert_string_equal(r->f[col(h, "comms")], want_comm);
			assert_string_equal(r->f[col(h, "pids")], "7");
			assert_string_equal(r->f[col(h, "port")], "8080");
			assert_string_equal(r->f[col(h, "service_hint")], "http-alt");
			assert_string_equal(r->f[col(h, "bound")], "true");
			assert_string_equal(r->f[col(h, "rule")], "");
		} else if (!strcmp(kind, "destination")) {
			assert_string_equal(r->f[col(h, "comms")], want_comm);
			assert_string_equal(r->f[col(h, "address")], "10.0.0.2");
			assert_string_equal(r->f[col(h, "service_hint")], "bgp");
			assert_string_equal(r->f[col(h, "failures")], "");
			assert_string_equal(r->f[col(h, "connects")], "1");
		} else if (!strcmp(kind, "finding")) {
			const char *subject = r->f[col(h, "subject")];

			findings++;
			assert_int_equal(atoi(r->f[col(h, "rank")]), findings);
			if (!strcmp(r->f[col(h, "rule")], "non-ephemeral-to-static-flow"))
				assert_string_equal(subject, raw ?
					HOSTILE_CSV ": static-to-static, outbound" :
					"'" HOSTILE_CSV ": static-to-static, outbound");
			else
				assert_string_equal(subject,
					"tcp 0.0.0.0:8080 (netns 4026531840) " HOSTILE_CSV);
		} else {
			fail_msg("unknown record %s", kind);
		}
		/* no cell may reach a spreadsheet as a formula */
		for (int c = 0; !raw && c < r->nf; c++)
			if (r->f[c][0] && strchr("=+-@\t\r", r->f[c][0]))
				fail_msg("row %d column %s starts a formula: %s", rows,
					 h->f[c], r->f[c]);
	}
	assert_int_equal(i, 0);
	assert_int_equal(rows, 5);
	assert_int_equal(findings, 2);
	free(out);
	free(h);
	free(r);
	pt_audit_free(a);
}

static void test_csv_roundtrip(void **state)
{
	(void)state;
	check_csv(false);
}

static void test_csv_raw(void **state)
{
	(void)state;
	check_csv(true);
}

static void test_csv_header_and_snapshots(void **state)
{
	struct pt_audit *a = sample();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct pt_sink s = {
		.ops = &pt_sink_csv_ops, .out = out, .shape = &pt_audit_shape,
	};

	(void)state;
	assert_int_equal(pt_audit_rows(a, &meta, pt_sink_emit_row, &s), 0);
	assert_int_equal(pt_audit_rows(a, &meta, pt_sink_emit_row, &s), 0);
	fclose(out);
	/* one header, two snapshots of five rows */
	assert_int_equal(strncmp(buf, csv_columns, strlen(csv_columns)), 0);
	assert_null(strstr(buf + 1, "\r\nrecord,"));
	{
		const char *p = buf;
		int n = 0;

		while ((p = strstr(p, "\r\nreport,")))
			n++, p++;
		assert_int_equal(n, 2);
	}
	free(buf);
	pt_audit_free(a);
}

static void test_json_records(void **state)
{
	struct pt_audit *a = sample();
	struct pt_audit_meta lossy = meta;
	char *out;

	(void)state;
	out = report(a, JSON, &meta);
	/* the report record comes first */
	assert_true(starts(out,
		"{\"kind\":\"report\",\"host\":\"web1\",\"version\":\"0.1.0\","
		"\"ephemeral_mode\":\"auto\",\"start\":\"2026-11-23T08:40:00.000000Z\","
		"\"end\":\"2026-11-23T09:40:00.000000Z\",\"events\":1234,\"lost\":0,"
		"\"complete\":true,\"schema_version\":1}\n{\"kind\":\"service\","));
	json_line_is(out, "\"kind\":\"service\"",
		"{\"kind\":\"service\",\"netns\":4026531840,\"proto\":\"tcp\","
		"\"address\":\"0.0.0.0\",\"port\":8080,\"service_hint\":\"http-alt\","
		"\"state\":\"listening\",\"comms\":[\"=1+2,\\\"x\\\"\\nzz-@q\"],"
		"\"pids\":[7],\"pid_count\":1,\"uid\":0,\"container_id\":null,"
		"\"bound\":true,\"in_ephemeral_range\":false,"
		"\"ephemeral_range\":\"32768-60999\",\"accepts\":0,\"unaccepted\":0,"
		"\"distinct_clients\":0,\"distinct_client_ports\":0,\"eph_to_static\":0,"
		"\"static_to_static\":0,\"eph_to_eph\":0,\"static_to_eph\":0,"
		"\"first_accept\":null,\"last_accept\":null,\"bytes_in\":0,"
		"\"bytes_out\":0,\"schema_version\":1}");
	json_line_is(out, "\"kind\":\"destination\"",
		"{\"kind\":\"destination\",\"netns\":4026531840,\"proto\":\"tcp\","
		"\"address\":\"10.0.0.2\",\"port\":179,\"service_hint\":\"bgp\","
		"\"comms\":[\"=1+2,\\\"x\\\"\\nzz-@q\"],\"pids\":[4242],\"pid_count\":1,"
		"\"uid\":33,\"container_id\":null,\"ephemeral_range\":\"32768-60999\","
		"\"connects\":1,\"failures\":{},\"no_ephemeral_port\":0,"
		"\"peak_ephemeral_ports\":0,"
		"\"first_connect\":\"2026-11-23T08:40:01.000000Z\","
		"\"last_connect\":\"2026-11-23T08:40:01.000000Z\",\"bytes_in\":0,"
		"\"bytes_out\":0,\"schema_version\":1}");
	json_line_is(out, "\"rank\":1,",
		"{\"kind\":\"finding\",\"rank\":1,\"severity\":\"low\","
		"\"rule\":\"non-ephemeral-to-static-flow\","
		"\"subject\":\"=1+2,\\\"x\\\"\\nzz-@q: static-to-static, outbound\","
		"\"detail\":\"1 static-to-static connection made, e.g. 10.0.0.1:179 -> "
		"10.0.0.2:179 (client port static by socket, server port static by "
		"range)\",\"count\":1,\"schema_version\":1}");
	json_line_is(out, "\"rank\":2,",
		"{\"kind\":\"finding\",\"rank\":2,\"severity\":\"low\","
		"\"rule\":\"idle-listener\","
		"\"subject\":\"tcp 0.0.0.0:8080 (netns 4026531840) =1+2,\\\"x\\\"\\nzz-@q\","
		"\"detail\":\"listening since 2026-11-23T08:40:00.000000Z, accepted no "
		"connection during the run\",\"count\":0,\"schema_version\":1}");
	free(out);

	lossy.lost = 7;
	lossy.host = NULL;
	out = report(a, JSON, &lossy);
	assert_non_null(strstr(out, "{\"kind\":\"report\",\"host\":null,"));
	assert_non_null(strstr(out, "\"lost\":7,\"complete\":false,\"schema_version\":1}\n"));
	free(out);
	pt_audit_free(a);
}

static void test_numeric(void **state)
{
	struct pt_audit_opts o = { .numeric = true };
	struct pt_audit *a = pt_audit_new(&o);
	struct pt_event e;
	char *out;

	(void)state;
	listen_ev(&e, "0.0.0.0", 22, true, "sshd", 1);
	feed(a, &e);
	out = report(a, JSON, &meta);
	assert_non_null(strstr(out, "\"port\":22,\"service_hint\":null,"));
	free(out);
	out = report(a, TABLE, &meta);
	assert_null(strstr(out, "ssh?"));
	free(out);
	pt_audit_free(a);
}

static void test_table(void **state)
{
	struct pt_audit *a = sample();
	struct pt_audit_meta lossy = meta;
	struct pt_event e;
	char *out;

	(void)state;
	accept_ev(&e, "10.0.0.1", 40000, "10.0.0.9", 8080, HOSTILE, 7, 2 * SEC);
	feed(a, &e);
	accept_ev(&e, "10.0.0.1", 1000, "10.0.0.9", 8080, HOSTILE, 7, 3 * SEC);
	feed(a, &e);
	close_ev(&e, PT_SIDE_SERVER, "10.0.0.1", 40000, "10.0.0.9", 8080, 1, 1536, 100);
	feed(a, &e);
	out = report(a, TABLE, &meta);
	if (strcmp(out,
		"porttrace audit: host web1, 2026-11-23T08:40:00.000000Z to "
		"2026-11-23T09:40:00.000000Z, 1234 events, 0 lost (complete)\n"
		"porttrace 0.1.0, ephemeral ports: auto; service names are hints (?)\n"
		"\n"
		"Services (1)\n"
		"  PROTO  ADDRESS:PORT  SERVICE    PROCESS               STATE      "
		"BOUND  EPH  ACCEPTS  CLIENTS  PORTS  CLASSES      FIRST     LAST       "
		"IN   OUT\n"
		"  tcp    0.0.0.0:8080  http-alt?  =1+2,\"x\"\\x0azz-@q[7]  listening  "
		"yes    no         2        1      2  e2s=1 s2s=1  08:40:02  08:40:03  "
		"100  1.5K\n"
		"\n"
		"Outbound (1)\n"
		"  PROTO  DESTINATION   SERVICE  PROCESS                  CONNECTS  "
		"FAILURES  EPH-PEAK  FIRST     LAST      IN  OUT\n"
		"  tcp    10.0.0.2:179  bgp?     =1+2,\"x\"\\x0azz-@q[4242]         1  "
		"-          0/28232  08:40:01  08:40:01   0    0\n"
		"\n"
		"Findings (2)\n"
		"   1. [low] non-ephemeral-to-static-flow: =1+2,\"x\"\\x0azz-@q: "
		"static-to-static, inbound\n"
		"      1 static-to-static connection accepted, e.g. 10.0.0.1:1000 -> "
		"10.0.0.9:8080 (client port static by range, server port static by "
		"listener)\n"
		"   2. [low] non-ephemeral-to-static-flow: =1+2,\"x\"\\x0azz-@q: "
		"static-to-static, outbound\n"
		"      1 static-to-static connection made, e.g. 10.0.0.1:179 -> "
		"10.0.0.2:179 (client port static by socket, server port static by "
		"range)\n"))
		fail_msg("table:\n%s", out);
	/* nothing raw from the comm reaches the terminal */
	assert_null(strstr(out, "\"x\"\nzz"));
	free(out);

	lossy.lost = 3;
	lossy.end = "2026-11-24T09:40:00.000000Z";
	out = report(a, TABLE, &lossy);
	assert_non_null(strstr(out, ", 3 lost (incomplete)\n"));
	/* a run over two days shows the date */
	assert_non_null(strstr(out, "  11-23T08:40:02  11-23T08:40:03  "));
	free(out);
	pt_audit_free(a);
}

static void test_empty(void **state)
{
	struct pt_audit *a = pt_audit_new(NULL);
	char *out;

	(void)state;
	out = report(a, TABLE, &meta);
	assert_non_null(strstr(out, "\nServices (0)\n  none\n\nOutbound (0)\n  none\n"
				    "\nFindings (0)\n  none\n"));
	free(out);
	/* the report record alone */
	out = report(a, JSON, &meta);
	assert_true(starts(out, "{\"kind\":\"report\","));
	assert_ptr_equal(strchr(out, '\n') + 1, out + strlen(out));
	free(out);
	pt_audit_free(a);
	pt_audit_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_counts),
		cmocka_unit_test(test_accept_matching),
		cmocka_unit_test(test_unlisten),
		cmocka_unit_test(test_destinations),
		cmocka_unit_test(test_idle_listener),
		cmocka_unit_test(test_listener_in_ephemeral_range),
		cmocka_unit_test(test_non_ephemeral_flows),
		cmocka_unit_test(test_port_pressure),
		cmocka_unit_test(test_port_scan),
		cmocka_unit_test(test_unexpected_listener),
		cmocka_unit_test(test_ranking),
		cmocka_unit_test(test_csv_roundtrip),
		cmocka_unit_test(test_csv_raw),
		cmocka_unit_test(test_csv_header_and_snapshots),
		cmocka_unit_test(test_json_records),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests_name("audit", tests, setup, teardown);
}
