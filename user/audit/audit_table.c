/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The audit report laid out for a terminal: services, outbound destinations
 * and findings as aligned tables, in the report order of audit_report.c.
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
#include "row.h"

/* ---- terminal table -------------------------------------------------------- */

/*
 * Cells are built first, escaped (pt_esc_term: comm and anything else not
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
	if (!cell || pt_audit_reserve(&t->cells, &t->cap, t->ncells, sizeof(*t->cells))) {
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
		pt_esc_term(buf, ESC_BUF_SIZE(len), s, len);
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
		pt_line_init(&l);
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
		err = pt_line_write(&l, out, false);
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
		p += pt_esc_term(p, ESC_BUF_SIZE(PT_COMM_LEN), ps->comms[i], PT_COMM_LEN);
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
	const char *name = pt_audit_service_hint(a, k);
	char buf[64];

	if (!name) {
		tt_printf(t, "-");
		return;
	}
	/* the "?" says it is a guess from the port number */
	pt_esc_term(buf, sizeof(buf) - 1, name, strlen(name));
	tt_printf(t, "%s?", buf);
}

static void tt_endpoint(struct ttab *t, const char *addr, uint16_t port)
{
	char ep[INET6_ADDRSTRLEN + 8];

	pt_audit_endpoint(ep, sizeof(ep), addr, port);
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
		tt_printf(&t, "%s", pt_audit_svc_state_str(s->state));
		tt_printf(&t, "%s", !s->bound_known ? "?" : s->bound ? "yes" : "no");
		tt_printf(&t, "%s", pt_audit_in_range(s->key.port, s->eph_lo, s->eph_hi) ? "yes" : "no");
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
	char fails[PT_AUDIT_FAILURES_LEN], fails_json[PT_AUDIT_FAILURES_LEN + 2];
	size_t i, c;

	t.ncols = 11 + netns;
	for (c = 0; c < t.ncols; c++)
		tt_printf(&t, "%s", head[c]);
	for (i = 0; i < a->ndsts; i++) {
		const struct dst *d = dsts[i];
		uint32_t range = pt_audit_range_size(d->k_lo, d->k_hi);

		tt_printf(&t, "%s", pt_proto_str(d->key.proto));
		tt_endpoint(&t, d->addr, d->key.port);
		tt_hint(&t, a, &d->key);
		tt_procs(&t, &d->procs);
		tt_printf(&t, "%" PRIu64, d->connects);
		pt_audit_failures(d, fails, fails_json);
		tt_printf(&t, "%s", fails[0] ? fails : "-");
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
	return tt_print(&t, out);
}

static int table_findings(struct pt_audit *a, FILE *out)
{
	char subject[ESC_BUF_SIZE(sizeof(((struct pt_finding *)0)->subject))];
	char detail[ESC_BUF_SIZE(sizeof(((struct pt_finding *)0)->detail))];
	size_t i;

	for (i = 0; i < a->nfinds; i++) {
		const struct pt_finding *f = &a->finds[i];

		pt_esc_term(subject, sizeof(subject), f->subject, sizeof(f->subject));
		pt_esc_term(detail, sizeof(detail), f->detail, sizeof(f->detail));
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
	struct svc **svcs = pt_audit_sorted_svcs(a);
	struct dst **dsts = pt_audit_sorted_dsts(a);
	bool one_day = m->start && m->end && strlen(m->start) >= 10 &&
		       !strncmp(m->start, m->end, 10);
	bool netns = many_netns(a);
	int err = svcs && dsts ? pt_audit_compute_findings(a) : -ENOMEM;

	if (err)
		goto out;
	pt_esc_term(host, sizeof(host), m->host ? m->host : "-", 64);
	errno = 0;
	fprintf(out, "porttrace audit: host %s, %s to %s, %" PRIu64 " events, %"
		PRIu64 " lost (%s)\n", host, m->start ? m->start : "-",
		m->end ? m->end : "-", m->events, m->lost,
		a->err ? "incomplete: out of memory" :
		pt_audit_complete(a, m) ? "complete" : "incomplete");
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
