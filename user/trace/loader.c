// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "escape.h"
#include "loader.h"
#include "probe.h"
#include "porttrace.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#ifndef CAP_BPF
#define CAP_BPF		39
#endif

#define VMLINUX_BTF	"/sys/kernel/btf/vmlinux"
#define TRACEFS		"/sys/kernel/tracing"

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	/* libbpf's own chatter only with -v: our errors explain each failure */
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

static int check_privileges(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* let the bpf() call speak */
	if (has_cap(data, CAP_SYS_ADMIN) ||
	    (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)))
		return 0;
	fprintf(stderr, "porttrace: permission denied: need root or CAP_BPF+CAP_PERFMON (run with sudo)\n");
	return -EPERM;
}

/*
 * The syscalls tracepoints (and the classic sock tracepoint) are attached by
 * id, which libbpf reads from tracefs. Mount it where it is missing; it stays
 * mounted, as a second porttrace may be reading ids from it.
 */
static int ensure_tracefs(void)
{
	struct stat st;
	int err;

	/* stat, not access(): access() judges by the real uid, without
	 * the capabilities a non-root porttrace runs with */
	if (!stat(TRACEFS "/events", &st))
		return 0;
	err = errno;
	if (!stat("/sys/kernel/debug/tracing/events", &st))
		return 0;
	/* mounted, but root's alone (mode 0700): not a mount problem */
	if (err == EACCES) {
		errno = err;
		fprintf(stderr, "porttrace: cannot read tracefs at %s (%s): without root, CAP_DAC_READ_SEARCH is needed besides CAP_BPF+CAP_PERFMON\n",
			TRACEFS, strerror(errno));
		return -EACCES;
	}
	if (!mount("nodev", TRACEFS, "tracefs", 0, NULL)) {
		if (verbose)
			fprintf(stderr, "porttrace: mounted tracefs on %s\n", TRACEFS);
		return 0;
	}
	fprintf(stderr, "porttrace: tracefs is not mounted and mounting it failed (%s): run mount -t tracefs nodev %s\n",
		strerror(errno), TRACEFS);
	return -errno;
}

