// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel probes read tracepoint signatures from BTF. Each case builds the
 * btf_trace_<tp> typedef as the named kernel declares it and asserts the
 * program variant porttrace would load.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include "probe.h"

struct ids {
	int v, u64, s32, u32, pvoid, cqe, pcqe, ctx, pctx, sk, psk, skb, pskb, reason;
};

static struct btf *base(struct ids *id)
{
	struct btf *b = btf__new_empty();

	assert_non_null(b);
	id->u64 = btf__add_int(b, "long long unsigned int", 8, 0);
	id->s32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	id->u32 = btf__add_int(b, "unsigned int", 4, 0);
	id->pvoid = btf__add_ptr(b, 0);
	id->cqe = btf__add_struct(b, "io_uring_cqe", 16);
	id->pcqe = btf__add_ptr(b, id->cqe);
	id->ctx = btf__add_struct(b, "io_ring_ctx", 64);
	id->pctx = btf__add_ptr(b, id->ctx);
	id->sk = btf__add_struct(b, "sock", 64);
	id->psk = btf__add_ptr(b, btf__add_const(b, id->sk));
	id->skb = btf__add_struct(b, "sk_buff", 64);
	id->pskb = btf__add_ptr(b, btf__add_const(b, id->skb));
	id->reason = btf__add_enum(b, "sk_rst_reason", 4);
	assert_true(id->reason > 0);
	return b;
}

