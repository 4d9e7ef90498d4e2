// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --metrics' exposition (the Prometheus text format) and its HTTP server
 * (GNU libmicrohttpd, its own thread; GET /metrics, under the counts' lock).
 *
 * libmicrohttpd is opened with dlopen() when --metrics is given, not linked:
 * it brings GnuTLS and six more libraries, 2.6 MiB of peak RSS in a run
 * that serves no metrics (make bench: 15.2 -> 17.9 MiB).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "audit.h"
#include "metrics_int.h"

#define MAX_FINDINGS	256
#define MHD_SONAME	"libmicrohttpd.so.12"

/* the libmicrohttpd calls porttrace makes, resolved at --metrics */
static struct {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc, void *apc_cls,
					   MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
							      enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status,
					  struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
} mhd;

static int mhd_load(void)
{
	static const struct { const char *name; void **fn; } syms[] = {
		{ "MHD_start_daemon", (void **)&mhd.start_daemon },
		{ "MHD_stop_daemon", (void **)&mhd.stop_daemon },
		{ "MHD_create_response_from_buffer", (void **)&mhd.create_response_from_buffer },
		{ "MHD_add_response_header", (void **)&mhd.add_response_header },
		{ "MHD_queue_response", (void **)&mhd.queue_response },
		{ "MHD_destroy_response", (void **)&mhd.destroy_response },
	};
	void *h;

	if (mhd.start_daemon)
		return 0;
	h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "porttrace: --metrics needs %s (Debian: libmicrohttpd12): %s\n",
			MHD_SONAME, dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].fn = dlsym(h, syms[i].name);
		if (!*syms[i].fn) {
			fprintf(stderr, "porttrace: --metrics: %s lacks %s\n", MHD_SONAME, syms[i].name);
			mhd.start_daemon = NULL;
			return -ENOENT;
		}
	}
	return 0;
}

/* ---- the exposition ---------------------------------------------------- */

/*
 * A label value: \\, \" and \n as the format escapes them; any other
 * control byte and every byte past ASCII (comm is hostile, and need not be
 * UTF-8) as the text \xHH, as the table shows them.
 */
static void put_value(FILE *out, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\\\x%02x", c);
		else
			fputc(c, out);
	}
}

static const char *comm_label(const struct pt_metrics *m, __u8 i, char buf[PT_COMM_LEN])
{
	if (i >= m->ncomms)
		return "other";
	memcpy(buf, m->comms[i], PT_COMM_LEN);
	return buf;
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labels_comm(FILE *out, const struct pt_metrics *m, __u8 comm)
{
	char buf[PT_COMM_LEN];

	fputs(",comm=\"", out);
	put_value(out, comm_label(m, comm, buf), PT_COMM_LEN);
	fputc('"', out);
}

static void render_families(FILE *out, const struct pt_metrics *m)
{
	const struct family *fam;

	fam = &m->f[F_ACCEPTS];
	head(out, fam->name, "counter", "Connections accepted, by the listener's port and the client port's class.");
	for (size_t i = 0; i < fam->n; i++) {
		const struct k_accepts *k = (const void *)fam->s[i].key;

		fprintf(out, "%s{proto=\"%s\",port=\"%u\",client_port_class=\"%s\"", fam->name,
			pt_proto_str(k->proto), k->port, pt_port_class_str(k->cls));
		labels_comm(out, m, k->comm);
		fprintf(out, "} %" PRId64 "\n", fam->s[i].v);
	}
	fam = &m->f[F_UNACCEPTED];
	head(out, fam->name, "counter", "Connections that died before any process accepted them (reset in the accept queue).");
	for (size_t i = 0; i < fam->n; i++) {
		const struct k_unaccepted *k = (const void *)fam->s[i].key;

		fprintf(out, "%s{proto=\"%s\",port=\"%u\"} %" PRId64 "\n", fam->name,
			pt_proto_str(k->proto), k->port, fam->s[i].v);
	}
	fam = &m->f[F_CONNECTS];
	head(out, fam->name, "counter", "Outbound connects finished, by flow class and result.");
	for (size_t i = 0; i < fam->n; i++) {
		const struct k_connects *k = (const void *)fam->s[i].key;

		fprintf(out, "%s{proto=\"%s\",family=\"%s\",flow_class=\"%s\",result=\"", fam->name,
			pt_proto_str(k->proto), pt_family_str(k->family),
			k->has_class ? pt_flow_class_str(k->flow_class) : "unknown");
		put_value(out, pt_result_str(k->result), 32);
		fprintf(out, "\"} %" PRId64 "\n", fam->s[i].v);
	}
	fam = &m->f[F_LATENCY];
	head(out, fam->name, "histogram", "Time from connect() to its outcome.");
	for (size_t i = 0; i < fam->n; i++) {
		const struct k_latency *k = (const void *)fam->s[i].key;
		char lbl[96];
		uint64_t cum = 0;
		int n;

		n = snprintf(lbl, sizeof(lbl), "proto=\"%s\",result=\"", pt_proto_str(k->proto));
		if (n < 0 || n >= (int)sizeof(lbl))
			continue;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += fam->s[i].buckets[b];
			fprintf(out, "%s_bucket{%s", fam->name, lbl);
			put_value(out, pt_result_str(k->result), 32);
			fprintf(out, "\",le=\"%g\"} %" PRIu64 "\n", pt_metrics_latency_le[b], cum);
		}
		fprintf(out, "%s_bucket{%s", fam->name, lbl);
		put_value(out, pt_result_str(k->result), 32);
		fprintf(out, "\",le=\"+Inf\"} %" PRId64 "\n", fam->s[i].v);
		fprintf(out, "%s_sum{%s", fam->name, lbl);
		put_value(out, pt_result_str(k->result), 32);
		fprintf(out, "\"} %.9f\n", fam->s[i].sum);
		fprintf(out, "%s_count{%s", fam->name, lbl);
		put_value(out, pt_result_str(k->result), 32);
		fprintf(out, "\"} %" PRId64 "\n", fam->s[i].v);
	}
	fam = &m->f[F_LISTENERS];
	head(out, fam->name, "gauge", "Listening TCP and bound UDP sockets (found at start, then listen minus unlisten).");
	for (size_t i = 0; i < fam->n; i++) {
		const struct k_listeners *k = (const void *)fam->s[i].key;

		fprintf(out, "%s{proto=\"%s\",port=\"%u\",bound=\"%s\",in_ephemeral_range=\"%s\"",
			fam->name, pt_proto_str(k->proto), k->port, k->bound ? "true" : "false",
			k->in_range ? "true" : "false");
		labels_comm(out, m, k->comm);
		fprintf(out, "} %" PRId64 "\n", fam->s[i].v);
	}
}

