/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Terminal table: fixed columns, one space apart, a worst-case IPv4 line
 * within 100 columns. Every byte of comm is escaped: a raw ESC would let any
 * process on the host drive the operator's terminal.
 */
#include <errno.h>
#include <string.h>
#include <linux/types.h>
#include "escape.h"
#include "sink.h"

#define TABLE_FMT	"%-8s %-7s %7s %-15s %-21s %-21s %s\n"
#define TABLE_COMM_W	15
/* "[" addr "]:" port */
#define TABLE_EP_LEN	(INET6_ADDRSTRLEN + 8)

/* A buffered stream may report a failed write only at a later flush. */
static int table_result(struct sink *s, int ret)
{
	if (ret >= 0 && s->line_flush && fflush(s->out))
		ret = -1;
	if (ret < 0 || ferror(s->out))
		return errno ? -errno : -EIO;
	return 0;
}

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

/* Brackets keep an IPv6 address's colons apart from the port's (RFC 3986). */
static void endpoint(char *buf, size_t n, const char *addr, unsigned int port)
{
	snprintf(buf, n, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

static int table_open(struct sink *s)
{
	int ret;

	errno = 0;
	ret = fprintf(s->out, TABLE_FMT, "TIME", "EVENT", "PID", "COMM",
		      "CLIENT", "SERVER", "CLASS");
	return table_result(s, ret);
}

static int table_write_flow(struct sink *s, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char comm[TABLE_COMM_W + 1], pid[12], time[9] = "-";
	char client[TABLE_EP_LEN], server[TABLE_EP_LEN];
	int ret;

	/* the escaper never splits an escape, so cutting it here is safe */
	esc_term(comm, sizeof(comm), e->comm, sizeof(e->comm));
	/* HH:MM:SS out of "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" */
	if (strnlen(f->time, sizeof(f->time)) >= 19) {
		memcpy(time, f->time + 11, 8);
		time[8] = '\0';
	}
	snprintf(pid, sizeof(pid), "%u", e->pid);
	endpoint(client, sizeof(client), f->client_addr, e->client_port);
	endpoint(server, sizeof(server), f->server_addr, e->server_port);

	errno = 0;
	ret = fprintf(s->out, TABLE_FMT, time, pt_kind_str(e->kind), pid,
		      comm, client, server, class_short(f->flow_class));
	ret = table_result(s, ret);
	if (!ret)
		s->rows++;
	return ret;
}

/* The loader prints the run summary on stderr, away from the table. */
static int table_write_stats(struct sink *s, const struct pt_stats *st)
{
	(void)s;
	(void)st;
	return 0;
}

static int table_close(struct sink *s)
{
	errno = 0;
	return table_result(s, fflush(s->out) ? -1 : 0);
}

const struct sink_ops sink_table_ops = {
	.open = table_open,
	.write_flow = table_write_flow,
	.write_stats = table_write_stats,
	.close = table_close,
};