/* --cgroup=PATH: a path under the cgroup2 mount, or relative to its root */
static int open_cgroup(const char *path)
{
	const char *mnt = pt_cgroup2_mount();
	char buf[PATH_MAX];
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (!mnt)
		return -ENODEV;
	if (snprintf(buf, sizeof(buf), "%s/%s", mnt, path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : -errno;
}

static void configure(struct porttrace_bpf *skel, const struct pt_options *o, int cgfd)
{
	uint64_t cgid;

	size_t ring = (size_t)o->ring_kib * 1024;

	skel->rodata->targ_kinds = o->kinds;
	skel->rodata->targ_protos = o->protos;
	skel->rodata->targ_family = o->family;
	skel->rodata->targ_netns = o->netns;
	skel->rodata->targ_cgroup = o->cgroup != NULL;
	/* the inventory's holders are matched by id: they are not the
	 * current task, which the cgroup_filter map is for */
	if (cgfd >= 0 && !pt_cgroup_id_of_fd(cgfd, &cgid))
		skel->rodata->targ_cgroup_id = cgid;
	skel->rodata->targ_npids = o->npids;
	memcpy((void *)skel->rodata->targ_pids, o->pids, sizeof(o->pids));
	skel->rodata->targ_nuids = o->nuids;
	memcpy((void *)skel->rodata->targ_uids, o->uids, sizeof(o->uids));
	skel->rodata->targ_nports = o->nports;
	memcpy((void *)skel->rodata->targ_ports, o->ports, sizeof(o->ports));
	memcpy((void *)skel->rodata->targ_comm, o->comm, sizeof(o->comm));
	skel->rodata->wakeup_bytes = ring / 2;
	/* tests only: every server side's close goes by unseen, as in the
	 * runs some kernels skip without counting them (doc/kernel-side.md) */
	skel->rodata->targ_fault_unseen = o->fault_unseen;
	bpf_map__set_max_entries(skel->maps.events, ring);
	/*
	 * The keyed maps' bounds. Past them an insert fails and is counted as
	 * lost. accepts holds a claim per accepted, still-open connection;
	 * peers a local client's origin until its accept (both preallocated:
	 * ~50 and ~6 MiB of kernel memory); sk_states_tp the classic
	 * tracepoint's per-socket state (allocated as used).
	 */
	bpf_map__set_max_entries(skel->maps.accepts, PT_MAX_ACCEPTS);
	bpf_map__set_max_entries(skel->maps.peers, PT_MAX_PEERS);
	bpf_map__set_max_entries(skel->maps.sk_states_tp, PT_MAX_FLOWS);
	bpf_map__set_max_entries(skel->maps.inv_owners, PT_MAX_FLOWS);
	bpf_map__set_max_entries(skel->maps.listeners, PT_MAX_LISTENERS);
}

/*
 * Which programs load: the set_state flavour --attach asked for, and the
 * optional tp_btf programs this kernel can run, each in the variant that
 * matches its tracepoint's arguments.
 */
static void select_programs(struct porttrace_bpf *skel, const struct pt_options *o,
			    const struct pt_kernel *k, bool btf)
{
	struct bpf_program *prog;
	bool live = !PT_MODE_SNAPSHOT(o->mode);

	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, live);
	bpf_program__set_autoload(skel->progs.iter_listeners, true);
	/* the inventory runs once, by hand, after the tracepoints are attached */
	bpf_program__set_autoattach(skel->progs.iter_listeners, false);
	/* the connections found at start, by hand in each netns */
	bpf_program__set_autoload(skel->progs.iter_connections, true);
	bpf_program__set_autoattach(skel->progs.iter_connections, false);
	/* and the owed-close count and what it finds gone, by hand, when
	 * tracing stops */
	bpf_program__set_autoattach(skel->progs.iter_owed, false);
	bpf_program__set_autoattach(skel->progs.iter_unseen, false);
	if (!live)
		return;
	/* the accept exits walk fd -> socket by direct loads where they can */
	bpf_program__set_autoload(skel->progs.tp_exit_accept, !k->rdonly_cast);
	bpf_program__set_autoload(skel->progs.tp_exit_accept4, !k->rdonly_cast);
	bpf_program__set_autoload(skel->progs.tp_exit_accept_cast, k->rdonly_cast);
	bpf_program__set_autoload(skel->progs.tp_exit_accept4_cast, k->rdonly_cast);
	bpf_program__set_autoload(skel->progs.btf_inet_sock_set_state, btf);
	bpf_program__set_autoload(skel->progs.tp_inet_sock_set_state, !btf);
	/* optional: a missing one costs a detail (a failed connect's local
	 * port, io_uring accepts, reset records), not the trace */
	bpf_program__set_autoload(skel->progs.btf_tcp_receive_reset, k->tp_receive_reset);
	bpf_program__set_autoload(skel->progs.btf_tcp_retransmit_skb, k->tp_retransmit_skb);
	bpf_program__set_autoload(skel->progs.btf_tcp_destroy_sock, k->tp_destroy_sock);
	bpf_program__set_autoload(skel->progs.btf_tcp_send_reset,
				  k->tp_send_reset && k->reset_without_sk);
	bpf_program__set_autoload(skel->progs.btf_io_uring_complete, k->io_uring == PT_IOU_CQE);
	bpf_program__set_autoload(skel->progs.btf_io_uring_complete_res, k->io_uring == PT_IOU_RES);
	bpf_program__set_autoload(skel->progs.btf_io_uring_submit_req,
				  k->io_uring != PT_IOU_NONE && k->uring_submit == PT_IOU_SUBMIT_REQ);
	bpf_program__set_autoload(skel->progs.btf_io_uring_submit_sqe,
				  k->io_uring != PT_IOU_NONE && k->uring_submit == PT_IOU_SUBMIT_SQE);
}

static int open_load_attach(struct pt_tracer *t, const struct pt_options *o,
			    const struct pt_kernel *k, bool btf, int cgfd)
{
	struct porttrace_bpf *skel;
	__u32 zero = 0;
	int err;

	skel = porttrace_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "porttrace: failed to open BPF object: %s\n", strerror(-err));
		return err;
	}
	configure(skel, o, cgfd);
	select_programs(skel, o, k, btf);
	skel->rodata->targ_classic = !btf;

	err = porttrace_bpf__load(skel);
	if (err) {
		/* EACCES is the verifier's refusal, EPERM the missing capability */
		if (err == -EPERM)
			fprintf(stderr, "porttrace: failed to load BPF programs: %s: need root or CAP_BPF+CAP_PERFMON\n",
				strerror(-err));
		else
			fprintf(stderr, "porttrace: failed to load BPF programs: %s (run with -v for the verifier log)\n",
				strerror(-err));
		goto fail;
	}
	if (cgfd >= 0) {
		err = bpf_map__update_elem(skel->maps.cgroup_filter, &zero, sizeof(zero),
					   &cgfd, sizeof(cgfd), BPF_ANY);
		if (err) {
			fprintf(stderr, "porttrace: cannot filter on --cgroup: %s: it must be a cgroup v2 directory\n",
				strerror(-err));
			goto fail;
		}
	}
	if (!PT_MODE_SNAPSHOT(o->mode)) {
		err = porttrace_bpf__attach(skel);
		if (err) {
			fprintf(stderr, "porttrace: failed to attach %s: %s\n",
				btf ? "tp_btf/inet_sock_set_state and syscall tracepoints"
				    : "sock/inet_sock_set_state and syscall tracepoints",
				strerror(-err));
			goto fail;
		}
	}
	t->skel = skel;
	t->attached = btf ? PT_ATTACH_BTF : PT_ATTACH_TRACEPOINT;
	return 0;
