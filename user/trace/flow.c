/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names for the enums every sink prints. They are part of the output
 * contract (JSON values, CSV cells): change one and scripts break.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
	case PT_EV_LISTEN:
		return "listen";
	case PT_EV_UNLISTEN:
		return "unlisten";
	case PT_EV_CLOSE:
		return "close";
	case PT_EV_RESET:
		return "reset";
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
	case PT_PROTO_UDP:
		return "udp";
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
	case PT_ATTR_LISTENER:
		return "listener";
	case PT_ATTR_OWNER:
		return "owner";
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

const char *pt_side_str(unsigned int side)
{
	switch (side) {
	case PT_SIDE_NONE:
		return "none";
	case PT_SIDE_CLIENT:
		return "client";
	case PT_SIDE_SERVER:
		return "server";
	default:
		return PT_UNKNOWN;
	}
}

/* Linux errnos end at 133 (EHWPOISON); room to spare for a newer kernel. */
#define PT_ERRNO_NAMES	256
/* "errno-65535", or the longest errno name (15) */
#define PT_ERRNO_NAME_LEN	16

/*
 * Names are filled in on first use and never change afterwards, so every
 * pointer handed out stays valid. Only values past the table (which no
 * kernel sends today) share one buffer, overwritten by the next such call.
 */
static const char *errno_name(unsigned int err)
{
	static char names[PT_ERRNO_NAMES][PT_ERRNO_NAME_LEN];
	static char other[PT_ERRNO_NAME_LEN];
	const char *name;
	char *buf;
	size_t i;

	buf = err < PT_ERRNO_NAMES ? names[err] : other;
	if (buf[0] && buf != other)
		return buf;
	name = strerrorname_np((int)err);
	if (name && strlen(name) < PT_ERRNO_NAME_LEN) {
		for (i = 0; name[i]; i++)
			buf[i] = name[i] >= 'A' && name[i] <= 'Z' ?
				 name[i] - 'A' + 'a' : name[i];
		buf[i] = '\0';
	} else {
		snprintf(buf, PT_ERRNO_NAME_LEN, "errno-%u", err);
	}
	return buf;
}

const char *pt_result_str(unsigned int result)
{
	switch (result) {
	case 0:
		return "ok";
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "unreachable";
	case ECONNRESET:
		return "reset";
	/* connect() found no free local port: ephemeral ports exhausted */
	case EADDRNOTAVAIL:
		return "no-ephemeral-port";
	case PT_RESULT_ABORTED:
		return "aborted";
	default:
		return errno_name(result);
	}
}

const char *pt_closed_first_str(const struct pt_event *ev)
{
	unsigned int f = ev->flags & (PT_F_CLOSED_FIRST_LOCAL | PT_F_CLOSED_FIRST_PEER);
	bool local;

	if (ev->kind != PT_EV_CLOSE)
		return NULL;
	if (ev->side != PT_SIDE_CLIENT && ev->side != PT_SIDE_SERVER)
		return NULL;
	/* neither: not seen; both: a simultaneous close, no first */
	if (f != PT_F_CLOSED_FIRST_LOCAL && f != PT_F_CLOSED_FIRST_PEER)
		return NULL;
	local = f == PT_F_CLOSED_FIRST_LOCAL;
	if ((ev->side == PT_SIDE_CLIENT) == local)
		return "client";
	return "server";
}

/* a worker thread with a name of its own: comm is its process's */
bool pt_thread_named(const struct pt_event *ev)
{
	return ev->tid != ev->pid && ev->thread[0] &&
	       strncmp(ev->thread, ev->comm, sizeof(ev->comm)) != 0;
}

bool pt_has_client(const struct pt_event *ev)
{
	return ev->kind != PT_EV_LISTEN && ev->kind != PT_EV_UNLISTEN;
}
