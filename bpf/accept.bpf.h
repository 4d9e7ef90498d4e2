/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The server's side of a connection: the child a listener makes for it, the
 * process that accepts it (accept()/accept4() exit, or an io_uring accept
 * completion), or its death in the accept queue. Exactly one accept record
 * per child: its acceptor and its death race through one claim (accepts).
 */
#ifndef PORTTRACE_ACCEPT_BPF_H
#define PORTTRACE_ACCEPT_BPF_H

/* the server's view of the flow: its own address is the server end */
static __always_inline void child_tuple(const struct sock *sk, __u16 family, struct tuple_key *tk,
					const bool btf)
{
	tk->netns = sk_netns(sk, btf);
	/* inet_sport still has it when a closing child gave inet_num back */
	tk->server_port = sk_listen_port(sk, btf);
	tk->client_port = bpf_ntohs(KREAD(btf, sk->__sk_common.skc_dport, sk, __sk_common.skc_dport));
	sk_addrs(sk, family, tk->server_addr, tk->client_addr, btf);
}

/* SYN_RECV -> ESTABLISHED: a connection, from here on. Filters that the
 * flow alone decides run before anything is kept. */
static __always_inline void on_child_established(const struct sock *sk, const bool btf)
{
	struct sk_state *st;
	__u32 netns;
	__u16 cport, sport;

	if (!WANT(PT_EV_ACCEPT) && !WANT(PT_EV_CLOSE))
		return;
	if (!(targ_protos & PT_PROTO_BIT(PT_PROTO_TCP)))
		return;
	netns = sk_netns(sk, btf);
	if (targ_netns && targ_netns != netns)
		return;
	sport = KREAD(btf, sk->__sk_common.skc_num, sk, __sk_common.skc_num);
	cport = bpf_ntohs(KREAD(btf, sk->__sk_common.skc_dport, sk, __sk_common.skc_dport));
	if (!port_wanted(cport, sport))
		return;
	st = st_get(sk, true, btf);
	if (!st)
		return;
	__builtin_memset(st, 0, sizeof(*st));
	st->role = ST_CHILD;
	st->start_ns = bpf_ktime_get_ns();
	/* kept: a child reset before accept() has given its ports back */
	st->tuple.netns = netns;
	st->tuple.client_port = cport;
	st->tuple.server_port = sport;
}

/*
 * The evidence of an accept record: the server port's origin from its
 * listener (the child does not carry the listener's SOCK_BINDPORT_LOCK),
 * the client port's from a local client's own socket (taken once). Returns
 * the listener, or NULL.
 */
static __always_inline struct listener_info *accept_evidence(struct accept_claim *c,
							     const struct tuple_key *tk)
{
	struct listener_info *li = listener_lookup(tk->netns, tk->server_port, PT_PROTO_TCP);
	struct peer_info *pi;
	struct tuple_key any;

	if (li) {
		c->server_origin = li->origin;
		c->server_src = PT_SRC_LISTENER;
	}
	pi = bpf_map_lookup_elem(&peers, tk);
	if (pi) {
		c->client_origin = pi->origin;
		c->client_src = PT_SRC_PEER;
		c->flags |= PT_F_PEER_LOCAL;
		bpf_map_delete_elem(&peers, tk);
		return li;
	}
	/* a client in another namespace of this host */
	any = *tk;
	any.netns = 0;
	pi = bpf_map_lookup_elem(&xpeers, &any);
	if (pi) {
		c->client_origin = pi->origin;
		c->client_src = PT_SRC_PEER;
		c->flags |= PT_F_PEER_LOCAL;
		bpf_map_delete_elem(&xpeers, &any);
	}
	return li;
}

/*
 * The rest of a claim on a child, its proc set: when, which flow, whether
 * its close record is owed, and the evidence. An acceptor's, or the holder
 * found at start (inventory.bpf.h).
 */
static __always_inline void claim_init(struct accept_claim *c, const struct tuple_key *tk,
				       const struct sock *sk, const bool btf)
{
	c->ts = bpf_ktime_get_ns();
	c->tuple = *tk;
	c->flags = sk_range(sk, tk, &c->eph_lo, &c->eph_hi, btf);
	c->owes = close_wanted(&c->proc, tk);
	accept_evidence(c, tk);
}

