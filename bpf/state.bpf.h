/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared state of porttrace's BPF programs: the maps, the loader's filters,
 * drop counting, the per-socket and per-thread state accessors and the one
 * event builder every record goes through.
 *
 * Per-socket state lives in socket storage: it is created for a socket and
 * freed with it, so it can neither be evicted nor be inherited by a socket
 * that reuses the memory. Socket storage needs a BTF socket pointer, which
 * only tp_btf programs have; the classic-tracepoint fallback keeps the same
 * state in a hash keyed by socket address instead (see st_get()). In-flight
 * syscall state lives in task storage. The keyed maps that remain join what
 * no one socket holds: a local client and its accept (peers), the accept of
 * a socket and its close (accepts), listeners by port (listeners). They are
 * sized by the loader, and every failed insert is counted as lost.
 */
#ifndef PORTTRACE_STATE_BPF_H
#define PORTTRACE_STATE_BPF_H

/* who a socket belongs to, read in process context */
struct proc_info {
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u8 cg_ok;		/* inside --cgroup, when set */
	__u8 __pad[3];
	char comm[PT_COMM_LEN];		/* the process's name */
	char thread[PT_COMM_LEN];	/* the thread's */
};

/* a flow by its ends, as its client socket sees them */
struct tuple_key {
	__u32 netns;
	__u16 client_port;
	__u16 server_port;
	__u8 client_addr[16];
	__u8 server_addr[16];
};

#define ST_CLIENT	1	/* connect()ed by a process on this host */
#define ST_CHILD	2	/* made by a listener for an inbound connection */

#define ST_ESTABLISHED	0x01	/* client: connect record emitted */
#define ST_DONE		0x02	/* client: outcome reported, waiting for close */
#define ST_CLOSED	0x04	/* CLOSE seen: the socket's end was reported */
#define ST_OWES		0x08	/* client: a close record is owed (PT_CNT_CLOSE_OWED) */

/* one socket from connect() (client) or the handshake (child) to close */
struct sk_state {
	struct proc_info proc;	/* client: the connect()ing process */
	__u64 start_ns;		/* client: connect(); child: handshake done */
	struct tuple_key tuple;	/* client: kept from ESTABLISHED: a kernel-chosen
				 * port is released before the CLOSE store */
	__u8 role;		/* ST_CLIENT or ST_CHILD */
	__u8 flags;		/* ST_* */
	__u8 closed_first;	/* PT_F_CLOSED_FIRST_* */
	__u8 origin;		/* client: its own port's origin */
	__u16 port_seen;	/* client: local port read while still assigned */
	__u8 server_origin;	/* client: as the connect record said */
	__u8 server_src;
};

/* a local client's port origin, for the accepting side */
struct peer_info {
	__u8 origin;
	__u8 __pad[7];
};

struct listener_key {
	__u32 netns;
	__u16 port;
	__u8 proto;
	__u8 __pad;
};

struct listener_info {
	struct proc_info proc;	/* who called listen()/bind(), or the owner found at start */
	__u32 refs;		/* SO_REUSEPORT groups share a port */
	__u8 origin;
	__u8 __pad[3];
};

/*
 * Who reports a child: its acceptor (accept record, later its close) or, if
 * it died in the accept queue first, the death (accept record, result reset).
 * The first to insert its claim wins; the other reads the winner's. Keyed by
 * socket address: a claim is only believed for the same ports and netns and,
 * against socket state, when it is newer than the socket's handshake.
 */
struct accept_claim {
	struct proc_info proc;	/* the acceptor */
	__u64 ts;		/* when accepted, or when it died */
	__u64 start_ns;		/* closed: the child's handshake */
	/* the flow, whole: a close the kernel never ran porttrace for is
	 * reported from here once the socket is gone (claim_unseen) */
	struct tuple_key tuple;
	__u16 eph_lo, eph_hi;	/* the socket's ephemeral range, as a record has it */
	__u32 owes;		/* 1: its close record is wanted (PT_CNT_CLOSE_OWED);
				 * OWES_OPEN once iter_owed found it open. 32 bits:
				 * claim_unseen takes it with a compare-and-swap */
	__u8 flags;		/* PT_F_* its records carry: reserved ports,
				 * PT_F_PEER_LOCAL, and PT_F_INVENTORY when proc is
				 * the holder found at start */
	__u8 died;		/* died in the accept queue: reported as such */
	__u8 closed;		/* accepted, but closed before the acceptor's
				 * syscall exit ran: the acceptor reports both */
	__u8 closed_first;
	__u8 client_origin, client_src, server_origin, server_src;
};

_Static_assert(sizeof(struct accept_claim) == 128, "accept_claim grew: accepts is preallocated");

#define OWES_OPEN	2

#define CALL_CONNECT	1
#define CALL_FD		2	/* accept(), bind(), listen(): the fd argument */

