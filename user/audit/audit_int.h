/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit aggregate's insides, shared by audit.c (building it, the
 * findings) and audit_report.c (writing it). Nothing else includes this.
 */
#ifndef PT_AUDIT_INT_H
#define PT_AUDIT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "audit.h"
#include "cgroup.h"
#include "hmap.h"

#define NCLASSES	4
#define MAX_RESULTS	8	/* distinct failure results kept per destination */
#define TIME_LEN	32

/* A service (listening side) or destination (server side of a connect). */
struct ep_key {
	uint32_t netns;
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
	uint8_t addr[16];
};

struct procset {
	uint32_t pids[PT_AUDIT_SHOW_PIDS];
	unsigned int npids;		/* listed */
	char comms[PT_AUDIT_SHOW_COMMS][PT_COMM_LEN + 1];
	unsigned int ncomms;
	struct pt_hmap all;		/* every distinct pid, for the count */
	uint32_t uid;
	bool has_uid;
	char container_id[PT_CONTAINER_ID_LEN + 1];
};

/* first and last by the records' monotonic time: CPUs deliver out of order */
struct span {
	uint64_t first_ns, last_ns;
	char first[TIME_LEN], last[TIME_LEN];
	bool set;
};

enum svc_state {
	SVC_UNLISTED = 0,	/* accepts seen, listener never */
	SVC_LISTENING,
	SVC_CLOSED,
};

struct svc {
	struct ep_key key;
	char addr[INET6_ADDRSTRLEN];
	struct procset procs;
	enum svc_state state;
	unsigned int open;	/* listening sockets (SO_REUSEPORT: several) */
	bool listened;		/* a listen or unlisten record was seen */
	bool bound_known, bound, reserved, inventory;
	uint16_t eph_lo, eph_hi;	/* range the flows were classified by */
	uint16_t k_lo, k_hi;		/* the namespace's own (kernel) range */
	char since[TIME_LEN];
	uint64_t accepts, unaccepted, closes;
	struct pt_hmap clients;		/* 16-byte client addresses */
	struct pt_hmap cports;		/* client ports */
	uint64_t classes[NCLASSES];
	struct span acc;
	uint64_t bytes_in, bytes_out;
};

struct result_count {
	const char *name;	/* pt_result_str(): stable */
	uint64_t n;
};

struct dst {
	struct ep_key key;
	uint32_t idx;		/* in a->dsts: what a held port points back to */
	char addr[INET6_ADDRSTRLEN];
	struct procset procs;
	uint64_t connects, failures, other_failures;
	struct result_count fails[MAX_RESULTS];
	unsigned int nfails;
	uint64_t no_eph;
	struct span con;
	uint64_t bytes_in, bytes_out;
	uint16_t k_lo, k_hi;
	uint32_t eph_open, eph_peak;	/* ephemeral ports held towards it */
	char peak_time[TIME_LEN];
};

/*
 * Closed ports one remote hit, in a list ordered by last hit: the head is
 * the oldest, so sliding the window is popping heads. One node per
 * distinct (proto, port) ever hit: memory is bounded by 2 * 65536.
 */
struct snode {
	uint64_t ts;
	uint32_t key;		/* proto << 16 | port */
	int32_t prev, next;
	bool in;
};

struct scan_key {
	uint32_t netns;
	uint8_t addr[16];
};

struct scan {
	struct scan_key key;
	char addr[INET6_ADDRSTRLEN];
	struct pt_hmap idx;	/* key -> node */
	struct snode *nodes;
	size_t nnodes, cap;
	int32_t head, tail;
	uint32_t distinct, peak;
	uint64_t peak_span_ns;	/* from the oldest hit in the window to the peak */
	uint64_t resets;
	uint16_t port_lo, port_hi;
	char first[TIME_LEN], peak_time[TIME_LEN];
};

/* flows of one class by one process, one direction */
struct grp_key {
	char comm[PT_COMM_LEN];
	uint8_t cls;
	uint8_t side;
	uint8_t attributed;
	uint8_t pad;
};

struct grp {
	struct grp_key key;
	uint64_t n;
	char example[200];
};

struct pt_audit {
	unsigned int scan_ports;
	uint64_t window_ns;
	bool numeric;
	bool have_expect;
	uint8_t expect[65536 / 8];

	struct svc **svcs;
	size_t nsvcs, csvcs;
	struct pt_hmap svc_idx;
	struct dst **dsts;
	size_t ndsts, cdsts;
	struct pt_hmap dst_idx;
	struct scan **scans;
	size_t nscans, cscans;
	struct pt_hmap scan_idx;
	struct grp *grps;
	size_t ngrps, cgrps;
	struct pt_hmap grp_idx;
	struct pt_hmap socks;		/* sock_id -> destination holding a port */

	struct pt_finding *finds;
	size_t nfinds, cfinds;
	int err;			/* first -ENOMEM: reports are incomplete */
};

/* Room for n + 1 elements of size elem in *arr (a pointer to the array pointer). */
int pt_audit_reserve(void *arr, size_t *cap, size_t n, size_t elem);
/* keep the first error of the aggregate (a->err); returns err, or 0 */
int pt_audit_note_err(struct pt_audit *a, int err);
/* the wildcard address, IPv4 (::ffff:0.0.0.0) or IPv6 (::) */
bool pt_audit_is_any(const uint8_t addr[16]);
/* "addr:port", "[v6]:port" (RFC 3986) */
void pt_audit_endpoint(char *buf, size_t n, const char *addr, unsigned int port);
/* port in [lo, hi]; never for an unknown (0-0) range */
bool pt_audit_in_range(uint16_t port, uint16_t lo, uint16_t hi);
/* the kernel's range size, 0 when unknown */
uint32_t pt_audit_range_size(uint16_t lo, uint16_t hi);
/* Fill a->finds, ranked; 0 or -ENOMEM (also kept in a->err). */
int pt_audit_compute_findings(struct pt_audit *a);

/* audit_report.c: report order (busiest first; caller frees, NULL on
 * ENOMEM), and what both the rows and the table say alike */
struct svc **pt_audit_sorted_svcs(const struct pt_audit *a);
struct dst **pt_audit_sorted_dsts(const struct pt_audit *a);
const char *pt_audit_service_hint(const struct pt_audit *a, const struct ep_key *k);
const char *pt_audit_svc_state_str(enum svc_state s);
bool pt_audit_complete(const struct pt_audit *a, const struct pt_audit_meta *m);

/* a destination's failures by result, "refused=3 other=1" and as a JSON
 * object; FAIL_LEN bytes each at most */
#define FAIL_LEN		48
#define PT_AUDIT_FAILURES_LEN	((MAX_RESULTS + 1) * FAIL_LEN)
void pt_audit_failures(const struct dst *d, char text[PT_AUDIT_FAILURES_LEN],
		       char json[PT_AUDIT_FAILURES_LEN + 2]);

/* audit_scan.c: one refused attempt on a closed port, into its remote's
 * window; and a scan's memory */
int pt_audit_scan_reset(struct pt_audit *a, const struct pt_flow *f);
void pt_audit_scan_free(struct scan *s);

#endif /* PT_AUDIT_INT_H */
