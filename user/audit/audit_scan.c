/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The scan window: per remote address, the distinct closed ports it hit
 * within --scan-window, kept as a list ordered by time (oldest first) over
 * a port index, and its peak. The raw material of port-scan findings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "audit_int.h"

static struct scan *scan_for(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	struct scan_key k;
	struct scan *s;
	uint32_t *i;

	memset(&k, 0, sizeof(k));
	k.netns = e->netns;
	memcpy(k.addr, e->client_addr, 16);
	i = pt_hmap_get(&a->scan_idx, &k);
	if (i)
		return a->scans[*i];
	if (pt_audit_reserve(&a->scans, &a->cscans, a->nscans, sizeof(*a->scans)))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (pt_hmap_put(&a->scan_idx, &k, (uint32_t)a->nscans, NULL) < 0) {
		free(s);
		return NULL;
	}
	s->key = k;
	snprintf(s->addr, sizeof(s->addr), "%s", f->client_addr);
	pt_hmap_init(&s->idx, sizeof(uint32_t));
	s->head = s->tail = -1;
	s->port_lo = UINT16_MAX;
	a->scans[a->nscans++] = s;
	return s;
}

void pt_audit_scan_free(struct scan *s)
{
	pt_hmap_free(&s->idx);
	free(s->nodes);
	free(s);
}

static void scan_unlink(struct scan *s, int32_t i)
{
	struct snode *n = &s->nodes[i];

	if (n->prev >= 0)
		s->nodes[n->prev].next = n->next;
	else
		s->head = n->next;
	if (n->next >= 0)
		s->nodes[n->next].prev = n->prev;
	else
		s->tail = n->prev;
	n->in = false;
}

static void scan_append(struct scan *s, int32_t i)
{
	struct snode *n = &s->nodes[i];

	n->prev = s->tail;
	n->next = -1;
	if (s->tail >= 0)
		s->nodes[s->tail].next = i;
	else
		s->head = i;
	s->tail = i;
	n->in = true;
}

/*
 * One refused attempt by a remote on a closed port: count the distinct
 * ports it hit within the last window (inclusive: a hit exactly window_ns
 * before still counts) and keep the peak.
 */
int pt_audit_scan_reset(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	struct scan *s = scan_for(a, f);
	uint32_t key, *slot;
	uint64_t ts = e->ts_ns;
	int ret;

	if (!s)
		return -ENOMEM;
	if (!s->resets)
		snprintf(s->first, sizeof(s->first), "%s", f->time);
	s->resets++;
	if (e->server_port < s->port_lo)
		s->port_lo = e->server_port;
	if (e->server_port > s->port_hi)
		s->port_hi = e->server_port;
	/* records of two CPUs may cross: keep the list ordered */
	if (s->tail >= 0 && ts < s->nodes[s->tail].ts)
		ts = s->nodes[s->tail].ts;

	key = (uint32_t)e->proto << 16 | e->server_port;
	if (pt_audit_reserve(&s->nodes, &s->cap, s->nnodes, sizeof(*s->nodes)))
		return -ENOMEM;
	ret = pt_hmap_put(&s->idx, &key, (uint32_t)s->nnodes, &slot);
	if (ret < 0)
		return ret;
	if (ret) {
		s->nodes[s->nnodes] = (struct snode){ .key = key, .prev = -1, .next = -1 };
		s->nnodes++;
	}
	while (s->head >= 0 && ts - s->nodes[s->head].ts > a->window_ns) {
		scan_unlink(s, s->head);
		s->distinct--;
	}
	if (s->nodes[*slot].in)
		scan_unlink(s, (int32_t)*slot);
	else
		s->distinct++;
	s->nodes[*slot].ts = ts;
	scan_append(s, (int32_t)*slot);
	if (s->distinct > s->peak) {
		s->peak = s->distinct;
		s->peak_span_ns = ts - s->nodes[s->head].ts;
		snprintf(s->peak_time, sizeof(s->peak_time), "%s", f->time);
	}
	return 0;
}
