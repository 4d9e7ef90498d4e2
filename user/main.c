// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * porttrace: parse options -> load and attach -> inventory -> poll -> decode
 * -> classify -> outputs (or the audit aggregate); on exit drain, report and
 * summarise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "audit.h"
#include "cgroup.h"
#include "classify.h"
#include "loader.h"
#include "metrics.h"
#include "options.h"
#include "outputs.h"
#include "services.h"

#define POLL_MS	50	/* bounds output latency: records come without wakeups */
#define DRAIN_BATCH	256	/* records per drain before the loop looks around */

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t reopen;

static void on_signal(int sig)
{
	/* a second Ctrl-C does not wait for the drain */
	if (exiting)
		_exit(128 + sig);
	exiting = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reopen = 1;
}

struct run {
	const struct pt_options *opts;
	struct pt_outputs *out;
	struct pt_audit *audit;		/* porttrace audit */
	int64_t mono_to_real;
	unsigned long long events;
	unsigned long long written;	/* of those, known to have reached stdout */
	unsigned int batch;		/* records in this drain */
	bool draining;			/* the last drain: take everything */
	char start[32];			/* RFC 3339, for reports */
	struct pt_metrics *metrics;	/* --metrics, or NULL */
};

/* Filters that need the classification, so they run after it. */
static bool flow_wanted(const struct pt_options *o, const struct pt_flow *f)
{
	const struct pt_event *ev = f->ev;

	if (o->classes && (!pt_has_client(ev) || !(o->classes & (1u << f->flow_class))))
		return false;
	/*
	 * --lifetime: one record per flow; a local client's close stands for
	 * both. Not when a process filter is set: the kernel may have dropped
	 * the client's record, and the server's is the one asked for.
	 */
	if (o->mode == PT_MODE_LIFETIME && ev->side == PT_SIDE_SERVER &&
	    (ev->flags & PT_F_PEER_LOCAL) && !o->npids && !o->nuids &&
	    !o->comm[0] && !o->cgroup)
		return false;
	return true;
}

/*
 * One record: decoded, classified, filtered, counted for --metrics, then
 * aggregated (audit) or written. counted_only: a row of what predates a live
 * trace, which --metrics counts and nothing writes.
 */
static int take_record(struct run *r, const struct pt_event *ev, bool counted_only)
{
	struct pt_flow f;
	int err;

	pt_decode_event(ev, r->mono_to_real, &r->opts->eph, &f);
	if (!flow_wanted(r->opts, &f))
		return 0;
	if (ev->attribution != PT_ATTR_NONE && ev->cgroup_id)
		f.container_id = pt_container_id(ev->cgroup_id);
	/* a scrape reads the counts and the audit under this lock */
	pt_metrics_lock(r->metrics);
	pt_metrics_flow(r->metrics, &f);
	err = r->audit && !counted_only ? pt_audit_add(r->audit, &f) : 0;
	pt_metrics_unlock(r->metrics);
	if (counted_only)
		return 0;
	if (!err && !r->audit)
		err = pt_outputs_write_flow(r->out, &f);
	if (err)
		return err;
	r->events++;
	return 0;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct run *r = ctx;

	if (size < sizeof(struct pt_event) || exiting == 2)
		return 0;
	if (r->opts->count && r->events >= r->opts->count)
		return 0;
	/* stdout failed: stop (2 also keeps the drain from writing more) */
	if (take_record(r, data, false))
		exiting = 2;
	else if (r->opts->count && r->events >= r->opts->count)
		exiting = 1;
	/* a consumer behind must still see --duration, --count and signals */
	if (!r->draining && (exiting || ++r->batch >= DRAIN_BATCH)) {
		r->batch = 0;
		return PT_DRAIN_PAUSE;
	}
	return 0;
}

/* --listeners and the audit's start: one row per (socket, owning process);
 * --connections: one per socket (the kernel side dedups those) */
struct seen {
	__u64 sock_id;
	__u32 pid;
};

struct inventory {
	struct run *run;
	bool metrics_only;		/* a live trace: rows only for --metrics */
	struct seen *seen;
	size_t n, cap;
};

/* the kernel filtered the inventory's rows as it does live records */
static int take_connection(void *ctx, const struct pt_event *ev)
{
	struct inventory *inv = ctx;

	return take_record(inv->run, ev, inv->metrics_only);
}

static int take_listener(void *ctx, const struct pt_event *ev)
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
	return take_connection(ctx, ev);
}

/*
 * What predates us. Listeners: evidence for the kernel side, rows for
 * --listeners, services for the audit. Open connections (after every
 * listener is known): their closes reported, rows for --connections and the
 * audit.
 */
