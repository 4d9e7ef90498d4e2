/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The end of a traced connection, on either side: which side closed first
 * (the first move out of ESTABLISHED), then at CLOSE one record with the
 * duration and the payload bytes each way.
 */
#ifndef PORTTRACE_CLOSE_BPF_H
#define PORTTRACE_CLOSE_BPF_H

struct close_args {
	const struct proc_info *proc;
	const struct tuple_key *tuple;
	__u64 start_ns;
	__u8 side;
	__u8 flags;
	__u8 client_origin, client_src, server_origin, server_src;
};

/*
 * Payload bytes: sent once (retransmissions not counted twice; SYN and FIN
 * carry none) and received, without the sequence number the peer's FIN takes
 * (SOCK_DONE: tcp_fin() saw it).
 */
static __always_inline void flow_bytes(const struct sock *sk, __u64 *tx, __u64 *rx,
				       const bool btf)
{
	const struct tcp_sock *tp = (const void *)sk;
	unsigned long flags = KREAD(btf, sk->__sk_common.skc_flags, sk, __sk_common.skc_flags);

	if (btf) {
		/* the tcp_sock around a BTF struct sock: one helper call */
		struct tcp_sock *t = bpf_skc_to_tcp_sock((void *)sk);

		*tx = *rx = 0;
		if (t) {
			*tx = t->bytes_sent - t->bytes_retrans;
			*rx = t->bytes_received;
		}
	} else {
		*tx = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
		*rx = BPF_CORE_READ(tp, bytes_received);
	}
	if ((flags & (1UL << SOCK_DONE)) && *rx)
		*rx -= 1;
}

static __always_inline void emit_close(const struct sock *sk, const struct close_args *a,
				       const bool btf)
{
	const struct tuple_key *tk = a->tuple;
	struct pt_event *e;

	if (!record_wanted(PT_EV_CLOSE, PT_PROTO_TCP, flow_family(tk->server_addr), a->proc,
			   tk->netns, tk->client_port, tk->server_port))
		return;
	e = event_new(PT_EV_CLOSE, PT_PROTO_TCP, a->side, tk, sk, btf);
	if (!e)
		return;
	e->flags |= a->flags;
	/* open before tracing began (inventory.bpf.h): its start is unknown,
	 * and its process the one that held it then */
	if (a->start_ns) {
		e->duration_ns = e->ts_ns - a->start_ns;
		event_proc(e, a->proc, PT_ATTR_SYSCALL);
	} else {
		e->flags |= PT_F_INVENTORY;
		event_proc(e, a->proc, PT_ATTR_OWNER);
	}
	e->result = KREAD(btf, sk->sk_err, sk, sk_err);
	e->client_origin = a->client_origin;
	e->client_src = a->client_src;
	e->server_origin = a->server_origin;
	e->server_src = a->server_src;
	flow_bytes(sk, &e->tx_bytes, &e->rx_bytes, btf);
	event_submit(e);
}

/* the first move out of ESTABLISHED tells which side ended the flow */
static __always_inline __u8 closer(const struct sock *sk, int newstate, const bool btf)
{
	if (newstate == TCP_FIN_WAIT1)
		return PT_F_CLOSED_FIRST_LOCAL;
	if (newstate == TCP_CLOSE_WAIT)
		return PT_F_CLOSED_FIRST_PEER;
	/* straight to CLOSE: a reset from the peer, or our own abort */
	return KREAD(btf, sk->sk_err, sk, sk_err) ? PT_F_CLOSED_FIRST_PEER : PT_F_CLOSED_FIRST_LOCAL;
}

static __always_inline void client_closed(const struct sock *sk, struct sk_state *st, __u8 late,
					  const bool btf)
{
	struct close_args a = {
		.proc = &st->proc, .tuple = &st->tuple, .start_ns = st->start_ns,
		.side = PT_SIDE_CLIENT, .flags = st->closed_first | late,
		.client_origin = st->origin, .client_src = PT_SRC_SOCKET,
		.server_origin = st->server_origin, .server_src = st->server_src,
	};

	if (!(st->flags & ST_ESTABLISHED) || !WANT(PT_EV_CLOSE))
		return;
	if (st->server_src)
		a.flags |= PT_F_PEER_LOCAL;
	emit_close(sk, &a, btf);
}