/*
 * An accept record, from the claim on its socket. read_range: the claim has
 * no range (a tombstone, which owes no close), so read it here, once the
 * record is known to be wanted.
 */
static __always_inline void emit_accept(const struct sock *sk, const struct tuple_key *tk,
					const struct accept_claim *c, const struct proc_info *p,
					__u8 attribution, __u16 result, __u8 flags,
					const bool read_range, const bool btf)
{
	struct pt_event *e;

	if (!record_wanted(PT_EV_ACCEPT, PT_PROTO_TCP, flow_family(tk->client_addr), p,
			   tk->netns, tk->client_port, tk->server_port))
		return;
	/* the socket's range and reserved ports: read once, into the claim */
	e = event_new(PT_EV_ACCEPT, PT_PROTO_TCP, PT_SIDE_SERVER, tk, NULL, btf);
	if (!e)
		return;
	event_proc(e, p, attribution);
	event_from_claim(e, c, (__u64)sk);
	if (read_range)
		e->flags |= sk_range(sk, tk, &e->eph_lo, &e->eph_hi, btf);
	e->family = flow_family(tk->client_addr);
	e->result = result;
	e->flags |= flags;
	event_submit(e);
}

/*
 * A claim is for this flow: same netns and ports. A child that is closing
 * gives its local port back before the CLOSE transition, so an accept racing
 * it may read 0 there: 0 matches any server port.
 */
static __always_inline bool claim_matches(const struct accept_claim *c, __u32 netns,
					  __u16 cport, __u16 sport)
{
	return c->tuple.netns == netns && c->tuple.client_port == cport &&
	       (c->tuple.server_port == sport || !c->tuple.server_port || !sport);
}

static __always_inline bool claim_is_for(const struct accept_claim *c, const struct tuple_key *tk)
{
	return claim_matches(c, tk->netns, tk->client_port, tk->server_port);
}

/* close.bpf.h: an earlier socket's claim, still owed */
static __always_inline void claim_unseen(struct accept_claim *c, __u64 key);

/* close.bpf.h: an accepted child's close record */
static __always_inline void child_closed(const struct sock *sk, __u16 family,
					 const struct sk_state *st, const struct accept_claim *c,
					 __u8 late, const bool btf);

/*
 * A process took sk: from accept()/accept4() or an io_uring completion, in
 * that process's context. Runs without the socket's state (a syscall
 * tracepoint has no BTF socket): the claim carries what the close needs.
 */
