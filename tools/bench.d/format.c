// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The tracer's own cost without the kernel's: records like the c2 churn's
 * (per connection a connect, an accept, the client's close, and for one in
 * ten the server's close) decoded, classified and written as JSON Lines
 * through the real sink to /dev/null. tools/bench runs it once and reports
 * the best of its repeats, in ns a record: the machine's write path and the
 * churn's competition for the CPU are left out, which the bench's tracer CPU
 * includes.
 *
 * usage: format-bench [-n RECORDS] [-r REPEATS] [-o FILE (/dev/null)]
 * prints: format records=N repeats=R best_ns=B median_ns=M per_conn=C
 * (C: records a connection in the mix)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "classify.h"
#include "options.h"
#include "sink.h"

#define MIX	4096	/* records built, then replayed in turn */
/* record times in December 2026: as long as a real one */
#define REAL_OFFSET_NS	(1796342400ll * 1000000000)

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* one record of connection i: its fields as the churn's would be */
static void fill(struct pt_event *e, unsigned int i, __u8 kind, __u8 side, __u16 result)
{
	static const __u8 lo[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->side = side;
	e->result = result;
	e->family = PT_FAMILY_IPV4;
	e->proto = PT_PROTO_TCP;
	e->attribution = kind == PT_EV_ACCEPT && result ? PT_ATTR_LISTENER : PT_ATTR_SYSCALL;
	e->flags = PT_F_PEER_LOCAL;
	if (kind == PT_EV_CLOSE)
		e->flags |= side == PT_SIDE_CLIENT ? PT_F_CLOSED_FIRST_LOCAL : PT_F_CLOSED_FIRST_PEER;
	e->client_origin = PT_ORIGIN_KERNEL;
	e->client_src = side == PT_SIDE_CLIENT ? PT_SRC_SOCKET : PT_SRC_PEER;
	e->server_origin = PT_ORIGIN_BOUND;
	e->server_src = PT_SRC_LISTENER;
	e->pid = e->tid = 4115;
	e->uid = 0;
	e->cgroup_id = 1;
	e->netns = 4026532174u;
	e->client_port = (__u16)(32768 + i % 28000);
	e->server_port = 9000;
	e->eph_lo = 32768;
	e->eph_hi = 60999;
	e->ts_ns = 1000000000000ull + i * 30000ull;
	memcpy(e->client_addr, lo, 16);
	memcpy(e->server_addr, lo, 16);
	memcpy(e->comm, "churn", 6);
	memcpy(e->thread, "churn", 6);
	e->latency_ns = kind == PT_EV_CONNECT ? 80000 : 0;
	e->sock_id = 0xffff888100000000ull + i * 2048ull + side;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct pt_eph_policy pol = { .mode = PT_EPH_AUTO };
	struct pt_event *ev = calloc(MIX, sizeof(*ev));
	const char *path = "/dev/null";
	unsigned long records = 800000;
	unsigned int repeats = 5, n = 0, conns = 0;
	double *ns;
	struct pt_sink s = { .ops = &pt_sink_json_ops };
	int opt;

	while ((opt = getopt(argc, argv, "n:r:o:")) != -1) {
		if (opt == 'n')
			records = strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			repeats = (unsigned int)strtoul(optarg, NULL, 10);
		else if (opt == 'o')
			path = optarg;
		else
			return 2;
	}
	ns = calloc(repeats ? repeats : 1, sizeof(*ns));
	if (!ev || !ns || !records || !repeats) {
		fprintf(stderr, "format-bench: need -n >= 1 and -r >= 1\n");
		return 2;
	}
	/* in the order the churn's come: a conn's connect, its accept, the
	 * client's close; nine in ten children reset before accept() */
	for (unsigned int i = 0; n + 4 <= MIX; i++) {
		bool accepted = i % 10 == 0;

		conns++;
		fill(&ev[n++], i, PT_EV_CONNECT, PT_SIDE_CLIENT, 0);
		fill(&ev[n++], i, PT_EV_ACCEPT, PT_SIDE_SERVER, accepted ? 0 : ECONNRESET);
		fill(&ev[n++], i, PT_EV_CLOSE, PT_SIDE_CLIENT, 0);
		if (accepted)
			fill(&ev[n++], i, PT_EV_CLOSE, PT_SIDE_SERVER, 0);
	}
	s.out = fopen(path, "w");
	if (!s.out || setvbuf(s.out, buf, _IOFBF, sizeof(buf))) {
		fprintf(stderr, "format-bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (unsigned int r = 0; r < repeats; r++) {
		double t0 = now_ns();

		for (unsigned long i = 0; i < records; i++) {
			struct pt_flow f;

			pt_decode_event(&ev[i % n], REAL_OFFSET_NS, &pol, &f);
			if (s.ops->write_flow(&s, &f)) {
				fprintf(stderr, "format-bench: the JSON sink failed\n");
				return 1;
			}
		}
		ns[r] = (now_ns() - t0) / (double)records;
	}
	qsort(ns, repeats, sizeof(*ns), cmp_double);
	if (fclose(s.out)) {
		fprintf(stderr, "format-bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("format records=%lu repeats=%u best_ns=%.0f median_ns=%.0f per_conn=%.2f\n",
	       records, repeats, ns[0], ns[repeats / 2], (double)n / conns);
	return 0;
}
