/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output sinks: table, JSON Lines, CSV. One interface, one file each. A
 * sink takes live records (write_flow) and any other rows (write_row: the
 * audit's), through the one row model of row.h.
 */
#ifndef PT_SINK_H
#define PT_SINK_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include "flow.h"
#include "row.h"

struct pt_sink;

struct pt_sink_ops {
	/* write the header of s->shape, if the format has one */
	int (*open)(struct pt_sink *s);
	int (*write_flow)(struct pt_sink *s, const struct pt_flow *f);
	/* one row of s->shape; the header first when open() has not run.
	 * The table has no generic layout: -ENOTSUP (the audit lays out its own) */
	int (*write_row)(struct pt_sink *s, const struct pt_row *r);
	int (*write_stats)(struct pt_sink *s, const struct pt_stats *st);
	int (*close)(struct pt_sink *s);
};

struct pt_sink {
	const struct pt_sink_ops *ops;
	FILE *out;
	bool line_flush;	/* flush after every record (a terminal) */
	bool lifetime;		/* table: one line per finished flow (--lifetime) */
	bool listeners;		/* table: one line per listening socket (--listeners) */
	bool connections;	/* table: one line per open connection (--connections) */
	bool csv_raw;		/* csv: no "'" before formula-like cells (--csv-raw) */
	const struct pt_row_shape *shape;	/* the rows' columns; NULL: records */
	bool headed;		/* csv: the header is written (to this file) */
	unsigned long rows;
};

/*
 * A sink call's outcome from stdio's: a buffered stream may report a failed
 * write only at a later flush, so ferror() counts as well as ret (a terminal
 * flushes every record). errno was cleared by the caller: zero here means
 * stdio failed without saying why. 0 or -errno.
 */
static inline int pt_sink_result(struct pt_sink *s, int ret)
{
	if (ret >= 0 && s->line_flush && fflush(s->out))
		ret = -1;
	if (ret < 0 || ferror(s->out))
		return errno ? -errno : -EIO;
	return 0;
}

/* every sink's close: what is buffered goes out, or its error comes back */
static inline int pt_sink_flush(struct pt_sink *s)
{
	errno = 0;
	return pt_sink_result(s, fflush(s->out) ? -1 : 0);
}

/* for a row producer that takes a callback: ctx is the sink */
static inline int pt_sink_emit_row(void *ctx, const struct pt_row *r)
{
	struct pt_sink *s = ctx;

	return s->ops->write_row(s, r);
}

extern const struct pt_sink_ops pt_sink_table_ops;
extern const struct pt_sink_ops pt_sink_json_ops;
extern const struct pt_sink_ops pt_sink_csv_ops;

#endif /* PT_SINK_H */