/* the most TCP connections of ours open at once to one destination, now */
static void render_dests(FILE *out, const struct pt_metrics *m)
{
	static const __u8 families[] = { PT_FAMILY_IPV4, PT_FAMILY_IPV6 };
	uint32_t most[2] = { 0, 0 };
	const struct pt_hmap *d = &m->dests;

	for (size_t i = 0; i < d->cap; i++) {
		const struct k_dest *k = (const void *)(d->keys + i * d->ksize);

		if (!d->used[i])
			continue;
		for (int f = 0; f < 2; f++)
			if (k->family == families[f] && d->vals[i] > most[f])
				most[f] = d->vals[i];
	}
	head(out, pt_metrics_family_names[F_DESTS], "gauge",
	     "The most TCP connections of this host open at once to one destination (a local port each).");
	for (int f = 0; f < 2; f++)
		fprintf(out, "%s{proto=\"tcp\",family=\"%s\"} %u\n", pt_metrics_family_names[F_DESTS],
			pt_family_str(families[f]), most[f]);
	head(out, "porttrace_ephemeral_port_range_size", "gauge",
	     "Ports in ip_local_port_range of porttrace's network namespace.");
	for (int f = 0; f < 2; f++)
		fprintf(out, "porttrace_ephemeral_port_range_size{family=\"%s\"} %u\n",
			pt_family_str(families[f]), m->range_size);
}

static void render_findings(FILE *out, struct pt_metrics *m)
{
	static struct pt_finding finds[MAX_FINDINGS];
	size_t n;

	head(out, "porttrace_findings", "gauge", "The audit's findings now, by rule and severity.");
	if (!m->audit)
		return;
	n = pt_audit_findings(m->audit, finds, MAX_FINDINGS);
	if (n > MAX_FINDINGS)
		n = MAX_FINDINGS;
	for (size_t i = 0; i < n; i++) {
		size_t count = 1, j;

		for (j = 0; j < i; j++)
			if (!strcmp(finds[j].rule, finds[i].rule) && finds[j].severity == finds[i].severity)
				break;
		if (j < i)
			continue;	/* counted with its first */
		for (j = i + 1; j < n; j++)
			count += !strcmp(finds[j].rule, finds[i].rule) &&
				 finds[j].severity == finds[i].severity;
		fprintf(out, "porttrace_findings{rule=\"");
		put_value(out, finds[i].rule, 64);
		fprintf(out, "\",severity=\"%s\"} %zu\n", pt_severity_str(finds[i].severity), count);
	}
}

