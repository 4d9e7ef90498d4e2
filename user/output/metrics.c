// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The counts behind --metrics, kept by the main thread as records pass
 * (metrics.h says which labels and why so few); metrics_http.c serves them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics_int.h"

const double pt_metrics_latency_le[NBUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5, 10,
};

const char *const pt_metrics_family_names[NFAMILIES] = {
	[F_ACCEPTS] = "porttrace_accepts_total",
	[F_UNACCEPTED] = "porttrace_unaccepted_total",
	[F_CONNECTS] = "porttrace_connects_total",
	[F_LATENCY] = "porttrace_connect_latency_seconds",
	[F_LISTENERS] = "porttrace_listeners",
	[F_DESTS] = "porttrace_ephemeral_ports_in_use",
};

static const size_t family_ksize[NFAMILIES] = {
	[F_ACCEPTS] = sizeof(struct k_accepts),
	[F_UNACCEPTED] = sizeof(struct k_unaccepted),
	[F_CONNECTS] = sizeof(struct k_connects),
	[F_LATENCY] = sizeof(struct k_latency),
	[F_LISTENERS] = sizeof(struct k_listeners),
	[F_DESTS] = sizeof(struct k_dest),
};

/* The series of key, or NULL. */
static struct series *series_find(struct family *fam, const void *key)
{
	uint32_t *slot = pt_hmap_get(&fam->idx, key);

	return slot ? &fam->s[*slot] : NULL;
}

/* The series of key, made if there is room (NULL: dropped, counted). */
static struct series *series_get(struct family *fam, const void *key)
{
	struct series *found = series_find(fam, key);
	int ret;

	if (found)
		return found;
	if (fam->n >= PT_METRICS_SERIES)
		goto drop;
	if (fam->n == fam->cap) {
		size_t cap = fam->cap ? fam->cap * 2 : 16;
		struct series *s = realloc(fam->s, cap * sizeof(*s));

		if (!s)
			goto drop;
		fam->s = s;
		fam->cap = cap;
	}
	ret = pt_hmap_put(&fam->idx, key, (uint32_t)fam->n, NULL);
	if (ret < 0)
		goto drop;
	memset(&fam->s[fam->n], 0, sizeof(fam->s[0]));
	memcpy(fam->s[fam->n].key, key, fam->ksize);
	return &fam->s[fam->n++];
drop:
	fam->dropped++;
	return NULL;
}

/* the first PT_METRICS_COMMS names have their own label; the rest share one */
static __u8 comm_index(struct pt_metrics *m, const char *comm)
{
	char name[PT_COMM_LEN] = "";

	strncpy(name, comm, sizeof(name) - 1);
	for (unsigned int i = 0; i < m->ncomms; i++)
		if (!memcmp(m->comms[i], name, sizeof(name)))
			return (__u8)i;
	if (m->ncomms == PT_METRICS_COMMS)
		return PT_METRICS_COMMS;
	memcpy(m->comms[m->ncomms], name, sizeof(name));
	return (__u8)m->ncomms++;
}

static void count_dest(struct pt_metrics *m, const struct pt_event *e, int delta)
{
	struct k_dest k;
	uint32_t *open;

	memset(&k, 0, sizeof(k));
	k.netns = e->netns;
	k.proto = e->proto;
	k.family = e->family;
	k.port = e->server_port;
	memcpy(k.addr, e->server_addr, sizeof(k.addr));
	open = pt_hmap_get(&m->dests, &k);
	if (delta > 0) {
		if (open) {
			(*open)++;
		} else if (m->dests.len >= 65536 || pt_hmap_put(&m->dests, &k, 1, NULL) < 0) {
			m->dests_dropped++;
		}
	} else if (open) {
		if (*open <= 1)
			pt_hmap_del(&m->dests, &k);
		else
			(*open)--;
	}
}

