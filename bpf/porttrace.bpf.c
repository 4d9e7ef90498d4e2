// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * porttrace kernel side: tracepoints only (no kprobes, no fentry).
 *
 * A connect record is built from what connect() left in process context
 * (CLOSE->SYN_SENT) and emitted when the handshake completes, often in softirq.
 * An accept record is emitted at the exit of accept()/accept4(), the one place
 * where the accepting process is on the CPU. Intermediate states live in maps;
 * only records a user will see reach the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "porttrace.h"
#include "porttrace.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* a local client socket by flow tuple, for the accepting side's evidence */
struct tuple_key {
	__u32 netns;
	__u16 client_port;
	__u16 server_port;
	__u8 client_addr[16];
	__u8 server_addr[16];
};

/* process context seen in connect(), keyed by socket */
struct conn_info {
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u8 origin;
	__u8 established;
	__u16 __pad;
	char comm[PT_COMM_LEN];
	/* kept from ESTABLISHED: at CLOSE a kernel-chosen port is already
	 * released (inet_put_port() runs before the state store) */
	struct tuple_key tuple;
};

struct peer_info {
	__u32 pid;
	__u8 origin;
	__u8 __pad[3];
};

struct listener_key {
	__u32 netns;
	__u16 port;
	__u16 __pad;
};

struct listener_info {
	__u32 refs;	/* SO_REUSEPORT groups share a port */
	__u8 origin;
	__u8 __pad[3];
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
	__type(key, __u64);		/* pid_tgid inside accept() */
	__type(value, __s32);		/* listening fd */
} accepts SEC(".maps");

/* filters, set by the loader before load */
const volatile __u32 targ_kinds = PT_KIND_BIT(PT_EV_CONNECT) | PT_KIND_BIT(PT_EV_ACCEPT);
const volatile __u8 targ_family = 0;	/* 0, PT_FAMILY_IPV4 or PT_FAMILY_IPV6 */
const volatile __u32 targ_npids = 0;
const volatile __u32 targ_pids[PT_MAX_PIDS] = {};
const volatile __u32 targ_nports = 0;
const volatile __u16 targ_ports[PT_MAX_PORTS] = {};
/* force a consumer wakeup once this much data waits in the ring */
const volatile __u64 wakeup_bytes = 2 << 20;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

