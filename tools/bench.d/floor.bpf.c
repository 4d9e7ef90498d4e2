// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor under porttrace's kernel side: the mechanisms it is built on,
 * doing nothing else. One tp_btf program on inet_sock_set_state:
 *   - socket storage created where porttrace creates it: the client's at
 *     CLOSE -> SYN_SENT, the child's at SYN_RECV -> ESTABLISHED;
 *   - a record the size of porttrace's (struct pt_event) reserved, filled
 *     with a few fields and submitted without a wakeup, at SYN_SENT ->
 *     ESTABLISHED (the connect) and at the CLOSE of a socket that has
 *     storage (each side's end): three a connection, fewer than porttrace
 *     writes in any of the bench's workloads.
 * No syscall tracepoints, no process identity, no joins, no filters, no
 * evidence. tools/bench runs it beside porttrace (tools/bench.d/floor.c):
 * what porttrace costs above it is its own logic; what the floor costs is
 * the price of the design, which no change to that logic can take back.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "porttrace.h"

#define AF_INET		2
#define AF_INET6	10

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* porttrace's per-socket state is 112 bytes (struct sk_state, bpf/state.bpf.h) */
struct floor_state {
	__u64 start_ns;
	__u8 rest[104];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* porttrace's default */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct floor_state);
} states SEC(".maps");

/* records the ring had no room for */
__u64 lost = 0;

static __always_inline void record(const struct sock *sk, __u8 kind)
{
	struct pt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ts_ns = bpf_ktime_get_ns();
	e->client_port = sk->__sk_common.skc_num;
	e->server_port = bpf_ntohs(sk->__sk_common.skc_dport);
	e->sock_id = (__u64)sk;
	/* as porttrace: a wakeup only once half its ring waits */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= (2 << 20))
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_set_state, struct sock *sk, int oldstate, int newstate)
{
	__u16 family = sk->__sk_common.skc_family;
	struct floor_state *st;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (newstate == TCP_SYN_SENT ||
	    (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED)) {
		st = bpf_sk_storage_get(&states, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
		if (st)
			st->start_ns = bpf_ktime_get_ns();
		return 0;
	}
	if (oldstate == TCP_SYN_SENT && newstate == TCP_ESTABLISHED) {
		record(sk, PT_EV_CONNECT);
		return 0;
	}
	if (newstate == TCP_CLOSE && bpf_sk_storage_get(&states, sk, NULL, 0))
		record(sk, PT_EV_CLOSE);
	return 0;
}
