/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Terminal table: fixed columns, one space apart, a worst-case IPv4 line
 * within 100 columns. Every byte of comm is escaped: a raw ESC would let any
 * process on the host drive the operator's terminal.
 *
 * Two layouts. Events: TIME EVENT PID COMM CLIENT SERVER CLASS, where CLASS
 * is the flow class, "!" and the outcome for a failed connect/accept, or the
 * listening port's class. Lifetime (--lifetime): TIME PID COMM CLIENT SERVER
 * TX RX MS (bytes), one line per finished flow; COMM is cut to 12 there to make
 * room for the numbers. Listeners (--listeners): PROTO ADDRESS:PORT CLASS
 * BOUND NETNS PID COMM. Connections (--connections): SIDE CLIENT SERVER
 * CLASS NETNS PID COMM, SIDE being the end this host's socket is.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <linux/types.h>
#include "escape.h"
#include "sink.h"

#define TABLE_FMT	"%-8s %-8s %7s %-15s %-21s %-21s %s\n"
#define TABLE_COMM_W	15
/*
 * 8+8+7+15+21+21 columns and 6 spaces leave 14 for CLASS: a longer outcome
 * is abbreviated (see class_failed) rather than breaking the budget.
 */
#define TABLE_CLASS_W	14

#define LIFE_FMT	"%-8s %7s %-12s %-21s %-21s %7s %7s %s\n"
#define LIFE_COMM_W	12
/* 8+7+12+21+21+7+7 columns and 7 spaces leave 10 digits of MS: 115 days */
#define LIFE_NUM_W	7

#define LIS_FMT		"%-5s %-21s %-6s %-5s %10s %7s %s\n"

#define CONN_FMT	"%-6s %-21s %-21s %-13s %10s %7s %s\n"

/* "[" addr "]:" port */
#define TABLE_EP_LEN	(INET6_ADDRSTRLEN + 8)

/* Short names keep the class column narrow enough for 100 columns. */
static const char *class_short(enum pt_flow_class c)
{
	switch (c) {
	case PT_FLOW_EPH_TO_STATIC:
		return "eph-static";
	case PT_FLOW_STATIC_TO_STATIC:
		return "static-static";
	case PT_FLOW_EPH_TO_EPH:
		return "eph-eph";
	case PT_FLOW_STATIC_TO_EPH:
		return "static-eph";
	default:
		return "unknown";
	}
}

static const char *port_class_short(enum pt_port_class c)
{
	switch (c) {
	case PT_PORT_STATIC:
		return "static";
	case PT_PORT_EPHEMERAL:
		return "eph";
	default:
		return "unknown";
	}
}

/*
 * "!" and the outcome, within TABLE_CLASS_W: no-ephemeral-port is shortened,
 * and an errno name too long to fit (none a connect returns in practice)
 * becomes its number, which is exact where a cut name would not be.
 */
static void class_failed(char *buf, size_t n, unsigned int result)
{
	const char *r = pt_result_str(result);

	if (result == EADDRNOTAVAIL)
		r = "no-eph-port";
	if (strlen(r) + 1 > TABLE_CLASS_W)
		snprintf(buf, n, "!errno-%u", result);
	else
		snprintf(buf, n, "!%s", r);
}

static void table_class(char *buf, size_t n, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;

	switch (e->kind) {
	case PT_EV_CONNECT:
	case PT_EV_ACCEPT:
	case PT_EV_RESET:
		if (e->result) {
			class_failed(buf, n, e->result);
			return;
		}
		break;
	case PT_EV_LISTEN:
	case PT_EV_UNLISTEN:
		snprintf(buf, n, "%s", port_class_short(f->server_class));
		return;
	default:
		break;
	}
	snprintf(buf, n, "%s", class_short(f->flow_class));
}

