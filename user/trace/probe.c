// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel feature probes. Kernels differ in ways a version number does not
 * tell (distributions backport): every decision here comes from what the
 * kernel itself declares, its BTF and the map types it creates.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probe.h"

#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"

/* the function prototype behind a tracepoint's btf_trace_<tp> typedef */
static const struct btf_type *tp_proto(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	if (!btf || snprintf(name, sizeof(name), "btf_trace_%s", tp) >= (int)sizeof(name))
		return NULL;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

int pt_btf_tp_nargs(const struct btf *btf, const char *tp)
{
	const struct btf_type *proto = tp_proto(btf, tp);

	/* the first parameter is the tracepoint's hidden void *__data */
	return proto && btf_vlen(proto) >= 1 ? btf_vlen(proto) - 1 : -1;
}

bool pt_btf_has_func(const struct btf *btf, const char *name)
{
	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

/* argument i (0-based, after __data) without modifiers and typedefs */
static const struct btf_type *tp_arg(const struct btf *btf, const struct btf_type *proto, int i)
{
	const struct btf_param *p = btf_params(proto);
	const struct btf_type *t;
	__u32 id;

	if (i + 1 >= btf_vlen(proto))
		return NULL;
	id = p[i + 1].type;
	for (t = btf__type_by_id(btf, id); t; t = btf__type_by_id(btf, t->type))
		if (!btf_is_mod(t) && !btf_is_typedef(t))
			return t;
	return NULL;
}

static bool is_ptr_to_struct(const struct btf *btf, const struct btf_type *t, const char *name)
{
	if (!t || !btf_is_ptr(t))
		return false;
	t = btf__type_by_id(btf, t->type);
	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_struct(t) && !strcmp(btf__name_by_offset(btf, t->name_off), name);
}

static bool is_int_of(const struct btf_type *t, unsigned int bytes)
{
	return t && btf_is_int(t) && t->size == bytes;
}

enum pt_iou_abi pt_btf_io_uring_abi(const struct btf *btf)
{
	const struct btf_type *proto = tp_proto(btf, "io_uring_complete");
	int n;

	if (!proto)
		return PT_IOU_NONE;
	n = btf_vlen(proto) - 1;
	if (n == 3 && tp_arg(btf, proto, 1) && btf_is_ptr(tp_arg(btf, proto, 1)) &&
	    is_ptr_to_struct(btf, tp_arg(btf, proto, 2), "io_uring_cqe"))
		return PT_IOU_CQE;
	/* (ctx, req, user_data, res, cflags, ...): res an int, req a pointer */
	if (n >= 5 && tp_arg(btf, proto, 1) && btf_is_ptr(tp_arg(btf, proto, 1)) &&
	    is_int_of(tp_arg(btf, proto, 2), 8) && is_int_of(tp_arg(btf, proto, 3), 4))
		return PT_IOU_RES;
	return PT_IOU_NONE;
}

/* which submission tracepoint names the request first (older ones: the ring) */
enum pt_iou_submit pt_btf_io_uring_submit(const struct btf *btf)
{
	const struct btf_type *proto = tp_proto(btf, "io_uring_submit_req");

	if (proto && is_ptr_to_struct(btf, tp_arg(btf, proto, 0), "io_kiocb"))
		return PT_IOU_SUBMIT_REQ;
	proto = tp_proto(btf, "io_uring_submit_sqe");
	if (proto && is_ptr_to_struct(btf, tp_arg(btf, proto, 0), "io_kiocb"))
		return PT_IOU_SUBMIT_SQE;
	return PT_IOU_SUBMIT_NONE;
}

void pt_kernel_probe(struct pt_kernel *k, const struct btf *btf)
{
	struct btf *own = NULL;
	struct utsname u;

	memset(k, 0, sizeof(*k));
	if (!uname(&u))
		snprintf(k->release, sizeof(k->release), "%s", u.release);
	k->btf = !access(VMLINUX_BTF, R_OK);
	if (!btf && k->btf) {
		own = btf__load_vmlinux_btf();
		if (libbpf_get_error(own))
			own = NULL;
		btf = own;
	}
	k->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	k->task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1;
	k->sk_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SK_STORAGE, NULL) == 1;
	k->tp_set_state = pt_btf_tp_nargs(btf, "inet_sock_set_state") == 3;
	k->tp_receive_reset = pt_btf_tp_nargs(btf, "tcp_receive_reset") >= 1;
	k->tp_retransmit_skb = pt_btf_tp_nargs(btf, "tcp_retransmit_skb") >= 1;
	k->tp_destroy_sock = pt_btf_tp_nargs(btf, "tcp_destroy_sock") >= 1;
	k->tp_send_reset = pt_btf_tp_nargs(btf, "tcp_send_reset") >= 2;
	/*
	 * Before Linux 6.10 tcp_send_reset fired only for a reset on a socket;
	 * the change that made it fire for a SYN to a closed port (no socket)
	 * came with the reset-reason argument, which is what BTF can show.
	 */
	k->reset_without_sk = pt_btf_tp_nargs(btf, "tcp_send_reset") >= 3;
	k->io_uring = pt_btf_io_uring_abi(btf);
	k->uring_submit = pt_btf_io_uring_submit(btf);
	k->rdonly_cast = pt_btf_has_func(btf, "bpf_rdonly_cast");
	k->for_each_map = pt_btf_has_func(btf, "bpf_for_each_map_elem");
	btf__free(own);
}

int pt_kernel_check(const struct pt_kernel *k, FILE *fp)
{
	const char *missing = NULL;

	if (!k->btf)
		missing = "kernel BTF (" VMLINUX_BTF ", CONFIG_DEBUG_INFO_BTF=y)";
	else if (!k->ringbuf)
		missing = "the BPF ring buffer";
	else if (!k->task_storage || !k->sk_storage)
		missing = "BPF task and socket storage";
	else if (!k->for_each_map)
		missing = "the bpf_for_each_map_elem helper";
	if (!missing)
		return 0;
	fprintf(fp, "porttrace: kernel %s is not supported: it lacks %s; porttrace needs Linux >= %s with BTF\n",
		k->release[0] ? k->release : "(unknown)", missing, PT_MIN_KERNEL);
	return -EOPNOTSUPP;
}

struct feature {
	bool on;
	const char *what;	/* what goes missing */
	const char *why;	/* what the kernel lacks */
};

int pt_kernel_report(const struct pt_kernel *k, bool verbose, FILE *fp)
{
	const struct feature f[] = {
		{ k->tp_receive_reset, "the local port of a refused connect",
		  "no tcp_receive_reset tracepoint" },
		{ k->tp_retransmit_skb, "the local port of a timed-out connect",
		  "no tcp_retransmit_skb tracepoint" },
		{ k->tp_destroy_sock, "close records of transitions the kernel skipped",
		  "no tcp_destroy_sock tracepoint" },
		{ k->tp_send_reset && k->reset_without_sk, "reset records",
		  "need Linux >= 6.10 (tcp_send_reset without a socket)" },
		{ k->io_uring != PT_IOU_NONE, "io_uring accepts",
		  "io_uring_complete tracepoint missing or without the request" },
		{ k->io_uring == PT_IOU_NONE || k->uring_submit != PT_IOU_SUBMIT_NONE,
		  "io_uring multishot accepts", "no io_uring submission tracepoint with the request" },
	};
	static const char *const iou[] = { "none", "(ctx, req, user_data, res, ...)", "(ctx, req, cqe)" };
	static const char *const sub[] = { "none", "io_uring_submit_req(req)",
					   "io_uring_submit_sqe(req, ...)" };
	int off = 0;

	if (verbose) {
		fprintf(fp, "porttrace: kernel %s: btf %s, ringbuf %s, task_storage %s, sk_storage %s, bpf_for_each_map_elem %s, bpf_rdonly_cast %s\n",
			k->release, k->btf ? "yes" : "no", k->ringbuf ? "yes" : "no",
			k->task_storage ? "yes" : "no", k->sk_storage ? "yes" : "no",
			k->for_each_map ? "yes" : "no", k->rdonly_cast ? "yes" : "no");
		fprintf(fp, "porttrace: tp_btf: inet_sock_set_state %s, tcp_receive_reset %s, tcp_retransmit_skb %s, tcp_destroy_sock %s, tcp_send_reset %s%s, io_uring_complete %s, io_uring submission %s\n",
			k->tp_set_state ? "yes" : "no", k->tp_receive_reset ? "yes" : "no",
			k->tp_retransmit_skb ? "yes" : "no", k->tp_destroy_sock ? "yes" : "no",
			k->tp_send_reset ? "yes" : "no",
			k->reset_without_sk ? " (without a socket)" : "", iou[k->io_uring],
			sub[k->uring_submit]);
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].on)
			continue;
		off++;
		fprintf(fp, "porttrace: %s: off on this kernel (%s): %s\n", f[i].what, k->release, f[i].why);
	}
	return off;
}
