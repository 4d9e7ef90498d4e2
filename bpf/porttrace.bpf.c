// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * porttrace kernel side: tracepoints and iterators only (no kprobes, no
 * fentry). This file holds the entry points; each lifecycle lives in its own
 * header, all one compilation unit:
 *   state.bpf.h    maps, filters, per-socket/per-thread state, the event builder
 *   connect.bpf.h  a client from connect() to its outcome
 *   accept.bpf.h   a server-side child from its handshake to its acceptor
 *   close.bpf.h    the end of a connection on either side
 *   listen.bpf.h   listeners and UDP services
 *   inventory.bpf.h  listeners and connections found at start
 *   reset.bpf.h    SYNs refused on closed ports
 *
 * A PID is only true in process context. Each record takes its process from
 * the one place the kernel runs on behalf of that process: connect() for the
 * client (CLOSE->SYN_SENT), the exit of accept()/accept4() or the io_uring
 * accept completion for the server, listen() and bind() for listeners.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "porttrace.h"
#include "porttrace.bpf.h"
#include "state.bpf.h"
#include "connect.bpf.h"
#include "accept.bpf.h"
#include "close.bpf.h"
#include "listen.bpf.h"
#include "inventory.bpf.h"
#include "reset.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Every TCP state change. Transitions that can produce nothing return after
 * two loads: FIN_WAIT1 -> FIN_WAIT2, CLOSE_WAIT -> LAST_ACK and the like.
 */
static __always_inline int handle_set_state(const struct sock *sk, int oldstate,
					    int newstate, const bool btf)
{
	__u16 family;

	if (!sk_is_inet(sk, IPPROTO_TCP, &family, btf))
		return 0;

	switch (newstate) {
	case TCP_SYN_SENT:
		on_connect_start(sk, family, btf);
		return 0;
	case TCP_LISTEN:
		on_listen(sk, family, btf);
		return 0;
	case TCP_SYN_RECV:
		if (oldstate == TCP_SYN_SENT)	/* simultaneous open */
			on_connect_done(sk, family, false, btf);
		return 0;
	}
	switch (oldstate) {
	case TCP_LISTEN:
		if (newstate == TCP_CLOSE)
			on_unlisten(sk, family, btf);
		return 0;
	case TCP_SYN_SENT:
		if (newstate == TCP_ESTABLISHED)
			on_connect_done(sk, family, false, btf);
		else if (newstate == TCP_CLOSE)
			on_connect_failed(sk, family, btf);
		return 0;
	case TCP_SYN_RECV:
		if (newstate == TCP_ESTABLISHED) {
			on_child_established(sk, btf);
			return 0;
		}
		break;
	case TCP_ESTABLISHED:
		on_connect_done(sk, family, true, btf);
		break;
	default:
		if (newstate != TCP_CLOSE)
			return 0;
	}
	on_close_path(sk, family, oldstate, newstate, btf, 0);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	return handle_set_state(sk, oldstate, newstate, true);
}

/* fallback where tp_btf cannot attach; needs tracefs for the id */
SEC("tracepoint/sock/inet_sock_set_state")
int tp_inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return handle_set_state(ctx->skaddr, ctx->oldstate, ctx->newstate, false);
}

/* A refused or timing-out connect still holds its port here; at CLOSE it
 * will not (remember_port: only a socket in SYN_SENT). */
SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(btf_tcp_receive_reset, struct sock *sk)
{
	remember_port(sk);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(btf_tcp_retransmit_skb, const struct sock *sk)
{
	remember_port(sk);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(btf_tcp_destroy_sock, struct sock *sk)
{
	on_destroy(sk);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(btf_tcp_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	on_send_reset(sk, skb);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tp_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx, false);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tp_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx, false);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tp_exit_accept_cast(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx, true);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tp_exit_accept4_cast(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx, true);
}

SEC("tracepoint/syscalls/sys_enter_connect")
int tp_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return connect_enter(ctx);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int tp_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return connect_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_bind")
int tp_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	return remember_fd(ctx);
}

SEC("tracepoint/syscalls/sys_exit_bind")
int tp_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	return bind_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_listen")
int tp_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	return remember_fd(ctx);
}

SEC("tracepoint/syscalls/sys_exit_listen")
int tp_exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	return listen_exit(ctx);
}

/*
 * io_uring_complete's arguments changed: the loader reads them from BTF and
 * loads the one program that matches (user/trace/probe.c). Seen in Debian's
 * kernels: 6.18 passes (ctx, req, cqe); 6.1 and 6.12 pass (ctx, req,
 * user_data, res, cflags, extra1, extra2); 5.10 has no req, so no opcode to
 * tell an accept by, and gets neither.
 */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(btf_io_uring_complete, void *ctx_, void *req, struct io_uring_cqe *cqe)
{
	io_uring_accepted(ctx_, req, BPF_CORE_READ(cqe, user_data), BPF_CORE_READ(cqe, res));
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(btf_io_uring_complete_res, void *ctx_, void *req, __u64 user_data, int res)
{
	io_uring_accepted(ctx_, req, user_data, res);
	return 0;
}

/* every io_uring submission: an accept request's completions may come
 * without it (multishot). The tracepoint was io_uring_submit_sqe(req, ...)
 * up to 6.1 (user/trace/probe.c picks). */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(btf_io_uring_submit_req, void *req)
{
	io_uring_submitted(req);
	return 0;
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(btf_io_uring_submit_sqe, void *req)
{
	io_uring_submitted(req);
	return 0;
}

/* the full TCP socket an iter/tcp step is at (not a TIME_WAIT or request
 * sock), as a trusted BTF pointer: socket storage takes it */
static __always_inline const struct sock *iter_tcp_sock(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;

	return skc ? (const struct sock *)bpf_skc_to_tcp_sock(skc) : NULL;
}

/*
 * Run by hand when tracing has stopped, once in each network namespace: the
 * sockets still open whose close porttrace owes. Whatever else is owed ended
 * without the kernel running porttrace's programs (user/trace/loader.c).
 */
SEC("iter/tcp")
int iter_owed(struct bpf_iter__tcp *ctx)
{
	const struct sock *sk = iter_tcp_sock(ctx);

	if (sk)
		owed_still_open(sk);
	return 0;
}

static long unseen_claim(struct bpf_map *map, __u64 *key, struct accept_claim *c, void *ctx)
{
	owed_unseen(key, c);
	return 0;
}

/*
 * Run by hand once iter_owed has walked every namespace, in porttrace's
 * own: at the end of its walk (no socket), every claim still owed in a
 * walked namespace is a close the kernel never ran porttrace for; its
 * record comes now (claim_unseen). (An iter/tcp, not iter/bpf_map_elem:
 * some kernels refuse map element iterators.)
 */
SEC("iter/tcp")
int iter_unseen(struct bpf_iter__tcp *ctx)
{
	if (!ctx->sk_common)
		bpf_for_each_map_elem(&accepts, unseen_claim, NULL, 0);
	return 0;
}

SEC("iter/task_file")
int iter_listeners(struct bpf_iter__task_file *ctx)
{
	return inventory_file(ctx->meta->seq, ctx->task, ctx->file);
}

/* run by hand at start, once in each network namespace (inventory.bpf.h) */
SEC("iter/tcp")
int iter_connections(struct bpf_iter__tcp *ctx)
{
	const struct sock *sk = iter_tcp_sock(ctx);

	if (sk)
		inventory_connection(ctx->meta->seq, sk);
	return 0;
}
