/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * JSON Lines sink: one object per line, keys in the same order as the CSV
 * columns (both come from record.c), no whitespace, so `grep` and `jq -c`
 * both work on the stream. A field that does not apply is null.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/types.h>
#include "record.h"
#include "sink.h"

static int json_open(struct pt_sink *s)
{
	(void)s;
	return 0;
}

static int json_put_line(struct pt_sink *s, const struct pt_line *l)
{
	int ret = pt_line_write(l, s->out, s->line_flush);

	if (!ret)
		s->rows++;
	return ret;
}

static int json_write_row(struct pt_sink *s, const struct pt_row *r)
{
	struct pt_line l;

	pt_line_init(&l);
	pt_row_json(&l, r);
	return json_put_line(s, &l);
}

static int json_write_flow(struct pt_sink *s, const struct pt_flow *f)
{
	struct pt_record r;
	struct pt_row row;

	pt_record_from_flow(&r, f);
	row = pt_record_row(&r);
	if (s->shape)
		row.shape = s->shape;	/* --field-names=ecs */
	return json_write_row(s, &row);
}

static int json_write_stats(struct pt_sink *s, const struct pt_stats *st)
{
	/* --field-names=ecs: the keys records share are spelled as theirs */
	bool ecs = s->shape == &pt_record_shape_ecs;
	int ret;

	errno = 0;
	ret = fprintf(s->out,
		      "{\"%s\":\"%s\",\"%s\":\"stats\",\"events\":%" PRIu64
		      ",\"lost\":%" PRIu64 ",\"lost_ringbuf\":%" PRIu64
		      ",\"lost_state\":%" PRIu64 ",\"lost_recursion\":%" PRIu64
		      ",\"lost_unseen\":%" PRIu64 ",\"closes_reported_late\":%" PRIu64
		      ",\"%s\":" PT_SCHEMA_VERSION_STR "}\n",
		      ecs ? "@timestamp" : "time", st->time, ecs ? "event.action" : "kind",
		      st->events, st->lost, st->lost_ringbuf, st->lost_state, st->lost_recursion,
		      st->lost_unseen, st->found_unseen, ecs ? "porttrace.schema_version" : "schema_version");
	return pt_sink_result(s, ret);
}

const struct pt_sink_ops pt_sink_json_ops = {
	.open = json_open,
	.write_flow = json_write_flow,
	.write_row = json_write_row,
	.write_stats = json_write_stats,
	.close = pt_sink_flush,
};
