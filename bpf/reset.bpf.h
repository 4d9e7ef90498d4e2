/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A SYN to a closed port: no socket, so no state transition, only the RST the
 * kernel answers with. The raw material of port-scan findings.
 */
#ifndef PORTTRACE_RESET_BPF_H
#define PORTTRACE_RESET_BPF_H

static __always_inline void on_send_reset(const struct sock *sk, const struct sk_buff *skb)
{
	struct tuple_key tk = {};
	unsigned char *head;
	struct tcphdr th;
	struct pt_event *e;
	struct net *net;
	__u32 lo = 0, hi = 0;
	__u16 proto, thoff, nhoff;

	if (sk || !skb || !WANT(PT_EV_RESET))	/* a reset on a connection: its close tells */
		return;
	head = BPF_CORE_READ(skb, head);
	nhoff = BPF_CORE_READ(skb, network_header);
	thoff = BPF_CORE_READ(skb, transport_header);
	if (bpf_probe_read_kernel(&th, sizeof(th), head + thoff))
		return;
	if (!th.syn || th.ack)
		return;
	proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	if (proto == ETH_P_IP) {
		struct iphdr iph;

		if (bpf_probe_read_kernel(&iph, sizeof(iph), head + nhoff))
			return;
		addr_v4(tk.client_addr, iph.saddr);
		addr_v4(tk.server_addr, iph.daddr);
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nhoff))
			return;
		__builtin_memcpy(tk.client_addr, &ip6.saddr, 16);
		__builtin_memcpy(tk.server_addr, &ip6.daddr, 16);
	} else {
		return;
	}
	net = BPF_CORE_READ(skb, dev, nd_net.net);
	tk.netns = BPF_CORE_READ(net, ns.inum);
	tk.client_port = bpf_ntohs(th.source);
	tk.server_port = bpf_ntohs(th.dest);
	if (!record_wanted(PT_EV_RESET, PT_PROTO_TCP, flow_family(tk.client_addr), NULL,
			   tk.netns, tk.client_port, tk.server_port))
		return;
	e = event_new(PT_EV_RESET, PT_PROTO_TCP, PT_SIDE_SERVER, &tk, NULL, false);
	if (!e)
		return;
	e->result = ECONNREFUSED;
	net_ephemeral_range(net, &lo, &hi, false);
	e->eph_lo = lo;
	e->eph_hi = hi;
	event_submit(e);
}

#endif /* PORTTRACE_RESET_BPF_H */
