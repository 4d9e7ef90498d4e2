// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "outputs.h"
#include "record.h"

static const struct pt_sink_ops *ops_of(enum pt_output f)
{
	return f == PT_OUT_TABLE ? &pt_sink_table_ops :
	       f == PT_OUT_CSV ? &pt_sink_csv_ops : &pt_sink_json_ops;
}

int pt_outputs_open(struct pt_outputs *o, const struct pt_options *opts,
		 const struct pt_row_shape *report)
{
	bool records = !report;
	bool tty = isatty(STDOUT_FILENO);
	unsigned int flags = opts->force ? PT_OUTFILE_FORCE : 0;
	int fmt, err;

	memset(o, 0, sizeof(*o));
	o->term_format = opts->output;
	if (o->term_format == PT_OUT_AUTO)
		o->term_format = tty ? PT_OUT_TABLE : PT_OUT_JSON;
	o->out = stdout;
	if (!tty) {
		/* a pipe or file: whole rows only, even when killed mid-batch */
		int fd = dup(STDOUT_FILENO);

		if (fd < 0 || pt_outfile_fdopen(&o->so, fd, "stdout")) {
			if (fd >= 0)
				close(fd);
			fprintf(stderr, "porttrace: cannot set up stdout: %s\n", strerror(errno));
			return -ENOMEM;
		}
		o->so_open = true;
		o->out = o->so.fp;
	}
	o->report = !records;
	/* -o none: stdout gets no records (--metrics, -w do the work) */
	o->term.ops = o->term_format == PT_OUT_NONE ? NULL : ops_of(o->term_format);
	o->term.out = o->out;
	o->term.line_flush = tty;
	o->term.lifetime = opts->mode == PT_MODE_LIFETIME;
	o->term.listeners = opts->mode == PT_MODE_LISTENERS;
	o->term.connections = opts->mode == PT_MODE_CONNECTIONS;
	o->term.csv_raw = opts->csv_raw;
	o->term.shape = report ? report : opts->ecs ? &pt_record_shape_ecs : NULL;
	if (opts->write_path) {
		fmt = opts->write_format ? (int)opts->write_format : pt_output_from_path(opts->write_path);
		if (fmt < 0) {
			fprintf(stderr, "porttrace: cannot tell the format of --write '%s': name it .csv, .json or .jsonl, or give --write-format\n",
				opts->write_path);
			return PT_OUTPUTS_USAGE;
		}
		o->file_format = fmt;
	}
	if (opts->ecs && o->term_format != PT_OUT_JSON &&
	    (!opts->write_path || o->file_format != PT_OUT_JSON)) {
		fprintf(stderr, "porttrace: --field-names=ecs names JSON keys: give -o json or a .json --write file\n");
		return PT_OUTPUTS_USAGE;
	}
	if (!opts->write_path)
		return 0;
	/* a final audit report appears whole or not at all; a stream can rotate */
	if (!records && !opts->interval)
		flags |= PT_OUTFILE_ATOMIC;
	err = pt_outfile_open(&o->of, opts->write_path, flags);
	if (err) {
		fprintf(stderr, "porttrace: %s\n", o->of.err);
		return err;
	}
	o->file_open = true;
	o->file.ops = ops_of(o->file_format);
	o->file.out = o->of.fp;
	o->file.csv_raw = opts->csv_raw;
	o->file.shape = o->term.shape;
	return 0;
}

void pt_outputs_file_failed(struct pt_outputs *o, int err)
{
	if (o->file_failed)
		return;
	o->file_failed = true;
	o->file.ops = NULL;
	if (pt_outfile_warned(&o->of))
		return;
	/* of.err names the file; a sink's own error does not */
	if (o->of.err[0])
		fprintf(stderr, "porttrace: %s", o->of.err);
	else
		fprintf(stderr, "porttrace: cannot write %s: %s",
			o->of.path ? o->of.path : "--write file", strerror(-err));
	fprintf(stderr, "%s\n", o->tracing ? "; tracing goes on without it" : "");
}

/* the sinks a call goes to: a failed file is gone, a failed stdout stays failed */
#define FILE_SINK(o)	((o)->file.ops ? &(o)->file : NULL)
#define TERM_SINK(o)	((o)->term.ops && !(o)->term_err ? &(o)->term : NULL)

/* One sink call's outcome on both: the file's failure drops the file, the
 * terminal's stops the run (returned). */
