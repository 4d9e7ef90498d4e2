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
#include <stdlib.h>
#include "cgroup.h"
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

static bool record_filter(const struct pt_options *o, const struct pt_event *ev);

/* Filters that need the classification, so they run after it. */
static bool flow_wanted(const struct pt_options *o, const struct pt_flow *f)
{
	const struct pt_event *ev = f->ev;

	if (o->classes && (!pt_has_client(ev) || !(o->classes & (1u << f->flow_class))))
		return false;
	/* --lifetime: one record per flow; a local client's close stands for both */
	if (o->mode == PT_MODE_LIFETIME && ev->side == PT_SIDE_SERVER &&
	    (ev->flags & PT_F_PEER_LOCAL))
		return false;
	return true;
}

static int write_event(struct run *r, const struct pt_event *ev)
{
	struct pt_flow f;
	int err;

	decode_event(ev, r->mono_to_real, &r->opts->eph, &f);
	if (!flow_wanted(r->opts, &f))
		return 0;
	if (ev->attribution != PT_ATTR_NONE && ev->cgroup_id)
		f.container_id = pt_container_id(ev->cgroup_id);
	err = r->sink->ops->write_flow(r->sink, &f);
	if (err)
		return err;
	r->events++;
	return 0;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;
	int err;

	if (size < sizeof(struct pt_event) || r->write_err)
		return 0;
	if (r->opts->count && r->events >= r->opts->count)
		return 0;
	err = write_event(r, data);
	if (err) {
		r->write_err = err;
		exiting = 1;
		return 0;
	}
	if (r->opts->count && r->events >= r->opts->count)
		exiting = 1;
	return 0;
}

/* --listeners: one row per (socket, owning process) */
struct seen {
	__u64 sock_id;
	__u32 pid;
};

struct inventory {
	struct run *run;
	struct seen *seen;
	size_t n, cap;
};

static int print_listener(void *ctx, const struct pt_event *ev)
{
	struct inventory *inv = ctx;
	struct seen *grown;

	for (size_t i = 0; i < inv->n; i++)
		if (inv->seen[i].sock_id == ev->sock_id && inv->seen[i].pid == ev->pid)
			return 0;	/* another thread of the same process */
	if (inv->n == inv->cap) {
		inv->cap = inv->cap ? inv->cap * 2 : 64;
		grown = realloc(inv->seen, inv->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		inv->seen = grown;
	}
	inv->seen[inv->n].sock_id = ev->sock_id;
	inv->seen[inv->n++].pid = ev->pid;
	if (!record_filter(inv->run->opts, ev))
		return 0;
	return write_event(inv->run, ev);
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

/* The kernel filters live records; inventory records come unfiltered. */
static bool record_filter(const struct pt_options *o, const struct pt_event *ev)
{
	bool port = !o->nports, pid = !o->npids, uid = !o->nuids;

	for (unsigned int i = 0; i < o->nports; i++)
		port |= o->ports[i] == ev->server_port;
	for (unsigned int i = 0; i < o->npids; i++)
		pid |= o->pids[i] == ev->pid;
	for (unsigned int i = 0; i < o->nuids; i++)
		uid |= o->uids[i] == ev->uid;
	if (o->family && o->family != ev->family)
		return false;
	if (!(o->protos & PT_KIND_BIT(ev->proto & 31)))
		return false;
	if (o->netns && o->netns != ev->netns)
		return false;
	if (o->comm[0] && strncmp(o->comm, ev->comm, PT_COMM_LEN))
		return false;
	return port && pid && uid;
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
	s->lifetime = o->mode == PT_MODE_LIFETIME;
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

/* --listeners: what the iterator finds, then exit */
static int list_listeners(struct pt_tracer *t, struct run *r)
{
	struct inventory inv = { .run = r };
	int err;

	err = r->sink->ops->open(r->sink);
	if (!err)
		err = tracer_inventory(t, print_listener, &inv);
	if (!err)
		err = r->sink->ops->close(r->sink);
	if (!err && fflush(r->sink->out))
		err = -errno;
	free(inv.seen);
	if (err == -EPIPE)
		return 0;
	if (err && err != -ENOMEM)
		fprintf(stderr, "porttrace: failed to write output: %s\n", strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct pt_options opts;
	struct pt_tracer tracer = {};
	struct sink sink = {};
	struct run run = {};
	bool listeners;
	int err;

	err = pt_parse_options(argc, argv, &opts);
	if (err == PT_OPTS_EXIT)
		return 0;
	if (err) {
		fprintf(stderr, "porttrace: %s\n", opts.err);
		return 2;
	}
	listeners = opts.mode == PT_MODE_LISTENERS;

	err = setup_signals();
	if (err)
		goto cleanup;
	err = tracer_start(&tracer, &opts, listeners ? NULL : handle_event, &run);
	if (err)
		goto cleanup;

	run.opts = &opts;
	run.sink = setup_sink(&opts, &sink);
	run.mono_to_real = mono_to_real_offset();
	if (listeners) {
		err = list_listeners(&tracer, &run);
		goto cleanup;
	}
	/* listeners that predate us become evidence; the tracepoints see the rest */
	err = tracer_inventory(&tracer, NULL, NULL);
	if (err)
		goto cleanup;
	err = sink.ops->open(&sink);
	if (err) {
		run.write_err = err;
		err = finish(&tracer, &run);
		goto cleanup;
	}
	fprintf(stderr, "porttrace: tracing (%s); Ctrl-C to end\n",
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