static int inventory(struct pt_tracer *t, struct run *r, struct inventory *inv)
{
	enum pt_mode m = r->opts->mode;
	bool audit = r->audit != NULL;
	int err;

	inv->run = r;
	/* a live trace writes none of it; --metrics counts it */
	inv->metrics_only = !audit && !PT_MODE_SNAPSHOT(m);
	if (m == PT_MODE_LISTENERS)
		return pt_tracer_inventory(t, PT_INV_LISTENERS, take_listener, inv);
	err = pt_tracer_inventory(t, PT_INV_SERVICES,
				  audit || r->metrics ? take_listener : NULL, inv);
	if (err)
		return err;
	return pt_tracer_inventory(t, PT_INV_CONNECTIONS,
				   audit || r->metrics || m == PT_MODE_CONNECTIONS ?
				   take_connection : NULL, inv);
}

static int setup_signals(void)
{
	/* SA_RESTART: a signal during a blocked write (a slow pipe) must not
	 * fail the write; the poll still wakes (epoll_wait is never restarted) */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct sigaction hup = { .sa_handler = on_hup, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigemptyset(&hup.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &hup, NULL))
		return -errno;
	/* `porttrace | head` ends on EPIPE from write, quietly */
	signal(SIGPIPE, SIG_IGN);
	/* a file size limit is a write error (EFBIG) to report, not a kill */
	signal(SIGXFSZ, SIG_IGN);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void now_rfc3339(char buf[32])
{
	pt_format_time(mono_to_real_offset() + (int64_t)(now_s() * 1e9), buf, 32);
}

static const char *ephemeral_mode(const struct pt_eph_policy *pol, char *buf, size_t n)
{
	if (pol->mode == PT_EPH_AUTO)
		return "auto";
	if (pol->mode == PT_EPH_IANA)
		return "iana";
	snprintf(buf, n, "%u-%u", pol->lo, pol->hi);
	return buf;
}

struct report_ctx {
	struct pt_audit *audit;
	const struct pt_audit_meta *meta;
	bool clear;		/* a snapshot on a terminal: redraw in place */
};

static int report_rows(void *arg, int (*emit)(void *ctx, const struct pt_row *r), void *ctx)
{
	struct report_ctx *c = arg;

	return pt_audit_rows(c->audit, c->meta, emit, ctx);
}

static int report_table(void *arg, FILE *out)
{
	struct report_ctx *c = arg;

	/* a top-like view */
	if (c->clear)
		fputs("\033[H\033[2J", out);
	return pt_audit_write_table(c->audit, out, c->meta);
}

/* The audit report, to stdout and (final, or every --interval) to -w. */
static int audit_report(struct pt_tracer *t, struct run *r, bool final)
{
	struct pt_stats st = {};
	struct pt_audit_meta m = {};
	char host[256] = "", end[32], mode[16];
	struct report_ctx c = {
		.audit = r->audit,
		.meta = &m,
		.clear = !final && isatty(STDOUT_FILENO),
	};
	int err;

	pt_tracer_lost(t, &st);
	gethostname(host, sizeof(host) - 1);
	now_rfc3339(end);
	m.host = host;
	m.version = PORTTRACE_VERSION;
	m.ephemeral_mode = ephemeral_mode(&r->opts->eph, mode, sizeof(mode));
	m.start = r->start;
	m.end = end;
	m.events = r->events;
	m.lost = st.lost;
	/* the aggregate holds still: a scrape reads it under the same lock */
	pt_metrics_lock(r->metrics);
	err = pt_outputs_write_report(r->out, &(struct pt_report){
		.rows = report_rows, .table = report_table, .arg = &c,
	});
	pt_metrics_unlock(r->metrics);
	return err;
}

/* Poll until a signal, --duration, --count or a failed stdout. */
static int trace_loop(struct pt_tracer *t, struct run *r)
{
	double deadline = r->opts->duration ? now_s() + r->opts->duration : 0;
	double next_snapshot = r->opts->interval ? now_s() + r->opts->interval : 0;
	double next_lost = 0;
	int err;

	while (!exiting) {
		if (r->metrics && now_s() >= next_lost) {
			struct pt_stats st = {};

			pt_tracer_lost(t, &st);
			pt_metrics_lost(r->metrics, &st);
			next_lost = now_s() + 1;
		}
		r->batch = 0;
		err = pt_tracer_poll(t, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "porttrace: failed to poll ring buffer: %s\n", strerror(-err));
			return err;
		}
		if (reopen) {
			reopen = 0;
			pt_outputs_reopen(r->out);
		}
		/* never hold a record back longer than one poll */
		if (!r->audit && pt_outputs_batch_end(r->out))
			break;
		r->written = r->events;
		if (next_snapshot && now_s() >= next_snapshot) {
			next_snapshot += r->opts->interval;
			if (audit_report(t, r, false))
				break;
		}
		if (deadline && now_s() >= deadline)
			break;
	}
	return 0;
}

