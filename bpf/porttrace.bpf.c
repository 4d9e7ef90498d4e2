// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * porttrace kernel side: tracepoints and iterators only (no kprobes, no fentry).
 *
 * A PID is only true in process context. Each record takes its process from
 * the one place the kernel runs on behalf of that process: connect() for the
 * client (CLOSE->SYN_SENT), the exit of accept()/accept4() or the io_uring
 * accept completion for the server, listen() and bind() for listeners. Later
 * softirq-time transitions join that by socket pointer. Intermediate states
 * live in LRU maps; only records a user will see reach the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "porttrace.h"
#include "porttrace.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* who a socket belongs to, read in process context */
struct proc_info {
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u8 cg_ok;		/* inside --cgroup, when set */
	__u8 __pad[3];
	char comm[PT_COMM_LEN];
};

/* a flow by its ends, as its client socket sees them */
struct tuple_key {
	__u32 netns;
	__u16 client_port;
	__u16 server_port;
	__u8 client_addr[16];
	__u8 server_addr[16];
};

#define CONN_ESTABLISHED	0x01	/* connect record emitted */
#define CONN_DONE		0x02	/* outcome reported, waiting for close */

/* a client socket from connect() to close */
struct conn_info {
	struct proc_info proc;
	__u64 start_ns;		/* connect() */
	__u8 origin;
	__u8 state;		/* CONN_* */
	__u8 closed_first;	/* PT_F_CLOSED_FIRST_* */
	__u8 proto;
	__u16 port_seen;	/* local port read while still assigned */
	__u8 server_origin;	/* as the connect record said, for the close record */
	__u8 server_src;
	/* kept from ESTABLISHED: at CLOSE a kernel-chosen port is already
	 * released (inet_put_port() runs before the state store) */
	struct tuple_key tuple;
};

/* a server-side (accepted) socket from its creation to close */
struct child_info {
	struct proc_info proc;	/* the acceptor, once accepted */
	__u64 start_ns;		/* created by the handshake */
	__u8 accepted;
	__u8 closed_first;
	__u8 peer_local;
	__u8 died;		/* reported as dead before anyone accepted it */
	__u16 client_port;	/* kept: a child reset before accept() loses its ports */
	__u16 server_port;
	__u8 client_origin;	/* as the accept record said, for the close record */
	__u8 client_src;
	__u8 server_origin;
	__u8 server_src;
};

struct peer_info {
	__u32 pid;
	__u8 origin;
	__u8 __pad[3];
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

/* a connect() in flight, by thread */
struct connect_call {
	__u64 start_ns;
	__u64 sk;		/* set at CLOSE->SYN_SENT inside this call */
	__s32 fd;
	__u8 reported;		/* the state machine already reported the outcome */
	__u8 has_addr;
	__u16 dport;		/* host order */
	__u8 daddr[16];
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
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);		/* struct sock * */
	__type(value, struct conn_info);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);		/* struct sock * */
	__type(value, struct child_info);
} children SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tuple_key);
	__type(value, struct peer_info);
} peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct listener_key);
	__type(value, struct listener_info);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);		/* pid_tgid inside accept() or bind() */
	__type(value, __s32);		/* its fd argument: the listener, the bound socket */
} fd_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);		/* pid_tgid inside connect() */
	__type(value, struct connect_call);
} connects SEC(".maps");

/* listeners whose port listen() had not assigned yet at CLOSE->LISTEN */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);		/* struct sock * */
	__type(value, __u8);
} listen_pending SEC(".maps");

/* --cgroup: slot 0 holds the cgroup, set by the loader */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/* filters, set by the loader before load */
const volatile __u32 targ_kinds = ~0u;
const volatile __u32 targ_protos = PT_KIND_BIT(PT_PROTO_TCP & 31) | PT_KIND_BIT(PT_PROTO_UDP & 31);
const volatile __u8 targ_family = 0;	/* 0, PT_FAMILY_IPV4 or PT_FAMILY_IPV6 */
const volatile __u8 targ_cgroup = 0;	/* cgroup_filter is set */
const volatile __u32 targ_netns = 0;
const volatile __u32 targ_npids = 0;
const volatile __u32 targ_pids[PT_MAX_PIDS] = {};
const volatile __u32 targ_nuids = 0;
const volatile __u32 targ_uids[PT_MAX_UIDS] = {};
const volatile __u32 targ_nports = 0;
const volatile __u16 targ_ports[PT_MAX_PORTS] = {};
const volatile char targ_comm[PT_COMM_LEN] = {};
/* force a consumer wakeup once this much data waits in the ring */
const volatile __u64 wakeup_bytes = 2 << 20;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

