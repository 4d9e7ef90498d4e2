/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Services: TCP listeners from listen() to their close, UDP sockets from
 * bind() (those found at start: inventory.bpf.h). Each is kept by (netns,
 * port, protocol) as the server port's evidence for later flows.
 */
#ifndef PORTTRACE_LISTEN_BPF_H
#define PORTTRACE_LISTEN_BPF_H

static __always_inline void emit_listen(const struct sock *sk, __u16 family, __u8 kind,
					__u8 proto, const struct proc_info *p, const bool btf)
{
	struct tuple_key tk = {};
	struct pt_event *e;

	tk.netns = sk_netns(sk, btf);
	tk.server_port = sk_listen_port(sk, btf);
	sk_local_addr(sk, family, tk.server_addr);
	if (!record_wanted(kind, proto, flow_family(tk.server_addr), p, tk.netns, 0, tk.server_port))
		return;
	e = event_new(kind, proto, PT_SIDE_SERVER, &tk, sk, btf);
	if (!e)
		return;
	event_proc(e, p, PT_ATTR_SYSCALL);
	e->server_origin = port_origin(sk, btf);
	e->server_src = PT_SRC_SOCKET;
	event_submit(e);
}

/* CLOSE -> LISTEN runs inside listen(); bind() for UDP. */
static __always_inline void listener_add(const struct sock *sk, __u8 proto,
					 const struct proc_info *p, const bool btf)
{
	struct listener_key lk = {};
	struct listener_info li = {}, *cur;

	lk.netns = sk_netns(sk, btf);
	lk.port = sk_listen_port(sk, btf);
	lk.proto = proto;
	cur = bpf_map_lookup_elem(&listeners, &lk);
	if (cur) {
		__sync_fetch_and_add(&cur->refs, 1);
		cur->origin = port_origin(sk, btf);
		return;
	}
	li.refs = 1;
	li.origin = port_origin(sk, btf);
	li.proc = *p;
	insert_counted(&listeners, &lk, &li, BPF_ANY);
}

/*
 * CLOSE -> LISTEN runs inside listen(). A socket listen()ing without bind()
 * gets its port only after this transition (inet_csk_listen_start()): the
 * exit of listen() finishes the job for it.
 */
static __always_inline void on_listen(const struct sock *sk, __u16 family, const bool btf)
{
	struct proc_info p = {};
	struct task_call *call;

	if (!sk_listen_port(sk, btf)) {
		call = call_get(false);
		if (call && call->op == CALL_FD)
			call->listen_sk = (__u64)sk;
		return;
	}
	proc_read(&p);
	listener_add(sk, PT_PROTO_TCP, &p, btf);
	emit_listen(sk, family, PT_EV_LISTEN, PT_PROTO_TCP, &p, btf);
}

static __always_inline void on_unlisten(const struct sock *sk, __u16 family, const bool btf)
{
	struct listener_key lk = {};
	struct listener_info *cur;
	struct proc_info p = {};

	lk.netns = sk_netns(sk, btf);
	lk.port = sk_listen_port(sk, btf);
	lk.proto = PT_PROTO_TCP;
	cur = bpf_map_lookup_elem(&listeners, &lk);
	if (cur && cur->refs > 1)
		__sync_fetch_and_add(&cur->refs, -1);
	else if (cur)
		bpf_map_delete_elem(&listeners, &lk);
	/* listening sockets close in process context: close() or exit */
	proc_read(&p);
	emit_listen(sk, family, PT_EV_UNLISTEN, PT_PROTO_TCP, &p, btf);
}

/* accept(), bind() and listen() act on the fd in their first argument */
static __always_inline int remember_fd(struct trace_event_raw_sys_enter *ctx)
{
	struct task_call *call = call_get(true);

	if (!call) {
		count(PT_CNT_LOST_STATE);
		return 0;
	}
	call->op = CALL_FD;
	call->fd = (__s32)ctx->args[0];
	call->listen_sk = 0;
	return 0;
}

/* the fd argument of the call that is ending, or -1 */
static __always_inline __s32 fd_call_end(struct task_call **callp)
{
	struct task_call *call = call_get(false);

	*callp = call;
	if (!call || call->op != CALL_FD)
		return -1;
	call->op = 0;
	return call->fd;
}

static __always_inline int listen_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_call *call;
	struct sock *sk;
	__u16 family;

	if (fd_call_end(&call) < 0 || !call->listen_sk || ctx->ret)
		return 0;
	sk = fd_to_sock(call->fd);
	if (sk && (__u64)sk == call->listen_sk && sk_is_inet(sk, IPPROTO_TCP, &family, false))
		on_listen(sk, family, false);
	return 0;
}

/* bind() on a UDP socket makes it a service: remember how its port came */
static __always_inline int bind_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_call *call;
	struct proc_info p = {};
	struct sock *sk;
	__s32 fd = fd_call_end(&call);
	__u16 family;

	if (fd < 0 || ctx->ret)
		return 0;
	sk = fd_to_sock(fd);
	if (!sk || !sk_is_inet(sk, IPPROTO_UDP, &family, false))
		return 0;
	proc_read(&p);
	listener_add(sk, PT_PROTO_UDP, &p, false);
	return 0;
}

#endif /* PORTTRACE_LISTEN_BPF_H */