void pt_metrics_flow(struct pt_metrics *m, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	bool inventory = e->flags & PT_F_INVENTORY;
	struct series *s;

	if (!m)
		return;
	if (e->kind < PT_EV_MAX && !inventory)
		m->events[e->kind]++;
	switch (e->kind) {
	case PT_EV_CONNECT:
		if (e->proto == PT_PROTO_TCP && !e->result)
			count_dest(m, e, 1);
		if (inventory)
			break;
		{
			struct k_connects k;

			memset(&k, 0, sizeof(k));
			k.proto = e->proto;
			k.family = e->family;
			k.has_class = pt_has_client(e);
			k.flow_class = f->flow_class;
			k.result = e->result;
			if ((s = series_get(&m->f[F_CONNECTS], &k)))
				s->v++;
		}
		{
			struct k_latency k;
			double secs = e->latency_ns / 1e9;
			size_t b = 0;

			memset(&k, 0, sizeof(k));
			k.proto = e->proto;
			k.result = e->result;
			if (!(s = series_get(&m->f[F_LATENCY], &k)))
				break;
			while (b < NBUCKETS && secs > pt_metrics_latency_le[b])
				b++;
			if (b < NBUCKETS)
				s->buckets[b]++;
			s->v++;
			s->sum += secs;
		}
		break;
	case PT_EV_ACCEPT:
		if (inventory)
			break;
		if (!e->result) {
			struct k_accepts k;

			memset(&k, 0, sizeof(k));
			k.proto = e->proto;
			k.cls = f->client_class;
			k.port = e->server_port;
			k.comm = comm_index(m, e->comm);
			if ((s = series_get(&m->f[F_ACCEPTS], &k)))
				s->v++;
		} else {
			struct k_unaccepted k;

			memset(&k, 0, sizeof(k));
			k.proto = e->proto;
			k.port = e->server_port;
			if ((s = series_get(&m->f[F_UNACCEPTED], &k)))
				s->v++;
		}
		break;
	case PT_EV_CLOSE:
		if (e->proto == PT_PROTO_TCP && e->side == PT_SIDE_CLIENT)
			count_dest(m, e, -1);
		break;
	case PT_EV_LISTEN:
	case PT_EV_UNLISTEN: {
		struct k_listeners k;

		memset(&k, 0, sizeof(k));
		k.proto = e->proto;
		k.port = e->server_port;
		k.bound = e->server_origin == PT_ORIGIN_BOUND;
		k.in_range = e->server_port >= f->eph_lo && e->server_port <= f->eph_hi;
		k.comm = comm_index(m, e->comm);
		if (e->kind == PT_EV_LISTEN) {
			if ((s = series_get(&m->f[F_LISTENERS], &k)))
				s->v++;
		} else if ((s = series_find(&m->f[F_LISTENERS], &k)) && s->v > 0) {
			/* an unlisten of a listener never counted makes no series */
			s->v--;
		}
		break;
	}
	case PT_EV_RESET:
		m->refused_syns++;
		break;
	}
}

void pt_metrics_lost(struct pt_metrics *m, const struct pt_stats *st)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->lost = *st;
	pthread_mutex_unlock(&m->lock);
}

void pt_metrics_lock(struct pt_metrics *m)
{
	if (m)
		pthread_mutex_lock(&m->lock);
}

void pt_metrics_unlock(struct pt_metrics *m)
{
	if (m)
		pthread_mutex_unlock(&m->lock);
}

static unsigned int local_range_size(void)
{
	unsigned int lo = 0, hi = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%u %u", &lo, &hi) != 2 || hi < lo)
		lo = hi + 1;
	fclose(f);
	return hi - lo + 1;
}

struct pt_metrics *pt_metrics_new(const char *attach, struct pt_audit *audit)
{
	struct pt_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	for (int i = 0; i < NFAMILIES; i++) {
		m->f[i].name = pt_metrics_family_names[i];
		m->f[i].ksize = family_ksize[i];
		pt_hmap_init(&m->f[i].idx, family_ksize[i]);
	}
	pt_hmap_init(&m->dests, sizeof(struct k_dest));
	snprintf(m->attach, sizeof(m->attach), "%s", attach);
	m->audit = audit;
	m->range_size = local_range_size();
	return m;
}