/* typedef void (*btf_trace_<tp>)(void *, args...) */
static void add_tp(struct btf *b, const struct ids *id, const char *tp, int n, const int *args)
{
	char name[64];
	int proto = btf__add_func_proto(b, 0);

	assert_true(proto > 0);
	assert_int_equal(btf__add_func_param(b, "__data", id->pvoid), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(btf__add_func_param(b, "", args[i]), 0);
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	assert_true(btf__add_typedef(b, name, btf__add_ptr(b, proto)) > 0);
}

static void test_io_uring_6_18(void **state)
{
	struct ids id;
	struct btf *b = base(&id);
	const int args[] = { id.pctx, id.pvoid, id.pcqe };

	(void)state;
	add_tp(b, &id, "io_uring_complete", 3, args);
	assert_int_equal(pt_btf_tp_nargs(b, "io_uring_complete"), 3);
	assert_int_equal(pt_btf_io_uring_abi(b), PT_IOU_CQE);
	btf__free(b);
}

static void test_io_uring_6_1(void **state)
{
	struct ids id;
	struct btf *b = base(&id);
	/* (ctx, req, user_data, res, cflags, extra1, extra2): 6.1 and 6.12 */
	const int args[] = { id.pctx, id.pvoid, id.u64, id.s32, id.u32, id.u64, id.u64 };

	(void)state;
	add_tp(b, &id, "io_uring_complete", 7, args);
	assert_int_equal(pt_btf_io_uring_abi(b), PT_IOU_RES);
	btf__free(b);
}

static void test_io_uring_5_10(void **state)
{
	struct ids id;
	struct btf *b = base(&id);
	/* (ctx, user_data, res, cflags): no request, no opcode */
	const int args[] = { id.pvoid, id.u64, id.s32, id.u32 };

	(void)state;
	add_tp(b, &id, "io_uring_complete", 4, args);
	assert_int_equal(pt_btf_io_uring_abi(b), PT_IOU_NONE);
	btf__free(b);
}

static void test_io_uring_absent(void **state)
{
	struct ids id;
	struct btf *b = base(&id);

	(void)state;
	assert_int_equal(pt_btf_tp_nargs(b, "io_uring_complete"), -1);
	assert_int_equal(pt_btf_io_uring_abi(b), PT_IOU_NONE);
	assert_int_equal(pt_btf_io_uring_abi(NULL), PT_IOU_NONE);
	btf__free(b);
}

static void test_send_reset_generations(void **state)
{
	struct ids id;
	struct btf *old = base(&id), *new;
	const int args_old[] = { id.psk, id.pskb };
	struct pt_kernel k = {};

	(void)state;
	add_tp(old, &id, "tcp_send_reset", 2, args_old);
	assert_int_equal(pt_btf_tp_nargs(old, "tcp_send_reset"), 2);
	new = base(&id);
	{
		const int args_new[] = { id.psk, id.pskb, id.reason };

		add_tp(new, &id, "tcp_send_reset", 3, args_new);
	}
	assert_int_equal(pt_btf_tp_nargs(new, "tcp_send_reset"), 3);

	/* what the probe makes of each: only the new one gives reset records */
	pt_kernel_probe(&k, old);
	assert_true(k.tp_send_reset);
	assert_false(k.reset_without_sk);
	pt_kernel_probe(&k, new);
	assert_true(k.tp_send_reset);
	assert_true(k.reset_without_sk);
	btf__free(old);
	btf__free(new);
}

static void test_check_refuses(void **state)
{
	struct pt_kernel k = { .release = "5.10.0-33-amd64", .btf = true, .ringbuf = true,
			       .sk_storage = true };
	char buf[512] = "";
	FILE *fp = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_int_not_equal(pt_kernel_check(&k, fp), 0);
	fclose(fp);
	assert_string_equal(buf, "porttrace: kernel 5.10.0-33-amd64 is not supported: it lacks BPF task and socket storage; porttrace needs Linux >= 5.13 with BTF\n");
	/* 5.11 and 5.12: storage, but no bpf_for_each_map_elem */
	k.task_storage = true;
	snprintf(k.release, sizeof(k.release), "5.12.0");
	fp = fmemopen(buf, sizeof(buf), "w");
	assert_int_not_equal(pt_kernel_check(&k, fp), 0);
	fclose(fp);
	assert_string_equal(buf, "porttrace: kernel 5.12.0 is not supported: it lacks the bpf_for_each_map_elem helper; porttrace needs Linux >= 5.13 with BTF\n");
	k.for_each_map = true;
	fp = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(pt_kernel_check(&k, fp), 0);
	fclose(fp);
}

/* the submission tracepoint that names the request: 6.2+ submit_req(req),
 * 5.19-6.1 submit_sqe(req, force_nonblock), before that submit_sqe(ctx, ...) */
static enum pt_iou_submit submit_abi(const char *tp, int n, bool ctx_first)
{
	struct ids id;
	struct btf *b = base(&id);
	int preq = btf__add_ptr(b, btf__add_struct(b, "io_kiocb", 64));
	int args[3] = { preq, id.s32, id.u64 };
	enum pt_iou_submit abi;

	if (ctx_first)
		args[0] = id.pctx, args[1] = preq;
	if (n)
		add_tp(b, &id, tp, n, args);
	abi = pt_btf_io_uring_submit(b);
	btf__free(b);
	return abi;
}

static void test_io_uring_submit(void **state)
{
	(void)state;
	assert_int_equal(submit_abi("io_uring_submit_req", 1, false), PT_IOU_SUBMIT_REQ);
	assert_int_equal(submit_abi("io_uring_submit_sqe", 2, false), PT_IOU_SUBMIT_SQE);
	assert_int_equal(submit_abi("io_uring_submit_sqe", 3, true), PT_IOU_SUBMIT_NONE);
	assert_int_equal(submit_abi(NULL, 0, false), PT_IOU_SUBMIT_NONE);
}

/* bpf_rdonly_cast (6.2) is a FUNC in the kernel's BTF; 6.1 has none */
static void test_rdonly_cast(void **state)
{
	struct ids id;
	struct btf *b = base(&id);
	int proto;

	(void)state;
	assert_false(pt_btf_has_func(b, "bpf_rdonly_cast"));
	assert_false(pt_btf_has_func(NULL, "bpf_rdonly_cast"));
	proto = btf__add_func_proto(b, id.pvoid);
	assert_true(proto > 0);
	assert_int_equal(btf__add_func_param(b, "obj__ign", id.pvoid), 0);
	assert_int_equal(btf__add_func_param(b, "btf_id__k", id.u32), 0);
	/* a struct of that name is not the function */
	assert_true(btf__add_struct(b, "bpf_rdonly_cast", 8) > 0);
	assert_false(pt_btf_has_func(b, "bpf_rdonly_cast"));
	assert_true(btf__add_func(b, "bpf_rdonly_cast", BTF_FUNC_GLOBAL, proto) > 0);
	assert_true(pt_btf_has_func(b, "bpf_rdonly_cast"));
	btf__free(b);
}

static void test_report_names_what_is_off(void **state)
{
	struct pt_kernel k = { .release = "6.1.0-40-amd64", .btf = true, .ringbuf = true,
			       .task_storage = true, .sk_storage = true, .tp_set_state = true,
			       .tp_receive_reset = true, .tp_retransmit_skb = true,
			       .tp_destroy_sock = true, .tp_send_reset = true, .io_uring = PT_IOU_RES,
			       .uring_submit = PT_IOU_SUBMIT_REQ };
	char buf[1024] = "";
	FILE *fp = fmemopen(buf, sizeof(buf), "w");

	(void)state;
	assert_int_equal(pt_kernel_report(&k, false, fp), 1);
	fclose(fp);
	assert_string_equal(buf, "porttrace: reset records: off on this kernel (6.1.0-40-amd64): need Linux >= 6.10 (tcp_send_reset without a socket)\n");

	/* io_uring accepts without io_uring_submit_req: multishot ones are off */
	k.uring_submit = PT_IOU_SUBMIT_NONE;
	k.reset_without_sk = true;
	memset(buf, 0, sizeof(buf));
	fp = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(pt_kernel_report(&k, false, fp), 1);
	fclose(fp);
	assert_string_equal(buf, "porttrace: io_uring multishot accepts: off on this kernel (6.1.0-40-amd64): no io_uring submission tracepoint with the request\n");
	/* no io_uring accepts at all: said once, for them */
	k.io_uring = PT_IOU_NONE;
	memset(buf, 0, sizeof(buf));
	fp = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(pt_kernel_report(&k, false, fp), 1);
	fclose(fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_uring_6_18),
		cmocka_unit_test(test_io_uring_6_1),
		cmocka_unit_test(test_io_uring_5_10),
		cmocka_unit_test(test_io_uring_absent),
		cmocka_unit_test(test_send_reset_generations),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_io_uring_submit),
		cmocka_unit_test(test_rdonly_cast),
		cmocka_unit_test(test_report_names_what_is_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