static __always_inline bool list_has(const volatile __u32 *list, __u32 n, __u32 max, __u32 v)
{
	for (int i = 0; i < PT_MAX_PIDS; i++) {
		if (i >= n || i >= max)
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

/* in process context: the task's identity, and whether it is in --cgroup */
static __always_inline void proc_read(struct proc_info *p)
{
	__u64 id = bpf_get_current_pid_tgid();

	p->pid = id >> 32;
	p->tid = (__u32)id;
	p->uid = (__u32)bpf_get_current_uid_gid();
	p->cgroup_id = bpf_get_current_cgroup_id();
	p->cg_ok = !targ_cgroup || bpf_current_task_under_cgroup(&cgroup_filter, 0) == 1;
	bpf_get_current_comm(p->comm, sizeof(p->comm));
}

/* Kernel-side filters, all of them, for one record. p is NULL when no
 * process took part (a connection reset before anyone accepted it). */
static __always_inline bool record_wanted(__u8 kind, __u8 proto, __u8 family,
					  const struct proc_info *p, __u32 netns,
					  __u16 cport, __u16 sport)
{
	if (!(targ_kinds & PT_KIND_BIT(kind)))
		return false;
	if (!(targ_protos & PT_KIND_BIT(proto & 31)))
		return false;
	if (targ_family && targ_family != family)
		return false;
	if (targ_netns && targ_netns != netns)
		return false;
	if (!port_wanted(cport, sport))
		return false;
	if (!p)
		return !targ_npids && !targ_nuids && !targ_comm[0] && !targ_cgroup;
	if (targ_npids && !list_has(targ_pids, targ_npids, PT_MAX_PIDS, p->pid))
		return false;
	if (targ_nuids && !list_has(targ_uids, targ_nuids, PT_MAX_UIDS, p->uid))
		return false;
	return p->cg_ok && comm_wanted(p->comm);
}

static __always_inline __u8 port_origin(const struct sock *sk)
{
	return sk_userlocks(sk) & SOCK_BINDPORT_LOCK ? PT_ORIGIN_BOUND : PT_ORIGIN_KERNEL;
}

/*
 * A listener's port. At LISTEN->CLOSE inet_put_port() has already cleared
 * inet_num; inet_sport keeps it.
 */
static __always_inline __u16 sk_listen_port(const struct sock *sk)
{
	__u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);

	if (!port)
		port = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	return port;
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* local and remote address of @sk in the 16-byte form */
static __always_inline void sk_addrs(const struct sock *sk, __u16 family,
				     __u8 local[16], __u8 remote[16])
{
	if (family == AF_INET) {
		addr_v4(local, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		addr_v4(remote, BPF_CORE_READ(sk, __sk_common.skc_daddr));
		return;
	}
	/* remote is a pointer here: BPF_CORE_READ_INTO would read sizeof(*remote) */
	bpf_core_read(remote, 16, &sk->__sk_common.skc_v6_daddr);
	/*
	 * An IPv4 peer of a dual-stack socket: the child of an IPv6 listener
	 * gets only the IPv4 fields set (tcp_v4_syn_recv_sock()), its IPv6
	 * ones stay as cloned from the listener, often ::.
	 */
	if (addr_is_v4mapped(remote) || addr_is_unspec(remote)) {
		addr_v4(local, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		addr_v4(remote, BPF_CORE_READ(sk, __sk_common.skc_daddr));
		return;
	}
	bpf_core_read(local, 16, &sk->__sk_common.skc_v6_rcv_saddr);
}

/* a listener's or unconnected socket's own address: it has no peer to go by */
static __always_inline void sk_local_addr(const struct sock *sk, __u16 family, __u8 local[16])
{
	if (family == AF_INET)
		addr_v4(local, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
	else
		bpf_core_read(local, 16, &sk->__sk_common.skc_v6_rcv_saddr);
}

static __always_inline bool sk_is_inet(const struct sock *sk, __u16 proto, __u16 *family)
{
	if (sk_protocol(sk) != proto)
		return false;
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return *family == AF_INET || *family == AF_INET6;
}

static __always_inline __u8 flow_family(const __u8 addr[16])
{
	return addr_is_v4mapped(addr) ? PT_FAMILY_IPV4 : PT_FAMILY_IPV6;
}

/*
 * The other end is on this host (in this namespace): a loopback or our own
 * address, or any address the kernel routes through the loopback device —
 * which is how it delivers to every local address.
 */
static __always_inline bool peer_is_local(const struct sock *sk, const __u8 local[16],
					  const __u8 remote[16])
{
	if (addr_is_loopback(remote) || addr_eq(local, remote))
		return true;
	return BPF_CORE_READ(sk, sk_dst_cache, dev, flags) & IFF_LOOPBACK;
}

static __always_inline struct listener_info *listener_lookup(__u32 netns, __u16 port, __u8 proto)
{
	struct listener_key lk = { .netns = netns, .port = port, .proto = proto };

	return bpf_map_lookup_elem(&listeners, &lk);
}

/*
 * Reserve; a NULL return has been counted as lost. Records are submitted
 * without a wakeup: the consumer polls on a timer, and a wakeup per record is
 * what costs a busy server.
 */
static __always_inline struct pt_event *reserve_event(void)
{
	struct pt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(PT_CNT_LOST_RINGBUF);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	return e;
}

static __always_inline void submit_event(struct pt_event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	e->ts_ns = bpf_ktime_get_ns();
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline void fill_proc(struct pt_event *e, const struct proc_info *p, __u8 attribution)
{
	e->attribution = attribution;
	e->pid = p->pid;
	e->tid = p->tid;
	e->uid = p->uid;
	e->cgroup_id = p->cgroup_id;
	__builtin_memcpy(e->comm, p->comm, PT_COMM_LEN);
}

/* the range in force for sk, and which of the flow's ports are reserved */
static __always_inline void fill_range(struct pt_event *e, const struct sock *sk)
{
	sk_ephemeral_range(sk, &e->eph_lo, &e->eph_hi);
	if (sk_port_reserved(sk, e->client_port))
		e->flags |= PT_F_CLIENT_RESERVED;
	if (sk_port_reserved(sk, e->server_port))
		e->flags |= PT_F_SERVER_RESERVED;
}

/* The server port's origin from its listener, when the server is on this host. */
struct server_evidence {
	__u8 origin, src, flags;
};

static __always_inline struct server_evidence server_listener(const struct sock *sk,
							       const struct tuple_key *tk,
							       __u8 proto)
{
	struct server_evidence ev = {};
	struct listener_info *li;

	if (!peer_is_local(sk, tk->client_addr, tk->server_addr))
		return ev;
	ev.flags = PT_F_PEER_LOCAL;
	li = listener_lookup(tk->netns, tk->server_port, proto);
	if (li) {
		ev.origin = li->origin;
		ev.src = PT_SRC_LISTENER;
	}
	return ev;
}

/* ---- connect ---------------------------------------------------------- */

/* CLOSE -> SYN_SENT runs inside connect(): the only trustworthy pid. */
static __always_inline void on_connect_start(const struct sock *sk)
{
	struct conn_info ci = {};
	__u64 key = (__u64)sk;
	__u64 id = bpf_get_current_pid_tgid();
	struct connect_call *call;

	proc_read(&ci.proc);
	ci.origin = port_origin(sk);
	ci.proto = PT_PROTO_TCP;
	call = bpf_map_lookup_elem(&connects, &id);
	if (call) {
		call->sk = key;
		ci.start_ns = call->start_ns;
	} else {
		ci.start_ns = bpf_ktime_get_ns();
	}
	bpf_map_update_elem(&conns, &key, &ci, BPF_ANY);
}

/* Emit a TCP connect record: success, or failure with result = errno. */
static __always_inline void emit_connect(const struct sock *sk, struct conn_info *ci,
					 __u16 result, __u8 flags)
{
	struct tuple_key *tk = &ci->tuple;
	struct server_evidence sev = server_listener(sk, tk, PT_PROTO_TCP);
	struct pt_event *e;
	__u8 fam = flow_family(tk->server_addr);

	/* kept for the close record, whether or not this one is wanted */
	ci->server_origin = sev.origin;
	ci->server_src = sev.src;
	if (!record_wanted(PT_EV_CONNECT, PT_PROTO_TCP, fam, &ci->proc, tk->netns,
			   tk->client_port, tk->server_port))
		return;
	e = reserve_event();
	if (!e)
		return;
	e->kind = PT_EV_CONNECT;
	e->family = fam;
	e->proto = PT_PROTO_TCP;
	e->side = PT_SIDE_CLIENT;
	e->result = result;
	e->flags = flags;
	fill_proc(e, &ci->proc, PT_ATTR_SYSCALL);
	e->client_origin = ci->origin;
	e->client_src = PT_SRC_SOCKET;
	e->server_origin = sev.origin;
	e->server_src = sev.src;
	e->flags |= sev.flags;
	e->netns = tk->netns;
	e->client_port = tk->client_port;
	e->server_port = tk->server_port;
	__builtin_memcpy(e->client_addr, tk->client_addr, 16);
	__builtin_memcpy(e->server_addr, tk->server_addr, 16);
	fill_range(e, sk);
	e->latency_ns = bpf_ktime_get_ns() - ci->start_ns;
	e->sock_id = (__u64)sk;
	submit_event(e);
}

static __always_inline void read_tuple(const struct sock *sk, __u16 family, struct tuple_key *tk)
{
	tk->netns = sk_netns(sk);
	tk->client_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	tk->server_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	sk_addrs(sk, family, tk->client_addr, tk->server_addr);
}

/*
 * The handshake completed: remember the tuple for the accepting side and emit.
 * Also reached from the transition after ESTABLISHED when the kernel skipped
 * our program for SYN_SENT->ESTABLISHED (recursion from a softirq): a late
 * record beats a lost one.
 */
static __always_inline void on_connect_done(const struct sock *sk, __u16 family, bool late)
{
	__u64 key = (__u64)sk;
	struct conn_info *ci;
	struct peer_info pi = {};

	ci = bpf_map_lookup_elem(&conns, &key);
	if (!ci || (ci->state & (CONN_ESTABLISHED | CONN_DONE)))
		return;
	read_tuple(sk, family, &ci->tuple);
	if (!ci->tuple.client_port)	/* already released: nothing true to report */
		return;
	ci->state |= CONN_ESTABLISHED | CONN_DONE;
	/*
	 * For the accepting side, when it is on this host. The entry outlives
	 * this socket (a client may finish before the server accepts) and is
	 * consumed by the accept; the LRU takes what no one consumes.
	 */
	if (peer_is_local(sk, ci->tuple.client_addr, ci->tuple.server_addr)) {
		pi.pid = ci->proc.pid;
		pi.origin = ci->origin;
		bpf_map_update_elem(&peers, &ci->tuple, &pi, BPF_ANY);
	}
	emit_connect(sk, ci, 0, late ? PT_F_LATE : 0);
}

/* A port the kernel is about to take back, seen while still assigned. */
static __always_inline void remember_port(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn_info *ci = bpf_map_lookup_elem(&conns, &key);

	if (ci && !ci->port_seen)
		ci->port_seen = BPF_CORE_READ(sk, __sk_common.skc_num);
}

/*
 * SYN_SENT -> CLOSE: the connect failed. sk_err says why when the network
 * answered; when it is 0 and this thread is still inside connect() on this
 * socket, the syscall's return value says why (EADDRNOTAVAIL: no ephemeral
 * port), so sys_exit_connect reports it; otherwise the application closed the
 * socket before the handshake finished.
 */
static __always_inline void on_connect_failed(const struct sock *sk, __u16 family)
{
	__u64 key = (__u64)sk, id = bpf_get_current_pid_tgid();
	struct connect_call *call = bpf_map_lookup_elem(&connects, &id);
	struct conn_info *ci;
	__u16 err;

	ci = bpf_map_lookup_elem(&conns, &key);
	if (!ci || (ci->state & CONN_DONE))
		return;
	err = BPF_CORE_READ(sk, sk_err);
	if (!err && call && call->sk == key)
		return;	/* sys_exit_connect has the errno */
	read_tuple(sk, family, &ci->tuple);
	if (!ci->tuple.client_port)
		ci->tuple.client_port = ci->port_seen;
	ci->state |= CONN_DONE;
	if (call && call->sk == key)
		call->reported = 1;
	emit_connect(sk, ci, err ? err : PT_RESULT_ABORTED, 0);
}

static __always_inline int connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	struct connect_call call = {};
	__u64 id = bpf_get_current_pid_tgid();
	const void *uaddr = (const void *)ctx->args[1];
	__u16 sa_family = 0;

	call.fd = (__s32)ctx->args[0];
	call.start_ns = bpf_ktime_get_ns();
	/* the destination, for failures that happen before the socket has one */
	if (!bpf_probe_read_user(&sa_family, sizeof(sa_family), uaddr)) {
		if (sa_family == AF_INET) {
			struct sockaddr_in sin = {};

			if (!bpf_probe_read_user(&sin, sizeof(sin), uaddr)) {
				addr_v4(call.daddr, sin.sin_addr.s_addr);
				call.dport = bpf_ntohs(sin.sin_port);
				call.has_addr = 1;
			}
		} else if (sa_family == AF_INET6) {
			struct sockaddr_in6 sin6 = {};

			if (!bpf_probe_read_user(&sin6, sizeof(sin6), uaddr)) {
				__builtin_memcpy(call.daddr, &sin6.sin6_addr, 16);
				call.dport = bpf_ntohs(sin6.sin6_port);
				call.has_addr = 1;
			}
		}
	}
	bpf_map_update_elem(&connects, &id, &call, BPF_ANY);
	return 0;
}

static __always_inline struct sock *fd_to_sock(struct task_struct *task, long fd)
{
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;

	if (fd < 0 || fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	/* connect() and bind() take any fd: private_data is a socket only here */
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

/* errors that are no outcome of a connection attempt */
static __always_inline bool connect_pending(long ret)
{
	return ret == 0 || ret == -EINPROGRESS || ret == -EALREADY || ret == -EISCONN ||
	       ret == -EINTR || (ret <= -512 && ret >= -516);	/* -ERESTART* */
}

/* UDP connect(): the whole outcome is the syscall's. */
static __always_inline void emit_udp_connect(const struct sock *sk, __u16 family,
					     const struct connect_call *call, long ret)
{
	struct proc_info p = {};
	struct tuple_key tk = {};
	struct server_evidence sev;
	struct pt_event *e;
	__u8 fam;

	proc_read(&p);
	read_tuple(sk, family, &tk);
	if (ret < 0 && call->has_addr) {
		__builtin_memcpy(tk.server_addr, call->daddr, 16);
		tk.server_port = call->dport;
	}
	if (!ret && !tk.server_port)	/* connect(AF_UNSPEC): a disconnect */
		return;
	fam = flow_family(tk.server_addr);
	if (!record_wanted(PT_EV_CONNECT, PT_PROTO_UDP, fam, &p, tk.netns,
			   tk.client_port, tk.server_port))
		return;
	e = reserve_event();
	if (!e)
		return;
	e->kind = PT_EV_CONNECT;
	e->family = fam;
	e->proto = PT_PROTO_UDP;
	e->side = PT_SIDE_CLIENT;
	e->result = ret < 0 ? -ret : 0;
	fill_proc(e, &p, PT_ATTR_SYSCALL);
	e->client_origin = port_origin(sk);
	e->client_src = PT_SRC_SOCKET;
	sev = server_listener(sk, &tk, PT_PROTO_UDP);
	e->server_origin = sev.origin;
	e->server_src = sev.src;
	e->flags |= sev.flags;
	e->netns = tk.netns;
	e->client_port = tk.client_port;
	e->server_port = tk.server_port;
	__builtin_memcpy(e->client_addr, tk.client_addr, 16);
	__builtin_memcpy(e->server_addr, tk.server_addr, 16);
	fill_range(e, sk);
	e->latency_ns = bpf_ktime_get_ns() - call->start_ns;
	e->sock_id = (__u64)sk;
	submit_event(e);
}

static __always_inline int connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid(), key;
	struct connect_call *call;
	struct conn_info *ci;
	struct sock *sk;
	__u16 family;
	long ret = ctx->ret;

	call = bpf_map_lookup_elem(&connects, &id);
	if (!call)
		return 0;
	sk = fd_to_sock(task, call->fd);
	if (!sk)
		goto out;
	if (sk_is_inet(sk, IPPROTO_UDP, &family)) {
		if (!connect_pending(ret) || ret == 0)
			emit_udp_connect(sk, family, call, ret);
		goto out;
	}
	if (connect_pending(ret) || call->reported || !sk_is_inet(sk, IPPROTO_TCP, &family))
		goto out;

	/* failed inside the syscall: before or right after SYN_SENT */
	key = (__u64)sk;
	ci = bpf_map_lookup_elem(&conns, &key);
	if (ci) {
		if (ci->state & CONN_DONE)
			goto out;
		ci->state |= CONN_DONE;
	} else {
		struct conn_info fresh = {};

		proc_read(&fresh.proc);
		fresh.origin = port_origin(sk);
		fresh.start_ns = call->start_ns;
		bpf_map_update_elem(&conns, &key, &fresh, BPF_ANY);
		ci = bpf_map_lookup_elem(&conns, &key);
		if (!ci)
			goto out;
		ci->state = CONN_DONE;
	}
	read_tuple(sk, family, &ci->tuple);
	if (call->has_addr) {
		__builtin_memcpy(ci->tuple.server_addr, call->daddr, 16);
		ci->tuple.server_port = call->dport;
	}
	emit_connect(sk, ci, -ret, 0);
	bpf_map_delete_elem(&conns, &key);
out:
	bpf_map_delete_elem(&connects, &id);
	return 0;
}

/* ---- listen ----------------------------------------------------------- */

static __always_inline void emit_listen(const struct sock *sk, __u16 family, __u8 kind,
					__u8 proto, const struct proc_info *p)
{
	struct pt_event *e;
	__u8 local[16];
	__u32 netns = sk_netns(sk);
	__u16 port = sk_listen_port(sk);
	__u8 fam;

	sk_local_addr(sk, family, local);
	fam = flow_family(local);
	if (!record_wanted(kind, proto, fam, p, netns, 0, port))
		return;
	e = reserve_event();
	if (!e)
		return;
	e->kind = kind;
	e->family = fam;
	e->proto = proto;
	e->side = PT_SIDE_SERVER;
	fill_proc(e, p, PT_ATTR_SYSCALL);
	e->server_origin = port_origin(sk);
	e->server_src = PT_SRC_SOCKET;
	e->netns = netns;
	e->server_port = port;
	__builtin_memcpy(e->server_addr, local, 16);
	fill_range(e, sk);
	e->sock_id = (__u64)sk;
	submit_event(e);
}

/* CLOSE -> LISTEN runs inside listen(); bind() for UDP. */
static __always_inline void listener_add(const struct sock *sk, __u8 proto,
					 const struct proc_info *p)
{
	struct listener_key lk = {};
	struct listener_info li = {}, *cur;

	lk.netns = sk_netns(sk);
	lk.port = sk_listen_port(sk);
	lk.proto = proto;
	cur = bpf_map_lookup_elem(&listeners, &lk);
	if (cur) {
		__sync_fetch_and_add(&cur->refs, 1);
		cur->origin = port_origin(sk);
		return;
	}
	li.refs = 1;
	li.origin = port_origin(sk);
	li.proc = *p;
	bpf_map_update_elem(&listeners, &lk, &li, BPF_ANY);
}

/*
 * CLOSE -> LISTEN runs inside listen(). A socket listen()ing without bind()
 * gets its port only after this transition (inet_csk_listen_start()): the
 * exit of listen() finishes the job for it.
 */
static __always_inline void on_listen(const struct sock *sk, __u16 family)
{
	struct proc_info p = {};
	__u64 key = (__u64)sk;
	__u8 one = 1;

	if (!sk_listen_port(sk)) {
		bpf_map_update_elem(&listen_pending, &key, &one, BPF_ANY);
		return;
	}
	proc_read(&p);
	listener_add(sk, PT_PROTO_TCP, &p);
	emit_listen(sk, family, PT_EV_LISTEN, PT_PROTO_TCP, &p);
}

static __always_inline void on_unlisten(const struct sock *sk, __u16 family)
{
	struct listener_key lk = {};
	struct listener_info *cur;
	struct proc_info p = {};

	lk.netns = sk_netns(sk);
	lk.port = sk_listen_port(sk);
	lk.proto = PT_PROTO_TCP;
	cur = bpf_map_lookup_elem(&listeners, &lk);
	if (cur && cur->refs > 1)
		__sync_fetch_and_add(&cur->refs, -1);
	else if (cur)
		bpf_map_delete_elem(&listeners, &lk);
	/* listening sockets close in process context: close() or exit */
	proc_read(&p);
	emit_listen(sk, family, PT_EV_UNLISTEN, PT_PROTO_TCP, &p);
}

/* ---- server side: children of listeners -------------------------------- */

/* LISTEN -> SYN_RECV: the kernel made a child for a new connection. */
static __always_inline void on_child_created(const struct sock *sk)
{
	struct child_info ci = {};
	__u64 key = (__u64)sk;

	ci.start_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&children, &key, &ci, BPF_ANY);
}

/* SYN_RECV -> ESTABLISHED: keep the ports while they are still there. */
static __always_inline void on_child_established(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct child_info *ci = bpf_map_lookup_elem(&children, &key);

	if (!ci)
		return;
	ci->server_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	ci->client_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline void emit_accept(const struct sock *sk, __u16 family,
					const struct proc_info *p, __u8 attribution,
					const struct sock *lsk, __u16 result, __u8 flags,
					struct child_info *ci)
{
	struct tuple_key tk = {};
	struct peer_info *pi;
	struct listener_info *li;
	struct pt_event *e;
	__u8 fam, corigin = PT_ORIGIN_UNKNOWN, csrc = PT_SRC_NONE;
	__u8 sorigin = PT_ORIGIN_UNKNOWN, ssrc = PT_SRC_NONE;

	tk.netns = sk_netns(sk);
	tk.server_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	tk.client_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* a child reset before accept() has already given its port back */
	if (ci && !tk.server_port)
		tk.server_port = ci->server_port;
	if (ci && !tk.client_port)
		tk.client_port = ci->client_port;
	if (!tk.server_port && lsk)
		tk.server_port = BPF_CORE_READ(lsk, __sk_common.skc_num);
	sk_addrs(sk, family, tk.server_addr, tk.client_addr);
	fam = flow_family(tk.client_addr);

	/* the child does not carry the listener's SOCK_BINDPORT_LOCK */
	if (lsk) {
		sorigin = port_origin(lsk);
		ssrc = PT_SRC_LISTENER;
	} else {
		li = listener_lookup(tk.netns, tk.server_port, PT_PROTO_TCP);
		if (li) {
			sorigin = li->origin;
			ssrc = PT_SRC_LISTENER;
		}
	}
	/* a local client's own socket said how its port was chosen; take it once */
	pi = bpf_map_lookup_elem(&peers, &tk);
	if (pi) {
		corigin = pi->origin;
		csrc = PT_SRC_PEER;
		bpf_map_delete_elem(&peers, &tk);
	}
	if (ci) {
		ci->peer_local = csrc == PT_SRC_PEER;
		ci->client_origin = corigin;
		ci->client_src = csrc;
		ci->server_origin = sorigin;
		ci->server_src = ssrc;
	}

	if (!record_wanted(PT_EV_ACCEPT, PT_PROTO_TCP, fam, p, tk.netns,
			   tk.client_port, tk.server_port))
		return;
	e = reserve_event();
	if (!e)
		return;
	e->kind = PT_EV_ACCEPT;
	e->family = fam;
	e->proto = PT_PROTO_TCP;
	e->side = PT_SIDE_SERVER;
	e->result = result;
	e->flags = flags;
	if (p)
		fill_proc(e, p, attribution);
	e->client_origin = corigin;
	e->client_src = csrc;
	e->server_origin = sorigin;
	e->server_src = ssrc;
	if (csrc == PT_SRC_PEER)
		e->flags |= PT_F_PEER_LOCAL;
	e->netns = tk.netns;
	e->client_port = tk.client_port;
	e->server_port = tk.server_port;
	__builtin_memcpy(e->client_addr, tk.client_addr, 16);
	__builtin_memcpy(e->server_addr, tk.server_addr, 16);
	fill_range(e, sk);
	if (ci)
		e->latency_ns = bpf_ktime_get_ns() - ci->start_ns;
	e->sock_id = (__u64)sk;
	submit_event(e);
}

/* A process took sk: from accept()/accept4() or an io_uring completion. */
static __always_inline void on_accepted(const struct sock *sk, const struct sock *lsk, __u8 flags)
{
	__u64 key = (__u64)sk;
	struct child_info *ci = bpf_map_lookup_elem(&children, &key);
	struct child_info fresh = {};
	struct proc_info p = {};
	__u16 family;

	if (!sk_is_inet(sk, IPPROTO_TCP, &family))
		return;
	if (ci && ci->accepted)
		return;
	if (ci && ci->died)
		return;	/* already reported as reset before accept */
	proc_read(&p);
	if (!ci) {	/* handshake done before we attached */
		fresh.start_ns = bpf_ktime_get_ns();
		bpf_map_update_elem(&children, &key, &fresh, BPF_ANY);
		ci = bpf_map_lookup_elem(&children, &key);
	}
	if (ci) {
		ci->accepted = 1;
		ci->proc = p;
	}
	emit_accept(sk, family, &p, PT_ATTR_SYSCALL, lsk, 0, flags, ci);
}

/*
 * The child closed while still in the accept queue: nobody accepted it. Say
 * so once, naming the listener's owner when known — never the task that ran
 * the softirq.
 */
static __always_inline void on_child_died(const struct sock *sk, __u16 family,
					  struct child_info *ci)
{
	struct listener_info *li;
	__u16 err = BPF_CORE_READ(sk, sk_err);
	__u16 port = ci->server_port;

	li = listener_lookup(sk_netns(sk), port, PT_PROTO_TCP);
	ci->died = 1;
	if (li)
		emit_accept(sk, family, &li->proc, PT_ATTR_LISTENER, NULL,
			    err ? err : ECONNRESET, 0, ci);
	else
		emit_accept(sk, family, NULL, PT_ATTR_NONE, NULL,
			    err ? err : ECONNRESET, 0, ci);
}

/* ---- close ------------------------------------------------------------ */

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
static __always_inline void flow_bytes(const struct sock *sk, __u64 *tx, __u64 *rx)
{
	const struct tcp_sock *tp = (const void *)sk;
	unsigned long flags = BPF_CORE_READ(sk, __sk_common.skc_flags);

	*tx = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	*rx = BPF_CORE_READ(tp, bytes_received);
	if ((flags & (1UL << SOCK_DONE)) && *rx)
		*rx -= 1;
}

static __always_inline void emit_close(const struct sock *sk, const struct close_args *a)
{
	const struct tuple_key *tk = a->tuple;
	struct pt_event *e;
	__u8 fam = flow_family(tk->server_addr);

	if (!record_wanted(PT_EV_CLOSE, PT_PROTO_TCP, fam, a->proc, tk->netns,
			   tk->client_port, tk->server_port))
		return;
	e = reserve_event();
	if (!e)
		return;
	e->kind = PT_EV_CLOSE;
	e->family = fam;
	e->proto = PT_PROTO_TCP;
	e->side = a->side;
	e->flags = a->flags;
	e->result = BPF_CORE_READ(sk, sk_err);
	fill_proc(e, a->proc, PT_ATTR_SYSCALL);
	e->client_origin = a->client_origin;
	e->client_src = a->client_src;
	e->server_origin = a->server_origin;
	e->server_src = a->server_src;
	e->netns = tk->netns;
	e->client_port = tk->client_port;
	e->server_port = tk->server_port;
	__builtin_memcpy(e->client_addr, tk->client_addr, 16);
	__builtin_memcpy(e->server_addr, tk->server_addr, 16);
	fill_range(e, sk);
	e->duration_ns = bpf_ktime_get_ns() - a->start_ns;
	flow_bytes(sk, &e->tx_bytes, &e->rx_bytes);
	e->sock_id = (__u64)sk;
	submit_event(e);
}

/* the first move out of ESTABLISHED tells which side ended the flow */
static __always_inline __u8 closer(const struct sock *sk, int newstate)
{
	if (newstate == TCP_FIN_WAIT1)
		return PT_F_CLOSED_FIRST_LOCAL;
	if (newstate == TCP_CLOSE_WAIT)
		return PT_F_CLOSED_FIRST_PEER;
	/* straight to CLOSE: a reset from the peer, or our own abort */
	return BPF_CORE_READ(sk, sk_err) ? PT_F_CLOSED_FIRST_PEER : PT_F_CLOSED_FIRST_LOCAL;
}

static __always_inline void on_client_state(const struct sock *sk, __u16 family,
					    int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct conn_info *ci = bpf_map_lookup_elem(&conns, &key);

	if (!ci)
		return;
	if (oldstate == TCP_ESTABLISHED && !ci->closed_first)
		ci->closed_first = closer(sk, newstate);
	if (newstate != TCP_CLOSE)
		return;
	if (ci->state & CONN_ESTABLISHED) {
		struct close_args a = {
			.proc = &ci->proc, .tuple = &ci->tuple, .start_ns = ci->start_ns,
			.side = PT_SIDE_CLIENT, .flags = ci->closed_first,
			.client_origin = ci->origin, .client_src = PT_SRC_SOCKET,
			.server_origin = ci->server_origin, .server_src = ci->server_src,
		};

		if (ci->server_src)
			a.flags |= PT_F_PEER_LOCAL;
		emit_close(sk, &a);
	}
	bpf_map_delete_elem(&conns, &key);
}

static __always_inline void on_child_state(const struct sock *sk, __u16 family,
					   int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct child_info *ci = bpf_map_lookup_elem(&children, &key);
	struct tuple_key tk = {};
	__u8 flags;

	if (!ci)
		return;
	if (oldstate == TCP_ESTABLISHED && !ci->closed_first)
		ci->closed_first = closer(sk, newstate);
	if (newstate != TCP_CLOSE)
		return;
	if (!ci->accepted) {
		/*
		 * A child that never completed the handshake is no connection.
		 * One that did stays in the map (LRU) after its record, so an
		 * accept() that still takes it from the queue reports nothing
		 * twice.
		 */
		if (oldstate != TCP_SYN_RECV && ci->client_port && !ci->died)
			on_child_died(sk, family, ci);
		else if (!ci->died)
			bpf_map_delete_elem(&children, &key);
		return;
	}
	tk.netns = sk_netns(sk);
	tk.client_port = ci->client_port;
	tk.server_port = ci->server_port;
	sk_addrs(sk, family, tk.server_addr, tk.client_addr);
	flags = ci->closed_first;
	if (ci->peer_local)
		flags |= PT_F_PEER_LOCAL;
	{
		struct close_args a = {
			.proc = &ci->proc, .tuple = &tk, .start_ns = ci->start_ns,
			.side = PT_SIDE_SERVER, .flags = flags,
			.client_origin = ci->client_origin, .client_src = ci->client_src,
			.server_origin = ci->server_origin, .server_src = ci->server_src,
		};

		emit_close(sk, &a);
	}
	bpf_map_delete_elem(&children, &key);
}

static __always_inline int handle_set_state(const struct sock *sk, int oldstate,
					    int newstate)
{
	__u16 family;

	if (!sk_is_inet(sk, IPPROTO_TCP, &family))
		return 0;

	switch (newstate) {
	case TCP_SYN_SENT:
		on_connect_start(sk);
		return 0;
	case TCP_LISTEN:
		on_listen(sk, family);
		return 0;
	case TCP_SYN_RECV:
		if (oldstate == TCP_LISTEN)
			on_child_created(sk);
		return 0;
	}
	if (oldstate == TCP_LISTEN) {	/* LISTEN -> CLOSE */
		if (newstate == TCP_CLOSE)
			on_unlisten(sk, family);
		return 0;
	}
	if (oldstate == TCP_SYN_SENT) {
		if (newstate == TCP_ESTABLISHED)
			on_connect_done(sk, family, false);
		else if (newstate == TCP_CLOSE)
			on_connect_failed(sk, family);
		else	/* simultaneous open: SYN_SENT -> SYN_RECV */
			on_connect_done(sk, family, false);
		return 0;
	}
	if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		on_child_established(sk);
		return 0;
	}
	if (oldstate == TCP_ESTABLISHED)
		on_connect_done(sk, family, true);
	on_client_state(sk, family, oldstate, newstate);
	on_child_state(sk, family, oldstate, newstate);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	return handle_set_state(sk, oldstate, newstate);
}

/* fallback where tp_btf cannot attach; needs tracefs for the id */
SEC("tracepoint/sock/inet_sock_set_state")
int tp_inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return handle_set_state(ctx->skaddr, ctx->oldstate, ctx->newstate);
}

/* A refused or timing-out connect still holds its port here; at CLOSE it
 * will not. */
SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(btf_tcp_receive_reset, struct sock *sk)
{
	remember_port(sk);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(btf_tcp_retransmit_skb, const struct sock *sk)
{
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_SYN_SENT)
		remember_port(sk);
	return 0;
}

/*
 * A SYN to a closed port: no socket, so no state transition, only the RST the
 * kernel answers with. The raw material of port-scan findings.
 */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(btf_tcp_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	unsigned char *head;
	struct tcphdr th;
	struct pt_event *e;
	struct net *net;
	__u32 lo = 0, hi = 0;
	__u16 proto, thoff, nhoff;
	__u8 family, cli[16], srv[16];

	if (sk || !skb)	/* a reset on a connection: its close record tells */
		return 0;
	head = BPF_CORE_READ(skb, head);
	nhoff = BPF_CORE_READ(skb, network_header);
	thoff = BPF_CORE_READ(skb, transport_header);
	if (bpf_probe_read_kernel(&th, sizeof(th), head + thoff))
		return 0;
	if (!th.syn || th.ack)
		return 0;
	proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	if (proto == ETH_P_IP) {
		struct iphdr iph;

		if (bpf_probe_read_kernel(&iph, sizeof(iph), head + nhoff))
			return 0;
		addr_v4(cli, iph.saddr);
		addr_v4(srv, iph.daddr);
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nhoff))
			return 0;
		__builtin_memcpy(cli, &ip6.saddr, 16);
		__builtin_memcpy(srv, &ip6.daddr, 16);
	} else {
		return 0;
	}
	family = flow_family(cli);
	net = BPF_CORE_READ(skb, dev, nd_net.net);
	if (!record_wanted(PT_EV_RESET, PT_PROTO_TCP, family, NULL,
			   BPF_CORE_READ(net, ns.inum), bpf_ntohs(th.source), bpf_ntohs(th.dest)))
		return 0;
	e = reserve_event();
	if (!e)
		return 0;
	e->kind = PT_EV_RESET;
	e->family = family;
	e->proto = PT_PROTO_TCP;
	e->side = PT_SIDE_SERVER;
	e->result = ECONNREFUSED;
	e->netns = BPF_CORE_READ(net, ns.inum);
	e->client_port = bpf_ntohs(th.source);
	e->server_port = bpf_ntohs(th.dest);
	__builtin_memcpy(e->client_addr, cli, 16);
	__builtin_memcpy(e->server_addr, srv, 16);
	net_ephemeral_range(net, &lo, &hi);
	e->eph_lo = lo;
	e->eph_hi = hi;
	submit_event(e);
	return 0;
}

/* ---- syscalls ---------------------------------------------------------- */

/* accept() and bind() act on the fd in their first argument: keep it for the exit */
static __always_inline int remember_fd(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__s32 fd = (__s32)ctx->args[0];

	bpf_map_update_elem(&fd_calls, &id, &fd, BPF_ANY);
	return 0;
}

static __always_inline int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct sock *sk, *lsk = NULL;
	__s32 *lfd;
	long ret = ctx->ret;

	lfd = bpf_map_lookup_elem(&fd_calls, &id);
	if (lfd) {
		if (ret >= 0)
			lsk = fd_to_sock(task, *lfd);
		bpf_map_delete_elem(&fd_calls, &id);
	}
	if (ret < 0)
		return 0;
	sk = fd_to_sock(task, ret);
	if (sk)
		on_accepted(sk, lsk, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int tp_enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	return remember_fd(ctx);
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int tp_enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	return remember_fd(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tp_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tp_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx);
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

/* bind() on a UDP socket makes it a service: remember how its port came */
SEC("tracepoint/syscalls/sys_enter_bind")
int tp_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	return remember_fd(ctx);
}

SEC("tracepoint/syscalls/sys_enter_listen")
int tp_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	return remember_fd(ctx);
}

SEC("tracepoint/syscalls/sys_exit_listen")
int tp_exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid(), key;
	struct sock *sk;
	__s32 *fd;
	__u16 family;

	fd = bpf_map_lookup_elem(&fd_calls, &id);
	if (!fd)
		return 0;
	sk = ctx->ret == 0 ? fd_to_sock(task, *fd) : NULL;
	bpf_map_delete_elem(&fd_calls, &id);
	if (!sk)
		return 0;
	key = (__u64)sk;
	if (!bpf_map_lookup_elem(&listen_pending, &key))
		return 0;
	bpf_map_delete_elem(&listen_pending, &key);
	if (sk_is_inet(sk, IPPROTO_TCP, &family))
		on_listen(sk, family);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int tp_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct proc_info p = {};
	struct sock *sk;
	__s32 *fd;
	__u16 family;

	fd = bpf_map_lookup_elem(&fd_calls, &id);
	if (!fd)
		return 0;
	sk = ctx->ret == 0 ? fd_to_sock(task, *fd) : NULL;
	bpf_map_delete_elem(&fd_calls, &id);
	if (!sk || !sk_is_inet(sk, IPPROTO_UDP, &family))
		return 0;
	proc_read(&p);
	listener_add(sk, PT_PROTO_UDP, &p);
	return 0;
}

