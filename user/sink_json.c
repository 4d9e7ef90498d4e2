/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * JSON Lines sink: one object per line, keys in the same order as the CSV
 * columns, no whitespace, so `grep` and `jq -c` both work on the stream.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/types.h>
#include "escape.h"
#include "sink.h"

/*
 * A buffered stream may report a failed write only at a later flush, so
 * ferror() is checked as well as the return value. errno was cleared by the
 * caller: zero here means stdio failed without saying why.
 */
static int json_result(struct sink *s, int ret)
{
	if (ret >= 0 && s->line_flush && fflush(s->out))
		ret = -1;
	if (ret < 0 || ferror(s->out))
		return errno ? -errno : -EIO;
	return 0;
}

static int json_open(struct sink *s)
{
	(void)s;
	return 0;
}

static int json_write_flow(struct sink *s, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char comm[ESC_BUF_SIZE(PT_COMM_LEN)];
	int ret;

	esc_json(comm, sizeof(comm), e->comm, sizeof(e->comm));

	/* one call per record: on error nothing past stdio's own partial write */
	errno = 0;
	ret = fprintf(s->out,
		      "{\"time\":\"%s\",\"kind\":\"%s\",\"proto\":\"%s\","
		      "\"family\":\"%s\",\"pid\":%u,\"comm\":\"%s\",\"uid\":%u,"
		      "\"cgroup_id\":%llu,\"netns\":%u,"
		      "\"client_addr\":\"%s\",\"client_port\":%u,"
		      "\"client_port_class\":\"%s\","
		      "\"server_addr\":\"%s\",\"server_port\":%u,"
		      "\"server_port_class\":\"%s\",\"flow_class\":\"%s\","
		      "\"ephemeral_range\":\"%u-%u\","
		      "\"evidence\":\"client=%s server=%s\","
		      "\"attribution\":\"%s\"}\n",
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
	ret = json_result(s, ret);
	if (!ret)
		s->rows++;
	return ret;
}

static int json_write_stats(struct sink *s, const struct pt_stats *st)
{
	int ret;

	errno = 0;
	ret = fprintf(s->out,
		      "{\"time\":\"%s\",\"kind\":\"stats\",\"events\":%" PRIu64
		      ",\"lost\":%" PRIu64 ",\"lost_ringbuf\":%" PRIu64
		      ",\"lost_recursion\":%" PRIu64 "}\n",
		      st->time, st->events, st->lost, st->lost_ringbuf,
		      st->lost_recursion);
	return json_result(s, ret);
}

static int json_close(struct sink *s)
{
	errno = 0;
	return json_result(s, fflush(s->out) ? -1 : 0);
}

const struct sink_ops sink_json_ops = {
	.open = json_open,
	.write_flow = json_write_flow,
	.write_stats = json_write_stats,
	.close = json_close,
};