/* a thread's syscall in flight */
struct task_call {
	__u64 start_ns;
	__u64 sk;		/* connect: set at CLOSE->SYN_SENT inside this call */
	__u64 listen_sk;	/* listen(): a socket whose port came after CLOSE->LISTEN */
	__u64 uaddr;		/* connect: its struct sockaddr argument */
	__s32 fd;
	__u8 op;		/* CALL_* */
	__u8 deferred;		/* connect: the state machine left the outcome to the exit */
	__u8 __pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);	/* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sk_state);
} sk_states SEC(".maps");

/* the classic-tracepoint fallback's sk_states: it has no BTF socket pointer */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);	/* resized by the loader */
	__type(key, __u64);		/* struct sock * */
	__type(value, struct sk_state);
} sk_states_tp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_call);
} task_calls SEC(".maps");

/*
 * peers and accepts are preallocated: an insert on every connection must not
 * allocate. Their bounds are PT_MAX_PEERS and PT_MAX_ACCEPTS (the loader).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);	/* resized by the loader */
	__type(key, struct tuple_key);
	__type(value, struct peer_info);
} peers SEC(".maps");

/*
 * The same hint for a client whose server may be in another network
 * namespace of this host (a veth pair, a bridge: containers): keyed by the
 * addresses and ports alone (netns 0), which both ends see alike unless NAT
 * rewrites them. Most of these clients' servers are elsewhere and never take
 * their hint: an LRU, where an old hint gives way. A hint lost so only
 * weakens the accept's evidence to the range, which it then says.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, struct tuple_key);
	__type(value, struct peer_info);
} xpeers SEC(".maps");

/*
 * io_uring accept requests in flight, by ring and user_data: a multishot
 * one's completions come without the request (accept.bpf.h). An LRU: a ring
 * torn down with its request armed leaves its entry to age out.
 */
struct uring_key {
	__u64 ctx;
	__u64 user_data;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 12);
	__type(key, struct uring_key);
	__type(value, __u8);
} uring_accepts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 17);	/* resized by the loader */
	__type(key, __u64);		/* struct sock * */
	__type(value, struct accept_claim);
} accepts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);	/* resized by the loader */
	__type(key, struct listener_key);
	__type(value, struct listener_info);
} listeners SEC(".maps");

/* --cgroup: slot 0 holds the cgroup, set by the loader */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* filters, set by the loader before load */
const volatile __u32 targ_kinds = ~0u;
const volatile __u32 targ_protos = PT_PROTO_BIT(PT_PROTO_TCP) | PT_PROTO_BIT(PT_PROTO_UDP);
const volatile __u8 targ_family = 0;	/* 0, PT_FAMILY_IPV4 or PT_FAMILY_IPV6 */
const volatile __u8 targ_cgroup = 0;	/* cgroup_filter is set */
const volatile __u64 targ_cgroup_id = 0;	/* and its id, for tasks not current */
const volatile __u32 targ_netns = 0;
const volatile __u32 targ_npids = 0;
const volatile __u32 targ_pids[PT_MAX_PIDS] = {};
const volatile __u32 targ_nuids = 0;
const volatile __u32 targ_uids[PT_MAX_UIDS] = {};
const volatile __u32 targ_nports = 0;
const volatile __u16 targ_ports[PT_MAX_PORTS] = {};
const volatile char targ_comm[PT_COMM_LEN] = {};
/* the classic sock/inet_sock_set_state program is the one attached */
const volatile __u8 targ_classic = 0;
/* force a consumer wakeup once this much data waits in the ring */
const volatile __u64 wakeup_bytes = 2 << 20;
/* tests only: the kernel's uncounted skips, made to order (loader.c) */
const volatile __u8 targ_fault_unseen = 0;

#define WANT(kind)	(targ_kinds & PT_KIND_BIT(kind))

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	/* atomic: a softirq's program may count on this CPU mid-update */
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* a keyed map refused an insert (full, or out of memory): a record it
 * would have made, or made right, is lost */
/*
 * Map operations return an int before Linux 6.4 (then long): on 6.1 the
 * helper's 64-bit return holds -EEXIST in its low 32 bits only, so errors
 * are compared as int.
 */
static __always_inline int insert_counted(void *map, const void *key, const void *val, __u64 flags)
{
	int err = bpf_map_update_elem(map, key, val, flags);

	if (err && err != -EEXIST)
		count(PT_CNT_LOST_STATE);
	return err;
}

/* ---- filters ----------------------------------------------------------- */

static __always_inline bool list_has(const volatile __u32 *list, __u32 n, __u32 v)
{
	for (int i = 0; i < PT_MAX_PIDS; i++) {
		if (i >= n)
			break;
		if (list[i] == v)
			return true;
	}
	return false;
}