/*
 * io_uring accepts bypass the accept syscalls. The completion is posted in
 * the submitting task or its io-wq worker, both of the owning process. An
 * accept into a fixed-file slot (IORING_FILE_INDEX) completes with 0, not an
 * fd: nothing in this task's file table names the socket.
 */
static __always_inline void io_uring_accepted(void *req, __s32 res)
{
	struct io_kiocb *r = req;
	struct io_accept *acc = req;	/* the command overlays the request's head */
	struct sock *sk;

	if (res < 0 || BPF_CORE_READ(r, opcode) != IORING_OP_ACCEPT)
		return;
	if (bpf_core_field_exists(acc->file_slot) && BPF_CORE_READ(acc, file_slot))
		return;
	sk = fd_to_sock((void *)bpf_get_current_task(), res);
	if (sk)
		on_accepted(sk, NULL, PT_F_IO_URING);
}

/*
 * The tracepoint's arguments changed: the loader reads them from BTF and
 * loads the one program that matches (see user/probe.c).
 * Seen in Debian's kernels: 6.18 passes (ctx, req, cqe); 6.1 and 6.12 pass
 * (ctx, req, user_data, res, cflags, extra1, extra2); 5.10 has no req, so no
 * opcode to tell an accept by, and gets neither program.
 */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(btf_io_uring_complete, void *ctx_, void *req, struct io_uring_cqe *cqe)
{
	io_uring_accepted(req, BPF_CORE_READ(cqe, res));
	return 0;
}

