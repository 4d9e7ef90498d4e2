/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit report as rows (row.h) from one aggregate (audit.c): a report
 * row, then services, destinations and findings, in report order. The sinks
 * write them as JSON Lines or CSV; audit_table.c lays the same aggregate out
 * for a terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "audit_int.h"
#include "escape.h"
#include "record.h"
#include "services.h"

/* ---- report order -------------------------------------------------------- */

static int cmp_key(const struct ep_key *a, const struct ep_key *b)
{
	int c;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if ((c = memcmp(a->addr, b->addr, 16)))
		return c;
	if (a->netns != b->netns)
		return a->netns < b->netns ? -1 : 1;
	return 0;
}

/* busiest first, then by port: the top of an --interval view is what matters */
static int cmp_svc(const void *x, const void *y)
{
	const struct svc *a = *(const struct svc *const *)x;
	const struct svc *b = *(const struct svc *const *)y;

	if (a->accepts != b->accepts)
		return a->accepts > b->accepts ? -1 : 1;
	return cmp_key(&a->key, &b->key);
}

static int cmp_dst(const void *x, const void *y)
{
	const struct dst *a = *(const struct dst *const *)x;
	const struct dst *b = *(const struct dst *const *)y;

	if (a->connects != b->connects)
		return a->connects > b->connects ? -1 : 1;
	return cmp_key(&a->key, &b->key);
}

/* A sorted copy of a pointer array (caller frees); NULL on ENOMEM. */
static void *sorted(void *arr, size_t n, int (*cmp)(const void *, const void *))
{
	void **copy = malloc((n ? n : 1) * sizeof(void *));

	if (!copy)
		return NULL;
	if (n) {
		memcpy(copy, arr, n * sizeof(void *));
		qsort(copy, n, sizeof(void *), cmp);
	}
	return copy;
}

struct svc **pt_audit_sorted_svcs(const struct pt_audit *a)
{
	return sorted(a->svcs, a->nsvcs, cmp_svc);
}

struct dst **pt_audit_sorted_dsts(const struct pt_audit *a)
{
	return sorted(a->dsts, a->ndsts, cmp_dst);
}

const char *pt_audit_service_hint(const struct pt_audit *a, const struct ep_key *k)
{
	return a->numeric ? NULL : pt_service_name(k->port, k->proto);
}

const char *pt_audit_svc_state_str(enum svc_state s)
{
	switch (s) {
	case SVC_LISTENING:
		return "listening";
	case SVC_CLOSED:
		return "closed";
	default:
		return "unlisted";
	}
}

bool pt_audit_complete(const struct pt_audit *a, const struct pt_audit_meta *m)
{
	return !m->lost && !a->err;
}

/* ---- JSON Lines and CSV rows ---------------------------------------------- */

/*
 * One list of columns for both formats, as record.c does for live records:
 * JSON keys and CSV header cannot drift apart. A record kind fills the
 * columns it has; JSON writes only those, CSV writes every column.
 */
enum acol {
	AC_RECORD,
	AC_HOST,
	AC_VERSION,
	AC_EPHEMERAL_MODE,
	AC_START,
	AC_END,
	AC_EVENTS,
	AC_LOST,
	AC_COMPLETE,
	AC_NETNS,
	AC_PROTO,
	AC_ADDRESS,
	AC_PORT,
	AC_SERVICE_HINT,
	AC_STATE,
	AC_COMMS,
	AC_PIDS,
	AC_PID_COUNT,
	AC_UID,
	AC_CONTAINER_ID,
	AC_BOUND,
	AC_IN_EPHEMERAL_RANGE,
	AC_EPHEMERAL_RANGE,
	AC_ACCEPTS,
	AC_UNACCEPTED,
	AC_DISTINCT_CLIENTS,
	AC_DISTINCT_CLIENT_PORTS,
	AC_EPH_TO_STATIC,
	AC_STATIC_TO_STATIC,
	AC_EPH_TO_EPH,
	AC_STATIC_TO_EPH,
	AC_FIRST_ACCEPT,
	AC_LAST_ACCEPT,
	AC_CONNECTS,
	AC_FAILURES,
	AC_NO_EPHEMERAL_PORT,
	AC_PEAK_EPHEMERAL_PORTS,
	AC_FIRST_CONNECT,
	AC_LAST_CONNECT,
	AC_BYTES_IN,
	AC_BYTES_OUT,
	AC_RANK,
	AC_SEVERITY,
	AC_RULE,
	AC_SUBJECT,
	AC_DETAIL,
	AC_COUNT,
	AC_SCHEMA_VERSION,
	AC_NCOLS,
};

