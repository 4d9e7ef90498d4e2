/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * porttrace ABI: the one header shared by the BPF programs, the user-space
 * loader and the tests. Fixed-width types, explicit padding, size asserts.
 */
#ifndef PORTTRACE_H
#define PORTTRACE_H

/* BPF code gets the __u* types from vmlinux.h, user space from the uapi */
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PT_COMM_LEN	16
#define PT_MAX_PIDS	16
#define PT_MAX_PORTS	16
#define PT_MAX_UIDS	8
/* bounds of the keyed BPF maps (see bpf/state.bpf.h and doc/kernel-side.md) */
#define PT_MAX_ACCEPTS		(1u << 18)	/* accepted connections open at once */
#define PT_MAX_PEERS		(1u << 16)	/* local connections not yet accepted */
#define PT_MAX_FLOWS		(1u << 20)	/* --attach=tracepoint: traced sockets */
#define PT_MAX_LISTENERS	(1u << 16)	/* listening ports */

/* Every ring-buffer record starts with its kind. */
enum pt_event_kind {
	PT_EV_CONNECT = 1,	/* an outbound connect finished: ok or failed */
	PT_EV_ACCEPT = 2,	/* an inbound connection was taken (or died unaccepted) */
	PT_EV_LISTEN = 3,	/* a socket started listening (TCP) or was bound (UDP) */
	PT_EV_UNLISTEN = 4,	/* a listener closed */
	PT_EV_CLOSE = 5,	/* a traced connection ended */
	PT_EV_RESET = 6,	/* the kernel refused an attempt on a closed local port */
	PT_EV_MAX,
};

#define PT_KIND_BIT(k)	(1u << (k))
#define PT_PROTO_BIT(p)	(1u << ((p) & 31))	/* enum pt_proto in a 32-bit mask */

enum pt_family {
	PT_FAMILY_IPV4 = 4,	/* includes IPv4-mapped IPv6 */
	PT_FAMILY_IPV6 = 6,
};

enum pt_proto {
	PT_PROTO_TCP = 6,
	PT_PROTO_UDP = 17,
};

/* How a port was chosen, as the kernel recorded it on a socket. */
enum pt_origin {
	PT_ORIGIN_UNKNOWN = 0,	/* no socket on this host seen for it */
	PT_ORIGIN_BOUND = 1,	/* bind() with a non-zero port: SOCK_BINDPORT_LOCK */
	PT_ORIGIN_KERNEL = 2,	/* the kernel picked it (autobind or bind to 0) */
};

/* Which socket the origin was read from. */
enum pt_origin_src {
	PT_SRC_NONE = 0,
	PT_SRC_SOCKET = 1,	/* the record's own socket */
	PT_SRC_LISTENER = 2,	/* the listener the server port belongs to */
	PT_SRC_PEER = 3,	/* the other end's socket, on this host */
};

/* Where pid/comm/uid were read. */
enum pt_attribution {
	PT_ATTR_NONE = 0,	/* no process took part: no pid is given */
	PT_ATTR_SYSCALL = 1,	/* inside that process's connect()/accept()/listen(), or
				 * its io_uring accept completion */
	PT_ATTR_LISTENER = 2,	/* the owner of the listener, not the acceptor */
	PT_ATTR_OWNER = 3,	/* a holder of the socket when tracing began (inventory) */
};

/* Which end of the flow the record's socket (and process) is. */
enum pt_side {
	PT_SIDE_NONE = 0,
	PT_SIDE_CLIENT = 1,
	PT_SIDE_SERVER = 2,
};

/*
 * result: 0 for success, else a positive errno, or one of these. errno values
 * name the outcome (ECONNREFUSED: refused, ETIMEDOUT: timeout, ...).
 */
#define PT_RESULT_ABORTED	0xffff	/* closed by the application before it finished */

/* flags */
#define PT_F_INVENTORY		0x01	/* found at start, not seen happening; on a
					 * close: the connection predates the run */
