/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CSV sink, RFC 4180: a header row, CRLF line ends, the JSON keys as column
 * names in the same order. Only comm is untrusted; every other cell is a
 * number or a string we generated, none of which needs quoting.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/types.h>
#include "escape.h"
#include "sink.h"

/* A buffered stream may report a failed write only at a later flush. */
static int csv_result(struct sink *s, int ret)
{
	if (ret >= 0 && s->line_flush && fflush(s->out))
		ret = -1;
	if (ret < 0 || ferror(s->out))
		return errno ? -errno : -EIO;
	return 0;
}

static int csv_open(struct sink *s)
{
	int ret;

	errno = 0;
	ret = fputs("time,kind,proto,family,pid,comm,uid,cgroup_id,netns,"
		    "client_addr,client_port,client_port_class,"
		    "server_addr,server_port,server_port_class,"
		    "flow_class,ephemeral_range,evidence,attribution\r\n",
		    s->out);
	return csv_result(s, ret == EOF ? -1 : 0);
}

static int csv_write_flow(struct sink *s, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char comm[ESC_BUF_SIZE(PT_COMM_LEN)];
	int ret;

	esc_csv(comm, sizeof(comm), e->comm, sizeof(e->comm));

	errno = 0;
	ret = fprintf(s->out,
		      "%s,%s,%s,%s,%u,%s,%u,%llu,%u,%s,%u,%s,%s,%u,%s,%s,"
		      "%u-%u,client=%s server=%s,%s\r\n",
		      f->time, pt_kind_str(e->kind), pt_proto_str(e->proto),
		      pt_family_str(e->family), e->pid, comm, e->uid,
		      (unsigned long long)e->cgroup_id, e->netns,
		      f->client_addr, e->client_port,
		      pt_port_class_str(f->client_class),
		      f->server_addr, e->server_port,
		      pt_port_class_str(f->server_class),
		      pt_flow_class_str(f->flow_class),
		      f->eph_lo, f->eph_hi,
		      pt_evidence_str(f->client_evidence),
		      pt_evidence_str(f->server_evidence),
		      pt_attribution_str(e->attribution));
	ret = csv_result(s, ret);
	if (!ret)
		s->rows++;
	return ret;
}

/* Same columns as a flow row so the file stays rectangular for any reader. */
static int csv_write_stats(struct sink *s, const struct pt_stats *st)
{
	int ret;

	errno = 0;
	ret = fprintf(s->out,
		      "%s,stats,,,,,,,,,,,,,,,,events=%" PRIu64 " lost=%" PRIu64
		      " lost_ringbuf=%" PRIu64 " lost_recursion=%" PRIu64 ",\r\n",
		      st->time, st->events, st->lost, st->lost_ringbuf,
		      st->lost_recursion);
	return csv_result(s, ret);
}

static int csv_close(struct sink *s)
{
	errno = 0;
	return csv_result(s, fflush(s->out) ? -1 : 0);
}

const struct sink_ops sink_csv_ops = {
	.open = csv_open,
	.write_flow = csv_write_flow,
	.write_stats = csv_write_stats,
	.close = csv_close,
};
