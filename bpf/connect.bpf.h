/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The client's lifecycle up to its outcome: connect() (CLOSE->SYN_SENT runs
 * inside it: the only trustworthy pid), the handshake's end or failure, and
 * the connect() syscall's own result for what fails before the state machine
 * sees it. UDP connects are the syscall's alone.
 */
#ifndef PORTTRACE_CONNECT_BPF_H
#define PORTTRACE_CONNECT_BPF_H

/* The server port's origin from its listener, when the server is on this host. */
struct server_evidence {
	__u8 origin, src, flags;
};

static __always_inline struct server_evidence server_listener(const struct sock *sk,
							       const struct tuple_key *tk,
							       __u8 proto, const bool btf)
{
	struct server_evidence ev = {};
	struct listener_info *li;

	if (!peer_is_local(sk, tk->client_addr, tk->server_addr, btf))
		return ev;
	ev.flags = PT_F_PEER_LOCAL;
	li = listener_lookup(tk->netns, tk->server_port, proto);
	if (li) {
		ev.origin = li->origin;
		ev.src = PT_SRC_LISTENER;
	}
	return ev;
}

static __always_inline void read_tuple(const struct sock *sk, __u16 family, struct tuple_key *tk,
				       const bool btf)
{
	tk->netns = sk_netns(sk, btf);
	tk->client_port = KREAD(btf, sk->__sk_common.skc_num, sk, __sk_common.skc_num);
	tk->server_port = bpf_ntohs(KREAD(btf, sk->__sk_common.skc_dport, sk, __sk_common.skc_dport));
	sk_addrs(sk, family, tk->client_addr, tk->server_addr, btf);
}

/* CLOSE -> SYN_SENT, inside connect(). Nothing is kept for a process the
 * filters exclude: none of its client records could be wanted. */
static __always_inline void on_connect_start(const struct sock *sk, __u16 family, const bool btf)
{
	struct proc_info p = {};
	struct task_call *call;
	struct sk_state *st;

	if (!WANT(PT_EV_CONNECT) && !WANT(PT_EV_CLOSE))
		return;
	if (!(targ_protos & PT_PROTO_BIT(PT_PROTO_TCP)))
		return;
	/* an AF_INET socket has no IPv6 flow; an AF_INET6 one may be v4-mapped */
	if (targ_family == PT_FAMILY_IPV6 && family == AF_INET)
		return;
	if (targ_netns && targ_netns != sk_netns(sk, btf))
		return;
	proc_read(&p);
	if (!proc_wanted(&p))
		return;
	st = st_get(sk, true, btf);
	if (!st)
		return;
	/* a socket may connect() again after a failure: start afresh */
	__builtin_memset(st, 0, sizeof(*st));
	st->role = ST_CLIENT;
	st->proc = p;
	st->origin = port_origin(sk, btf);
	call = call_get(false);
	if (call && call->op == CALL_CONNECT) {
		call->sk = (__u64)sk;
		st->start_ns = call->start_ns;
	} else {
		st->start_ns = bpf_ktime_get_ns();
	}
}

/* Emit a TCP connect record: success, or failure with result = errno. */
static __always_inline void emit_connect(const struct sock *sk, struct sk_state *st,
					 __u16 result, __u8 flags, const bool btf)
{
	struct tuple_key *tk = &st->tuple;
	struct server_evidence sev = server_listener(sk, tk, PT_PROTO_TCP, btf);
	struct pt_event *e;

	/* kept for the close record, whether or not this one is wanted */
	st->server_origin = sev.origin;
	st->server_src = sev.src;
	if (!record_wanted(PT_EV_CONNECT, PT_PROTO_TCP, flow_family(tk->server_addr), &st->proc,
			   tk->netns, tk->client_port, tk->server_port))
		return;
	e = event_new(PT_EV_CONNECT, PT_PROTO_TCP, PT_SIDE_CLIENT, tk, sk, btf);
	if (!e)
		return;
	event_proc(e, &st->proc, PT_ATTR_SYSCALL);
	e->result = result;
	e->flags |= flags | sev.flags;
	e->client_origin = st->origin;
	e->client_src = PT_SRC_SOCKET;
	e->server_origin = sev.origin;
	e->server_src = sev.src;
	e->latency_ns = e->ts_ns - st->start_ns;
	event_submit(e);
}

