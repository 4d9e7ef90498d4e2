/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers shared by porttrace's BPF code only: constants vmlinux.h lacks and
 * CO-RE readers for fields whose layout changed across kernels. */
#ifndef PORTTRACE_BPF_H
#define PORTTRACE_BPF_H

#define AF_INET		2
#define AF_INET6	10
#define IPPROTO_TCP	6
#define IPPROTO_UDP	17

/* errno values (uapi asm-generic/errno*.h) */
#define EINTR		4
#define EISCONN		106
#define ECONNRESET	104
#define EALREADY	114
#define EINPROGRESS	115

/* include/net/sock.h */
#define SOCK_BINDPORT_LOCK	8
#define RCV_SHUTDOWN		1
#define ETH_P_IP		0x0800
#define IFF_LOOPBACK		0x8
#define S_IFMT			00170000
#define S_IFSOCK		0140000
#define ETH_P_IPV6		0x86DD
#define ECONNREFUSED		111
#define SEND_SHUTDOWN		2
#define EEXIST			17

/*
 * Kernels before 6.8 (commit d9f28735af89, "inet: Use a u32 to store the
 * local port range") kept the netns range as int range[2] behind a seqlock;
 * newer ones pack it as lo | hi << 16 in one u32. The field keeps its name,
 * so bpf_core_field_size() on it fails the load where the type differs:
 * each flavour is tested with bpf_core_field_exists(), which only matches a
 * field of a compatible type. preserve_access_index: a direct load through
 * a flavour is relocated too, as BPF_CORE_READ's are.
 */
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
struct local_ports___old {
	int range[2];
};

struct netns_ipv4___old {
	struct local_ports___old ip_local_ports;
};

struct net___old {
	struct netns_ipv4___old ipv4;
};

struct local_ports___new {
	__u32 range;
};

struct netns_ipv4___new {
	struct local_ports___new ip_local_ports;
};

struct net___new {
	struct netns_ipv4___new ipv4;
};

/* inet_sk(sk)->local_port_range, IP_LOCAL_PORT_RANGE (6.3, commit
 * 91d0b78c5177 "inet: Add IP_LOCAL_PORT_RANGE socket option"). */
struct inet_sock___lpr {
	__u32 local_port_range;
};
#pragma clang attribute pop

/*
 * One field of a kernel object. Through a BTF pointer (the socket a tp_btf
 * program is given) it is a direct load, without a helper call: ~25 ns less
 * per field on the test machine, and a connection reads dozens. Through a
 * plain address (the classic tracepoint's socket, one found from an fd) it
 * is a CO-RE probe read. btf is a constant at every call site: one of the
 * two is compiled.
 */
#define KREAD(btf, direct, ...)	((btf) ? (direct) : BPF_CORE_READ(__VA_ARGS__))

/* sk_protocol and sk_userlocks were bitfields before 5.6 / 6.x. */
static __always_inline __u16 sk_protocol(const struct sock *sk, const bool btf)
{
	if (btf)
		return (__u16)BPF_CORE_READ_BITFIELD(sk, sk_protocol);
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

static __always_inline __u8 sk_userlocks(const struct sock *sk, const bool btf)
{
	if (btf)
		return (__u8)BPF_CORE_READ_BITFIELD(sk, sk_userlocks);
	return (__u8)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_userlocks);
}

/* a network namespace's ip_local_port_range */
static __always_inline void net_ephemeral_range(const struct net *net, __u32 *lo, __u32 *hi,
						const bool btf)
{
	const struct net___new *nw = (const void *)net;
	const struct net___old *old = (const void *)net;

	if (bpf_core_field_exists(nw->ipv4.ip_local_ports.range)) {
		__u32 r = KREAD(btf, nw->ipv4.ip_local_ports.range, nw, ipv4.ip_local_ports.range);

		*lo = r & 0xffff;
		*hi = r >> 16;
	} else if (bpf_core_field_exists(old->ipv4.ip_local_ports.range)) {
		*lo = KREAD(btf, old->ipv4.ip_local_ports.range[0], old, ipv4.ip_local_ports.range[0]);
		*hi = KREAD(btf, old->ipv4.ip_local_ports.range[1], old, ipv4.ip_local_ports.range[1]);
	} else {
		*lo = *hi = 0;
	}
}

/*
 * The ephemeral range in force for @sk: its netns ip_local_port_range,
 * narrowed by a per-socket IP_LOCAL_PORT_RANGE as inet_sk_get_local_port_range()
 * does (a per-socket range that does not overlap is ignored).
 */
static __always_inline void sk_ephemeral_range(const struct sock *sk,
					       __u16 *lo, __u16 *hi, const bool btf)
{
	struct net *net = KREAD(btf, sk->__sk_common.skc_net.net, sk, __sk_common.skc_net.net);
	__u32 lo32 = 0, hi32 = 0;

	net_ephemeral_range(net, &lo32, &hi32, btf);
	if (bpf_core_field_exists(struct inet_sock___lpr, local_port_range)) {
		struct inet_sock___lpr *inet = (void *)sk;
		/* past struct sock: a probe read either way */
		__u32 r = BPF_CORE_READ(inet, local_port_range);
		__u32 slo = r & 0xffff, shi = r >> 16;

		if (r) {
			if (slo < lo32)
				slo = lo32;
			if (shi > hi32)
				shi = hi32;
			if (slo <= shi) {
				lo32 = slo;
				hi32 = shi;
			}
		}
	}
	*lo = lo32;
	*hi = hi32;
}

/*
 * ip_local_reserved_ports: a port in it is never handed out as ephemeral,
 * whatever the range says.
 */
