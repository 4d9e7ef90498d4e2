/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What was there before tracing began. Two walks:
 *
 * iter/task_file (every task's open files: file tables are not per network
 * namespace, so one walk sees every namespace):
 *   PT_INV_LISTENERS  listening TCP and bound UDP sockets become listener
 *                     entries (evidence and attribution, and rows for
 *                     --listeners and the audit). A socket several processes
 *                     hold is a row per holder: user space dedups those.
 *   PT_INV_SERVICES   the same, and each open TCP connection leaves its
 *                     owner (inv_owners: the first holder found) and its
 *                     local port's origin as a hint for the other end, as a
 *                     connect() would (xpeers: any namespace).
 *
 * iter/tcp, run by the loader in each network namespace (it walks only its
 * creator's), once every listener is known:
 *   PT_INV_CONNECTIONS  each open TCP connection with an owner and not yet
 *                     traced gets the state a traced one has, so its close is
 *                     reported with its owner; and a row for --connections:
 *                     an accept row when its local port is a listener's in
 *                     its namespace, else a connect row. The socket is a
 *                     BTF pointer here, which socket storage needs (the one
 *                     a file leads to is not, on newer kernels).
 */
#ifndef PORTTRACE_INVENTORY_BPF_H
#define PORTTRACE_INVENTORY_BPF_H

/* which task_file walk this is (enum pt_inventory): set by the loader */
__u8 inv_pass = PT_INV_LISTENERS;

/* an open connection's owner, by socket address, from the task_file walk
 * to the iter/tcp one (which takes it out) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);	/* resized by the loader */
	__type(key, __u64);
	__type(value, struct proc_info);
} inv_owners SEC(".maps");

/* a connection's row, built off the iterator's small stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pt_event);
} inv_row SEC(".maps");

/* states of a connection that is still open */
static __always_inline bool tcp_state_open(int state)
{
	switch (state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		return true;
	}
	return false;
}

/* deeper cgroups than this below --cgroup are not matched (systemd's and
 * container runtimes' trees are a handful deep) */
#define PT_CGROUP_DEPTH	32

/*
 * task is in --cgroup or below it: what bpf_current_task_under_cgroup()
 * says of the current task, for a task that is not (bpf_task_under_cgroup()
 * is 6.5+). Walks the task's cgroup and its parents, comparing ids.
 */
static __always_inline bool task_in_cgroup(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);

	for (int i = 0; i < PT_CGROUP_DEPTH && cg; i++) {
		struct cgroup_subsys_state *parent;

		if (BPF_CORE_READ(cg, kn, id) == targ_cgroup_id)
			return true;
		/* a cgroup's own css is its first member, self */
		parent = BPF_CORE_READ(cg, self.parent);
		cg = parent ? (void *)parent - bpf_core_field_offset(struct cgroup, self) : NULL;
	}
	return false;
}

/* the owner of a file, from its task: not process context, but the holder */
static __always_inline void task_owner(struct task_struct *task, struct proc_info *p)
{
	p->pid = BPF_CORE_READ(task, tgid);
	p->tid = BPF_CORE_READ(task, pid);
	p->uid = BPF_CORE_READ(task, cred, uid.val);
	p->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	p->cg_ok = !targ_cgroup || task_in_cgroup(task);
	BPF_CORE_READ_STR_INTO(&p->comm, task, group_leader, comm);
}

/* a listening TCP or bound UDP socket: a listener entry and a row */
static __always_inline void inventory_listener(struct seq_file *seq, const struct sock *sk,
					       __u16 family, __u8 proto, __u16 port,
					       const struct proc_info *p)
{
	struct listener_key lk = {};
	struct listener_info li = {};
	struct tuple_key tk = {};
	struct pt_event e;

	lk.netns = sk_netns(sk, false);
	lk.port = port;
	lk.proto = proto;
	li.refs = 1;
	li.origin = port_origin(sk, false);
	li.proc = *p;
	insert_counted(&listeners, &lk, &li, BPF_NOEXIST);

	/* written to the iterator's seq_file, not the ring: the same layout */
	tk.netns = lk.netns;
	tk.server_port = port;
	sk_local_addr(sk, family, tk.server_addr);
	event_fill(&e, PT_EV_LISTEN, proto, PT_SIDE_SERVER, &tk, sk, false);
	e.flags |= PT_F_INVENTORY;
	/* the owner comes from the file table: who holds the listener */
	event_proc(&e, p, PT_ATTR_LISTENER);
	e.server_origin = li.origin;
	e.server_src = PT_SRC_SOCKET;
	e.ts_ns = bpf_ktime_get_ns();
	/* the entry above is evidence for everyone; the row obeys the filters */
	if (row_wanted(proto, e.family, p, tk.netns, 0, port))
		bpf_seq_write(seq, &e, sizeof(e));
}

/*
 * An open connection, seen from one of its holders: its owner, for the
 * iter/tcp walk, and its port's origin, for its other end's accept row.
 */
static __always_inline void inventory_owner(const struct sock *sk, __u16 family,
					    const struct proc_info *p)
{
	struct peer_info pi = {};
	struct tuple_key tk;
	__u64 key = (__u64)sk;

	if (!WANT(PT_EV_CONNECT) && !WANT(PT_EV_ACCEPT) && !WANT(PT_EV_CLOSE))
		return;
	insert_counted(&inv_owners, &key, p, BPF_NOEXIST);
	read_tuple(sk, family, &tk, false);
	tk.netns = 0;
	pi.origin = port_origin(sk, false);
	bpf_map_update_elem(&xpeers, &tk, &pi, BPF_ANY);
}

