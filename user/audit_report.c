/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit report: JSON Lines, CSV and the terminal table, from one
 * aggregate (audit.c). Field names and CSV columns are in audit.h.
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

static const char *service_hint(const struct pt_audit *a, const struct ep_key *k)
{
	return a->numeric ? NULL : pt_service_name(k->port, k->proto);
}

static const char *svc_state_str(enum svc_state s)
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

static bool complete(const struct pt_audit *a, const struct pt_audit_meta *m)
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
	AC_NCOLS,
};

/* JSON calls the first column "kind", as live records do */
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
};

enum acell_type {
	A_UNSET = 0,	/* not a field of this record: JSON omits it */
	A_NULL,		/* a field with no value: JSON null, CSV empty */
	A_STR,		/* raw text, escaped per format */
	A_BARE,		/* number or true/false */
	A_LIST,		/* s: the CSV text (raw, escaped), json: ready JSON */
};

struct acell {
	enum acell_type t;
	const char *s;
	size_t len;
	const char *json;
};

#define COMM_JSON_LEN	(ESC_BUF_SIZE(PT_COMM_LEN) + 3)
#define FAIL_LEN	48

struct arow {
	struct acell c[AC_NCOLS];
	char num[AC_NCOLS][24];
	char range[16];
	char comms[PT_AUDIT_SHOW_COMMS * (PT_COMM_LEN + 1)];
	char comms_json[PT_AUDIT_SHOW_COMMS * COMM_JSON_LEN + 2];
	char pids[PT_AUDIT_SHOW_PIDS * 11];
	char pids_json[PT_AUDIT_SHOW_PIDS * 11 + 2];
	char fails[(MAX_RESULTS + 1) * FAIL_LEN];
	char fails_json[(MAX_RESULTS + 1) * FAIL_LEN + 2];
};

static void set_str(struct arow *r, enum acol i, const char *s)
{
	if (!s)
		r->c[i] = (struct acell){ .t = A_NULL };
	else
		r->c[i] = (struct acell){ .t = A_STR, .s = s, .len = strlen(s) };
}

static void set_bare(struct arow *r, enum acol i, const char *s)
{
	r->c[i] = (struct acell){ .t = A_BARE, .s = s, .len = strlen(s) };
}

static void set_u64(struct arow *r, enum acol i, uint64_t n)
{
	size_t len = pt_u64_dec(r->num[i], n);

	r->c[i] = (struct acell){ .t = A_BARE, .s = r->num[i], .len = len };
}

static void set_bool(struct arow *r, enum acol i, bool b)
{
	set_bare(r, i, b ? "true" : "false");
}

static void set_list(struct arow *r, enum acol i, const char *csv, const char *json)
{
	r->c[i] = (struct acell){ .t = A_LIST, .s = csv, .len = strlen(csv), .json = json };
}

static void row_reset(struct arow *r, const char *record)
{
	memset(r->c, 0, sizeof(r->c));
	set_str(r, AC_RECORD, record);
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
		j += esc_json(j, COMM_JSON_LEN, ps->comms[i], PT_COMM_LEN);
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
	set_list(r, AC_COMMS, r->comms, r->comms_json);
	set_list(r, AC_PIDS, r->pids, r->pids_json);
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
	set_str(r, AC_SERVICE_HINT, service_hint(a, k));
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
	set_bool(r, AC_COMPLETE, complete(a, m));
}

