/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Port and flow classification: pure functions over one record. */
#ifndef PT_CLASSIFY_H
#define PT_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include "flow.h"
#include "options.h"

/*
 * Classify one port. In auto mode the socket's own record of how the port was
 * chosen wins (bound: static, kernel-chosen: ephemeral, wherever it lies);
 * only a port with no socket seen on this host is tested against [lo, hi],
 * the range in force for the flow's own socket; a port the namespace reserves
 * (ip_local_reserved_ports) is never handed out, so it is static.
 */
void pt_classify_port(const struct pt_eph_policy *pol, uint16_t port,
		   unsigned int origin, unsigned int src, uint16_t lo, uint16_t hi,
		   bool reserved, enum pt_port_class *cls, enum pt_evidence *evid);

enum pt_flow_class pt_flow_class_of(enum pt_port_class client, enum pt_port_class server);

/* Fill f's classes, evidence, flow class and range from f->ev. */
void pt_classify_flow(const struct pt_eph_policy *pol, struct pt_flow *f);

/*
 * Decode a raw record into f: addresses as text (IPv4-mapped as dotted
 * quad), time as RFC 3339 UTC with microseconds, then pt_classify_flow().
 * mono_to_real_ns converts bpf_ktime_get_ns() to the wall clock.
 */
void pt_decode_event(const struct pt_event *ev, int64_t mono_to_real_ns,
		  const struct pt_eph_policy *pol, struct pt_flow *f);

/* RFC 3339 UTC with microseconds: 2026-11-23T08:40:01.123456Z */
void pt_format_time(int64_t real_ns, char *buf, size_t n);

/* realtime - monotonic, in ns, for pt_decode_event() */
int64_t mono_to_real_offset(void);

#endif /* PT_CLASSIFY_H */
