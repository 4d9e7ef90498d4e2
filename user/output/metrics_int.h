/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What metrics.c (the counts) and metrics_http.c (the exposition and its
 * server) share: the series of each metric, keyed by its labels.
 */
#ifndef PT_METRICS_INT_H
#define PT_METRICS_INT_H

#include <pthread.h>
#include <stdint.h>
#include <linux/types.h>
#include "hmap.h"
#include "metrics.h"

/* connect latency buckets, seconds: loopback to a far continent */
#define NBUCKETS	16
extern const double pt_metrics_latency_le[NBUCKETS];

/* label keys, zeroed before use: their padding is part of the key */
struct k_accepts {
	__u8 proto, cls, comm, pad;
	__u16 port;
};

struct k_unaccepted {
	__u8 proto, pad;
	__u16 port;
};

struct k_connects {
	__u8 proto, family, flow_class, has_class;
	__u16 result;
};

struct k_latency {
	__u8 proto, pad;
	__u16 result;
};

struct k_listeners {
	__u8 proto, bound, in_range, comm;
	__u16 port;
};

/* a destination with TCP connections of ours open to it */
struct k_dest {
	__u32 netns;
	__u8 proto, family;
	__u16 port;
	__u8 addr[16];
};

#define KEY_MAX	8

struct series {
	unsigned char key[KEY_MAX];
	int64_t v;			/* a counter's or a gauge's value */
	uint64_t buckets[NBUCKETS];	/* histograms: per bucket, not cumulative */
	double sum;
};

struct family {
	const char *name;
	size_t ksize;
	struct pt_hmap idx;		/* key -> index in s */
	struct series *s;
	size_t n, cap;
	uint64_t dropped;
};

enum { F_ACCEPTS, F_UNACCEPTED, F_CONNECTS, F_LATENCY, F_LISTENERS, F_DESTS, NFAMILIES };

struct pt_metrics {
	pthread_mutex_t lock;
	struct MHD_Daemon *httpd;
	struct family f[NFAMILIES];
	struct pt_hmap dests;		/* k_dest -> connections open */
	uint64_t dests_dropped;
	uint64_t events[PT_EV_MAX];
	uint64_t refused_syns;
	struct pt_stats lost;
	char comms[PT_METRICS_COMMS][PT_COMM_LEN];
	unsigned int ncomms;
	unsigned int range_size;	/* ip_local_port_range of porttrace's netns */
	char attach[16];
	struct pt_audit *audit;
};

extern const char *const pt_metrics_family_names[NFAMILIES];

#endif /* PT_METRICS_INT_H */
