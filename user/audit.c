/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit aggregate and its findings; the contract is in audit.h, the
 * report writers in audit_report.c.
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

int audit_reserve(void *arr, size_t *cap, size_t n, size_t elem)
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

static int note_err(struct pt_audit *a, int err)
{
	if (err < 0 && !a->err)
		a->err = err;
	return err < 0 ? err : 0;
}

static bool is_v4(const uint8_t addr[16])
{
	return !memcmp(addr, v4_any, 12);
}

static bool is_any(const uint8_t addr[16])
{
	return !memcmp(addr, v4_any, 16) || !memcmp(addr, v6_any, 16);
}

void audit_endpoint(char *buf, size_t n, const char *addr, unsigned int port)
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

	if (audit_reserve(&a->svcs, &a->csvcs, a->nsvcs, sizeof(*a->svcs)))
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
	if (audit_reserve(&a->grps, &a->cgrps, a->ngrps, sizeof(*a->grps)))
		return -ENOMEM;
	ret = pt_hmap_put(&a->grp_idx, &k, (uint32_t)a->ngrps, &slot);
	if (ret < 0)
		return ret;
	g = &a->grps[*slot];
	if (ret) {
		memset(g, 0, sizeof(*g));
		g->key = k;
		a->ngrps++;
		audit_endpoint(c, sizeof(c), f->client_addr, e->client_port);
		audit_endpoint(s, sizeof(s), f->server_addr, e->server_port);
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
	if (audit_reserve(&a->dsts, &a->cdsts, a->ndsts, sizeof(*a->dsts)))
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

/* ---- scans ------------------------------------------------------------- */

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
	if (audit_reserve(&a->scans, &a->cscans, a->nscans, sizeof(*a->scans)))
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

static void scan_free(struct scan *s)
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
static int on_reset(struct pt_audit *a, const struct pt_flow *f)
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
	if (audit_reserve(&s->nodes, &s->cap, s->nnodes, sizeof(*s->nodes)))
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
		scan_free(a->scans[i]);
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
		return note_err(a, on_listen(a, f));
	case PT_EV_UNLISTEN:
		return note_err(a, on_unlisten(a, f));
	case PT_EV_ACCEPT:
		return note_err(a, on_accept(a, f));
	case PT_EV_CONNECT:
		return note_err(a, on_connect(a, f));
	case PT_EV_CLOSE:
		return note_err(a, on_close(a, f));
	case PT_EV_RESET:
		return note_err(a, on_reset(a, f));
	default:
		return 0;
	}
}

/* ---- findings ------------------------------------------------------------ */

const char *pt_severity_str(enum pt_severity s)
{
	switch (s) {
	case PT_SEV_HIGH:
		return "high";
	case PT_SEV_MEDIUM:
		return "medium";
	case PT_SEV_LOW:
		return "low";
	default:
		return "unknown";
	}
}

