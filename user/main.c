// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * porttrace: parse options -> load and attach -> poll -> decode -> classify
 * -> sink; on exit drain, flush and summarise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "classify.h"
#include "loader.h"
#include "options.h"
#include "sink.h"

#define POLL_MS	50	/* bounds output latency: records come without wakeups */

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	/* a second Ctrl-C does not wait for the drain */
	if (exiting)
		_exit(128 + sig);
	exiting = 1;
}

struct run {
	const struct pt_options *opts;
	struct sink *sink;
	int64_t mono_to_real;
	unsigned long long events;
	int write_err;
};

static int handle_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	struct pt_flow f;
	int err;

	if (size < sizeof(struct pt_event) || r->write_err)
		return 0;
	if (r->opts->count && r->events >= r->opts->count)
		return 0;
	decode_event(data, r->mono_to_real, &r->opts->eph, &f);
	err = r->sink->ops->write_flow(r->sink, &f);
	if (err) {
		r->write_err = err;
		exiting = 1;
		return 0;
	}
	r->events++;
	if (r->opts->count && r->events >= r->opts->count)
		exiting = 1;
	return 0;
}

static int setup_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	/* `porttrace | head` ends on EPIPE from write, quietly */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static struct sink *setup_sink(const struct pt_options *o, struct sink *s)
{
	enum pt_output out = o->output;
	bool tty = isatty(STDOUT_FILENO);

	if (out == PT_OUT_AUTO)
		out = tty ? PT_OUT_TABLE : PT_OUT_JSON;
	s->ops = out == PT_OUT_TABLE ? &sink_table_ops :
		 out == PT_OUT_CSV ? &sink_csv_ops : &sink_json_ops;
	s->out = stdout;
	s->line_flush = tty;
	if (!tty)
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return s;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Poll until a signal, --duration, --count or an output error. */
static int trace_loop(struct pt_tracer *t, struct run *r)
{
	double deadline = r->opts->duration ? now_s() + r->opts->duration : 0;
	int err;

	while (!exiting) {
		err = tracer_poll(t, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "porttrace: failed to poll ring buffer: %s\n", strerror(-err));
			return err;
		}
		/* never hold a record back longer than one poll */
		if (fflush(r->sink->out) && !r->write_err)
			r->write_err = -errno;
		if (r->write_err)
			break;
		if (deadline && now_s() >= deadline)
			break;
	}
	return 0;
}

static int finish(struct pt_tracer *t, struct run *r)
{
	struct pt_stats st = {};
	int err = 0;

	if (!r->write_err && !(r->opts->count && r->events >= r->opts->count))
		tracer_drain(t);
	tracer_lost(t, &st);
	st.events = r->events;
	format_time(mono_to_real_offset() + (int64_t)(now_s() * 1e9), st.time, sizeof(st.time));
	if (!r->write_err && st.lost)
		r->write_err = r->sink->ops->write_stats(r->sink, &st);
	if (!r->write_err)
		r->write_err = r->sink->ops->close(r->sink);
	if (!r->write_err && fflush(r->sink->out))
		r->write_err = -errno;

	if (r->write_err == -EPIPE)	/* the reader went away: not an error */
		return 0;
	if (r->write_err) {
		fprintf(stderr, "porttrace: failed to write output: %s\n", strerror(-r->write_err));
		err = r->write_err;
	}
	fprintf(stderr, "porttrace: %llu events, %llu lost", (unsigned long long)st.events,
		(unsigned long long)st.lost);
	if (st.lost)
		fprintf(stderr, " (ring buffer full: %llu%s, tracepoint runs the kernel skipped: %llu)",
			(unsigned long long)st.lost_ringbuf,
			st.lost_ringbuf ? ", try a larger --ring-size" : "",
			(unsigned long long)st.lost_recursion);
	fputc('\n', stderr);
	return err;
}

int main(int argc, char **argv)
{
	struct pt_options opts;
	struct pt_tracer tracer = {};
	struct sink sink = {};
	struct run run = {};
	int err;

	err = pt_parse_options(argc, argv, &opts);
	if (err == PT_OPTS_EXIT)
		return 0;
	if (err) {
		fprintf(stderr, "porttrace: %s\n", opts.err);
		return 2;
	}

	err = setup_signals();
	if (err)
		goto cleanup;
	err = tracer_start(&tracer, &opts, handle_event, &run);
	if (err)
		goto cleanup;

	run.opts = &opts;
	run.sink = setup_sink(&opts, &sink);
	run.mono_to_real = mono_to_real_offset();
	err = sink.ops->open(&sink);
	if (err) {
		run.write_err = err;
		err = finish(&tracer, &run);
		goto cleanup;
	}
	fprintf(stderr, "porttrace: tracing TCP connect and accept (%s); Ctrl-C to end\n",
		tracer.attached == PT_ATTACH_BTF ? "tp_btf" : "tracepoint");

	err = trace_loop(&tracer, &run);
	if (!err)
		err = finish(&tracer, &run);
	else
		finish(&tracer, &run);
cleanup:
	tracer_stop(&tracer);
	return err ? 1 : 0;
}