void pt_metrics_render(struct pt_metrics *m, FILE *out)
{
	static const struct { const char *reason; size_t off; } lost[] = {
		{ "ring_full", offsetof(struct pt_stats, lost_ringbuf) },
		{ "state_full", offsetof(struct pt_stats, lost_state) },
		{ "kernel_skipped", offsetof(struct pt_stats, lost_recursion) },
		{ "close_unseen", offsetof(struct pt_stats, lost_unseen) },
	};

	head(out, "porttrace_build_info", "gauge", "porttrace's version and the programs attached.");
	fprintf(out, "porttrace_build_info{version=\"%s\",attach=\"%s\"} 1\n", PORTTRACE_VERSION,
		m->attach);
	head(out, "porttrace_events_total", "counter", "Records porttrace made, by kind (after its filters).");
	for (unsigned int k = PT_EV_CONNECT; k < PT_EV_MAX; k++)
		fprintf(out, "porttrace_events_total{kind=\"%s\"} %" PRIu64 "\n", pt_kind_str(k),
			m->events[k]);
	head(out, "porttrace_events_lost_total", "counter", "Records lost, by why (README: lost).");
	for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++)
		fprintf(out, "porttrace_events_lost_total{reason=\"%s\"} %" PRIu64 "\n", lost[i].reason,
			*(const uint64_t *)((const char *)&m->lost + lost[i].off));
	head(out, "porttrace_closes_reported_late_total", "counter",
	     "Server closes the kernel ran no porttrace program for, reported late without bytes or duration: not lost (README: lost).");
	fprintf(out, "porttrace_closes_reported_late_total %" PRIu64 "\n", m->lost.found_unseen);
	render_families(out, m);
	render_dests(out, m);
	head(out, "porttrace_refused_syns_total", "counter",
	     "Connection attempts the kernel refused on a closed local port (reset records).");
	fprintf(out, "porttrace_refused_syns_total %" PRIu64 "\n", m->refused_syns);
	render_findings(out, m);
	head(out, "porttrace_series_dropped_total", "counter",
	     "Updates a cardinality cap turned away, by metric.");
	for (int i = 0; i < NFAMILIES; i++)
		fprintf(out, "porttrace_series_dropped_total{metric=\"%s\"} %" PRIu64 "\n",
			pt_metrics_family_names[i], i == F_DESTS ? m->dests_dropped : m->f[i].dropped);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, char *body,
			     size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = mhd.create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	mhd.add_response_header(r, "Content-Type", status == MHD_HTTP_OK ?
				"text/plain; version=0.0.4; charset=utf-8" : "text/plain");
	ret = mhd.queue_response(c, status, r);
	mhd.destroy_response(r);
	return ret;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url,
			     const char *method, const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	static char not_found[] = "porttrace serves /metrics\n";
	static char bad_method[] = "GET /metrics\n";
	struct pt_metrics *m = cls;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method, sizeof(bad_method) - 1,
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, not_found, sizeof(not_found) - 1,
			     MHD_RESPMEM_PERSISTENT);
	out = open_memstream(&buf, &len);
	if (!out)
		return MHD_NO;
	pthread_mutex_lock(&m->lock);
	pt_metrics_render(m, out);
	pthread_mutex_unlock(&m->lock);
	if (fclose(out)) {
		free(buf);
		return MHD_NO;
	}
	return reply(c, MHD_HTTP_OK, buf, len, MHD_RESPMEM_MUST_FREE);
}

int pt_metrics_parse_addr(const char *spec, struct sockaddr_storage *addr)
{
	struct sockaddr_in *in = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	const char *port = strrchr(spec, ':');
	char host[64];
	char *end;
	unsigned long p;

	memset(addr, 0, sizeof(*addr));
	port = port ? port + 1 : spec;
	p = strtoul(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535 || *port == '+' || *port == '-')
		return -EINVAL;
	if (port == spec) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	if ((size_t)(port - 1 - spec) >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, (size_t)(port - 1 - spec));
	host[port - 1 - spec] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			return -EINVAL;
		host[n - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)p);
	return inet_pton(AF_INET, host, &in->sin_addr) == 1 ? 0 : -EINVAL;
}

int pt_metrics_start(struct pt_metrics **mp, const char *spec, const char *attach,
		     struct pt_audit *audit)
{
	struct sockaddr_storage addr;
	struct pt_metrics *m;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	*mp = NULL;
	if (pt_metrics_parse_addr(spec, &addr))
		return -EINVAL;
	if (mhd_load())
		return -ENOENT;
	m = pt_metrics_new(attach, audit);
	if (!m)
		return -ENOMEM;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	m->httpd = mhd.start_daemon(flags, 0, NULL, NULL, serve, m,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				    MHD_OPTION_CONNECTION_LIMIT, 16U,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10U,
				    MHD_OPTION_END);
	if (!m->httpd) {
		int err = errno ? errno : EADDRINUSE;

		fprintf(stderr, "porttrace: cannot serve --metrics on %s: %s\n", spec, strerror(err));
		pt_metrics_stop(m);
		return -err;
	}
	*mp = m;
	return 0;
}

void pt_metrics_stop(struct pt_metrics *m)
{
	if (!m)
		return;
	if (m->httpd)
		mhd.stop_daemon(m->httpd);
	for (int i = 0; i < NFAMILIES; i++) {
		pt_hmap_free(&m->f[i].idx);
		free(m->f[i].s);
	}
	pt_hmap_free(&m->dests);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