/* (ctx, req, user_data, res, cflags, extra1, extra2): 6.1 .. 6.12 */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(btf_io_uring_complete_res, void *ctx_, void *req, __u64 user_data, int res)
{
	io_uring_accepted(req, res);
	return 0;
}

/* ---- inventory at start ------------------------------------------------ */

/*
 * Walk every task's files once: each listening TCP socket and bound,
 * unconnected UDP socket becomes a listener entry (for evidence and
 * attribution) and a record for --listeners.
 */
SEC("iter/task_file")
int iter_listeners(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct proc_info p = {};
	struct listener_key lk = {};
	struct listener_info li = {};
	struct socket *sock;
	struct sock *sk;
	struct pt_event e = {};
	__u16 family, port;
	__u8 proto, local[16];

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	if (sk_is_inet(sk, IPPROTO_TCP, &family)) {
		if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_LISTEN)
			return 0;
		proto = PT_PROTO_TCP;
	} else if (sk_is_inet(sk, IPPROTO_UDP, &family)) {
		if (BPF_CORE_READ(sk, __sk_common.skc_dport))
			return 0;	/* connected: a client */
		proto = PT_PROTO_UDP;
	} else {
		return 0;
	}
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!port)
		return 0;

	p.pid = BPF_CORE_READ(task, tgid);
	p.tid = BPF_CORE_READ(task, pid);
	p.uid = BPF_CORE_READ(task, cred, uid.val);
	p.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	p.cg_ok = 1;
	BPF_CORE_READ_STR_INTO(&p.comm, task, group_leader, comm);

	lk.netns = sk_netns(sk);
	lk.port = port;
	lk.proto = proto;
	li.refs = 1;
	li.origin = port_origin(sk);
	li.proc = p;
	bpf_map_update_elem(&listeners, &lk, &li, BPF_NOEXIST);

	sk_local_addr(sk, family, local);
	e.kind = PT_EV_LISTEN;
	e.family = flow_family(local);
	e.proto = proto;
	e.side = PT_SIDE_SERVER;
	e.flags = PT_F_INVENTORY;
	/* the owner comes from the file table: who holds the listener */
	fill_proc(&e, &p, PT_ATTR_LISTENER);
	e.server_origin = li.origin;
	e.server_src = PT_SRC_SOCKET;
	e.netns = lk.netns;
	e.server_port = port;
	__builtin_memcpy(e.server_addr, local, 16);
	fill_range(&e, sk);
	e.ts_ns = bpf_ktime_get_ns();
	e.sock_id = (__u64)sk;
	bpf_seq_write(seq, &e, sizeof(e));
	return 0;
}