static int settle(struct pt_outputs *o, int file_err, int term_err)
{
	if (file_err)
		pt_outputs_file_failed(o, file_err);
	if (term_err)
		o->term_err = term_err;
	return term_err;
}

int pt_outputs_start(struct pt_outputs *o)
{
	struct pt_sink *f = FILE_SINK(o), *t = TERM_SINK(o);

	/* a report's header comes with its first row: a run that ends before
	 * its report leaves no lone header behind */
	if (o->report)
		return 0;
	return settle(o, f ? f->ops->open(f) : 0, t ? t->ops->open(t) : 0);
}

int pt_outputs_write_flow(struct pt_outputs *o, const struct pt_flow *flow)
{
	struct pt_sink *f = FILE_SINK(o), *t = TERM_SINK(o);

	return settle(o, f ? f->ops->write_flow(f, flow) : 0,
		      t ? t->ops->write_flow(t, flow) : 0);
}

int pt_outputs_write_stats(struct pt_outputs *o, const struct pt_stats *st)
{
	struct pt_sink *f = FILE_SINK(o), *t = TERM_SINK(o);

	return settle(o, f ? f->ops->write_stats(f, st) : 0,
		      t ? t->ops->write_stats(t, st) : 0);
}

int pt_outputs_batch_end(struct pt_outputs *o)
{
	int err;

	if (o->file.ops) {
		err = pt_outfile_flush(&o->of);
		if (err)
			pt_outputs_file_failed(o, err);
	}
	if (!o->term_err && fflush(o->out))
		o->term_err = -errno;
	return o->term_err;
}

int pt_outputs_write_report(struct pt_outputs *o, const struct pt_report *rep)
{
	struct pt_sink *f = FILE_SINK(o), *t = TERM_SINK(o);
	int ferr = 0, terr = 0;

	if (t) {
		terr = o->term_format == PT_OUT_TABLE ? rep->table(rep->arg, t->out) :
			rep->rows(rep->arg, pt_sink_emit_row, t);
		if (!terr && fflush(o->out))
			terr = -errno;
	}
	if (f) {
		ferr = rep->rows(rep->arg, pt_sink_emit_row, f);
		if (!ferr)
			ferr = pt_outfile_flush(&o->of);
	}
	settle(o, ferr, terr);
	return o->term_err == -EPIPE ? 0 : o->term_err;
}

void pt_outputs_reopen(struct pt_outputs *o)
{
	int err;

	/* an atomic report appears at the end: there is nothing to rotate */
	if (!o->file_open || o->file_failed || (o->of.flags & PT_OUTFILE_ATOMIC))
		return;
	err = pt_outfile_reopen(&o->of);
	if (err) {
		pt_outputs_file_failed(o, err);
		return;
	}
	o->file.out = o->of.fp;
	/* a new file starts with its CSV header: a record stream's now, a
	 * report's with its next row */
	o->file.headed = !o->of.fresh;
	if (o->file.ops && o->of.fresh && !o->report) {
		err = o->file.ops->open(&o->file);
		if (err)
			pt_outputs_file_failed(o, err);
	}
}

int pt_outputs_close(struct pt_outputs *o)
{
	int err = 0;

	if (o->term.ops && !o->term_err) {
		o->term_err = o->term.ops->close(&o->term);
		if (!o->term_err && fflush(o->out))
			o->term_err = -errno;
	}
	if (o->so_open) {
		int serr = pt_outfile_commit(&o->so);

		o->so_open = false;
		o->out = stdout;
		o->term.out = stdout;
		if (!o->term_err && serr)
			o->term_err = serr;
	}
	if (o->file.ops) {
		err = o->file.ops->close(&o->file);
		if (err)
			pt_outputs_file_failed(o, err);
	}
	if (o->file_open && o->file_failed) {
		/* a failed report never creates or replaces its target */
		pt_outfile_abort(&o->of);
		o->file_open = false;
	} else if (o->file_open) {
		err = pt_outfile_commit(&o->of);
		o->file_open = false;
		if (err && !o->file_failed) {
			o->file_failed = true;
			if (!pt_outfile_warned(&o->of))
				fprintf(stderr, "porttrace: %s\n", o->of.err[0] ? o->of.err : strerror(-err));
		}
	}
	return o->file_failed ? -EIO : 0;
}