static struct pt_finding *finding(struct pt_audit *a, enum pt_severity sev,
				  const char *rule, uint64_t count)
{
	struct pt_finding *f;

	if (audit_reserve(&a->finds, &a->cfinds, a->nfinds, sizeof(*a->finds)))
		return NULL;
	f = &a->finds[a->nfinds++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->rule = rule;
	f->count = count;
	return f;
}

/* "tcp 0.0.0.0:45678 (netns 4026531840) nginx": raw comm, escaped by the writer */
static void svc_subject(const struct svc *s, char *buf, size_t n)
{
	char ep[INET6_ADDRSTRLEN + 8];

	audit_endpoint(ep, sizeof(ep), s->addr, s->key.port);
	snprintf(buf, n, "%s %s (netns %" PRIu32 ")%s%s", pt_proto_str(s->key.proto),
		 ep, s->key.netns, s->procs.ncomms ? " " : "",
		 s->procs.ncomms ? s->procs.comms[0] : "");
}

bool audit_in_range(uint16_t port, uint16_t lo, uint16_t hi)
{
	return (lo || hi) && port >= lo && port <= hi;
}

uint32_t audit_range_size(uint16_t lo, uint16_t hi)
{
	return (lo || hi) && hi >= lo ? (uint32_t)hi - lo + 1 : 0;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static bool expected(const struct pt_audit *a, uint16_t port)
{
	return a->expect[port / 8] & (1u << (port % 8));
}

static int svc_findings(struct pt_audit *a, const struct svc *s)
{
	struct pt_finding *f;

	if (!s->listened)
		return 0;
	if (s->bound_known && s->bound && !s->reserved &&
	    audit_in_range(s->key.port, s->k_lo, s->k_hi)) {
		f = finding(a, PT_SEV_MEDIUM, "listener-in-ephemeral-range", s->accepts);
		if (!f)
			return -ENOMEM;
		svc_subject(s, f->subject, sizeof(f->subject));
		snprintf(f->detail, sizeof(f->detail),
			 "port %u was bound explicitly inside the ephemeral range "
			 "%u-%u: a client's connect() can take it first and the "
			 "service then fails to start; add it to "
			 "net.ipv4.ip_local_reserved_ports", s->key.port, s->k_lo,
			 s->k_hi);
	}
	if (a->have_expect && is_any(s->key.addr) && !expected(a, s->key.port)) {
		f = finding(a, PT_SEV_MEDIUM, "unexpected-listener", s->accepts);
		if (!f)
			return -ENOMEM;
		svc_subject(s, f->subject, sizeof(f->subject));
		snprintf(f->detail, sizeof(f->detail),
			 "listening on all addresses on port %u, which is not in "
			 "--expect-port; %" PRIu64 " connection%s accepted",
			 s->key.port, s->accepts, plural(s->accepts));
	}
	/* UDP has no accept: a bound UDP socket is never idle by this measure */
	if (s->key.proto == PT_PROTO_TCP && !s->accepts && !s->closes) {
		f = finding(a, PT_SEV_LOW, "idle-listener", 0);
		if (!f)
			return -ENOMEM;
		svc_subject(s, f->subject, sizeof(f->subject));
		snprintf(f->detail, sizeof(f->detail),
			 "%s %s%s, accepted no connection during the run",
			 s->state == SVC_CLOSED ? "listened from" : "listening since",
			 s->inventory ? "before the start, found at " : "", s->since);
	}
	return 0;
}

static int dst_findings(struct pt_audit *a, const struct dst *d)
{
	uint32_t range = audit_range_size(d->k_lo, d->k_hi);
	char ep[INET6_ADDRSTRLEN + 8], fails[96] = "";
	enum pt_severity sev;
	struct pt_finding *f;

	if (d->no_eph || (range && (uint64_t)d->eph_peak * 5 >= (uint64_t)range * 4))
		sev = PT_SEV_HIGH;
	else if (range && (uint64_t)d->eph_peak * 2 >= range)
		sev = PT_SEV_MEDIUM;
	else
		return 0;
	f = finding(a, sev, "ephemeral-port-pressure", d->eph_peak);
	if (!f)
		return -ENOMEM;
	audit_endpoint(ep, sizeof(ep), d->addr, d->key.port);
	snprintf(f->subject, sizeof(f->subject), "%s %s (netns %" PRIu32 ")",
		 pt_proto_str(d->key.proto), ep, d->key.netns);
	if (d->no_eph)
		snprintf(fails, sizeof(fails),
			 "; %" PRIu64 " connect%s failed with no-ephemeral-port",
			 d->no_eph, plural(d->no_eph));
	if (d->eph_peak)
		snprintf(f->detail, sizeof(f->detail),
			 "peak %" PRIu32 " of %" PRIu32 " ephemeral ports (%u-%u) in use "
			 "at once (%" PRIu64 "%%) at %s%s", d->eph_peak, range, d->k_lo,
			 d->k_hi, range ? (uint64_t)d->eph_peak * 100 / range : 0,
			 d->peak_time, fails);
	else
		snprintf(f->detail, sizeof(f->detail),
			 "ephemeral range %u-%u (%" PRIu32 " ports)%s", d->k_lo,
			 d->k_hi, range, fails);
	return 0;
}

static int scan_findings(struct pt_audit *a, const struct scan *s)
{
	struct pt_finding *f;
	uint64_t ms = s->peak_span_ns / 1000000;

	if (s->peak < a->scan_ports)
		return 0;
	f = finding(a, PT_SEV_HIGH, "port-scan", s->peak);
	if (!f)
		return -ENOMEM;
	snprintf(f->subject, sizeof(f->subject), "%s (netns %" PRIu32 ")", s->addr,
		 s->key.netns);
	snprintf(f->detail, sizeof(f->detail),
		 "%" PRIu32 " distinct closed ports refused within %" PRIu64 ".%03" PRIu64
		 " s (threshold %u in %" PRIu64 " s), reached at %s; %" PRIu64
		 " refused attempt%s on ports %u-%u from %s", s->peak, ms / 1000,
		 ms % 1000, a->scan_ports, (uint64_t)(a->window_ns / 1000000000u),
		 s->peak_time, s->resets, plural(s->resets), s->port_lo, s->port_hi,
		 s->first);
	return 0;
}

static int grp_findings(struct pt_audit *a, const struct grp *g)
{
	char comm[PT_COMM_LEN + 1];
	struct pt_finding *f;
	bool in = g->key.side == PT_SIDE_SERVER;

	f = finding(a, PT_SEV_LOW, "non-ephemeral-to-static-flow", g->n);
	if (!f)
		return -ENOMEM;
	memcpy(comm, g->key.comm, PT_COMM_LEN);
	comm[PT_COMM_LEN] = '\0';
	snprintf(f->subject, sizeof(f->subject), "%s: %s, %s",
		 g->key.attributed ? comm : "(no process)",
		 pt_flow_class_str(g->key.cls), in ? "inbound" : "outbound");
	snprintf(f->detail, sizeof(f->detail), "%" PRIu64 " %s connection%s %s, e.g. %s",
		 g->n, pt_flow_class_str(g->key.cls), plural(g->n),
		 in ? "accepted" : "made", g->example);
	return 0;
}

static int cmp_finding(const void *x, const void *y)
{
	const struct pt_finding *a = x, *b = y;
	int c;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if ((c = strcmp(a->rule, b->rule)))
		return c;
	if ((c = strcmp(a->subject, b->subject)))
		return c;
	return strcmp(a->detail, b->detail);
}

/* Recomputed for every report: the aggregate changes between snapshots. */
int audit_compute_findings(struct pt_audit *a)
{
	size_t i;
	int err = 0;

	a->nfinds = 0;
	for (i = 0; i < a->nsvcs && !err; i++)
		err = svc_findings(a, a->svcs[i]);
	for (i = 0; i < a->ndsts && !err; i++)
		err = dst_findings(a, a->dsts[i]);
	for (i = 0; i < a->nscans && !err; i++)
		err = scan_findings(a, a->scans[i]);
	for (i = 0; i < a->ngrps && !err; i++)
		err = grp_findings(a, &a->grps[i]);
	if (a->nfinds)
		qsort(a->finds, a->nfinds, sizeof(*a->finds), cmp_finding);
	return note_err(a, err);
}

size_t pt_audit_findings(struct pt_audit *a, struct pt_finding *out, size_t max)
{
	audit_compute_findings(a);
	if (out && max)
		memcpy(out, a->finds, (a->nfinds < max ? a->nfinds : max) * sizeof(*out));
	return a->nfinds;
}