static __always_inline bool port_wanted(__u16 a, __u16 b)
{
	if (!targ_nports)
		return true;
	for (int i = 0; i < PT_MAX_PORTS; i++) {
		if (i >= targ_nports)
			break;
		if (targ_ports[i] == a || targ_ports[i] == b)
			return true;
	}
	return false;
}

static __always_inline bool comm_wanted(const char *comm)
{
	if (!targ_comm[0])
		return true;
	for (int i = 0; i < PT_COMM_LEN; i++) {
		if (comm[i] != targ_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* the process filters: -p, -u, -c, --cgroup. p is NULL when no process
 * took part (a connection reset before anyone accepted it). */
static __always_inline bool proc_wanted(const struct proc_info *p)
{
	if (!p)
		return !targ_npids && !targ_nuids && !targ_comm[0] && !targ_cgroup;
	if (targ_npids && !list_has(targ_pids, targ_npids > PT_MAX_PIDS ? PT_MAX_PIDS : targ_npids, p->pid))
		return false;
	if (targ_nuids && !list_has(targ_uids, targ_nuids > PT_MAX_UIDS ? PT_MAX_UIDS : targ_nuids, p->uid))
		return false;
	return p->cg_ok && comm_wanted(p->comm);
}

/* The filters of a row whatever its kind: the inventory's (--listeners,
 * --connections, the audit's start) and, with the kind, every record's. */
static __always_inline bool row_wanted(__u8 proto, __u8 family, const struct proc_info *p,
				       __u32 netns, __u16 cport, __u16 sport)
{
	if (!(targ_protos & PT_PROTO_BIT(proto)))
		return false;
	if (targ_family && targ_family != family)
		return false;
	if (targ_netns && targ_netns != netns)
		return false;
	if (!port_wanted(cport, sport))
		return false;
	return proc_wanted(p);
}

/* Kernel-side filters, all of them, for one record. */
static __always_inline bool record_wanted(__u8 kind, __u8 proto, __u8 family,
					  const struct proc_info *p, __u32 netns,
					  __u16 cport, __u16 sport)
{
	return WANT(kind) && row_wanted(proto, family, p, netns, cport, sport);
}

/*
 * The close records porttrace owes: one for each connection it reported
 * open whose close is wanted, paid when the CLOSE is handled (whether or not
 * the ring had room: that loss is counted on its own). What is still owed
 * when tracing stops, for sockets that no longer exist, is a close the
 * kernel never ran porttrace for: not even as a counted recursion skip
 * (seen on a virtualised kernel, in softirqs run on top of some tasks).
 */
static __always_inline bool close_wanted(const struct proc_info *p, const struct tuple_key *tk)
{
	return record_wanted(PT_EV_CLOSE, PT_PROTO_TCP, flow_family(tk->server_addr), p,
			     tk->netns, tk->client_port, tk->server_port);
}

static __always_inline void close_owed(__u8 *flags, const struct proc_info *p,
				       const struct tuple_key *tk)
{
	if (!close_wanted(p, tk))
		return;
	*flags |= ST_OWES;
	count(PT_CNT_CLOSE_OWED);
}

/* in process context: the task's identity, and whether it is in --cgroup */
static __always_inline void proc_read(struct proc_info *p)
{
	__u64 id = bpf_get_current_pid_tgid();

	p->pid = id >> 32;
	p->tid = (__u32)id;
	p->uid = (__u32)bpf_get_current_uid_gid();
	p->cgroup_id = bpf_get_current_cgroup_id();
	p->cg_ok = !targ_cgroup || bpf_current_task_under_cgroup(&cgroup_filter, 0) == 1;
	/* the process's name is its leader's: a worker thread (an acceptor, an
	 * io-wq worker) has its own, kept as thread */
	bpf_get_current_comm(p->thread, sizeof(p->thread));
	if (p->pid == p->tid) {
		__builtin_memcpy(p->comm, p->thread, sizeof(p->comm));
	} else {
		/* direct loads through the BTF task: no probe reads */
		struct task_struct *t = bpf_get_current_task_btf();

		__builtin_memcpy(p->comm, t->group_leader->comm, sizeof(p->comm));
	}
}

/* ---- state accessors --------------------------------------------------- */

static __always_inline struct listener_info *listener_lookup(__u32 netns, __u16 port, __u8 proto)
{
	struct listener_key lk = { .netns = netns, .port = port, .proto = proto };

	return bpf_map_lookup_elem(&listeners, &lk);
}

/*
 * A socket's state; with create, a fresh one where there is none (counted as
 * lost when it cannot be made). btf is a constant at every call site: the
 * tp_btf programs compile to socket storage, the classic tracepoint to its
 * hash.
 */
static __always_inline struct sk_state *st_get(const struct sock *sk, bool create, const bool btf)
{
	struct sk_state *st;

	if (btf) {
		st = bpf_sk_storage_get(&sk_states, (struct sock *)sk, NULL,
					create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
	} else {
		__u64 key = (__u64)sk;

		st = bpf_map_lookup_elem(&sk_states_tp, &key);
		if (!st && create) {
			struct sk_state zero = {};

			bpf_map_update_elem(&sk_states_tp, &key, &zero, BPF_NOEXIST);
			st = bpf_map_lookup_elem(&sk_states_tp, &key);
		}
	}
	if (!st && create)
		count(PT_CNT_LOST_STATE);
	return st;
}

/*
 * The socket reached CLOSE and was reported. Socket storage goes with the
 * socket: marking it is cheaper than deleting it, and tells tcp_destroy_sock
 * there is nothing to make up for.
 */
static __always_inline void st_done(const struct sock *sk, struct sk_state *st, const bool btf)
{
	if (btf) {
		st->flags |= ST_CLOSED;
	} else {
		__u64 key = (__u64)sk;

		bpf_map_delete_elem(&sk_states_tp, &key);
	}
}

/* this thread's syscall in flight, or NULL */
static __always_inline struct task_call *call_get(bool create)
{
	return bpf_task_storage_get(&task_calls, bpf_get_current_task_btf(), NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* ---- the event builder -------------------------------------------------- */

/* what a record says of its socket: the ephemeral range in force, and
 * whether either port is reserved (PT_F_*_RESERVED, returned) */
static __always_inline __u8 sk_range(const struct sock *sk, const struct tuple_key *tk,
				     __u16 *lo, __u16 *hi, const bool btf)
{
	__u8 flags = 0;

	sk_ephemeral_range(sk, lo, hi, btf);
	if (sk_port_reserved(sk, tk->client_port, btf))
		flags |= PT_F_CLIENT_RESERVED;
	if (sk_port_reserved(sk, tk->server_port, btf))
		flags |= PT_F_SERVER_RESERVED;
	return flags;
}

/*
 * Fill a record's common part from the flow: kind, family, protocol, side,
 * ends, namespace and (for a socket) the ephemeral range in force and
 * whether either port is reserved. e is zeroed here.
 */
static __always_inline void event_fill(struct pt_event *e, __u8 kind, __u8 proto, __u8 side,
				       const struct tuple_key *tk, const struct sock *sk,
				       const bool btf)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->proto = proto;
	e->side = side;
	e->netns = tk->netns;
	e->client_port = tk->client_port;
	e->server_port = tk->server_port;
	__builtin_memcpy(e->client_addr, tk->client_addr, 16);
	__builtin_memcpy(e->server_addr, tk->server_addr, 16);
	e->family = flow_family(tk->server_addr);
	if (sk) {
		e->flags |= sk_range(sk, tk, &e->eph_lo, &e->eph_hi, btf);
		e->sock_id = (__u64)sk;
	}
}

/*
 * Reserve a record in the ring and fill its common part (event_fill) and
 * its time, which the emitter's latency or duration reuses: one clock read
 * a record. A NULL return has been counted as lost. Records are submitted without a
 * wakeup: the consumer polls on a timer, and a wakeup per record is what
 * costs a busy server.
 */
static __always_inline struct pt_event *event_new(__u8 kind, __u8 proto, __u8 side,
						  const struct tuple_key *tk,
						  const struct sock *sk, const bool btf)
{
	struct pt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(PT_CNT_LOST_RINGBUF);
		return NULL;
	}
	event_fill(e, kind, proto, side, tk, sk, btf);
	e->ts_ns = bpf_ktime_get_ns();
	return e;
}

static __always_inline void event_proc(struct pt_event *e, const struct proc_info *p, __u8 attribution)
{
	e->attribution = attribution;
	if (!p)
		return;
	e->pid = p->pid;
	e->tid = p->tid;
	e->uid = p->uid;
	e->cgroup_id = p->cgroup_id;
	__builtin_memcpy(e->comm, p->comm, PT_COMM_LEN);
	__builtin_memcpy(e->thread, p->thread, PT_COMM_LEN);
}

/*
 * What a record of an accepted socket takes from its claim: the range and
 * reserved ports read when the claim was made, whether the peer is local,
 * each port's evidence. Not PT_F_INVENTORY: whether the record is of a
 * connection found at start is the caller's to say.
 */
static __always_inline void event_from_claim(struct pt_event *e, const struct accept_claim *c,
					     __u64 key)
{
	e->flags |= c->flags & ~PT_F_INVENTORY;
	e->eph_lo = c->eph_lo;
	e->eph_hi = c->eph_hi;
	e->sock_id = key;
	e->client_origin = c->client_origin;
	e->client_src = c->client_src;
	e->server_origin = c->server_origin;
	e->server_src = c->server_src;
}

static __always_inline void event_submit(struct pt_event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

#endif /* PORTTRACE_STATE_BPF_H */