fail:
	porttrace_bpf__destroy(skel);
	return err;
}

/* one run of an attached iterator: each record it writes goes to cb */
static int iter_read(struct bpf_link *link, pt_inventory_fn cb, void *ctx)
{
	struct pt_event ev;
	size_t have = 0;
	ssize_t n;
	int fd, err = 0;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	/* the iterator writes whole records; read() may split them */
	for (;;) {
		n = read(fd, (char *)&ev + have, sizeof(ev) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have < sizeof(ev))
			continue;
		have = 0;
		if (cb) {
			err = cb(ctx, &ev);
			if (err)
				break;
		}
	}
	close(fd);
	return err;
}

struct each_netns {
	int (*fn)(void *arg);	/* run inside each netns */
	void *arg;
	bool partial;		/* a netns we may not enter is skipped, counted */
	bool moved;		/* we left our own: go back at the end */
	ino_t self;		/* our own netns */
	unsigned int denied;
	ino_t *seen;
	size_t nseen, cap;
	__u32 only;		/* --netns */
	int err;
	char failed[64];	/* the first netns that could not be entered */
};

/* run w->fn in the netns at path, if it is one not visited yet */
static void netns_visit(struct each_netns *w, const char *path)
{
	struct stat sb;
	int fd, err = 0;

	if (w->err)
		return;
	if (stat(path, &sb)) {
		/* another user's process, to a porttrace without root (root
		 * is refused only where no one could enter: not news) */
		if (errno == EACCES && w->partial && geteuid())
			w->denied++;
		/* else a process gone meanwhile took its netns' sockets with it */
		return;
	}
	if (w->only && sb.st_ino != w->only)
		return;
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i] == sb.st_ino)
			return;
	if (w->nseen == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		ino_t *s = realloc(w->seen, cap * sizeof(*s));

		if (!s) {
			w->err = -ENOMEM;
			return;
		}
		w->seen = s;
		w->cap = cap;
	}
	w->seen[w->nseen++] = sb.st_ino;
	/* our own needs no setns (nor CAP_SYS_ADMIN) while we are in it */
	if (sb.st_ino == w->self && !w->moved) {
		err = w->fn(w->arg);
		fd = -1;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET)) {
			err = -errno;
		} else {
			w->moved = true;
			err = w->fn(w->arg);
		}
	}
	if (err == -EPERM && w->partial) {
		w->denied++;
		err = 0;
	}
	if (err) {
		w->err = err;
		snprintf(w->failed, sizeof(w->failed), "%lu", (unsigned long)sb.st_ino);
	}
	if (fd >= 0)
		close(fd);
}

