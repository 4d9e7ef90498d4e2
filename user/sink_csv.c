/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CSV sink, RFC 4180: a header row, CRLF line ends, the JSON keys as column
 * names in the same order (both come from record.c). A field that does not
 * apply is an empty cell. Every string cell goes through esc_csv: comm is
 * hostile, and nothing else may ever start a formula either. --csv-raw
 * (s->csv_raw) keeps the quoting and escapes but drops the "'" prefix.
 */
#include <errno.h>
#include <linux/types.h>
#include "escape.h"
#include "record.h"
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

static int csv_put_line(struct sink *s, struct pt_line *l)
{
	int ret;

	pt_line_puts(l, "\r\n");
	if (l->over)
		return -ENOBUFS;
	/* one call per record: on error nothing past stdio's own partial write */
	errno = 0;
	ret = fwrite(l->buf, 1, l->len, s->out) == l->len ? 0 : -1;
	return csv_result(s, ret);
}

static int csv_open(struct sink *s)
{
	struct pt_line l;
	size_t i;

	l.len = 0;
	l.over = false;
	for (i = 0; i < PT_NFIELDS; i++) {
		if (i)
			pt_line_puts(&l, ",");
		pt_line_puts(&l, pt_field_names[i]);
	}
	return csv_put_line(s, &l);
}

static int csv_write_record(struct sink *s, const struct pt_record *r)
{
	size_t (*esc)(char *, size_t, const char *, size_t) =
		s->csv_raw ? esc_csv_raw : esc_csv;
	struct pt_line l;
	size_t i;

	l.len = 0;
	l.over = false;
	for (i = 0; i < PT_NFIELDS; i++) {
		const struct pt_value *v = &r->v[i];

		if (i)
			pt_line_puts(&l, ",");
		if (v->type == PT_VAL_STR)
			pt_line_esc(&l, esc, v->s, v->len);
		else if (v->type == PT_VAL_BARE)
			pt_line_put(&l, v->s, v->len);
	}
	return csv_put_line(s, &l);
}

static int csv_write_flow(struct sink *s, const struct pt_flow *f)
{
	struct pt_record r;
	int ret;

	pt_record_from_flow(&r, f);
	ret = csv_write_record(s, &r);
	if (!ret)
		s->rows++;
	return ret;
}

/* Same columns as a flow row so the file stays rectangular for any reader. */
static int csv_write_stats(struct sink *s, const struct pt_stats *st)
{
	struct pt_record r;

	pt_record_from_stats(&r, st);
	return csv_write_record(s, &r);
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
