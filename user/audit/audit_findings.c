/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit's findings: the rules run over the aggregate (services,
 * destinations, scans, flow groups), ranked by severity then count.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "audit_int.h"

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

	if (pt_audit_reserve(&a->finds, &a->cfinds, a->nfinds, sizeof(*a->finds)))
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

	pt_audit_endpoint(ep, sizeof(ep), s->addr, s->key.port);
	snprintf(buf, n, "%s %s (netns %" PRIu32 ")%s%s", pt_proto_str(s->key.proto),
		 ep, s->key.netns, s->procs.ncomms ? " " : "",
		 s->procs.ncomms ? s->procs.comms[0] : "");
}

bool pt_audit_in_range(uint16_t port, uint16_t lo, uint16_t hi)
{
	return (lo || hi) && port >= lo && port <= hi;
}

uint32_t pt_audit_range_size(uint16_t lo, uint16_t hi)
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
	    pt_audit_in_range(s->key.port, s->k_lo, s->k_hi)) {
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
	if (a->have_expect && pt_audit_is_any(s->key.addr) && !expected(a, s->key.port)) {
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
	uint32_t range = pt_audit_range_size(d->k_lo, d->k_hi);
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
	pt_audit_endpoint(ep, sizeof(ep), d->addr, d->key.port);
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
int pt_audit_compute_findings(struct pt_audit *a)
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
	return pt_audit_note_err(a, err);
}

size_t pt_audit_findings(struct pt_audit *a, struct pt_finding *out, size_t max)
{
	pt_audit_compute_findings(a);
	if (out && max)
		memcpy(out, a->finds, (a->nfinds < max ? a->nfinds : max) * sizeof(*out));
	return a->nfinds;
}
