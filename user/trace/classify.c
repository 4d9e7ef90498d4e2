// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "classify.h"

static enum pt_evidence evidence_of_src(unsigned int src)
{
	switch (src) {
	case PT_SRC_LISTENER:
		return PT_EVID_LISTENER;
	case PT_SRC_PEER:
		return PT_EVID_PEER;
	default:
		return PT_EVID_SOCKET;
	}
}

void pt_classify_port(const struct pt_eph_policy *pol, uint16_t port,
		   unsigned int origin, unsigned int src, uint16_t lo, uint16_t hi,
		   bool reserved, enum pt_port_class *cls, enum pt_evidence *evid)
{
	switch (pol->mode) {
	case PT_EPH_IANA:
	case PT_EPH_RANGE:
		*cls = port >= pol->lo && port <= pol->hi ? PT_PORT_EPHEMERAL : PT_PORT_STATIC;
		*evid = pol->mode == PT_EPH_IANA ? PT_EVID_IANA : PT_EVID_USER_RANGE;
		return;
	case PT_EPH_AUTO:
		break;
	}
	if (src != PT_SRC_NONE && origin == PT_ORIGIN_BOUND) {
		*cls = PT_PORT_STATIC;
		*evid = evidence_of_src(src);
	} else if (src != PT_SRC_NONE && origin == PT_ORIGIN_KERNEL) {
		*cls = PT_PORT_EPHEMERAL;
		*evid = evidence_of_src(src);
	} else {
		*cls = port >= lo && port <= hi && !reserved ? PT_PORT_EPHEMERAL : PT_PORT_STATIC;
		*evid = PT_EVID_RANGE;
	}
}

enum pt_flow_class pt_flow_class_of(enum pt_port_class client, enum pt_port_class server)
{
	if (client == PT_PORT_EPHEMERAL)
		return server == PT_PORT_STATIC ? PT_FLOW_EPH_TO_STATIC : PT_FLOW_EPH_TO_EPH;
	return server == PT_PORT_STATIC ? PT_FLOW_STATIC_TO_STATIC : PT_FLOW_STATIC_TO_EPH;
}

void pt_classify_flow(const struct pt_eph_policy *pol, struct pt_flow *f)
{
	const struct pt_event *ev = f->ev;

	if (pol->mode == PT_EPH_AUTO) {
		f->eph_lo = ev->eph_lo;
		f->eph_hi = ev->eph_hi;
	} else {
		f->eph_lo = pol->lo;
		f->eph_hi = pol->hi;
	}
	pt_classify_port(pol, ev->client_port, ev->client_origin, ev->client_src,
		      ev->eph_lo, ev->eph_hi, ev->flags & PT_F_CLIENT_RESERVED,
		      &f->client_class, &f->client_evidence);
	pt_classify_port(pol, ev->server_port, ev->server_origin, ev->server_src,
		      ev->eph_lo, ev->eph_hi, ev->flags & PT_F_SERVER_RESERVED,
		      &f->server_class, &f->server_evidence);
	f->flow_class = pt_flow_class_of(f->client_class, f->server_class);
}

static void format_addr(const uint8_t a[16], char *buf, size_t n)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	char *p = buf;

	if (memcmp(a, v4mapped, sizeof(v4mapped)) || n < INET_ADDRSTRLEN) {
		inet_ntop(AF_INET6, a, buf, n);
		return;
	}
	/* inet_ntop formats IPv4 with sprintf: a tenth of the per-record cost */
	for (int i = 12; i < 16; i++) {
		unsigned int b = a[i];

		if (b >= 100)
			*p++ = (char)('0' + b / 100);
		if (b >= 10)
			*p++ = (char)('0' + b / 10 % 10);
		*p++ = (char)('0' + b % 10);
		*p++ = i < 15 ? '.' : '\0';
	}
}

void pt_format_time(int64_t real_ns, char *buf, size_t n)
{
	/* records come in bursts within one second: format the date once */
	static time_t last_secs = -1;
	static char date[24];
	time_t secs = (time_t)(real_ns / 1000000000);
	long usec = (long)(real_ns % 1000000000) / 1000;
	struct tm tm;

	if (real_ns < 0) {
		snprintf(buf, n, "1970-01-01T00:00:00.000000Z");
		return;
	}
	if (secs != last_secs) {
		if (!gmtime_r(&secs, &tm) ||
		    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) {
			last_secs = -1;
			snprintf(buf, n, "1970-01-01T00:00:00.000000Z");
			return;
		}
		last_secs = secs;
	}
	if (n < 28) {	/* callers pass char[32] */
		if (n)
			buf[0] = '\0';
		return;
	}
	memcpy(buf, date, 19);
	buf[19] = '.';
	for (int i = 25; i > 19; i--, usec /= 10)
		buf[i] = (char)('0' + usec % 10);
	buf[26] = 'Z';
	buf[27] = '\0';
}

int64_t mono_to_real_offset(void)
{
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000 +
	       (real.tv_nsec - mono.tv_nsec);
}

void pt_decode_event(const struct pt_event *ev, int64_t mono_to_real_ns,
		  const struct pt_eph_policy *pol, struct pt_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->ev = ev;
	pt_format_time((int64_t)ev->ts_ns + mono_to_real_ns, f->time, sizeof(f->time));
	format_addr(ev->client_addr, f->client_addr, sizeof(f->client_addr));
	format_addr(ev->server_addr, f->server_addr, sizeof(f->server_addr));
	pt_classify_flow(pol, f);
}
