/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit aggregate: services, destinations, flow groups. The contract is
 * in audit.h; the scan window is audit_scan.c, the findings
 * audit_findings.c, the report writers audit_report.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "audit_int.h"

/* IPv4 rides in ::ffff:a.b.c.d; its wildcard is ::ffff:0.0.0.0 */
static const uint8_t v4_any[16] = { [10] = 0xff, [11] = 0xff };
static const uint8_t v6_any[16];

/* ---- helpers ----------------------------------------------------------- */

int pt_audit_reserve(void *arr, size_t *cap, size_t n, size_t elem)
{
	void **p = arr;
	size_t ncap;
	void *a;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	a = realloc(*p, ncap * elem);
	if (!a)
		return -ENOMEM;
	*p = a;
	*cap = ncap;
	return 0;
}

int pt_audit_note_err(struct pt_audit *a, int err)
{
	if (err < 0 && !a->err)
		a->err = err;
	return err < 0 ? err : 0;
}

static bool is_v4(const uint8_t addr[16])
{
	return !memcmp(addr, v4_any, 12);
}

bool pt_audit_is_any(const uint8_t addr[16])
{
	return !memcmp(addr, v4_any, 16) || !memcmp(addr, v6_any, 16);
}

void pt_audit_endpoint(char *buf, size_t n, const char *addr, unsigned int port)
{
	snprintf(buf, n, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

static void span_add(struct span *s, uint64_t ts, const char *time)
{
	if (!s->set || ts < s->first_ns) {
		s->first_ns = ts;
		snprintf(s->first, sizeof(s->first), "%s", time);
	}
	if (!s->set || ts >= s->last_ns) {
		s->last_ns = ts;
		snprintf(s->last, sizeof(s->last), "%s", time);
	}
	s->set = true;
}

static void ep_key_of(struct ep_key *k, const struct pt_event *e, const uint8_t addr[16])
{
	memset(k, 0, sizeof(*k));
	k->netns = e->netns;
	k->port = e->server_port;
	k->proto = e->proto;
	memcpy(k->addr, addr, 16);
}

/* ---- processes --------------------------------------------------------- */

static void procset_init(struct procset *ps)
{
	memset(ps, 0, sizeof(*ps));
	pt_hmap_init(&ps->all, sizeof(uint32_t));
}

/* Only a process that took part: with PT_ATTR_NONE the comm is whoever ran. */
static int procset_add(struct procset *ps, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char comm[PT_COMM_LEN + 1];
	unsigned int i;
	int ret;

	if (f->container_id && !ps->container_id[0])
		snprintf(ps->container_id, sizeof(ps->container_id), "%s",
			 f->container_id);
	if (e->attribution == PT_ATTR_NONE)
		return 0;
	if (!ps->has_uid) {
		ps->uid = e->uid;
		ps->has_uid = true;
	}
	ret = pt_hmap_put(&ps->all, &e->pid, 0, NULL);
	if (ret < 0)
		return ret;
	if (ret && ps->npids < PT_AUDIT_SHOW_PIDS)
		ps->pids[ps->npids++] = e->pid;
	memcpy(comm, e->comm, PT_COMM_LEN);
	comm[PT_COMM_LEN] = '\0';
	for (i = 0; i < ps->ncomms; i++)
		if (!strcmp(ps->comms[i], comm))
			return 0;
	if (ps->ncomms < PT_AUDIT_SHOW_COMMS)
		memcpy(ps->comms[ps->ncomms++], comm, sizeof(comm));
	return 0;
}

/* ---- services ---------------------------------------------------------- */

static struct svc *svc_find(struct pt_audit *a, const struct ep_key *k)
{
	uint32_t *i = pt_hmap_get(&a->svc_idx, k);

	return i ? a->svcs[*i] : NULL;
}

static struct svc *svc_new(struct pt_audit *a, const struct ep_key *k,
			   const struct pt_flow *f, const char *addr)
{
	struct svc *s;

	if (pt_audit_reserve(&a->svcs, &a->csvcs, a->nsvcs, sizeof(*a->svcs)))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (pt_hmap_put(&a->svc_idx, k, (uint32_t)a->nsvcs, NULL) < 0) {
		free(s);
		return NULL;
	}
	s->key = *k;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	procset_init(&s->procs);
	pt_hmap_init(&s->clients, 16);
	pt_hmap_init(&s->cports, sizeof(uint16_t));
	s->eph_lo = f->eph_lo;
	s->eph_hi = f->eph_hi;
	s->k_lo = f->ev->eph_lo;
	s->k_hi = f->ev->eph_hi;
	a->svcs[a->nsvcs++] = s;
	return s;
}

static void svc_free(struct svc *s)
{
	pt_hmap_free(&s->procs.all);
	pt_hmap_free(&s->clients);
	pt_hmap_free(&s->cports);
	free(s);
}

/*
 * The service a connection to the record's server address belongs to: the
 * listener on that address, else the wildcard listener of the port (an
 * IPv4 connection may also be taken by a dual-stack :: listener), else a
 * new unlisted service for the exact address.
 */
static struct svc *svc_for_conn(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	struct ep_key k;
	struct svc *s;

	ep_key_of(&k, e, e->server_addr);
	if ((s = svc_find(a, &k)))
		return s;
	if (is_v4(e->server_addr)) {
		ep_key_of(&k, e, v4_any);
		if ((s = svc_find(a, &k)))
			return s;
	}
	ep_key_of(&k, e, v6_any);
	if ((s = svc_find(a, &k)))
		return s;
	ep_key_of(&k, e, e->server_addr);
	return svc_new(a, &k, f, f->server_addr);
}

static struct svc *svc_for_listener(struct pt_audit *a, const struct pt_flow *f)
{
	struct ep_key k;
	struct svc *s;

	ep_key_of(&k, f->ev, f->ev->server_addr);
	s = svc_find(a, &k);
	return s ? s : svc_new(a, &k, f, f->server_addr);
}

static int on_listen(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	struct svc *s = svc_for_listener(a, f);

	if (!s)
		return -ENOMEM;
	if (!s->listened) {
		snprintf(s->since, sizeof(s->since), "%s", f->time);
		s->inventory = e->flags & PT_F_INVENTORY;
	}
	s->listened = true;
	s->state = SVC_LISTENING;
	s->open++;
	if (e->server_src != PT_SRC_NONE && e->server_origin != PT_ORIGIN_UNKNOWN) {
		s->bound_known = true;
		s->bound = e->server_origin == PT_ORIGIN_BOUND;
	}
	s->reserved = e->flags & PT_F_SERVER_RESERVED;
	s->eph_lo = f->eph_lo;
	s->eph_hi = f->eph_hi;
	s->k_lo = e->eph_lo;
	s->k_hi = e->eph_hi;
	return procset_add(&s->procs, f);
}

/* Kept in the report: a listener that closed during the run still listened. */
static int on_unlisten(struct pt_audit *a, const struct pt_flow *f)
{
	struct svc *s = svc_for_listener(a, f);

	if (!s)
		return -ENOMEM;
	if (!s->listened) {
		snprintf(s->since, sizeof(s->since), "%s", f->time);
		s->inventory = f->ev->flags & PT_F_INVENTORY;
	}
	s->listened = true;
	if (s->open)
		s->open--;
	if (!s->open)
		s->state = SVC_CLOSED;
	return procset_add(&s->procs, f);
}

/* ---- flows of a class other than ephemeral-to-static -------------------- */

static int grp_add(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	char c[INET6_ADDRSTRLEN + 8], s[INET6_ADDRSTRLEN + 8];
	struct grp_key k;
	struct grp *g;
	uint32_t *slot;
	int ret;

	if (f->flow_class == PT_FLOW_EPH_TO_STATIC || f->flow_class >= NCLASSES)
		return 0;
	memset(&k, 0, sizeof(k));
	k.attributed = e->attribution != PT_ATTR_NONE;
	if (k.attributed)
		memcpy(k.comm, e->comm, sizeof(k.comm));
	k.cls = (uint8_t)f->flow_class;
	k.side = e->side;
	if (pt_audit_reserve(&a->grps, &a->cgrps, a->ngrps, sizeof(*a->grps)))
		return -ENOMEM;
	ret = pt_hmap_put(&a->grp_idx, &k, (uint32_t)a->ngrps, &slot);
	if (ret < 0)
		return ret;
	g = &a->grps[*slot];
	if (ret) {
		memset(g, 0, sizeof(*g));
		g->key = k;
		a->ngrps++;
		pt_audit_endpoint(c, sizeof(c), f->client_addr, e->client_port);
		pt_audit_endpoint(s, sizeof(s), f->server_addr, e->server_port);
		snprintf(g->example, sizeof(g->example),
			 "%s -> %s (client port %s by %s, server port %s by %s)",
			 c, s, pt_port_class_str(f->client_class),
			 pt_evidence_str(f->client_evidence),
			 pt_port_class_str(f->server_class),
			 pt_evidence_str(f->server_evidence));
	}
	g->n++;
	return 0;
}

static int on_accept(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	struct svc *s = svc_for_conn(a, f);
	int err;

	if (!s)
		return -ENOMEM;
	s->accepts++;
	if (e->result)
		s->unaccepted++;
	if (f->flow_class < NCLASSES)
		s->classes[f->flow_class]++;
	span_add(&s->acc, e->ts_ns, f->time);
	err = pt_hmap_put(&s->clients, e->client_addr, 0, NULL);
	if (err >= 0)
		err = pt_hmap_put(&s->cports, &e->client_port, 0, NULL);
	if (err >= 0)
		err = procset_add(&s->procs, f);
	if (err >= 0 && !e->result)
		err = grp_add(a, f);
	return err < 0 ? err : 0;
}

/* ---- destinations ------------------------------------------------------- */

static struct dst *dst_for(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	struct ep_key k;
	struct dst *d;
	uint32_t *i;

	ep_key_of(&k, e, e->server_addr);
	i = pt_hmap_get(&a->dst_idx, &k);
	if (i)
		return a->dsts[*i];
	if (pt_audit_reserve(&a->dsts, &a->cdsts, a->ndsts, sizeof(*a->dsts)))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (pt_hmap_put(&a->dst_idx, &k, (uint32_t)a->ndsts, NULL) < 0) {
		free(d);
		return NULL;
	}
	d->key = k;
	d->idx = (uint32_t)a->ndsts;
	snprintf(d->addr, sizeof(d->addr), "%s", f->server_addr);
	procset_init(&d->procs);
	a->dsts[a->ndsts++] = d;
	return d;
}

static void dst_free(struct dst *d)
{
	pt_hmap_free(&d->procs.all);
	free(d);
}

static void count_failure(struct dst *d, unsigned int result)
{
	const char *name = pt_result_str(result);
	unsigned int i;

	d->failures++;
	for (i = 0; i < d->nfails; i++) {
		if (!strcmp(d->fails[i].name, name)) {
			d->fails[i].n++;
			return;
		}
	}
	if (d->nfails < MAX_RESULTS)
		d->fails[d->nfails++] = (struct result_count){ name, 1 };
	else
		d->other_failures++;
}

/*
 * The port came from the ephemeral pool: the socket's own record says the
 * kernel picked it. Only without that record, the class (a range test).
 */
static bool kernel_port(const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;

	if (e->client_src != PT_SRC_NONE && e->client_origin != PT_ORIGIN_UNKNOWN)
		return e->client_origin == PT_ORIGIN_KERNEL;
	return f->client_class == PT_PORT_EPHEMERAL;
}

static int on_connect(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	struct dst *d = dst_for(a, f);
	int ret;

	if (!d)
		return -ENOMEM;
	d->connects++;
	span_add(&d->con, e->ts_ns, f->time);
	if (e->eph_lo || e->eph_hi) {
		d->k_lo = e->eph_lo;
		d->k_hi = e->eph_hi;
	}
	ret = procset_add(&d->procs, f);
	if (ret)
		return ret;
	if (e->result) {
		count_failure(d, e->result);
		if (e->result == EADDRNOTAVAIL)
			d->no_eph++;
		return 0;
	}
	ret = grp_add(a, f);
	if (ret)
		return ret;
	/* TCP only: UDP sockets get no close record to give the port back */
	if (e->proto != PT_PROTO_TCP || !kernel_port(f))
		return 0;
	ret = pt_hmap_put(&a->socks, &e->sock_id, d->idx, NULL);
	if (ret < 0)
		return ret;
	/* 0: the same socket reported twice, its port is counted already */
	if (ret) {
		if (++d->eph_open > d->eph_peak) {
			d->eph_peak = d->eph_open;
			snprintf(d->peak_time, sizeof(d->peak_time), "%s", f->time);
		}
	}
	return 0;
}

static int on_close(struct pt_audit *a, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	uint32_t *held;

	if (e->side == PT_SIDE_SERVER) {
		struct svc *s = svc_for_conn(a, f);

		if (!s)
			return -ENOMEM;
		s->closes++;
		s->bytes_in += e->rx_bytes;
		s->bytes_out += e->tx_bytes;
		return 0;
	}
	if (e->side == PT_SIDE_CLIENT) {
		struct dst *d = dst_for(a, f);

		if (!d)
			return -ENOMEM;
		d->bytes_in += e->rx_bytes;
		d->bytes_out += e->tx_bytes;
		held = pt_hmap_get(&a->socks, &e->sock_id);
		if (held) {
			struct dst *h = a->dsts[*held];

			if (h->eph_open)
				h->eph_open--;
			pt_hmap_del(&a->socks, &e->sock_id);
		}
	}
	return 0;
}

/* ---- public: build ------------------------------------------------------- */

struct pt_audit *pt_audit_new(const struct pt_audit_opts *o)
{
	struct pt_audit *a = calloc(1, sizeof(*a));
	size_t i;

	if (!a)
		return NULL;
	a->scan_ports = o && o->scan_ports ? o->scan_ports : PT_AUDIT_SCAN_PORTS;
	a->window_ns = (uint64_t)(o && o->scan_window_s ? o->scan_window_s :
				  PT_AUDIT_SCAN_WINDOW_S) * 1000000000ull;
	a->numeric = o && o->numeric;
	if (o && o->n_expect) {
		a->have_expect = true;
		for (i = 0; i < o->n_expect; i++)
			a->expect[o->expect_ports[i] / 8] |= 1u << (o->expect_ports[i] % 8);
	}
	pt_hmap_init(&a->svc_idx, sizeof(struct ep_key));
	pt_hmap_init(&a->dst_idx, sizeof(struct ep_key));
	pt_hmap_init(&a->scan_idx, sizeof(struct scan_key));
	pt_hmap_init(&a->grp_idx, sizeof(struct grp_key));
	pt_hmap_init(&a->socks, sizeof(uint64_t));
	return a;
}

void pt_audit_free(struct pt_audit *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nsvcs; i++)
		svc_free(a->svcs[i]);
	for (i = 0; i < a->ndsts; i++)
		dst_free(a->dsts[i]);
	for (i = 0; i < a->nscans; i++)
		pt_audit_scan_free(a->scans[i]);
	free(a->svcs);
	free(a->dsts);
	free(a->scans);
	free(a->grps);
	free(a->finds);
	pt_hmap_free(&a->svc_idx);
	pt_hmap_free(&a->dst_idx);
	pt_hmap_free(&a->scan_idx);
	pt_hmap_free(&a->grp_idx);
	pt_hmap_free(&a->socks);
	free(a);
}

int pt_audit_add(struct pt_audit *a, const struct pt_flow *f)
{
	switch (f->ev->kind) {
	case PT_EV_LISTEN:
		return pt_audit_note_err(a, on_listen(a, f));
	case PT_EV_UNLISTEN:
		return pt_audit_note_err(a, on_unlisten(a, f));
	case PT_EV_ACCEPT:
		return pt_audit_note_err(a, on_accept(a, f));
	case PT_EV_CONNECT:
		return pt_audit_note_err(a, on_connect(a, f));
	case PT_EV_CLOSE:
		return pt_audit_note_err(a, on_close(a, f));
	case PT_EV_RESET:
		return pt_audit_note_err(a, pt_audit_scan_reset(a, f));
	default:
		return 0;
	}
}
