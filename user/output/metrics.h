/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics=[ADDR:]PORT: what porttrace sees, as Prometheus metrics over
 * HTTP (GET /metrics, the text exposition format), served by GNU
 * libmicrohttpd on its own thread. The main thread counts each record that
 * passes the filters; a scrape renders the counts under the same lock.
 *
 * Cardinality is bounded by design: no label carries a client port, a peer
 * address, a pid or a cgroup id; `port` is only ever a listener's port;
 * `comm` takes the first PT_METRICS_COMMS process names seen, the rest are
 * "other" (a name never moves between series, so counters never go down);
 * each metric keeps at most PT_METRICS_SERIES series, and what a cap turns
 * away is counted in porttrace_series_dropped_total{metric}.
 */
#ifndef PT_METRICS_H
#define PT_METRICS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include "flow.h"

#define PT_METRICS_COMMS	20
#define PT_METRICS_SERIES	2000

struct pt_metrics;
struct pt_audit;

/*
 * Parse [ADDR:]PORT (ADDR an IPv4 address, [IPv6] or omitted: every
 * address) into *addr. 0, or -EINVAL.
 */
int pt_metrics_parse_addr(const char *spec, struct sockaddr_storage *addr);

/*
 * Serve spec. attach names the programs in porttrace_build_info; audit, when
 * set, gives porttrace_findings (read under the lock). Prints the reason and
 * returns -errno when it cannot listen.
 */
int pt_metrics_start(struct pt_metrics **m, const char *spec, const char *attach,
		     struct pt_audit *audit);
void pt_metrics_stop(struct pt_metrics *m);

/* The counts without a server (what pt_metrics_start serves), and their
 * exposition: for tests. */
struct pt_metrics *pt_metrics_new(const char *attach, struct pt_audit *audit);
void pt_metrics_render(struct pt_metrics *m, FILE *out);

/* The lock a scrape holds: take it around whatever a scrape reads (the
 * audit's aggregate). NULL m: nothing. */
void pt_metrics_lock(struct pt_metrics *m);
void pt_metrics_unlock(struct pt_metrics *m);

/* One record (lock held by the caller), or a listener found at start. */
void pt_metrics_flow(struct pt_metrics *m, const struct pt_flow *f);
/* The loss counters as of now (takes the lock). */
void pt_metrics_lost(struct pt_metrics *m, const struct pt_stats *st);

#endif /* PT_METRICS_H */