static const char *const acol_names[AC_NCOLS] = {
	[AC_RECORD] = "record",
	[AC_HOST] = "host",
	[AC_VERSION] = "version",
	[AC_EPHEMERAL_MODE] = "ephemeral_mode",
	[AC_START] = "start",
	[AC_END] = "end",
	[AC_EVENTS] = "events",
	[AC_LOST] = "lost",
	[AC_COMPLETE] = "complete",
	[AC_NETNS] = "netns",
	[AC_PROTO] = "proto",
	[AC_ADDRESS] = "address",
	[AC_PORT] = "port",
	[AC_SERVICE_HINT] = "service_hint",
	[AC_STATE] = "state",
	[AC_COMMS] = "comms",
	[AC_PIDS] = "pids",
	[AC_PID_COUNT] = "pid_count",
	[AC_UID] = "uid",
	[AC_CONTAINER_ID] = "container_id",
	[AC_BOUND] = "bound",
	[AC_IN_EPHEMERAL_RANGE] = "in_ephemeral_range",
	[AC_EPHEMERAL_RANGE] = "ephemeral_range",
	[AC_ACCEPTS] = "accepts",
	[AC_UNACCEPTED] = "unaccepted",
	[AC_DISTINCT_CLIENTS] = "distinct_clients",
	[AC_DISTINCT_CLIENT_PORTS] = "distinct_client_ports",
	[AC_EPH_TO_STATIC] = "eph_to_static",
	[AC_STATIC_TO_STATIC] = "static_to_static",
	[AC_EPH_TO_EPH] = "eph_to_eph",
	[AC_STATIC_TO_EPH] = "static_to_eph",
	[AC_FIRST_ACCEPT] = "first_accept",
	[AC_LAST_ACCEPT] = "last_accept",
	[AC_CONNECTS] = "connects",
	[AC_FAILURES] = "failures",
	[AC_NO_EPHEMERAL_PORT] = "no_ephemeral_port",
	[AC_PEAK_EPHEMERAL_PORTS] = "peak_ephemeral_ports",
	[AC_FIRST_CONNECT] = "first_connect",
	[AC_LAST_CONNECT] = "last_connect",
	[AC_BYTES_IN] = "bytes_in",
	[AC_BYTES_OUT] = "bytes_out",
	[AC_RANK] = "rank",
	[AC_SEVERITY] = "severity",
	[AC_RULE] = "rule",
	[AC_SUBJECT] = "subject",
	[AC_DETAIL] = "detail",
	[AC_COUNT] = "count",
	[AC_SCHEMA_VERSION] = "schema_version",
};

/* JSON calls the first column "kind", as live records do */
static const char *const acol_json_names[AC_NCOLS] = {
	[AC_RECORD] = "kind",
};

static char acol_keys[AC_NCOLS][PT_KEY_WIDTH];
static unsigned char acol_keys_len[AC_NCOLS];

/* a row has only its record's fields: the others are unset (JSON omits
 * them, CSV leaves them empty: one header for every record) */
const struct pt_row_shape pt_audit_shape = {
	.ncols = AC_NCOLS,
	.names = acol_names,
	.json_names = acol_json_names,
	.keys = acol_keys,
	.keys_len = acol_keys_len,
};

#define COMM_JSON_LEN	(ESC_BUF_SIZE(PT_COMM_LEN) + 3)

struct arow {
	struct pt_cell c[AC_NCOLS];
	char num[AC_NCOLS][PT_NUM_SIZE];
	char range[16];
	char comms[PT_AUDIT_SHOW_COMMS * (PT_COMM_LEN + 1)];
	char comms_json[PT_AUDIT_SHOW_COMMS * COMM_JSON_LEN + 2];
	char pids[PT_AUDIT_SHOW_PIDS * 11];
	char pids_json[PT_AUDIT_SHOW_PIDS * 11 + 2];
	char fails[PT_AUDIT_FAILURES_LEN];
	char fails_json[PT_AUDIT_FAILURES_LEN + 2];
};

static void set_str(struct arow *r, enum acol i, const char *s)
{
	pt_cell_str(&r->c[i], s);
}

static void set_u64(struct arow *r, enum acol i, uint64_t n)
{
	pt_cell_u64(&r->c[i], r->num[i], n);
}

