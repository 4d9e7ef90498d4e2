/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A decoded, classified event: what every sink prints. */
#ifndef PT_FLOW_H
#define PT_FLOW_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "porttrace.h"

enum pt_port_class {
	PT_PORT_STATIC = 0,
	PT_PORT_EPHEMERAL = 1,
};

enum pt_flow_class {
	PT_FLOW_EPH_TO_STATIC = 0,
	PT_FLOW_STATIC_TO_STATIC,
	PT_FLOW_EPH_TO_EPH,
	PT_FLOW_STATIC_TO_EPH,
};

/* What decided a port's class (evidence order: README, "How a port is classified"). */
enum pt_evidence {
	PT_EVID_SOCKET = 0,	/* the record's own socket: bound or kernel-chosen */
	PT_EVID_LISTENER,	/* the listener the server port belongs to */
	PT_EVID_PEER,		/* the other end's socket on this host */
	PT_EVID_RANGE,		/* ephemeral range of the flow's socket */
	PT_EVID_IANA,		/* --ephemeral=iana */
	PT_EVID_USER_RANGE,	/* --ephemeral=LO-HI */
};

struct pt_flow {
	const struct pt_event *ev;	/* raw record: pid, uid, ports, ... */
	const char *container_id;	/* from the cgroup path; NULL outside containers */
	char time[32];			/* RFC 3339 UTC, microseconds */
	char client_addr[INET6_ADDRSTRLEN];
	char server_addr[INET6_ADDRSTRLEN];
	uint16_t eph_lo, eph_hi;	/* range used for range evidence */
	enum pt_port_class client_class, server_class;
	enum pt_evidence client_evidence, server_evidence;
	enum pt_flow_class flow_class;
};

/* End-of-run totals; a sink writes them when lost or found_unseen > 0. */
struct pt_stats {
	char time[32];
	uint64_t events;		/* records received */
	uint64_t lost;			/* the sum of the four below */
	uint64_t lost_ringbuf;
	uint64_t lost_state;		/* per-socket state or a keyed map insert failed */
	uint64_t lost_recursion;
	uint64_t lost_unseen;		/* closes the kernel never ran porttrace for */
	/* not lost: such closes of accepted connections, reported late from
	 * their claims (PT_X_UNSEEN) */
	uint64_t found_unseen;
};

const char *pt_kind_str(unsigned int kind);
const char *pt_family_str(unsigned int family);
const char *pt_proto_str(unsigned int proto);
const char *pt_attribution_str(unsigned int attr);
const char *pt_port_class_str(enum pt_port_class c);
const char *pt_flow_class_str(enum pt_flow_class c);
const char *pt_evidence_str(enum pt_evidence e);
const char *pt_side_str(unsigned int side);
/* connect/accept outcome: ok, refused, timeout, unreachable, reset,
 * no-ephemeral-port, aborted, else the errno name in lower case (econnaborted) */
const char *pt_result_str(unsigned int result);
/* close records: "client", "server" or NULL when unknown */
const char *pt_closed_first_str(const struct pt_event *ev);
/* listen/unlisten records have no client side */
bool pt_has_client(const struct pt_event *ev);
bool pt_thread_named(const struct pt_event *ev);

#endif /* PT_FLOW_H */