static __always_inline bool sk_port_reserved(const struct sock *sk, __u16 port, const bool btf)
{
	struct net *net = KREAD(btf, sk->__sk_common.skc_net.net, sk, __sk_common.skc_net.net);
	unsigned long *bitmap, word = 0;

	if (!port || !bpf_core_field_exists(net->ipv4.sysctl_local_reserved_ports))
		return false;
	/* the word itself is at a variable offset: a probe read either way */
	bitmap = KREAD(btf, net->ipv4.sysctl_local_reserved_ports, net,
		       ipv4.sysctl_local_reserved_ports);
	if (!bitmap || bpf_probe_read_kernel(&word, sizeof(word), bitmap + port / 64))
		return false;
	return (word >> (port % 64)) & 1;
}

/* Addresses as 16 bytes: IPv4 as ::ffff:a.b.c.d. */
static __always_inline void addr_v4(__u8 dst[16], __be32 a)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &a, 4);
}

static __always_inline bool addr_is_v4mapped(const __u8 a[16])
{
	__u64 hi;
	__u32 mid;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&mid, a + 8, 4);
	return hi == 0 && mid == bpf_htonl(0xffff);
}

static __always_inline bool addr_eq(const __u8 a[16], const __u8 b[16])
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a, 8);
	__builtin_memcpy(&a1, a + 8, 8);
	__builtin_memcpy(&b0, b, 8);
	__builtin_memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

static __always_inline bool addr_is_unspec(const __u8 a[16])
{
	__u64 hi, lo;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	return !hi && !lo;
}

/* 127.0.0.0/8 (possibly mapped) or ::1 */
static __always_inline bool addr_is_loopback(const __u8 a[16])
{
	__u64 hi, lo;

	if (addr_is_v4mapped(a))
		return a[12] == 127;
	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	return hi == 0 && lo == bpf_cpu_to_be64(1);
}

/* ---- socket readers (CO-RE: each works on a BTF or a plain pointer) ---- */

static __always_inline __u8 flow_family(const __u8 addr[16])
{
	return addr_is_v4mapped(addr) ? PT_FAMILY_IPV4 : PT_FAMILY_IPV6;
}

static __always_inline __u8 port_origin(const struct sock *sk, const bool btf)
{
	return sk_userlocks(sk, btf) & SOCK_BINDPORT_LOCK ? PT_ORIGIN_BOUND : PT_ORIGIN_KERNEL;
}

/*
 * A listener's (or an accepted socket's) port. At a transition to CLOSE
 * inet_put_port() has already cleared inet_num; inet_sport keeps it.
 */
static __always_inline __u16 sk_listen_port(const struct sock *sk, const bool btf)
{
	const struct inet_sock *inet = (const void *)sk;
	__u16 port = KREAD(btf, sk->__sk_common.skc_num, sk, __sk_common.skc_num);

	if (!port)
		/* past struct sock: a BTF struct sock pointer cannot reach it */
		port = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	return port;
}

static __always_inline __u32 sk_netns(const struct sock *sk, const bool btf)
{
	return KREAD(btf, sk->__sk_common.skc_net.net->ns.inum, sk, __sk_common.skc_net.net, ns.inum);
}

/* local and remote address of @sk in the 16-byte form */
static __always_inline void sk_addrs(const struct sock *sk, __u16 family,
				     __u8 local[16], __u8 remote[16], const bool btf)
{
	if (family == AF_INET) {
		addr_v4(local, KREAD(btf, sk->__sk_common.skc_rcv_saddr, sk, __sk_common.skc_rcv_saddr));
		addr_v4(remote, KREAD(btf, sk->__sk_common.skc_daddr, sk, __sk_common.skc_daddr));
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

static __always_inline bool sk_is_inet(const struct sock *sk, __u16 proto, __u16 *family,
				       const bool btf)
{
	if (sk_protocol(sk, btf) != proto)
		return false;
	*family = KREAD(btf, sk->__sk_common.skc_family, sk, __sk_common.skc_family);
	return *family == AF_INET || *family == AF_INET6;
}

/*
 * The other end is on this host (in this namespace): a loopback or our own
 * address, or any address the kernel routes through the loopback device —
 * which is how it delivers to every local address.
 */
static __always_inline bool peer_is_local(const struct sock *sk, const __u8 local[16],
					  const __u8 remote[16], const bool btf)
{
	if (addr_is_loopback(remote) || addr_eq(local, remote))
		return true;
	if (btf) {
		struct dst_entry *dst = sk->sk_dst_cache;

		return dst && dst->dev && (dst->dev->flags & IFF_LOOPBACK);
	}
	return BPF_CORE_READ(sk, sk_dst_cache, dev, flags) & IFF_LOOPBACK;
}

/* The socket behind fd in the current task's file table, or NULL. */
static __always_inline struct sock *fd_to_sock(long fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
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

/*
 * bpf_rdonly_cast (6.2): a plain address as a BTF pointer the program may
 * load through (faults read as 0), not pass to helpers. The verifier turns
 * the call into a register move. Absent on 6.1: the programs that use it
 * load only where the loader found it (user/trace/probe.c).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * fd_to_sock() by direct loads: the current task is a BTF pointer, and
 * the file and socket are cast to theirs. Only the fd array's slot, a
 * pointer to pointers, still needs a probe read.
 */
static __always_inline struct sock *fd_to_sock_cast(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *file = NULL;
	struct socket *sock;

	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]) || !file)
		return NULL;
	file = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	/* connect() and bind() take any fd: private_data is a socket only here */
	if ((file->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = bpf_rdonly_cast(file->private_data, bpf_core_type_id_kernel(struct socket));
	return sock->sk;
}

#endif /* PORTTRACE_BPF_H */