static void row_service(struct arow *r, const struct pt_audit *a, const struct svc *s)
{
	row_reset(r, "service");
	row_endpoint(r, a, &s->key, s->addr);
	set_str(r, AC_STATE, svc_state_str(s->state));
	row_procs(r, &s->procs);
	if (s->bound_known)
		set_bool(r, AC_BOUND, s->bound);
	else
		set_str(r, AC_BOUND, NULL);
	set_bool(r, AC_IN_EPHEMERAL_RANGE, audit_in_range(s->key.port, s->eph_lo, s->eph_hi));
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

static void row_failures(struct arow *r, const struct dst *d)
{
	char *c = r->fails, *j = r->fails_json;
	unsigned int i;

	*j++ = '{';
	for (i = 0; i <= d->nfails; i++) {
		const char *name = i < d->nfails ? d->fails[i].name : "other";
		uint64_t n = i < d->nfails ? d->fails[i].n : d->other_failures;

		if (!n)
			continue;
		/* result names are ours or errno names: [a-z0-9-], nothing to escape */
		c += snprintf(c, FAIL_LEN, "%s%s=%" PRIu64, c > r->fails ? " " : "",
			      name, n);
		j += snprintf(j, FAIL_LEN, "%s\"%s\":%" PRIu64,
			      j > r->fails_json + 1 ? "," : "", name, n);
	}
	*c = '\0';
	strcpy(j, "}");
	set_list(r, AC_FAILURES, r->fails, r->fails_json);
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

/* One fwrite per row: a cut after a failed write keeps whole rows. */
static int put_line(FILE *out, struct pt_line *l)
{
	if (l->over)
		return -ENOBUFS;
	errno = 0;
	if (fwrite(l->buf, 1, l->len, out) != l->len || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

static int emit_json(FILE *out, const struct arow *r)
{
	struct pt_line l = { .len = 0 };
	bool first = true;
	size_t i;

	for (i = 0; i < AC_NCOLS; i++) {
		const struct acell *c = &r->c[i];

		if (c->t == A_UNSET)
			continue;
		pt_line_puts(&l, first ? "{\"" : ",\"");
		pt_line_puts(&l, i == AC_RECORD ? "kind" : acol_names[i]);
		pt_line_puts(&l, "\":");
		first = false;
		switch (c->t) {
		case A_STR:
			pt_line_put(&l, "\"", 1);
			pt_line_esc(&l, esc_json, c->s, c->len);
			pt_line_put(&l, "\"", 1);
			break;
		case A_BARE:
			pt_line_put(&l, c->s, c->len);
			break;
		case A_LIST:
			pt_line_puts(&l, c->json);
			break;
		default:
			pt_line_puts(&l, "null");
			break;
		}
	}
	pt_line_puts(&l, "}\n");
	return put_line(out, &l);
}

static int emit_csv(FILE *out, const struct arow *r, bool raw)
{
	size_t (*esc)(char *, size_t, const char *, size_t) = raw ? esc_csv_raw : esc_csv;
	struct pt_line l = { .len = 0 };
	size_t i;

	for (i = 0; i < AC_NCOLS; i++) {
		const struct acell *c = &r->c[i];

		if (i)
			pt_line_put(&l, ",", 1);
		if (c->t == A_STR || c->t == A_LIST)
			pt_line_esc(&l, esc, c->s, c->len);
		else if (c->t == A_BARE)
			pt_line_put(&l, c->s, c->len);
	}
	pt_line_puts(&l, "\r\n");
	return put_line(out, &l);
}

/* Every record of the report, in order, to emit(). */
static int write_rows(struct pt_audit *a, FILE *out, const struct pt_audit_meta *m,
		      int (*emit)(FILE *, const struct arow *, bool), bool raw)
{
	struct svc **svcs = NULL;
	struct dst **dsts = NULL;
	struct arow *r;
	size_t i;
	int err;

	r = malloc(sizeof(*r));
	svcs = sorted(a->svcs, a->nsvcs, cmp_svc);
	dsts = sorted(a->dsts, a->ndsts, cmp_dst);
	err = r && svcs && dsts ? audit_compute_findings(a) : -ENOMEM;
	if (!err) {
		row_report(r, a, m);
		err = emit(out, r, raw);
	}
	for (i = 0; !err && i < a->nsvcs; i++) {
		row_service(r, a, svcs[i]);
		err = emit(out, r, raw);
	}
	for (i = 0; !err && i < a->ndsts; i++) {
		row_destination(r, a, dsts[i]);
		err = emit(out, r, raw);
	}
	for (i = 0; !err && i < a->nfinds; i++) {
		row_finding(r, i + 1, &a->finds[i]);
		err = emit(out, r, raw);
	}
	free(r);
	free(svcs);
	free(dsts);
	return err;
}

static int emit_json_row(FILE *out, const struct arow *r, bool raw)
{
	(void)raw;
	return emit_json(out, r);
}

int pt_audit_write_json(struct pt_audit *a, FILE *out, const struct pt_audit_meta *m)
{
	return write_rows(a, out, m, emit_json_row, false);
}

int pt_audit_write_csv_header(FILE *out)
{
	struct pt_line l = { .len = 0 };
	size_t i;

	for (i = 0; i < AC_NCOLS; i++) {
		if (i)
			pt_line_put(&l, ",", 1);
		pt_line_puts(&l, acol_names[i]);
	}
	pt_line_puts(&l, "\r\n");
	return put_line(out, &l);
}

int pt_audit_write_csv_rows(struct pt_audit *a, FILE *out,
			    const struct pt_audit_meta *m, bool csv_raw)
{
	return write_rows(a, out, m, emit_csv, csv_raw);
}

int pt_audit_write_csv(struct pt_audit *a, FILE *out, const struct pt_audit_meta *m,
		       bool csv_raw)
{
	int err = pt_audit_write_csv_header(out);

	return err ? err : pt_audit_write_csv_rows(a, out, m, csv_raw);
}

/* ---- terminal table -------------------------------------------------------- */

/*
 * Cells are built first, escaped (esc_term: comm and anything else not
 * ours), then printed with each column as wide as its widest cell.
 */
struct ttab {
	size_t ncols;
	char **cells;		/* row-major, row 0 the header */
	size_t ncells, cap;
	const bool *right;	/* right-aligned columns (numbers) */
	int err;
};

static void tt_put(struct ttab *t, char *cell)
{
	if (!cell || audit_reserve(&t->cells, &t->cap, t->ncells, sizeof(*t->cells))) {
		free(cell);
		t->err = -ENOMEM;
		return;
	}
	t->cells[t->ncells++] = cell;
}

static void __attribute__((format(printf, 2, 3))) tt_printf(struct ttab *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	tt_put(t, s);
}

static void tt_esc(struct ttab *t, const char *s, size_t len)
{
	char *buf = malloc(ESC_BUF_SIZE(len));

	if (buf)
		esc_term(buf, ESC_BUF_SIZE(len), s, len);
	tt_put(t, buf);
}

static int tt_print(struct ttab *t, FILE *out)
{
	size_t w[24] = { 0 }, i, col, len;
	struct pt_line l;
	int err = t->err;

	if (t->ncols > sizeof(w) / sizeof(w[0]))
		err = -EINVAL;
	for (i = 0; !err && i < t->ncells; i++) {
		len = strlen(t->cells[i]);
		if (len > w[i % t->ncols])
			w[i % t->ncols] = len;
	}
	for (i = 0; !err && i < t->ncells; i += t->ncols) {
		l.len = 0;
		l.over = false;
		pt_line_puts(&l, "  ");
		for (col = 0; col < t->ncols; col++) {
			const char *c = t->cells[i + col];
			size_t pad = w[col] - strlen(c);
			bool last = col + 1 == t->ncols;

			if (t->right[col])
				while (pad--)
					pt_line_put(&l, " ", 1);
			pt_line_puts(&l, c);
			if (!t->right[col] && !last)
				while (pad--)
					pt_line_put(&l, " ", 1);
			if (!last)
				pt_line_put(&l, "  ", 2);
		}
		pt_line_put(&l, "\n", 1);
		err = put_line(out, &l);
	}
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	return err;
}

/* HH:MM:SS when the run stays within one day, else MM-DDTHH:MM:SS */
static void tt_time(struct ttab *t, const struct span *s, bool last, bool one_day)
{
	const char *v = last ? s->last : s->first;

	if (!s->set || strlen(v) < 19)
		tt_printf(t, "-");
	else
		tt_printf(t, "%.*s", one_day ? 8 : 14, v + (one_day ? 11 : 5));
}

/* 1023, 1.5K, 12K, 340M: a column that stays narrow */
static void tt_bytes(struct ttab *t, uint64_t v)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		tt_printf(t, "%" PRIu64, v);
		return;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	tt_printf(t, d < 10 ? "%.1f%c" : "%.0f%c", d, units[u]);
}

static void tt_procs(struct ttab *t, const struct procset *ps)
{
	char buf[PT_AUDIT_SHOW_COMMS * (ESC_BUF_SIZE(PT_COMM_LEN) + 1) +
		 PT_AUDIT_SHOW_PIDS * 11 + 32];
	char *p = buf;
	unsigned int i;

	if (!ps->ncomms && !ps->npids) {
		tt_printf(t, "-");
		return;
	}
	for (i = 0; i < ps->ncomms; i++) {
		if (i)
			*p++ = ',';
		p += esc_term(p, ESC_BUF_SIZE(PT_COMM_LEN), ps->comms[i], PT_COMM_LEN);
	}
	*p++ = '[';
	for (i = 0; i < ps->npids; i++) {
		if (i)
			*p++ = ',';
		p += pt_u64_dec(p, ps->pids[i]);
	}
	if (ps->all.len > ps->npids)
		p += sprintf(p, ",+%zu", ps->all.len - ps->npids);
	strcpy(p, "]");
	tt_printf(t, "%s", buf);
}

static void tt_hint(struct ttab *t, const struct pt_audit *a, const struct ep_key *k)
{
	const char *name = service_hint(a, k);
	char buf[64];

	if (!name) {
		tt_printf(t, "-");
		return;
	}
	/* the "?" says it is a guess from the port number */
	esc_term(buf, sizeof(buf) - 1, name, strlen(name));
	tt_printf(t, "%s?", buf);
}

static void tt_endpoint(struct ttab *t, const char *addr, uint16_t port)
{
	char ep[INET6_ADDRSTRLEN + 8];

	audit_endpoint(ep, sizeof(ep), addr, port);
	tt_printf(t, "%s", ep);
}

static void tt_classes(struct ttab *t, const uint64_t c[NCLASSES])
{
	static const char *const abbr[NCLASSES] = {
		[PT_FLOW_EPH_TO_STATIC] = "e2s",
		[PT_FLOW_STATIC_TO_STATIC] = "s2s",
		[PT_FLOW_EPH_TO_EPH] = "e2e",
		[PT_FLOW_STATIC_TO_EPH] = "s2e",
	};
	char buf[NCLASSES * 26] = "", *p = buf;
	int i;

	for (i = 0; i < NCLASSES; i++)
		if (c[i])
			p += sprintf(p, "%s%s=%" PRIu64, p > buf ? " " : "", abbr[i], c[i]);
	tt_printf(t, "%s", buf[0] ? buf : "-");
}

static bool many_netns(const struct pt_audit *a)
{
	uint32_t first = 0;
	bool have = false;
	size_t i;

	for (i = 0; i < a->nsvcs + a->ndsts; i++) {
		uint32_t n = i < a->nsvcs ? a->svcs[i]->key.netns :
			     a->dsts[i - a->nsvcs]->key.netns;

		if (have && n != first)
			return true;
		first = n;
		have = true;
	}
	return false;
}

static int table_services(struct pt_audit *a, FILE *out, struct svc **svcs,
			  bool netns, bool one_day)
{
	static const char *const head[] = {
		"PROTO", "ADDRESS:PORT", "SERVICE", "PROCESS", "STATE", "BOUND",
		"EPH", "ACCEPTS", "CLIENTS", "PORTS", "CLASSES", "FIRST", "LAST",
		"IN", "OUT", "NETNS", "CONTAINER",
	};
	static const bool right[] = {
		false, false, false, false, false, false, false, true, true,
		true, false, false, false, true, true, true, false,
	};
	bool container = false, align[sizeof(right)];
	struct ttab t = { .right = align };
	size_t i, c;

	for (i = 0; i < a->nsvcs; i++)
		container |= svcs[i]->procs.container_id[0] != '\0';
	/* NETNS and CONTAINER only when they tell services apart */
	for (c = 0; c < sizeof(right); c++) {
		if ((c == 15 && !netns) || (c == 16 && !container))
			continue;
		align[t.ncols++] = right[c];
		tt_printf(&t, "%s", head[c]);
	}
	for (i = 0; i < a->nsvcs; i++) {
		const struct svc *s = svcs[i];

		tt_printf(&t, "%s", pt_proto_str(s->key.proto));
		tt_endpoint(&t, s->addr, s->key.port);
		tt_hint(&t, a, &s->key);
		tt_procs(&t, &s->procs);
		tt_printf(&t, "%s", svc_state_str(s->state));
		tt_printf(&t, "%s", !s->bound_known ? "?" : s->bound ? "yes" : "no");
		tt_printf(&t, "%s", audit_in_range(s->key.port, s->eph_lo, s->eph_hi) ? "yes" : "no");
		tt_printf(&t, "%" PRIu64, s->accepts);
		tt_printf(&t, "%zu", s->clients.len);
		tt_printf(&t, "%zu", s->cports.len);
		tt_classes(&t, s->classes);
		tt_time(&t, &s->acc, false, one_day);
		tt_time(&t, &s->acc, true, one_day);
		tt_bytes(&t, s->bytes_in);
		tt_bytes(&t, s->bytes_out);
		if (netns)
			tt_printf(&t, "%" PRIu32, s->key.netns);
		if (container)
			tt_esc(&t, s->procs.container_id[0] ? s->procs.container_id : "-", 12);
	}
	return tt_print(&t, out);
}

static int table_outbound(struct pt_audit *a, FILE *out, struct dst **dsts,
			  bool netns, bool one_day)
{
	static const char *const head[] = {
		"PROTO", "DESTINATION", "SERVICE", "PROCESS", "CONNECTS",
		"FAILURES", "EPH-PEAK", "FIRST", "LAST", "IN", "OUT", "NETNS",
	};
	static const bool right[] = {
		false, false, false, false, true, false, true, false, false,
		true, true, true,
	};
	struct ttab t = { .right = right };
	struct arow *r = malloc(sizeof(*r));
	size_t i, c;

	if (!r)
		return -ENOMEM;
	t.ncols = 11 + netns;
	for (c = 0; c < t.ncols; c++)
		tt_printf(&t, "%s", head[c]);
	for (i = 0; i < a->ndsts; i++) {
		const struct dst *d = dsts[i];
		uint32_t range = audit_range_size(d->k_lo, d->k_hi);

		tt_printf(&t, "%s", pt_proto_str(d->key.proto));
		tt_endpoint(&t, d->addr, d->key.port);
		tt_hint(&t, a, &d->key);
		tt_procs(&t, &d->procs);
		tt_printf(&t, "%" PRIu64, d->connects);
		row_failures(r, d);
		tt_printf(&t, "%s", r->fails[0] ? r->fails : "-");
		if (d->key.proto == PT_PROTO_TCP && range)
			tt_printf(&t, "%" PRIu32 "/%" PRIu32, d->eph_peak, range);
		else
			tt_printf(&t, "-");
		tt_time(&t, &d->con, false, one_day);
		tt_time(&t, &d->con, true, one_day);
		tt_bytes(&t, d->bytes_in);
		tt_bytes(&t, d->bytes_out);
		if (netns)
			tt_printf(&t, "%" PRIu32, d->key.netns);
	}
	free(r);
	return tt_print(&t, out);
}

static int table_findings(struct pt_audit *a, FILE *out)
{
	char subject[ESC_BUF_SIZE(sizeof(((struct pt_finding *)0)->subject))];
	char detail[ESC_BUF_SIZE(sizeof(((struct pt_finding *)0)->detail))];
	size_t i;

	for (i = 0; i < a->nfinds; i++) {
		const struct pt_finding *f = &a->finds[i];

		esc_term(subject, sizeof(subject), f->subject, sizeof(f->subject));
		esc_term(detail, sizeof(detail), f->detail, sizeof(f->detail));
		errno = 0;
		if (fprintf(out, "  %2zu. [%s] %s: %s\n      %s\n", i + 1,
			    pt_severity_str(f->severity), f->rule, subject, detail) < 0)
			return errno ? -errno : -EIO;
	}
	return 0;
}

int pt_audit_write_table(struct pt_audit *a, FILE *out, const struct pt_audit_meta *m)
{
	char host[ESC_BUF_SIZE(64)];
	struct svc **svcs = sorted(a->svcs, a->nsvcs, cmp_svc);
	struct dst **dsts = sorted(a->dsts, a->ndsts, cmp_dst);
	bool one_day = m->start && m->end && strlen(m->start) >= 10 &&
		       !strncmp(m->start, m->end, 10);
	bool netns = many_netns(a);
	int err = svcs && dsts ? audit_compute_findings(a) : -ENOMEM;

	if (err)
		goto out;
	esc_term(host, sizeof(host), m->host ? m->host : "-", 64);
	errno = 0;
	fprintf(out, "porttrace audit: host %s, %s to %s, %" PRIu64 " events, %"
		PRIu64 " lost (%s)\n", host, m->start ? m->start : "-",
		m->end ? m->end : "-", m->events, m->lost,
		a->err ? "incomplete: out of memory" :
		complete(a, m) ? "complete" : "incomplete");
	fprintf(out, "porttrace %s, ephemeral ports: %s; service names are hints (?)\n",
		m->version ? m->version : "-",
		m->ephemeral_mode ? m->ephemeral_mode : "-");

	fprintf(out, "\nServices (%zu)\n", a->nsvcs);
	if (a->nsvcs)
		err = table_services(a, out, svcs, netns, one_day);
	else
		fprintf(out, "  none\n");
	if (!err) {
		fprintf(out, "\nOutbound (%zu)\n", a->ndsts);
		if (a->ndsts)
			err = table_outbound(a, out, dsts, netns, one_day);
		else
			fprintf(out, "  none\n");
	}
	if (!err) {
		fprintf(out, "\nFindings (%zu)\n", a->nfinds);
		if (a->nfinds)
			err = table_findings(a, out);
		else
			fprintf(out, "  none\n");
	}
	if (!err && ferror(out))
		err = errno ? -errno : -EIO;
out:
	free(svcs);
	free(dsts);
	return err;
}