/*
 * A local client's port origin, for the accepting side (the accept and its
 * close record). Kept whatever the client-side filters say: the server's
 * records need it. Consumed by the accept, or by the child's death.
 */
static __always_inline void peer_publish(const struct sock *sk, const struct tuple_key *tk,
					 const bool btf)
{
	struct peer_info pi = {};
	struct tuple_key any;

	if (!WANT(PT_EV_ACCEPT) && !WANT(PT_EV_CLOSE))
		return;
	if (!peer_is_local(sk, tk->client_addr, tk->server_addr, btf)) {
		/* perhaps a server in another namespace here (xpeers); its
		 * records may be wanted whatever --netns says of this one */
		any = *tk;
		any.netns = 0;
		pi.origin = port_origin(sk, btf);
		bpf_map_update_elem(&xpeers, &any, &pi, BPF_ANY);
		return;
	}
	if (targ_netns && targ_netns != tk->netns)
		return;
	pi.origin = port_origin(sk, btf);
	insert_counted(&peers, tk, &pi, BPF_ANY);
}

/*
 * The handshake completed: publish the origin for the accepting side and
 * emit. Also reached from the transition after ESTABLISHED when the kernel
 * skipped our program for SYN_SENT->ESTABLISHED (recursion from a softirq):
 * a late record beats a lost one.
 */
static __always_inline void on_connect_done(const struct sock *sk, __u16 family, bool late,
					    const bool btf)
{
	struct sk_state *st = st_get(sk, false, btf);
	struct tuple_key tk;

	if (st && st->role == ST_CLIENT) {
		if (st->flags & (ST_ESTABLISHED | ST_DONE))
			return;
		read_tuple(sk, family, &st->tuple, btf);
		if (!st->tuple.client_port)	/* already released: nothing true to report */
			return;
		st->flags |= ST_ESTABLISHED | ST_DONE;
		if (!late)
			peer_publish(sk, &st->tuple, btf);
		emit_connect(sk, st, 0, late ? PT_F_LATE : 0, btf);
		close_owed(&st->flags, &st->proc, &st->tuple);
		return;
	}
	/* a client the filters excluded still tells its local server how its
	 * port was chosen */
	if (late)
		return;
	read_tuple(sk, family, &tk, btf);
	if (tk.client_port)
		peer_publish(sk, &tk, btf);
}

/*
 * A port the kernel is about to take back, seen while still assigned. Only
 * a connect still in SYN_SENT has one to lose at CLOSE: any other socket
 * (most resets: a child whose client reset it) returns after one load,
 * before its state is looked up. (A tp_btf program: it reaches the classic
 * tracepoint's hash too.)
 */
static __always_inline void remember_port(const struct sock *sk)
{
	struct sk_state *st;

	if (sk->__sk_common.skc_state != TCP_SYN_SENT)
		return;
	st = st_get(sk, false, !targ_classic);

	if (st && st->role == ST_CLIENT && !st->port_seen)
		st->port_seen = BPF_CORE_READ(sk, __sk_common.skc_num);
}

/*
 * SYN_SENT -> CLOSE: the connect failed. sk_err says why when the network
 * answered; when it is 0 and this thread is still inside connect() on this
 * socket, the syscall's return value says why (EADDRNOTAVAIL: no ephemeral
 * port), so sys_exit_connect reports it; otherwise the application closed the
 * socket before the handshake finished.
 */
static __always_inline void on_connect_failed(const struct sock *sk, __u16 family, const bool btf)
{
	struct task_call *call = call_get(false);
	__u16 err = KREAD(btf, sk->sk_err, sk, sk_err);
	struct sk_state *st;

	if (!err && call && call->op == CALL_CONNECT && call->sk == (__u64)sk) {
		call->deferred = 1;	/* sys_exit_connect has the errno */
		return;
	}
	st = st_get(sk, false, btf);
	if (!st || st->role != ST_CLIENT || (st->flags & ST_DONE))
		return;
	read_tuple(sk, family, &st->tuple, btf);
	if (!st->tuple.client_port)
		st->tuple.client_port = st->port_seen;
	st->flags |= ST_DONE;
	emit_connect(sk, st, err ? err : PT_RESULT_ABORTED, 0, btf);
}