static void netns_visit_dir(struct each_netns *w, const char *dir, const char *fmt)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), fmt, de->d_name);
		netns_visit(w, path);
	}
	if (d)
		closedir(d);
}

/*
 * Run fn once in every network namespace a process is in or /run/netns
 * names (only the one --netns names, if set), starting with our own, and
 * come back to ours. Iterators over sockets walk their creator's netns
 * only. Entering another needs CAP_SYS_ADMIN: an error names the netns.
 */
static int each_netns(__u32 only, int (*fn)(void *), void *arg, char failed[64],
		      unsigned int *denied)
{
	struct each_netns w = { .fn = fn, .arg = arg, .only = only, .partial = denied != NULL };
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct stat sb;

	if (self < 0)
		return -errno;
	if (fstat(self, &sb)) {
		close(self);
		return -errno;
	}
	w.self = sb.st_ino;
	netns_visit(&w, "/proc/self/ns/net");
	netns_visit_dir(&w, "/proc", "/proc/%s/ns/net");
	netns_visit_dir(&w, "/run/netns", "/run/netns/%s");
	if (w.moved && setns(self, CLONE_NEWNET) && !w.err)
		w.err = -errno;
	close(self);
	free(w.seen);
	memcpy(failed, w.failed, sizeof(w.failed));
	if (denied)
		*denied = w.denied;
	return w.err;
}

/* one pass of an iter/tcp program over the TCP sockets of the caller's
 * netns (each_netns() moves it): the connections open at start, or the
 * sockets that still owe a close (cb NULL: the program only counts) */
struct conn_walk {
	struct bpf_link *link;
	pt_inventory_fn cb;
	void *ctx;
	struct bpf_map *walked;	/* if set, each netns walked goes in it */
};