static __noinline int on_accepted(const struct sock *sk, __u8 flags, const bool btf)
{
	struct accept_claim c = {}, *cur;
	struct tuple_key tk = {};
	__u64 key = (__u64)sk;
	__u16 family;
	bool closed;
	int err;	/* map ops returned int before 6.4: compare 32 bits */

	if (!WANT(PT_EV_ACCEPT) && !WANT(PT_EV_CLOSE))
		return 0;
	if (!sk_is_inet(sk, IPPROTO_TCP, &family, btf))
		return 0;
	child_tuple(sk, family, &tk, btf);
	/* excluded by the flow alone: no record of it can be wanted */
	if ((targ_family && targ_family != flow_family(tk.client_addr)) ||
	    (targ_netns && targ_netns != tk.netns) || !port_wanted(tk.client_port, tk.server_port))
		return 0;
	/* Read before the look: the tracepoint runs before the kernel stores
	 * the new state, so a CLOSE seen here has had its run (or its skip). */
	closed = KREAD(btf, sk->__sk_common.skc_state, sk, __sk_common.skc_state) == TCP_CLOSE;
	cur = bpf_map_lookup_elem(&accepts, &key);
	if (cur && claim_is_for(cur, &tk)) {
		/* Died in the queue before this accept() returned (a client
		 * that resets at once): its death was its record, and nothing
		 * of this process is wanted. One lookup spares the process, the
		 * evidence and the claim insert; a death after this look is
		 * caught by the insert below. */
		if (cur->died) {
			bpf_map_delete_elem(&accepts, &key);
			return 0;
		}
	} else if (closed) {
		/* Ended before this accept() returned, and no run of porttrace
		 * saw it end: it died in the queue before porttrace started,
		 * or the kernel skipped the run that would have kept its state.
		 * Its acceptor is the first to know: one accept record, saying
		 * so, and no close is owed (none will come). */
		__u16 e = KREAD(btf, sk->sk_err, sk, sk_err);

		proc_read(&c.proc);
		claim_init(&c, &tk, sk, btf);
		emit_accept(sk, &tk, &c, &c.proc, PT_ATTR_SYSCALL, e ? e : ECONNRESET, flags, false, btf);
		/* its tombstone, for a run of its CLOSE still to come (the
		 * skipped one's tcp_destroy_sock, a second CLOSE from
		 * tcp_close()): reported already (on_child_died) */
		c.owes = 0;
		c.died = 1;
		if (cur)	/* an earlier socket's, at this address */
			claim_unseen(cur, key);
		insert_counted(&accepts, &key, &c, BPF_ANY);
		return 0;
	}
	/* a process the filters exclude still claims it: its records are
	 * filtered where they are made, and the claim keeps the close quiet */
	proc_read(&c.proc);
	claim_init(&c, &tk, sk, btf);

	err = bpf_map_update_elem(&accepts, &key, &c, BPF_NOEXIST);
	if (err == -EEXIST) {
		cur = bpf_map_lookup_elem(&accepts, &key);
		if (cur && cur->died && claim_is_for(cur, &tk)) {
			/* it died in the queue first, and that was its record */
			bpf_map_delete_elem(&accepts, &key);
			return 0;
		}
		if (cur && cur->closed && claim_is_for(cur, &tk)) {
			/* it closed while this accept was returning: both records here */
			struct sk_state st = {};

			st.start_ns = cur->start_ns;
			st.closed_first = cur->closed_first;
			emit_accept(sk, &tk, &c, &c.proc, PT_ATTR_SYSCALL, 0, flags, false, btf);
			bpf_map_delete_elem(&accepts, &key);
			/* probe reads: the bytes' helper takes no cast socket */
			child_closed(sk, family, &st, &c, 0, false);
			return 0;
		}
		/* a claim left by an earlier socket at this address: if still
		 * owed, the kernel never ran porttrace for its close */
		if (cur)
			claim_unseen(cur, key);
		err = insert_counted(&accepts, &key, &c, BPF_ANY);
	} else if (err) {
		/* no claim: this record still goes out, its close will lack it */
		count(PT_CNT_LOST_STATE);
	}
	if (!err && c.owes)
		count(PT_CNT_CLOSE_OWED);
	emit_accept(sk, &tk, &c, &c.proc, PT_ATTR_SYSCALL, 0, flags, false, btf);
	return 0;
}

/*
 * The child closed while nobody had claimed it. Grafted onto a socket
 * (sk_socket set: accept() took it, its syscall exit has not run yet), it
 * leaves its close to the acceptor. Else it died in the accept queue: say so
 * once, naming the listener's owner when known — never the task that ran the
 * softirq. Returns false when an acceptor's claim came first: then that is
 * its record.
 */