/*
 * A connection open before tracing began, its server side: the claim an
 * accept() would have left, so the close record has its owner. The
 * socket's state carries start 0: its close says the start is unknown.
 */
static __always_inline void inventory_child(struct pt_event *e, const struct sock *sk,
					    __u16 family, struct sk_state *st,
					    const struct proc_info *p)
{
	struct accept_claim c = {};
	struct tuple_key tk;
	__u64 key = (__u64)sk;

	child_tuple(sk, family, &tk, false);
	st->role = ST_CHILD;
	st->tuple.netns = tk.netns;
	st->tuple.client_port = tk.client_port;
	st->tuple.server_port = tk.server_port;
	c.proc = *p;
	claim_init(&c, &tk, sk, false);
	c.flags |= PT_F_INVENTORY;	/* proc is the holder, not an acceptor */
	if (!insert_counted(&accepts, &key, &c, BPF_ANY) && c.owes)
		count(PT_CNT_CLOSE_OWED);

	/* the range and reserved ports as claim_init read them */
	event_fill(e, PT_EV_ACCEPT, PT_PROTO_TCP, PT_SIDE_SERVER, &tk, NULL, false);
	event_from_claim(e, &c, key);
	e->family = flow_family(tk.client_addr);
}

/* ... and its client side: the state connect() would have left */
static __always_inline void inventory_client(struct pt_event *e, const struct sock *sk,
					     __u16 family, struct sk_state *st,
					     const struct proc_info *p)
{
	struct server_evidence sev;

	st->role = ST_CLIENT;
	st->proc = *p;
	read_tuple(sk, family, &st->tuple, false);
	st->origin = port_origin(sk, false);
	st->flags = ST_ESTABLISHED | ST_DONE;
	sev = server_listener(sk, &st->tuple, PT_PROTO_TCP, false);
	st->server_origin = sev.origin;
	st->server_src = sev.src;
	close_owed(&st->flags, p, &st->tuple);

	event_fill(e, PT_EV_CONNECT, PT_PROTO_TCP, PT_SIDE_CLIENT, &st->tuple, sk, false);
	e->flags |= sev.flags;
	e->client_origin = st->origin;
	e->client_src = PT_SRC_SOCKET;
	e->server_origin = sev.origin;
	e->server_src = sev.src;
}

static __always_inline void inventory_connection(struct seq_file *seq, const struct sock *sk)
{
	const bool btf = !targ_classic;
	__u64 key = (__u64)sk;
	struct proc_info *p;
	struct sk_state *st;
	struct pt_event *e;
	__u32 zero = 0;
	__u16 family;

	if (!sk_is_inet(sk, IPPROTO_TCP, &family, false) ||
	    !tcp_state_open(BPF_CORE_READ(sk, __sk_common.skc_state)))
		return;
	/* no holder: orphaned, closing; or waiting in an accept queue, where
	 * its accept() is still to come */
	p = bpf_map_lookup_elem(&inv_owners, &key);
	e = bpf_map_lookup_elem(&inv_row, &zero);
	if (!p || !e)
		return;
	/* not traced already (it opened after the attach) */
	if (!st_get(sk, false, btf)) {
		st = st_get(sk, true, btf);
		if (st) {
			__builtin_memset(st, 0, sizeof(*st));
			if (listener_lookup(sk_netns(sk, false), BPF_CORE_READ(sk, __sk_common.skc_num),
					    PT_PROTO_TCP))
				inventory_child(e, sk, family, st, p);
			else
				inventory_client(e, sk, family, st, p);
			e->flags |= PT_F_INVENTORY;
			event_proc(e, p, PT_ATTR_OWNER);
			e->ts_ns = bpf_ktime_get_ns();
			/* its state is kept whatever the filters: the close
			 * record obeys them when it comes, as this row does */
			if (row_wanted(PT_PROTO_TCP, e->family, p, e->netns, e->client_port,
				       e->server_port))
				bpf_seq_write(seq, e, sizeof(*e));
		}
	}
	bpf_map_delete_elem(&inv_owners, &key);
}

static __always_inline int inventory_file(struct seq_file *seq, struct task_struct *task,
					  struct file *file)
{
	struct proc_info p = {};
	struct socket *sock;
	struct sock *sk;
	__u16 family, port;
	__u8 proto;
	int state;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	if (sk_is_inet(sk, IPPROTO_TCP, &family, false)) {
		state = BPF_CORE_READ(sk, __sk_common.skc_state);
		if (state != TCP_LISTEN) {
			if (!tcp_state_open(state) || inv_pass != PT_INV_SERVICES)
				return 0;
			task_owner(task, &p);
			inventory_owner(sk, family, &p);
			return 0;
		}
		proto = PT_PROTO_TCP;
	} else if (sk_is_inet(sk, IPPROTO_UDP, &family, false)) {
		if (BPF_CORE_READ(sk, __sk_common.skc_dport))
			return 0;	/* connected: a client */
		proto = PT_PROTO_UDP;
	} else {
		return 0;
	}
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!port)
		return 0;
	task_owner(task, &p);
	inventory_listener(seq, sk, family, proto, port, &p);
	return 0;
}

#endif /* PORTTRACE_INVENTORY_BPF_H */