static int conn_walk(void *arg)
{
	struct conn_walk *cw = arg;
	struct stat sb;
	__u32 ino;
	__u8 one = 1;
	int err = iter_read(cw->link, cw->cb, cw->ctx);

	if (err || !cw->walked)
		return err;
	if (stat("/proc/thread-self/ns/net", &sb))
		return -errno;
	ino = (__u32)sb.st_ino;
	if (bpf_map__update_elem(cw->walked, &ino, sizeof(ino), &one, sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}

int pt_tracer_inventory(struct pt_tracer *t, enum pt_inventory pass, pt_inventory_fn cb, void *ctx)
{
	struct conn_walk cw = { .cb = cb, .ctx = ctx };
	struct bpf_link *link;
	char failed[64] = "";
	unsigned int denied = 0;
	int err;

	if (pass == PT_INV_CONNECTIONS) {
		cw.link = bpf_program__attach_iter(t->skel->progs.iter_connections, NULL);
		if (!cw.link) {
			err = -errno;
			fprintf(stderr, "porttrace: failed to attach the connection iterator (iter/tcp): %s\n",
				strerror(-err));
			return err;
		}
		err = each_netns(t->skel->rodata->targ_netns, conn_walk, &cw, failed, &denied);
		bpf_link__destroy(cw.link);
		if (err)
			fprintf(stderr, "porttrace: cannot list the connections open at start in network namespace %s: %s\n",
				failed, strerror(-err));
		else if (denied)
			fprintf(stderr, "porttrace: connections open at start in other network namespaces are not known (reaching them needs CAP_SYS_ADMIN and CAP_SYS_PTRACE): their closes will not be reported\n");
		return err;
	}
	t->skel->bss->inv_pass = pass;
	link = bpf_program__attach_iter(t->skel->progs.iter_listeners, NULL);
	if (!link) {
		err = -errno;
		fprintf(stderr, "porttrace: failed to attach the listener iterator (iter/task_file): %s\n",
			strerror(-err));
		return err;
	}
	err = iter_read(link, cb, ctx);
	if (err)
		fprintf(stderr, "porttrace: failed to read the listener iterator: %s\n", strerror(-err));
	bpf_link__destroy(link);
	return err;
}

int pt_tracer_start(struct pt_tracer *t, const struct pt_options *o,
		 ring_buffer_sample_fn cb, void *ctx)
{
	int err, cgfd = -1;

	verbose = o->verbose;
	libbpf_set_print(libbpf_print);
	memset(t, 0, sizeof(*t));

	err = check_privileges();
	if (err)
		return err;
	pt_kernel_probe(&t->kernel, NULL);
	err = pt_kernel_check(&t->kernel, stderr);
	if (err)
		return err;
	/* said once, before the first record: what this kernel cannot give */
	if (!PT_MODE_SNAPSHOT(o->mode) || o->verbose)
		pt_kernel_report(&t->kernel, o->verbose, stderr);
	/* the iterator alone needs no tracefs */
	if (!PT_MODE_SNAPSHOT(o->mode))
		err = ensure_tracefs();
	if (err)
		return err;

	/* a bad --cgroup is the user's to fix, whichever programs load */
	if (o->cgroup) {
		cgfd = open_cgroup(o->cgroup);
		if (cgfd < 0) {
			char path[256];

			pt_esc_term(path, sizeof(path), o->cgroup, strlen(o->cgroup));
			fprintf(stderr, "porttrace: cannot open --cgroup '%s': %s: give a cgroup v2 directory (under %s)\n",
				path, strerror(-cgfd),
				pt_cgroup2_mount() ? pt_cgroup2_mount() : "a cgroup2 mount");
			return cgfd;
		}
	}
	switch (o->attach) {
	case PT_ATTACH_BTF:
		err = open_load_attach(t, o, &t->kernel, true, cgfd);
		break;
	case PT_ATTACH_TRACEPOINT:
		err = open_load_attach(t, o, &t->kernel, false, cgfd);
		break;
	case PT_ATTACH_AUTO:
	default:
		if (t->kernel.tp_set_state) {
			err = open_load_attach(t, o, &t->kernel, true, cgfd);
			if (!err)
				break;
			fprintf(stderr, "porttrace: falling back to the classic sock/inet_sock_set_state tracepoint\n");
		}
		err = open_load_attach(t, o, &t->kernel, false, cgfd);
		break;
	}
	if (cgfd >= 0)
		close(cgfd);
	if (err)
		return err;
	if (!cb)
		return 0;

	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), cb, ctx, NULL);
	if (!t->rb) {
		err = -errno;
		fprintf(stderr, "porttrace: failed to create ring buffer: %s\n", strerror(-err));
		pt_tracer_stop(t);
		return err;
	}
	return 0;
}

int pt_tracer_poll(struct pt_tracer *t, int timeout_ms)
{
	int err = ring_buffer__poll(t->rb, timeout_ms);

	if (err >= 0)
		err = ring_buffer__consume(t->rb);
	return err == PT_DRAIN_PAUSE ? 0 : err;
}

int pt_tracer_drain(struct pt_tracer *t)
{
	return ring_buffer__consume(t->rb);
}

/* one per-CPU counter, summed */
static __u64 counter_sum(const struct pt_tracer *t, __u32 key)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 sum = 0;

	if (ncpus <= 0)
		return 0;
	{
		__u64 vals[ncpus];

		if (!bpf_map__lookup_elem(t->skel->maps.counters, &key, sizeof(key),
					  vals, sizeof(vals), 0))
			for (int i = 0; i < ncpus; i++)
				sum += vals[i];
	}
	return sum;
}