/* an accepted child's close, from its acceptor's claim */
static __always_inline void child_closed(const struct sock *sk, __u16 family,
					 const struct sk_state *st, const struct accept_claim *c,
					 __u8 late, const bool btf)
{
	struct tuple_key tk = {};
	struct close_args a = {
		.proc = &c->proc, .tuple = &tk, .start_ns = st ? st->start_ns : c->ts,
		.side = PT_SIDE_SERVER,
		.client_origin = c->client_origin, .client_src = c->client_src,
		.server_origin = c->server_origin, .server_src = c->server_src,
	};

	if (!WANT(PT_EV_CLOSE))
		return;
	tk.netns = c->tuple.netns;
	tk.client_port = c->tuple.client_port;
	tk.server_port = c->tuple.server_port ? c->tuple.server_port :
			 (st ? st->tuple.server_port : 0);
	sk_addrs(sk, family, tk.server_addr, tk.client_addr, btf);
	a.flags = (st ? st->closed_first : 0) | late;
	a.flags |= c->flags & PT_F_PEER_LOCAL;
	emit_close(sk, &a, btf);
}

/*
 * An acceptor's claim on this very socket: the same flow. (Not "taken after
 * its handshake": a TCP Fast Open child is accepted before it is
 * ESTABLISHED.)
 */
static __always_inline struct accept_claim *claim_of(const struct sock *sk,
						     const struct sk_state *st)
{
	__u64 key = (__u64)sk;
	struct accept_claim *c = bpf_map_lookup_elem(&accepts, &key);

	if (!c || c->died || c->closed)
		return NULL;
	if (st && !claim_matches(c, st->tuple.netns, st->tuple.client_port, st->tuple.server_port))
		return NULL;
	return c;
}

/*
 * A claim still owed whose socket is gone: the kernel ran none of
 * porttrace's programs when it ended, neither its CLOSE nor its
 * destruction (doc/kernel-side.md). Found when a new socket takes its
 * address, or by iter_unseen when tracing stops: its close record comes
 * now, from the claim, flagged late and unseen (when it ended, its bytes and
 * who closed first are not known). The caller replaces or drops the claim.
 */
static __always_inline void claim_unseen(struct accept_claim *c, __u64 key)
{
	struct pt_event *e;

	if (c->died || c->closed)
		return;
	/* once: a new socket's acceptor and its death in the queue may both
	 * find the claim in their way, on two CPUs */
	if (__sync_val_compare_and_swap(&c->owes, 1, 0) != 1)
		return;
	count(PT_CNT_CLOSE_PAID);
	count(PT_CNT_CLOSE_FOUND);
	/* owed: its record was wanted (close_wanted) */
	e = event_new(PT_EV_CLOSE, PT_PROTO_TCP, PT_SIDE_SERVER, &c->tuple, NULL, false);
	if (!e)
		return;
	event_proc(e, &c->proc, c->flags & PT_F_INVENTORY ? PT_ATTR_OWNER : PT_ATTR_SYSCALL);
	event_from_claim(e, c, key);
	e->flags |= PT_F_LATE | (c->flags & PT_F_INVENTORY);
	e->xflags = PT_X_UNSEEN;
	event_submit(e);
}

/* the claim's close record went out (or was filtered): it ends here */
static __always_inline void claim_paid(const struct accept_claim *c, __u64 key)
{
	if (c->owes)
		count(PT_CNT_CLOSE_PAID);
	bpf_map_delete_elem(&accepts, &key);
}

/* a server-side socket reached CLOSE: its close record, or its death */
static __always_inline void on_child_close(const struct sock *sk, __u16 family,
					   struct sk_state *st, __u8 late, const bool btf)
{
	__u64 key = (__u64)sk;
	struct accept_claim *c;

