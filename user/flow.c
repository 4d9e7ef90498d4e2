/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names for the enums every sink prints. They are part of the output
 * contract (JSON values, CSV cells): change one and scripts break.
 */
#include <linux/types.h>
#include "flow.h"

/* Out-of-range values come from a newer or corrupted record: say so, never index past a table. */
#define PT_UNKNOWN	"unknown"

const char *pt_kind_str(unsigned int kind)
{
	switch (kind) {
	case PT_EV_CONNECT:
		return "connect";
	case PT_EV_ACCEPT:
		return "accept";
	default:
		return PT_UNKNOWN;
	}
}

const char *pt_family_str(unsigned int family)
{
	switch (family) {
	case PT_FAMILY_IPV4:
		return "ipv4";
	case PT_FAMILY_IPV6:
		return "ipv6";
	default:
		return PT_UNKNOWN;
	}
}

const char *pt_proto_str(unsigned int proto)
{
	switch (proto) {
	case PT_PROTO_TCP:
		return "tcp";
	default:
		return PT_UNKNOWN;
	}
}

const char *pt_attribution_str(unsigned int attr)
{
	switch (attr) {
	case PT_ATTR_NONE:
		return "none";
	case PT_ATTR_SYSCALL:
		return "syscall";
	default:
		return PT_UNKNOWN;
	}
}

const char *pt_port_class_str(enum pt_port_class c)
{
	switch (c) {
	case PT_PORT_STATIC:
		return "static";
	case PT_PORT_EPHEMERAL:
		return "ephemeral";
	default:
		return PT_UNKNOWN;
	}
}

const char *pt_flow_class_str(enum pt_flow_class c)
{
	switch (c) {
	case PT_FLOW_EPH_TO_STATIC:
		return "ephemeral-to-static";
	case PT_FLOW_STATIC_TO_STATIC:
		return "static-to-static";
	case PT_FLOW_EPH_TO_EPH:
		return "ephemeral-to-ephemeral";
	case PT_FLOW_STATIC_TO_EPH:
		return "static-to-ephemeral";
	default:
		return PT_UNKNOWN;
	}
}

const char *pt_evidence_str(enum pt_evidence e)
{
	switch (e) {
	case PT_EVID_SOCKET:
		return "socket";
	case PT_EVID_LISTENER:
		return "listener";
	case PT_EVID_PEER:
		return "peer-socket";
	case PT_EVID_RANGE:
		return "range";
	case PT_EVID_IANA:
		return "iana";
	case PT_EVID_USER_RANGE:
		return "user-range";
	default:
		return PT_UNKNOWN;
	}
}
