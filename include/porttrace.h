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

/* Every ring-buffer record starts with its kind. */
enum pt_event_kind {
	PT_EV_CONNECT = 1,	/* outbound handshake completed */
	PT_EV_ACCEPT = 2,	/* a process took an inbound connection */
};

#define PT_KIND_BIT(k)	(1u << (k))

enum pt_family {
	PT_FAMILY_IPV4 = 4,	/* includes IPv4-mapped IPv6 */
	PT_FAMILY_IPV6 = 6,
};

enum pt_proto {
	PT_PROTO_TCP = 6,
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
	PT_ATTR_NONE = 0,
	PT_ATTR_SYSCALL = 1,	/* inside connect()/accept() of that process */
};

/*
 * One record per event. Addresses are always 16 bytes: IPv4 (and IPv4-mapped
 * IPv6) as ::ffff:a.b.c.d, so both families share one layout.
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
	__u32 pid;		/* tgid */
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
	char comm[PT_COMM_LEN];
};

_Static_assert(sizeof(struct pt_event) == 96, "pt_event layout changed");

/* Per-CPU counters (array map "counters"), summed by user space. */
enum pt_counter {
	PT_CNT_EMITTED = 0,	/* records submitted to the ring buffer */
	PT_CNT_LOST_RINGBUF,	/* bpf_ringbuf_reserve() failed: ring full */
	PT_CNT_FILTERED,	/* records dropped by a filter, not lost */
	PT_CNT_MAX,
};

#endif /* PORTTRACE_H */