	if (!WANT(PT_EV_ACCEPT) && !WANT(PT_EV_CLOSE))
		return;
	c = claim_of(sk, st);
	if (c) {
		child_closed(sk, family, st, c, late, btf);
		claim_paid(c, key);
		return;
	}
	if (!st)
		return;
	if (on_child_died(sk, family, st, btf))
		return;
	/* an acceptor claimed it between the two looks */
	c = claim_of(sk, st);
	if (c) {
		child_closed(sk, family, st, c, late, btf);
		claim_paid(c, key);
	}
}

/*
 * Every transition out of ESTABLISHED and into CLOSE of a traced socket.
 * late is PT_F_LATE when the CLOSE transition itself was skipped by the
 * kernel and this is the socket's destruction making up for it.
 */
static __always_inline void on_close_path(const struct sock *sk, __u16 family,
					  int oldstate, int newstate, const bool btf, __u8 late)
{
	struct sk_state *st = st_get(sk, false, btf);

	/* test only (PORTTRACE_FAULT=unseen-close): a server side's end goes
	 * by unseen, as in the runs some kernels skip without a count */
	if (targ_fault_unseen && !(st && st->role == ST_CLIENT))
		return;
	if (st && (st->flags & ST_CLOSED))
		return;	/* a second CLOSE (tcp_close() of a reset socket): reported */
	if (st && oldstate == TCP_ESTABLISHED && !st->closed_first)
		st->closed_first = closer(sk, newstate, btf);
	if (newstate != TCP_CLOSE)
		return;
	if (st && (st->flags & ST_OWES)) {
		st->flags &= ~ST_OWES;
		count(PT_CNT_CLOSE_PAID);
	}
	if (st && st->role == ST_CLIENT) {
		client_closed(sk, st, late, btf);
	} else if (oldstate != TCP_SYN_RECV) {
		/* a child that never completed its handshake is no connection */
		on_child_close(sk, family, st && st->role == ST_CHILD ? st : NULL, late, btf);
	}
	if (st)
		st_done(sk, st, btf);
}

/* iter_owed's count: open sockets whose close porttrace still owes */
__u64 owed_open = 0;

/* a socket iter_owed walked: is a close of it still owed? */
static __always_inline void owed_still_open(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct accept_claim *c;
	struct sk_state *st;

	if (targ_classic)
		st = bpf_map_lookup_elem(&sk_states_tp, &key);
	else
		st = bpf_sk_storage_get(&sk_states, (struct sock *)sk, NULL, 0);
	if (st && (st->flags & ST_OWES)) {
		owed_open++;
		return;
	}
	c = bpf_map_lookup_elem(&accepts, &key);
	if (c && c->owes) {
		/* open: what iter_unseen reports is what is left */
		c->owes = OWES_OPEN;
		owed_open++;
	}
}

/* iter_unseen: the namespaces iter_owed walked, filled by the loader */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} owed_walked SEC(".maps");

/*
 * A claim still owed, after iter_owed walked its namespace and did not find
 * it open: its socket ended without the kernel running porttrace for it.
 */
static __always_inline void owed_unseen(const __u64 *key, struct accept_claim *c)
{
	__u32 netns = c->tuple.netns;

	if (c->owes != 1 || !bpf_map_lookup_elem(&owed_walked, &netns))
		return;
	claim_unseen(c, *key);
}

/*
 * tcp_destroy_sock: the socket is going away. Its state outliving CLOSE
 * means the kernel skipped our program for that transition (recursion from a
 * softirq): the close record comes now, flagged late, instead of never.
 */
static __always_inline void on_destroy(const struct sock *sk)
{
	__u16 family;
	struct sk_state *st = st_get(sk, false, !targ_classic);

	/* the classic tracepoint keeps its state in a hash, reachable from here too */
	/* a tp_btf program: the socket is a BTF pointer whatever the mode */
	if (!st || (st->flags & ST_CLOSED) || !sk_is_inet(sk, IPPROTO_TCP, &family, true))
		return;
	if (targ_classic)
		on_close_path(sk, family, TCP_CLOSE_WAIT, TCP_CLOSE, false, PT_F_LATE);
	else
		on_close_path(sk, family, TCP_CLOSE_WAIT, TCP_CLOSE, true, PT_F_LATE);
}

#endif /* PORTTRACE_CLOSE_BPF_H */