static void set_bool(struct arow *r, enum acol i, bool b)
{
	pt_cell_bool(&r->c[i], b);
}

static void row_reset(struct arow *r, const char *record)
{
	memset(r->c, 0, sizeof(r->c));
	set_str(r, AC_RECORD, record);
	pt_cell_numstr(&r->c[AC_SCHEMA_VERSION], PT_SCHEMA_VERSION_STR);
}

static void row_procs(struct arow *r, const struct procset *ps)
{
	char *c = r->comms, *j = r->comms_json, *p = r->pids, *pj = r->pids_json;
	unsigned int i;

	*j++ = '[';
	for (i = 0; i < ps->ncomms; i++) {
		if (i) {
			*c++ = ' ';
			*j++ = ',';
		}
		c = stpcpy(c, ps->comms[i]);
		*j++ = '"';
		j += pt_esc_json(j, COMM_JSON_LEN, ps->comms[i], PT_COMM_LEN);
		*j++ = '"';
	}
	*c = '\0';
	strcpy(j, "]");
	*pj++ = '[';
	for (i = 0; i < ps->npids; i++) {
		if (i) {
			*p++ = ' ';
			*pj++ = ',';
		}
		p += pt_u64_dec(p, ps->pids[i]);
		pj += pt_u64_dec(pj, ps->pids[i]);
	}
	*p = '\0';
	strcpy(pj, "]");
	pt_cell_list(&r->c[AC_COMMS], r->comms, r->comms_json);
	pt_cell_list(&r->c[AC_PIDS], r->pids, r->pids_json);
	set_u64(r, AC_PID_COUNT, ps->all.len);
	if (ps->has_uid)
		set_u64(r, AC_UID, ps->uid);
	else
		set_str(r, AC_UID, NULL);
	set_str(r, AC_CONTAINER_ID, ps->container_id[0] ? ps->container_id : NULL);
}

static void row_endpoint(struct arow *r, const struct pt_audit *a,
			 const struct ep_key *k, const char *addr)
{
	set_u64(r, AC_NETNS, k->netns);
	set_str(r, AC_PROTO, pt_proto_str(k->proto));
	set_str(r, AC_ADDRESS, addr);
	set_u64(r, AC_PORT, k->port);
	set_str(r, AC_SERVICE_HINT, pt_audit_service_hint(a, k));
}

static void row_range(struct arow *r, uint16_t lo, uint16_t hi)
{
	if (!lo && !hi) {
		set_str(r, AC_EPHEMERAL_RANGE, NULL);
		return;
	}
	snprintf(r->range, sizeof(r->range), "%u-%u", lo, hi);
	set_str(r, AC_EPHEMERAL_RANGE, r->range);
}

static void row_report(struct arow *r, const struct pt_audit *a,
		       const struct pt_audit_meta *m)
{
	row_reset(r, "report");
	set_str(r, AC_HOST, m->host);
	set_str(r, AC_VERSION, m->version);
	set_str(r, AC_EPHEMERAL_MODE, m->ephemeral_mode);
	set_str(r, AC_START, m->start);
	set_str(r, AC_END, m->end);
	set_u64(r, AC_EVENTS, m->events);
	set_u64(r, AC_LOST, m->lost);
	set_bool(r, AC_COMPLETE, pt_audit_complete(a, m));
}

static void row_service(struct arow *r, const struct pt_audit *a, const struct svc *s)
{
	row_reset(r, "service");
	row_endpoint(r, a, &s->key, s->addr);
	set_str(r, AC_STATE, pt_audit_svc_state_str(s->state));
	row_procs(r, &s->procs);
	if (s->bound_known)
		set_bool(r, AC_BOUND, s->bound);
	else
		set_str(r, AC_BOUND, NULL);
	set_bool(r, AC_IN_EPHEMERAL_RANGE, pt_audit_in_range(s->key.port, s->eph_lo, s->eph_hi));
	row_range(r, s->eph_lo, s->eph_hi);
	set_u64(r, AC_ACCEPTS, s->accepts);
	set_u64(r, AC_UNACCEPTED, s->unaccepted);
	set_u64(r, AC_DISTINCT_CLIENTS, s->clients.len);
	set_u64(r, AC_DISTINCT_CLIENT_PORTS, s->cports.len);
	set_u64(r, AC_EPH_TO_STATIC, s->classes[PT_FLOW_EPH_TO_STATIC]);
	set_u64(r, AC_STATIC_TO_STATIC, s->classes[PT_FLOW_STATIC_TO_STATIC]);
	set_u64(r, AC_EPH_TO_EPH, s->classes[PT_FLOW_EPH_TO_EPH]);
	set_u64(r, AC_STATIC_TO_EPH, s->classes[PT_FLOW_STATIC_TO_EPH]);
	set_str(r, AC_FIRST_ACCEPT, s->acc.set ? s->acc.first : NULL);
	set_str(r, AC_LAST_ACCEPT, s->acc.set ? s->acc.last : NULL);
	set_u64(r, AC_BYTES_IN, s->bytes_in);
	set_u64(r, AC_BYTES_OUT, s->bytes_out);
}

