/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where records go: the terminal (stdout) and, with -w, a file. A failing
 * file is warned about once and dropped while tracing goes on; the run then
 * ends non-zero. A closed stdout (| head) ends the run quietly.
 */
#ifndef PT_OUTPUTS_H
#define PT_OUTPUTS_H

#include <errno.h>
#include <stdbool.h>
#include "flow.h"
#include "options.h"
#include "outfile.h"
#include "sink.h"

struct pt_outputs {
	struct pt_sink term;	/* stdout; ops NULL when the terminal gets no records */
	struct pt_sink file;	/* -w; ops NULL without one */
	struct pt_outfile of;
	/* stdout: a terminal's own stream, else a row stream over fd 1 (so),
	 * which writes whole rows only, as a -w file does */
	FILE *out;
	struct pt_outfile so;
	bool so_open;
	enum pt_output term_format, file_format;
	int term_err;		/* first error on stdout; -EPIPE ends quietly */
	bool file_open;
	bool file_failed;
	bool tracing;		/* a failing file is dropped while tracing goes on */
	bool report;		/* the sinks take a report's rows, not records */
};

/*
 * A report (the audit's): rows() gives each of its rows to emit(ctx, row);
 * table() lays it out for a terminal that takes a table.
 */
struct pt_report {
	int (*rows)(void *arg, int (*emit)(void *ctx, const struct pt_row *r), void *ctx);
	int (*table)(void *arg, FILE *out);
	void *arg;
};

/* pt_outputs_open(): the -w format cannot be told, a usage error (exit 2) */
#define PT_OUTPUTS_USAGE	(-EDOM)

/*
 * Resolve formats and open the -w file (before tracing: a refused file is a
 * usage error). report: NULL when the sinks get records (live modes), else
 * the columns of the report they get instead (audit). Prints the reason and
 * returns -errno.
 */
int pt_outputs_open(struct pt_outputs *o, const struct pt_options *opts,
		 const struct pt_row_shape *report);

/* Write headers (a record sink's open). */
int pt_outputs_start(struct pt_outputs *o);

/* One record to every live sink; a negative return means stop (stdout failed). */
int pt_outputs_write_flow(struct pt_outputs *o, const struct pt_flow *f);

int pt_outputs_write_stats(struct pt_outputs *o, const struct pt_stats *st);

/*
 * A report, whole, to every sink: its rows as JSON Lines or CSV (a file's
 * CSV header once, a rotated file's again), its table to a terminal. The
 * file is flushed after it. Returns the terminal's error (0 once its reader
 * went away: that ends the run quietly).
 */
int pt_outputs_write_report(struct pt_outputs *o, const struct pt_report *rep);

/* After each ring-buffer batch: flush, so nothing waits longer than a poll. */
int pt_outputs_batch_end(struct pt_outputs *o);

/* SIGHUP: reopen the -w file (log rotation). */
void pt_outputs_reopen(struct pt_outputs *o);

/* Close the sinks and commit the file; 0, or the first file error. */
int pt_outputs_close(struct pt_outputs *o);

/* The file sink failed: warn once, stop using it. */
void pt_outputs_file_failed(struct pt_outputs *o, int err);

#endif /* PT_OUTPUTS_H */