static __always_inline bool on_child_died(const struct sock *sk, __u16 family,
					  const struct sk_state *st, const bool btf)
{
	struct accept_claim c = {};
	struct listener_info *li;
	struct tuple_key tk = st->tuple;
	__u64 key = (__u64)sk;
	__u16 err = KREAD(btf, sk->sk_err, sk, sk_err);
	int ret;	/* map ops returned int before 6.4: compare 32 bits */

	sk_addrs(sk, family, tk.server_addr, tk.client_addr, btf);
	if (KREAD(btf, sk->sk_socket, sk, sk_socket)) {
		c.closed = 1;
		c.start_ns = st->start_ns;
		c.closed_first = st->closed_first;
	} else {
		c.died = 1;
	}
	c.ts = bpf_ktime_get_ns();
	c.tuple = tk;
	ret = bpf_map_update_elem(&accepts, &key, &c, BPF_NOEXIST);
	if (ret == -EEXIST) {
		struct accept_claim *cur = bpf_map_lookup_elem(&accepts, &key);

		if (cur && claim_is_for(cur, &tk)) {
			if (!cur->died && !cur->closed)
				return false;
			/* its acceptor found it closed and reported it
			 * (on_accepted); an older tombstone is an earlier
			 * socket's */
			if (cur->died && cur->ts >= st->start_ns)
				return true;
		}
		/* a claim of an earlier socket at this address is nobody's;
		 * if still owed, its close never ran porttrace */
		if (cur)
			claim_unseen(cur, key);
		ret = bpf_map_update_elem(&accepts, &key, &c, BPF_ANY);
	}
	if (ret)	/* no room for the claim: an accept() may report it again */
		count(PT_CNT_LOST_STATE);
	if (c.closed)
		return true;
	li = accept_evidence(&c, &tk);
	if (li)
		emit_accept(sk, &tk, &c, &li->proc, PT_ATTR_LISTENER, err ? err : ECONNRESET, 0,
			    true, btf);
	else
		emit_accept(sk, &tk, &c, NULL, PT_ATTR_NONE, err ? err : ECONNRESET, 0, true, btf);
	return true;
}

/* accept() and accept4(): only the returned fd matters. cast: walk fd ->
 * socket by direct loads (fd_to_sock_cast), where the kernel can. */
static __always_inline int accept_exit(struct trace_event_raw_sys_exit *ctx, const bool cast)
{
	struct sock *sk;

	if (ctx->ret < 0)
		return 0;
	sk = cast ? fd_to_sock_cast(ctx->ret) : fd_to_sock(ctx->ret);
	if (sk)
		on_accepted(sk, 0, cast);
	return 0;
}

/*
 * An io_uring accept request was submitted: remember it by ring and
 * user_data. A multishot one (IORING_ACCEPT_MULTISHOT) posts each completion
 * but its last without the request, so no opcode says "accept" there; this
 * does. One into a fixed-file slot is not kept: its results are slots.
 */
static __always_inline void io_uring_submitted(void *req)
{
	struct io_kiocb *r = req;
	struct io_accept *acc = req;
	struct uring_key k = {};
	__u8 one = 1;

	if (BPF_CORE_READ(r, opcode) != IORING_OP_ACCEPT)
		return;
	if (bpf_core_field_exists(acc->file_slot) && BPF_CORE_READ(acc, file_slot))
		return;
	k.ctx = (__u64)BPF_CORE_READ(r, ctx);
	k.user_data = BPF_CORE_READ(r, cqe.user_data);
	bpf_map_update_elem(&uring_accepts, &k, &one, BPF_ANY);
}

/*
 * io_uring accepts bypass the accept syscalls. The completion is posted in
 * the submitting task or its io-wq worker, both of the owning process. An
 * accept into a fixed-file slot (IORING_FILE_INDEX) completes with 0, not an
 * fd: nothing in this task's file table names the socket.
 */
static __always_inline void io_uring_accepted(void *ctx, void *req, __u64 user_data, __s32 res)
{
	struct io_kiocb *r = req;
	struct io_accept *acc = req;	/* the command overlays the request's head */
	struct uring_key k = { .ctx = (__u64)ctx, .user_data = user_data };
	struct sock *sk;

	if (!req) {
		/* a multishot accept's completion, if its request is known */
		if (res < 0 || !bpf_map_lookup_elem(&uring_accepts, &k))
			return;
		sk = fd_to_sock(res);
		if (sk)
			on_accepted(sk, PT_F_IO_URING, false);
		return;
	}
	if (BPF_CORE_READ(r, opcode) != IORING_OP_ACCEPT)
		return;
	/* the request's last completion: it is done */
	bpf_map_delete_elem(&uring_accepts, &k);
	if (res < 0)
		return;
	if (bpf_core_field_exists(acc->file_slot) && BPF_CORE_READ(acc, file_slot))
		return;
	sk = fd_to_sock(res);
	if (sk)
		on_accepted(sk, PT_F_IO_URING, false);
}

#endif /* PORTTRACE_ACCEPT_BPF_H */