void pt_audit_failures(const struct dst *d, char text[PT_AUDIT_FAILURES_LEN],
		       char json[PT_AUDIT_FAILURES_LEN + 2])
{
	char *c = text, *j = json;
	unsigned int i;

	*j++ = '{';
	for (i = 0; i <= d->nfails; i++) {
		const char *name = i < d->nfails ? d->fails[i].name : "other";
		uint64_t n = i < d->nfails ? d->fails[i].n : d->other_failures;

		if (!n)
			continue;
		/* result names are ours or errno names: [a-z0-9-], nothing to escape */
		c += snprintf(c, FAIL_LEN, "%s%s=%" PRIu64, c > text ? " " : "", name, n);
		j += snprintf(j, FAIL_LEN, "%s\"%s\":%" PRIu64, j > json + 1 ? "," : "", name, n);
	}
	*c = '\0';
	strcpy(j, "}");
}

static void row_failures(struct arow *r, const struct dst *d)
{
	pt_audit_failures(d, r->fails, r->fails_json);
	pt_cell_list(&r->c[AC_FAILURES], r->fails, r->fails_json);
}

static void row_destination(struct arow *r, const struct pt_audit *a, const struct dst *d)
{
	row_reset(r, "destination");
	row_endpoint(r, a, &d->key, d->addr);
	row_procs(r, &d->procs);
	row_range(r, d->k_lo, d->k_hi);
	set_u64(r, AC_CONNECTS, d->connects);
	row_failures(r, d);
	set_u64(r, AC_NO_EPHEMERAL_PORT, d->no_eph);
	set_u64(r, AC_PEAK_EPHEMERAL_PORTS, d->eph_peak);
	set_str(r, AC_FIRST_CONNECT, d->con.set ? d->con.first : NULL);
	set_str(r, AC_LAST_CONNECT, d->con.set ? d->con.last : NULL);
	set_u64(r, AC_BYTES_IN, d->bytes_in);
	set_u64(r, AC_BYTES_OUT, d->bytes_out);
}

static void row_finding(struct arow *r, size_t rank, const struct pt_finding *f)
{
	row_reset(r, "finding");
	set_u64(r, AC_RANK, rank);
	set_str(r, AC_SEVERITY, pt_severity_str(f->severity));
	set_str(r, AC_RULE, f->rule);
	set_str(r, AC_SUBJECT, f->subject);
	set_str(r, AC_DETAIL, f->detail);
	set_u64(r, AC_COUNT, f->count);
}

int pt_audit_rows(struct pt_audit *a, const struct pt_audit_meta *m,
		  int (*emit)(void *ctx, const struct pt_row *r), void *ctx)
{
	struct svc **svcs = NULL;
	struct dst **dsts = NULL;
	struct pt_row row = { .shape = &pt_audit_shape };
	struct arow *r;
	size_t i;
	int err;

	r = malloc(sizeof(*r));
	svcs = pt_audit_sorted_svcs(a);
	dsts = pt_audit_sorted_dsts(a);
	err = r && svcs && dsts ? pt_audit_compute_findings(a) : -ENOMEM;
	if (r)
		row.c = r->c;
	if (!err) {
		row_report(r, a, m);
		err = emit(ctx, &row);
	}
	for (i = 0; !err && i < a->nsvcs; i++) {
		row_service(r, a, svcs[i]);
		err = emit(ctx, &row);
	}
	for (i = 0; !err && i < a->ndsts; i++) {
		row_destination(r, a, dsts[i]);
		err = emit(ctx, &row);
	}
	for (i = 0; !err && i < a->nfinds; i++) {
		row_finding(r, i + 1, &a->finds[i]);
		err = emit(ctx, &row);
	}
	free(r);
	free(svcs);
	free(dsts);
	return err;
}