/* Brackets keep an IPv6 address's colons apart from the port's (RFC 3986). */
static void endpoint(char *buf, size_t n, const char *addr, unsigned int port)
{
	snprintf(buf, n, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

/* HH:MM:SS out of "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" */
static void short_time(char buf[9], const struct pt_flow *f)
{
	strcpy(buf, "-");
	if (strnlen(f->time, sizeof(f->time)) >= 19) {
		memcpy(buf, f->time + 11, 8);
		buf[8] = '\0';
	}
}

/*
 * With no process behind the record, the comm read then is not its owner.
 * A worker thread with its own name shows as process/thread.
 */
static void pid_comm(char *pid, size_t pidn, char *comm, size_t commn,
		     const struct pt_event *e)
{
	char raw[2 * PT_COMM_LEN + 1];
	size_t n;

	if (e->attribution == PT_ATTR_NONE) {
		snprintf(pid, pidn, "-");
		comm[0] = '\0';
		return;
	}
	snprintf(pid, pidn, "%u", e->pid);
	n = strnlen(e->comm, sizeof(e->comm));
	memcpy(raw, e->comm, n);
	if (pt_thread_named(e)) {
		size_t t = strnlen(e->thread, sizeof(e->thread));

		raw[n++] = '/';
		memcpy(raw + n, e->thread, t);
		n += t;
	}
	/* the escaper never splits an escape, so cutting it here is safe */
	pt_esc_term(comm, commn, raw, n);
}

/*
 * Bytes within LIFE_NUM_W characters: exact up to 9999999, then in the
 * largest unit (K, M, G, ... of 1024) that keeps six digits, so small flows
 * show their real size and a huge one cannot push the line.
 */
static void bytes_short(char *buf, size_t n, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	uint64_t v = bytes;
	size_t u = 0;

	if (v <= 9999999) {
		snprintf(buf, n, "%" PRIu64, v);
		return;
	}
	v /= 1024;
	while (v > 999999 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, "%" PRIu64 "%c", v, units[u]);
}

static int table_open(struct pt_sink *s)
{
	int ret;

	errno = 0;
	if (s->listeners)
		ret = fprintf(s->out, LIS_FMT, "PROTO", "ADDRESS:PORT", "CLASS", "BOUND",
			      "NETNS", "PID", "COMM");
	else if (s->connections)
		ret = fprintf(s->out, CONN_FMT, "SIDE", "CLIENT", "SERVER", "CLASS",
			      "NETNS", "PID", "COMM");
	else if (s->lifetime)
		ret = fprintf(s->out, LIFE_FMT, "TIME", "PID", "COMM", "CLIENT",
			      "SERVER", "TX", "RX", "MS");
	else
		ret = fprintf(s->out, TABLE_FMT, "TIME", "EVENT", "PID", "COMM",
			      "CLIENT", "SERVER", "CLASS");
	return pt_sink_result(s, ret);
}

static int write_event(struct pt_sink *s, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char comm[TABLE_COMM_W + 1], pid[12], time[9], class[32];
	char client[TABLE_EP_LEN] = "-", server[TABLE_EP_LEN];

	short_time(time, f);
	pid_comm(pid, sizeof(pid), comm, sizeof(comm), e);
	if (pt_has_client(e))
		endpoint(client, sizeof(client), f->client_addr, e->client_port);
	endpoint(server, sizeof(server), f->server_addr, e->server_port);
	table_class(class, sizeof(class), f);

	errno = 0;
	return fprintf(s->out, TABLE_FMT, time, pt_kind_str(e->kind), pid,
		       comm, client, server, class);
}

/* A record that is no finished flow still shows, with "-" for its numbers. */
static int write_lifetime(struct pt_sink *s, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char comm[LIFE_COMM_W + 1], pid[12], time[9];
	char client[TABLE_EP_LEN] = "-", server[TABLE_EP_LEN];
	char tx[24] = "-", rx[24] = "-", ms[24] = "-";

	short_time(time, f);
	pid_comm(pid, sizeof(pid), comm, sizeof(comm), e);
	if (pt_has_client(e))
		endpoint(client, sizeof(client), f->client_addr, e->client_port);
	endpoint(server, sizeof(server), f->server_addr, e->server_port);
	/* an end no run of porttrace saw: bytes and duration unknown */
	if (e->kind == PT_EV_CLOSE && !(e->xflags & PT_X_UNSEEN)) {
		bytes_short(tx, sizeof(tx), e->tx_bytes);
		bytes_short(rx, sizeof(rx), e->rx_bytes);
		/* a flow open before the start: its duration is unknown */
		if (!(e->flags & PT_F_INVENTORY))
			snprintf(ms, sizeof(ms), "%" PRIu64,
				 (uint64_t)e->duration_ns / 1000000);
	}

	errno = 0;
	return fprintf(s->out, LIFE_FMT, time, pid, comm, client, server,
		       tx, rx, ms);
}

static int write_listener(struct pt_sink *s, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char comm[TABLE_COMM_W + 1], pid[12], server[TABLE_EP_LEN], netns[12];

	pid_comm(pid, sizeof(pid), comm, sizeof(comm), e);
	endpoint(server, sizeof(server), f->server_addr, e->server_port);
	snprintf(netns, sizeof(netns), "%u", e->netns);
	errno = 0;
	return fprintf(s->out, LIS_FMT, pt_proto_str(e->proto), server,
		       port_class_short(f->server_class),
		       e->server_origin == PT_ORIGIN_BOUND ? "yes" : "no", netns, pid, comm);
}

static int write_connection(struct pt_sink *s, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char comm[TABLE_COMM_W + 1], pid[12], netns[12];
	char client[TABLE_EP_LEN], server[TABLE_EP_LEN];

	pid_comm(pid, sizeof(pid), comm, sizeof(comm), e);
	endpoint(client, sizeof(client), f->client_addr, e->client_port);
	endpoint(server, sizeof(server), f->server_addr, e->server_port);
	snprintf(netns, sizeof(netns), "%u", e->netns);
	errno = 0;
	return fprintf(s->out, CONN_FMT, pt_side_str(e->side), client, server,
		       class_short(f->flow_class), netns, pid, comm);
}

static int table_write_flow(struct pt_sink *s, const struct pt_flow *f)
{
	int ret;

	ret = s->listeners ? write_listener(s, f) :
	      s->connections ? write_connection(s, f) :
	      s->lifetime ? write_lifetime(s, f) : write_event(s, f);
	ret = pt_sink_result(s, ret);
	if (!ret)
		s->rows++;
	return ret;
}

/* The loader prints the run summary on stderr, away from the table. */
static int table_write_stats(struct pt_sink *s, const struct pt_stats *st)
{
	(void)s;
	(void)st;
	return 0;
}

/* a report has its own table layout (audit_report.c) */
static int table_write_row(struct pt_sink *s, const struct pt_row *r)
{
	(void)s;
	(void)r;
	return -ENOTSUP;
}

const struct pt_sink_ops pt_sink_table_ops = {
	.open = table_open,
	.write_flow = table_write_flow,
	.write_row = table_write_row,
	.write_stats = table_write_stats,
	.close = pt_sink_flush,
};