static __always_inline int connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct task_call *call;

	if (!WANT(PT_EV_CONNECT))
		return 0;
	call = call_get(true);
	if (!call) {
		count(PT_CNT_LOST_STATE);
		return 0;
	}
	call->op = CALL_CONNECT;
	call->fd = (__s32)ctx->args[0];
	call->uaddr = ctx->args[1];	/* read at the exit, only if it failed */
	call->start_ns = bpf_ktime_get_ns();
	call->sk = 0;
	call->deferred = 0;
	return 0;
}

/*
 * The destination from connect()'s own argument, for failures that happen
 * before the socket has one. The caller's memory is still there at the exit.
 */
static __always_inline void connect_dest(const struct task_call *call, struct tuple_key *tk)
{
	const void *uaddr = (const void *)call->uaddr;
	__u16 sa_family = 0;

	if (bpf_probe_read_user(&sa_family, sizeof(sa_family), uaddr))
		return;
	if (sa_family == AF_INET) {
		struct sockaddr_in sin = {};

		if (!bpf_probe_read_user(&sin, sizeof(sin), uaddr)) {
			addr_v4(tk->server_addr, sin.sin_addr.s_addr);
			tk->server_port = bpf_ntohs(sin.sin_port);
		}
	} else if (sa_family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};

		if (!bpf_probe_read_user(&sin6, sizeof(sin6), uaddr)) {
			__builtin_memcpy(tk->server_addr, &sin6.sin6_addr, 16);
			tk->server_port = bpf_ntohs(sin6.sin6_port);
		}
	}
}

/* errors that are no outcome of a connection attempt */
static __always_inline bool connect_pending(long ret)
{
	return ret == 0 || ret == -EINPROGRESS || ret == -EALREADY || ret == -EISCONN ||
	       ret == -EINTR || (ret <= -512 && ret >= -516);	/* -ERESTART* */
}

/*
 * A connect record the syscall alone knows: a UDP connect, or a TCP connect
 * that failed inside the call (before SYN_SENT, or right after it with no
 * socket error: EADDRNOTAVAIL and the like).
 */
static __always_inline void emit_syscall_connect(const struct sock *sk, __u16 family, __u8 proto,
						 const struct task_call *call, long ret)
{
	struct proc_info p = {};
	struct tuple_key tk = {};
	struct server_evidence sev;
	struct pt_event *e;

	proc_read(&p);
	read_tuple(sk, family, &tk, false);
	if (ret < 0)
		connect_dest(call, &tk);
	if (!ret && !tk.server_port)	/* connect(AF_UNSPEC): a disconnect */
		return;
	if (!record_wanted(PT_EV_CONNECT, proto, flow_family(tk.server_addr), &p, tk.netns,
			   tk.client_port, tk.server_port))
		return;
	sev = server_listener(sk, &tk, proto, false);
	e = event_new(PT_EV_CONNECT, proto, PT_SIDE_CLIENT, &tk, sk, false);
	if (!e)
		return;
	event_proc(e, &p, PT_ATTR_SYSCALL);
	e->result = ret < 0 ? -ret : 0;
	e->flags |= sev.flags;
	e->client_origin = port_origin(sk, false);
	e->client_src = PT_SRC_SOCKET;
	e->server_origin = sev.origin;
	e->server_src = sev.src;
	e->latency_ns = e->ts_ns - call->start_ns;
	event_submit(e);
}

static __always_inline int connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_call *call = call_get(false);
	long ret = ctx->ret;
	struct sock *sk;
	__u16 family;

	if (!call || call->op != CALL_CONNECT)
		return 0;
	call->op = 0;
	/* a TCP connect that reached SYN_SENT: the state machine reports its
	 * outcome unless it left it to us. Nothing here, no file table walk. */
	if (call->sk && !call->deferred)
		return 0;
	sk = fd_to_sock(call->fd);
	if (!sk)
		return 0;
	if (sk_is_inet(sk, IPPROTO_UDP, &family, false)) {
		if (!connect_pending(ret) || ret == 0)
			emit_syscall_connect(sk, family, PT_PROTO_UDP, call, ret);
		return 0;
	}
	if (connect_pending(ret) || !sk_is_inet(sk, IPPROTO_TCP, &family, false))
		return 0;
	emit_syscall_connect(sk, family, PT_PROTO_TCP, call, ret);
	return 0;
}

#endif /* PORTTRACE_CONNECT_BPF_H */