static __always_inline bool pid_wanted(__u32 pid)
{
	if (!targ_npids)
		return true;
	for (int i = 0; i < PT_MAX_PIDS; i++) {
		if (i >= targ_npids)
			break;
		if (targ_pids[i] == pid)
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

static __always_inline __u8 port_origin(const struct sock *sk)
{
	return sk_userlocks(sk) & SOCK_BINDPORT_LOCK ? PT_ORIGIN_BOUND : PT_ORIGIN_KERNEL;
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

/*
 * Reserve, fill the common part and submit without a wakeup: the consumer
 * polls on a timer, and a wakeup per record is what costs a busy server.
 * Returns NULL (and counts the loss) when the ring is full.
 */
static __always_inline struct pt_event *reserve_event(void)
{
	struct pt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		count(PT_CNT_LOST_RINGBUF);
	return e;
}

static __always_inline void submit_event(struct pt_event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
	count(PT_CNT_EMITTED);
}

static __always_inline __u8 flow_family(const __u8 client[16])
{
	return addr_is_v4mapped(client) ? PT_FAMILY_IPV4 : PT_FAMILY_IPV6;
}

static __always_inline bool record_wanted(__u8 kind, __u8 family, __u32 pid,
					  __u16 cport, __u16 sport)
{
	if (!(targ_kinds & PT_KIND_BIT(kind)))
		return false;
	if (targ_family && targ_family != family)
		return false;
	return pid_wanted(pid) && port_wanted(cport, sport);
}

/* CLOSE -> SYN_SENT runs inside connect(): the only trustworthy pid. */
static __always_inline void on_connect_start(const struct sock *sk)
{
	struct conn_info ci = {};
	__u64 key = (__u64)sk;
	__u64 id = bpf_get_current_pid_tgid();

	ci.pid = id >> 32;
	ci.tid = (__u32)id;
	ci.uid = (__u32)bpf_get_current_uid_gid();
	ci.cgroup_id = bpf_get_current_cgroup_id();
	ci.origin = port_origin(sk);
	bpf_get_current_comm(ci.comm, sizeof(ci.comm));
	bpf_map_update_elem(&conns, &key, &ci, BPF_ANY);
}

static __always_inline void emit_connect(const struct sock *sk, struct conn_info *ci)
{
	struct tuple_key *tk = &ci->tuple;
	struct listener_key lk = {};
	struct listener_info *li;
	struct pt_event *e;
	__u8 fam = flow_family(tk->client_addr);

	if (!record_wanted(PT_EV_CONNECT, fam, ci->pid, tk->client_port, tk->server_port)) {
		count(PT_CNT_FILTERED);
		return;
	}

	e = reserve_event();
	if (!e)
		return;
	e->kind = PT_EV_CONNECT;
	e->family = fam;
	e->proto = PT_PROTO_TCP;
	e->attribution = PT_ATTR_SYSCALL;
	e->client_origin = ci->origin;
	e->client_src = PT_SRC_SOCKET;
	e->server_origin = PT_ORIGIN_UNKNOWN;
	e->server_src = PT_SRC_NONE;
	/* the server is on this host: its listener tells how its port was chosen */
	if (addr_is_loopback(tk->server_addr) || addr_eq(tk->server_addr, tk->client_addr)) {
		lk.netns = tk->netns;
		lk.port = tk->server_port;
		li = bpf_map_lookup_elem(&listeners, &lk);
		if (li) {
			e->server_origin = li->origin;
			e->server_src = PT_SRC_LISTENER;
		}
	}
	e->pid = ci->pid;
	e->tid = ci->tid;
	e->uid = ci->uid;
	e->netns = tk->netns;
	e->client_port = tk->client_port;
	e->server_port = tk->server_port;
	sk_ephemeral_range(sk, &e->eph_lo, &e->eph_hi);
	e->ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = ci->cgroup_id;
	__builtin_memcpy(e->client_addr, tk->client_addr, 16);
	__builtin_memcpy(e->server_addr, tk->server_addr, 16);
	__builtin_memcpy(e->comm, ci->comm, PT_COMM_LEN);
	submit_event(e);
}

/*
 * The handshake completed: remember the tuple for the accepting side and emit.
 * Also reached from the transition after ESTABLISHED when the kernel skipped
 * our program for SYN_SENT->ESTABLISHED (recursion from a softirq): a late
 * record beats a lost one.
 */
static __always_inline void on_connect_done(const struct sock *sk, __u16 family)
{
	__u64 key = (__u64)sk;
	struct conn_info *ci;
	struct tuple_key *tk;
	struct peer_info pi = {};

	ci = bpf_map_lookup_elem(&conns, &key);
	if (!ci || ci->established)	/* connect() ran before we attached */
		return;
	tk = &ci->tuple;
	tk->netns = sk_netns(sk);
	tk->client_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	tk->server_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (!tk->client_port)	/* already released: nothing true to report */
		return;
	sk_addrs(sk, family, tk->client_addr, tk->server_addr);
	ci->established = 1;
	pi.pid = ci->pid;
	pi.origin = ci->origin;
	bpf_map_update_elem(&peers, tk, &pi, BPF_ANY);
	emit_connect(sk, ci);
}

static __always_inline void on_close(const struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn_info *ci;

	ci = bpf_map_lookup_elem(&conns, &key);
	if (!ci)
		return;
	if (ci->established)
		bpf_map_delete_elem(&peers, &ci->tuple);
	bpf_map_delete_elem(&conns, &key);
}

static __always_inline void on_listen(const struct sock *sk, bool start)
{
	struct listener_key lk = {};
	struct listener_info li = {}, *cur;

	lk.netns = sk_netns(sk);
	lk.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	cur = bpf_map_lookup_elem(&listeners, &lk);
	if (start) {
		if (cur) {
			__sync_fetch_and_add(&cur->refs, 1);
			cur->origin = port_origin(sk);
			return;
		}
		li.refs = 1;
		li.origin = port_origin(sk);
		bpf_map_update_elem(&listeners, &lk, &li, BPF_ANY);
		return;
	}
	if (cur && cur->refs > 1)
		__sync_fetch_and_add(&cur->refs, -1);
	else if (cur)
		bpf_map_delete_elem(&listeners, &lk);
}

static __always_inline bool sk_is_inet_tcp(const struct sock *sk, __u16 *family)
{
	if (sk_protocol(sk) != IPPROTO_TCP)
		return false;
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return *family == AF_INET || *family == AF_INET6;
}

static __always_inline int handle_set_state(const struct sock *sk, int oldstate,
					    int newstate)
{
	__u16 family;

	/* most transitions matter to nobody: leave before touching the socket */
	if (newstate != TCP_SYN_SENT && newstate != TCP_LISTEN &&
	    newstate != TCP_CLOSE && oldstate != TCP_SYN_SENT &&
	    oldstate != TCP_ESTABLISHED)
		return 0;
	if (!sk_is_inet_tcp(sk, &family))
		return 0;

	if (newstate == TCP_SYN_SENT) {
		on_connect_start(sk);
		return 0;
	}
	if (newstate == TCP_LISTEN) {
		on_listen(sk, true);
		return 0;
	}
	if (oldstate == TCP_LISTEN) {	/* LISTEN->CLOSE; children start in SYN_RECV */
		if (newstate == TCP_CLOSE)
			on_listen(sk, false);
		return 0;
	}
	if (newstate == TCP_ESTABLISHED || oldstate == TCP_ESTABLISHED)
		on_connect_done(sk, family);
	if (newstate == TCP_CLOSE)
		on_close(sk);
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

static __always_inline int accept_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__s32 fd = (__s32)ctx->args[0];

	bpf_map_update_elem(&accepts, &id, &fd, BPF_ANY);
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
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

static __always_inline int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct tuple_key tk = {};
	struct peer_info *pi;
	struct sock *sk, *lsk = NULL;
	struct pt_event *e;
	__s32 *lfd;
	__u16 family;
	__u8 fam;
	long ret = ctx->ret;

	lfd = bpf_map_lookup_elem(&accepts, &id);
	if (lfd) {
		if (ret >= 0)
			lsk = fd_to_sock(task, *lfd);
		bpf_map_delete_elem(&accepts, &id);
	}
	if (ret < 0)
		return 0;
	sk = fd_to_sock(task, ret);
	if (!sk || !sk_is_inet_tcp(sk, &family))
		return 0;

	tk.netns = sk_netns(sk);
	tk.server_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	/* a child reset before accept() has already given its port back */
	if (!tk.server_port && lsk)
		tk.server_port = BPF_CORE_READ(lsk, __sk_common.skc_num);
	tk.client_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	sk_addrs(sk, family, tk.server_addr, tk.client_addr);
	fam = flow_family(tk.client_addr);
	if (!record_wanted(PT_EV_ACCEPT, fam, id >> 32, tk.client_port, tk.server_port)) {
		count(PT_CNT_FILTERED);
		return 0;
	}

	e = reserve_event();
	if (!e)
		return 0;
	e->kind = PT_EV_ACCEPT;
	e->family = fam;
	e->proto = PT_PROTO_TCP;
	e->attribution = PT_ATTR_SYSCALL;
	/* the child does not carry the listener's SOCK_BINDPORT_LOCK */
	if (lsk) {
		e->server_origin = port_origin(lsk);
		e->server_src = PT_SRC_LISTENER;
	} else {
		e->server_origin = PT_ORIGIN_UNKNOWN;
		e->server_src = PT_SRC_NONE;
	}
	pi = bpf_map_lookup_elem(&peers, &tk);
	if (pi) {
		e->client_origin = pi->origin;
		e->client_src = PT_SRC_PEER;
	} else {
		e->client_origin = PT_ORIGIN_UNKNOWN;
		e->client_src = PT_SRC_NONE;
	}
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->netns = tk.netns;
	e->client_port = tk.client_port;
	e->server_port = tk.server_port;
	sk_ephemeral_range(sk, &e->eph_lo, &e->eph_hi);
	e->ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	__builtin_memcpy(e->client_addr, tk.client_addr, 16);
	__builtin_memcpy(e->server_addr, tk.server_addr, 16);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	submit_event(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int tp_enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	return accept_enter(ctx);
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int tp_enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	return accept_enter(ctx);
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