#define PT_F_LATE		0x02	/* emitted at a later transition: ours was skipped */
#define PT_F_IO_URING		0x04	/* accepted through io_uring, not accept() */
#define PT_F_PEER_LOCAL		0x08	/* the other end is a socket on this host */
#define PT_F_CLIENT_RESERVED	0x10	/* client port is in ip_local_reserved_ports */
#define PT_F_SERVER_RESERVED	0x20	/* server port is in ip_local_reserved_ports */
#define PT_F_CLOSED_FIRST_LOCAL	0x40	/* close: this socket's side ended the flow first */
#define PT_F_CLOSED_FIRST_PEER	0x80	/* close: the other side ended it first */

/* xflags */
#define PT_X_UNSEEN		0x01	/* close: the kernel ran none of porttrace's
					 * programs when it ended; found later, gone
					 * (PT_F_LATE too): when it ended, its bytes and
					 * who closed first are unknown */

/*
 * One record per event. Addresses are always 16 bytes: IPv4 (and IPv4-mapped
 * IPv6) as ::ffff:a.b.c.d, so both families share one layout. For listen and
 * unlisten records only the server side is set.
 */
struct pt_event {
	__u8 kind;		/* enum pt_event_kind */
	__u8 family;		/* enum pt_family */
	__u8 proto;		/* enum pt_proto */
	__u8 attribution;	/* enum pt_attribution */
	__u8 client_origin;	/* enum pt_origin */
	__u8 client_src;	/* enum pt_origin_src */
	__u8 server_origin;
	__u8 server_src;
	__u32 pid;		/* tgid; 0 with PT_ATTR_NONE */
	__u32 tid;
	__u32 uid;
	__u32 netns;		/* inode number of the socket's network namespace */
	__u16 client_port;	/* host byte order */
	__u16 server_port;
	__u16 eph_lo;		/* ephemeral range in force for this socket */
	__u16 eph_hi;
	__u64 ts_ns;		/* bpf_ktime_get_ns(), CLOCK_MONOTONIC */
	__u64 cgroup_id;
	__u8 client_addr[16];
	__u8 server_addr[16];
	char comm[PT_COMM_LEN];	/* the process's name (its thread-group leader's) */
	char thread[PT_COMM_LEN];	/* the thread's own name */
	__u16 result;		/* connect: 0, errno or PT_RESULT_*; close: sk_err */
	__u8 side;		/* enum pt_side */
	__u8 flags;		/* PT_F_* */
	__u8 xflags;		/* PT_X_* */
	__u8 __pad[3];
	__u64 latency_ns;	/* connect: from connect() to the outcome */
	__u64 duration_ns;	/* close: from connect()/accept() to close */
	__u64 tx_bytes;		/* close: bytes acked by the peer */
	__u64 rx_bytes;		/* close: bytes received */
	__u64 sock_id;		/* identifies the socket within one run */
};

_Static_assert(sizeof(struct pt_event) == 160, "pt_event layout changed");

/* The inventory iterator's walks of what is there at start: its .bss inv_pass. */
enum pt_inventory {
	PT_INV_LISTENERS = 0,	/* listeners only (--listeners) */
	PT_INV_SERVICES = 1,	/* listeners, and open connections' port origins */
	PT_INV_CONNECTIONS = 2,	/* open connections: state for their close, and rows;
				 * after PT_INV_SERVICES */
};

/* Per-CPU counters (array map "counters"), summed by user space. */
enum pt_counter {
	PT_CNT_LOST_RINGBUF = 0,	/* bpf_ringbuf_reserve() failed: ring full */
	PT_CNT_LOST_STATE,		/* per-socket state could not be made, or a keyed
					 * map refused an insert (full, no memory) */
	/* Not losses: the close records porttrace owes (a connection it reported
	 * open, whose close is wanted) and those it paid. What is owed and unpaid
	 * when tracing stops, for a socket that no longer exists, is a close the
	 * kernel never ran porttrace's programs for. */
	PT_CNT_CLOSE_OWED,
	PT_CNT_CLOSE_PAID,
	/* Of those paid, the closes the kernel ran no program for, reported
	 * when porttrace found the socket gone (PT_X_UNSEEN) */
	PT_CNT_CLOSE_FOUND,
	PT_CNT_MAX,
};

#endif /* PORTTRACE_H */
