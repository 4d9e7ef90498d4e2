/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CSV sink, RFC 4180: a header row, CRLF line ends, the JSON keys as column
 * names in the same order (both come from record.c). A field that does not
 * apply is an empty cell. Every string cell goes through pt_esc_csv: comm is
 * hostile, and nothing else may ever start a formula either. --csv-raw
 * (s->csv_raw) keeps the quoting and escapes but drops the "'" prefix.
 */
#include <errno.h>
#include <linux/types.h>
#include "record.h"
#include "sink.h"

static int csv_put_line(struct pt_sink *s, const struct pt_line *l)
{
	return pt_line_write(l, s->out, s->line_flush);
}

static const struct pt_row_shape *shape_of(const struct pt_sink *s)
{
	return s->shape ? s->shape : &pt_record_shape;
}

static int csv_open(struct pt_sink *s)
{
	struct pt_line l;
	int ret;

	pt_line_init(&l);
	pt_row_csv_header(&l, shape_of(s));
	ret = csv_put_line(s, &l);
	if (!ret)
		s->headed = true;
	return ret;
}

static int csv_put_row(struct pt_sink *s, const struct pt_row *r)
{
	struct pt_line l;

	pt_line_init(&l);
	pt_row_csv(&l, r, s->csv_raw);
	return csv_put_line(s, &l);
}

static int csv_write_row(struct pt_sink *s, const struct pt_row *r)
{
	int ret = s->headed ? 0 : csv_open(s);

	if (!ret)
		ret = csv_put_row(s, r);
	if (!ret)
		s->rows++;
	return ret;
}

static int csv_write_flow(struct pt_sink *s, const struct pt_flow *f)
{
	struct pt_record r;
	struct pt_row row;
	int ret;

	pt_record_from_flow(&r, f);
	row = pt_record_row(&r);
	ret = csv_put_row(s, &row);
	if (!ret)
		s->rows++;
	return ret;
}

/* Same columns as a flow row so the file stays rectangular for any reader. */
static int csv_write_stats(struct pt_sink *s, const struct pt_stats *st)
{
	struct pt_record r;
	struct pt_row row;

	pt_record_from_stats(&r, st);
	row = pt_record_row(&r);
	return csv_put_row(s, &row);
}

const struct pt_sink_ops pt_sink_csv_ops = {
	.open = csv_open,
	.write_flow = csv_write_flow,
	.write_row = csv_write_row,
	.write_stats = csv_write_stats,
	.close = pt_sink_flush,
};