/* iter_unseen, once, over accepts: the accepted connections still owed in
 * a walked netns ended unseen, and get their close records now */
static int claims_unseen(struct pt_tracer *t)
{
	struct bpf_link *link;
	int err;

	link = bpf_program__attach_iter(t->skel->progs.iter_unseen, NULL);
	if (!link)
		return -errno;
	err = iter_read(link, NULL, NULL);
	bpf_link__destroy(link);
	return err;
}

/*
 * The close records porttrace owed and never paid, for sockets that no
 * longer exist: the kernel ended them without running porttrace's programs
 * and without counting a skip. Run once the programs are detached, so
 * nothing moves: owed - paid - (still open and owed, in every netns a
 * process is in or /run/netns names). An accepted connection's close is
 * made up from its claim (claims_unseen; its record goes to the ring); a
 * client's state went with its socket, so that close stays lost. Sockets
 * that ended while porttrace was stopping count too: an upper bound, like
 * the rest of lost.
 */
static int owed_unseen(struct pt_tracer *t, __u64 *unseen)
{
	__u64 owed = counter_sum(t, PT_CNT_CLOSE_OWED);
	__u64 paid = counter_sum(t, PT_CNT_CLOSE_PAID);
	struct conn_walk cw = { .walked = t->skel->maps.owed_walked };
	char failed[64] = "";
	unsigned int denied = 0;
	int err;

	*unseen = 0;
	if (owed <= paid)
		return 0;
	cw.link = bpf_program__attach_iter(t->skel->progs.iter_owed, NULL);
	if (!cw.link)
		return -errno;
	t->skel->bss->owed_open = 0;
	err = each_netns(t->skel->rodata->targ_netns, conn_walk, &cw, failed, &denied);
	bpf_link__destroy(cw.link);
	if (!err && denied) {
		/* what is open there would be counted as unseen: say nothing */
		fprintf(stderr, "porttrace: cannot count closes the kernel did not run porttrace for: "
			"other network namespaces are out of reach (needs CAP_SYS_ADMIN and CAP_SYS_PTRACE)\n");
		return -EPERM;
	}
	if (err) {
		fprintf(stderr, "porttrace: cannot count closes the kernel did not run porttrace for: "
			"network namespace %s: %s%s\n", failed, strerror(-err),
			err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	if (owed > paid + t->skel->bss->owed_open) {
		err = claims_unseen(t);
		if (err)
			fprintf(stderr, "porttrace: cannot report the accepted connections that ended unseen: %s\n",
				strerror(-err));
		paid = counter_sum(t, PT_CNT_CLOSE_PAID);
	}
	if (owed > paid + t->skel->bss->owed_open)
		*unseen = owed - paid - t->skel->bss->owed_open;
	return 0;
}

void pt_tracer_detach(struct pt_tracer *t)
{
	if (!t->skel || t->detached)
		return;
	porttrace_bpf__detach(t->skel);
	t->detached = true;
	owed_unseen(t, &t->lost_unseen);
}

void pt_tracer_lost(const struct pt_tracer *t, struct pt_stats *st)
{
	struct bpf_program *prog;
	st->lost_ringbuf = counter_sum(t, PT_CNT_LOST_RINGBUF);
	st->lost_state = counter_sum(t, PT_CNT_LOST_STATE);
	st->lost_recursion = 0;
	/* the kernel skips a program that would re-enter BPF on this CPU and
	 * counts it nowhere else */
	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		st->lost_recursion += info.recursion_misses;
	}
	st->lost_unseen = t->lost_unseen;
	st->found_unseen = counter_sum(t, PT_CNT_CLOSE_FOUND);
	st->lost = st->lost_ringbuf + st->lost_state + st->lost_recursion + st->lost_unseen;
}

void pt_tracer_stop(struct pt_tracer *t)
{
	ring_buffer__free(t->rb);
	porttrace_bpf__destroy(t->skel);
	t->rb = NULL;
	t->skel = NULL;
}
