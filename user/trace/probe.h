/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What this kernel offers porttrace, probed before anything loads: map types,
 * tracepoints and their argument lists as the kernel's BTF declares them.
 * Never a kernel-version test: Debian and others backport.
 */
#ifndef PT_PROBE_H
#define PT_PROBE_H

#include <stdbool.h>
#include <stdio.h>

struct btf;

/* the io_uring submission tracepoint whose first argument is the request */
enum pt_iou_submit {
	PT_IOU_SUBMIT_NONE = 0,
	PT_IOU_SUBMIT_REQ,	/* io_uring_submit_req(req): 6.2 and later */
	PT_IOU_SUBMIT_SQE,	/* io_uring_submit_sqe(req, force_nonblock): 5.19-6.1 */
};

/* io_uring_complete's arguments, by kernel generation */
enum pt_iou_abi {
	PT_IOU_NONE = 0,	/* no tracepoint, or one without the request (5.10) */
	PT_IOU_RES,		/* (ctx, req, user_data, res, cflags, ...): 6.1 .. 6.12 */
	PT_IOU_CQE,		/* (ctx, req, cqe): newer */
};

struct pt_kernel {
	char release[65];		/* uname -r */
	/* the minimum: without any of these porttrace refuses to start */
	bool btf;			/* /sys/kernel/btf/vmlinux */
	bool ringbuf;			/* BPF_MAP_TYPE_RINGBUF (5.8) */
	bool task_storage;		/* BPF_MAP_TYPE_TASK_STORAGE (5.11) */
	bool sk_storage;		/* BPF_MAP_TYPE_SK_STORAGE */
	bool for_each_map;		/* bpf_for_each_map_elem (5.13): the closes found
					 * gone at stop; atomic compare-and-swap (5.12) */
	/* optional: each one missing turns one feature off, said once */
	bool tp_set_state;		/* tp_btf/inet_sock_set_state */
	bool tp_receive_reset;		/* a refused connect's local port */
	bool tp_retransmit_skb;		/* a timed-out connect's local port */
	bool tp_destroy_sock;		/* close records the kernel's skips would lose */
	bool tp_send_reset;		/* tcp_send_reset exists ... */
	bool reset_without_sk;		/* ... and fires for a SYN to a closed port */
	enum pt_iou_abi io_uring;	/* io_uring accepts */
	enum pt_iou_submit uring_submit;	/* multishot accepts: the submission tracepoint */
	/* cost only: the bpf_rdonly_cast kfunc (6.2) lets the accept exit walk
	 * fd -> socket by direct loads instead of probe reads */
	bool rdonly_cast;
};

/* The minimum kernel, as the README and --help state it. */
#define PT_MIN_KERNEL	"5.13"

/* Fill k from this kernel. btf may be NULL: vmlinux BTF is loaded here. */
void pt_kernel_probe(struct pt_kernel *k, const struct btf *btf);

/*
 * 0 when k has all porttrace needs; else one line on fp naming the kernel,
 * what is missing and the minimum, and -EOPNOTSUPP.
 */
int pt_kernel_check(const struct pt_kernel *k, FILE *fp);

/*
 * The features this kernel turns off, one line each, prefixed "porttrace: "
 * (with verbose: every probe's result). Returns how many are off.
 */
int pt_kernel_report(const struct pt_kernel *k, bool verbose, FILE *fp);

/* Pure BTF readers, for the probes and their unit tests. */
enum pt_iou_abi pt_btf_io_uring_abi(const struct btf *btf);
enum pt_iou_submit pt_btf_io_uring_submit(const struct btf *btf);
/* the kernel declares function name (a kfunc such as bpf_rdonly_cast) */
bool pt_btf_has_func(const struct btf *btf, const char *name);
/* number of arguments of tracepoint tp (without the hidden __data), or -1 */
int pt_btf_tp_nargs(const struct btf *btf, const char *tp);

#endif /* PT_PROBE_H */