/* Drain, write what remains, summarise on stderr. */
static int finish(struct pt_tracer *t, struct run *r)
{
	struct pt_outputs *o = r->out;
	struct pt_stats st = {};
	int err = 0, file_err;

	pt_tracer_detach(t);
	r->draining = true;
	if (exiting != 2 && !(r->opts->count && r->events >= r->opts->count))
		pt_tracer_drain(t);
	pt_tracer_lost(t, &st);
	st.events = r->events;
	now_rfc3339(st.time);
	if (r->audit)
		err = audit_report(t, r, true);
	else if (st.lost || st.found_unseen)
		pt_outputs_write_stats(o, &st);
	file_err = pt_outputs_close(o);
	if (!o->term_err)
		r->written = r->events;

	if (o->term_err == -EPIPE)	/* the reader went away: not an error */
		return file_err;
	if (o->term_err) {
		fprintf(stderr, "porttrace: failed to write output: %s\n", strerror(-o->term_err));
		err = o->term_err;
	}
	/* a failed stdout: only what got out before it failed counts */
	fprintf(stderr, "porttrace: %llu events, %llu lost",
		(unsigned long long)(o->term_err ? r->written : st.events),
		(unsigned long long)st.lost);
	if (st.lost)
		fprintf(stderr, " (ring buffer full: %llu%s, state full: %llu, tracepoint runs the kernel skipped: %llu"
			", closes the kernel never ran porttrace for: %llu)",
			(unsigned long long)st.lost_ringbuf,
			st.lost_ringbuf ? ", try a larger --ring-size" : "",
			(unsigned long long)st.lost_state,
			(unsigned long long)st.lost_recursion,
			(unsigned long long)st.lost_unseen);
	if (st.found_unseen)
		fprintf(stderr, "; %llu closes reported late, with no bytes or duration: "
			"the kernel ran no porttrace program when they ended",
			(unsigned long long)st.found_unseen);
	fputc('\n', stderr);
	return err ? err : file_err;
}

static struct pt_audit *new_audit(const struct pt_options *o)
{
	struct pt_audit_opts ao = {
		.expect_ports = o->expect_ports,
		.n_expect = o->expect_given ? o->nexpect_ports : 0,
		.scan_ports = o->scan_ports,
		.scan_window_s = o->scan_window,
		.numeric = o->numeric,
	};

	return pt_audit_new(&ao);
}

int main(int argc, char **argv)
{
	struct pt_options opts;
	struct pt_tracer tracer = {};
	struct pt_outputs out;
	struct inventory inv = {};
	struct run run = {};
	bool snapshot;
	int err;

	err = pt_parse_options(argc, argv, &opts);
	if (err == PT_OPTS_EXIT)
		return 0;
	if (err) {
		fprintf(stderr, "porttrace: %s\n", opts.err);
		return 2;
	}
	snapshot = PT_MODE_SNAPSHOT(opts.mode);
	pt_services_set_numeric(opts.numeric);

	err = setup_signals();
	if (err)
		return 1;
	/* a refused --write file is known before anything is traced */
	err = pt_outputs_open(&out, &opts, opts.mode == PT_MODE_AUDIT ? &pt_audit_shape : NULL);
	if (err)
		return err == PT_OUTPUTS_USAGE ? 2 : 1;
	run.opts = &opts;
	run.out = &out;
	if (opts.mode == PT_MODE_AUDIT) {
		run.audit = new_audit(&opts);
		if (!run.audit) {
			fprintf(stderr, "porttrace: out of memory\n");
			err = -ENOMEM;
			goto cleanup;
		}
	}

	err = pt_tracer_start(&tracer, &opts, snapshot ? NULL : handle_event, &run);
	if (err)
		goto cleanup;
	run.mono_to_real = mono_to_real_offset();
	now_rfc3339(run.start);
	err = pt_outputs_start(&out);
	if (err)
		goto done;
	if (opts.metrics) {
		err = pt_metrics_start(&run.metrics, opts.metrics,
				       tracer.attached == PT_ATTACH_BTF ? "tp_btf" : "tracepoint",
				       run.audit);
		if (err)
			goto done;
	}

	err = inventory(&tracer, &run, &inv);
	if (err || snapshot)
		goto done;
	fprintf(stderr, "porttrace: tracing (%s); Ctrl-C to end\n",
		tracer.attached == PT_ATTACH_BTF ? "tp_btf" : "tracepoint");
	out.tracing = true;
	err = trace_loop(&tracer, &run);
	out.tracing = false;
done:
	if (snapshot) {
		int cerr = pt_outputs_close(&out);

		if (!err && out.term_err && out.term_err != -EPIPE) {
			fprintf(stderr, "porttrace: failed to write output: %s\n", strerror(-out.term_err));
			err = out.term_err;
		}
		if (!err)
			err = cerr;
	} else {
		int ferr = finish(&tracer, &run);

		if (!err)
			err = ferr;
	}
cleanup:
	pt_metrics_stop(run.metrics);
	if (out.file_open)
		pt_outfile_abort(&out.of);
	free(inv.seen);
	pt_audit_free(run.audit);
	pt_tracer_stop(&tracer);
	return err ? 1 : 0;
}
