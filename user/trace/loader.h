/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The kernel side's lifecycle: open -> configure -> load -> attach -> poll. */
#ifndef PT_LOADER_H
#define PT_LOADER_H

#include <errno.h>
#include <bpf/libbpf.h>
#include "flow.h"
#include "options.h"
#include "probe.h"

struct porttrace_bpf;

struct pt_tracer {
	struct porttrace_bpf *skel;
	struct ring_buffer *rb;
	enum pt_attach_mode attached;	/* PT_ATTACH_BTF or PT_ATTACH_TRACEPOINT */
	struct pt_kernel kernel;	/* what this kernel offers, probed at start */
	bool detached;
	__u64 lost_unseen;		/* set by pt_tracer_detach() */
};

/* Check privileges and BTF, load and attach; negative errno after printing
 * one line that names the cause and the fix. A NULL cb makes no ring buffer
 * (--listeners). */
int pt_tracer_start(struct pt_tracer *t, const struct pt_options *o,
		 ring_buffer_sample_fn cb, void *ctx);

/*
 * A sample callback returns PT_DRAIN_PAUSE to end a drain after the record
 * it was given (consumed): a consumer that is behind would otherwise never
 * get out of the drain to see the clock or a signal. More may be waiting.
 */
#define PT_DRAIN_PAUSE	(-EAGAIN)

/* Wait up to timeout_ms, then consume whatever is in the ring: records are
 * submitted without wakeups, so the timeout is what bounds latency. A pause
 * (PT_DRAIN_PAUSE) returns 0. */
int pt_tracer_poll(struct pt_tracer *t, int timeout_ms);

typedef int (*pt_inventory_fn)(void *ctx, const struct pt_event *ev);

/*
 * Walk every task's files: listening TCP and bound UDP sockets become
 * evidence for later flows, open TCP connections get their close reported,
 * and each record the walk makes is passed to cb (may be NULL).
 */
int pt_tracer_inventory(struct pt_tracer *t, enum pt_inventory pass, pt_inventory_fn cb, void *ctx);

/*
 * Stop tracing: detach every program, then count the close records owed for
 * connections that ended without the kernel running porttrace (lost_unseen).
 */
void pt_tracer_detach(struct pt_tracer *t);

/* Consume what is left after tracing stopped. */
int pt_tracer_drain(struct pt_tracer *t);

/* Fill st's lost counters: ring buffer full + programs skipped by the kernel. */
void pt_tracer_lost(const struct pt_tracer *t, struct pt_stats *st);

void pt_tracer_stop(struct pt_tracer *t);

#endif /* PT_LOADER_H */
