// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor's user side (floor.bpf.c): drain the ring as porttrace does (a
 * 50 ms poll, no wakeup per record) and write each record as one line of
 * porttrace's size, so the output file costs the kernel what porttrace's
 * does. No decoding, no formatting: a line is the record's kind (a digit),
 * a space and 16 hex digits -- the socket's local port (0 at a close: the
 * socket gave it back) and remote port, 4 digits each, and the low 32 bits
 * of its time -- then spaces to its length.
 *
 * usage: floor [-l LINE_BYTES]   (default 680: a JSON record of the c2 mix)
 * stderr: "floor: tracing" once attached; at SIGINT or SIGTERM,
 *         "floor: N records, M lost"
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "porttrace.h"
#include "floor.skel.h"

#define OUT_BUF		(64 << 10)	/* porttrace's output buffer */
#define LINE_MAX_BYTES	4096

static volatile sig_atomic_t stop;
static unsigned long long nrecords;
static char line[LINE_MAX_BYTES];
static size_t line_len = 680;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* a line (above): as little work as a line can be, so that the floor's
 * CPU is the write's */
static int on_record(void *ctx, void *data, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const struct pt_event *e = data;
	__u64 v;
	int i;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	line[0] = '0' + e->kind;
	v = (__u64)e->client_port << 48 | (__u64)e->server_port << 32 | (__u32)e->ts_ns;
	for (i = 16; i > 0; i--, v >>= 4)
		line[1 + i] = hex[v & 15];
	fwrite(line, line_len, 1, stdout);
	nrecords++;
	return 0;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	static char obuf[OUT_BUF];
	struct ring_buffer *rb = NULL;
	struct floor_bpf *skel;
	int opt, err;

	while ((opt = getopt(argc, argv, "l:h")) != -1) {
		char *end;

		switch (opt) {
		case 'l':
			errno = 0;
			line_len = strtoul(optarg, &end, 10);
			if (errno || *end || line_len < 64 || line_len > LINE_MAX_BYTES) {
				fprintf(stderr, "floor: -l %s: a line length in bytes, 64-%d\n",
					optarg, LINE_MAX_BYTES);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: floor [-l LINE_BYTES]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: floor [-l LINE_BYTES]\n");
		return 2;
	}
	memset(line, ' ', line_len);
	line[line_len - 1] = '\n';
	libbpf_set_print(silent);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	skel = floor_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "floor: cannot load its BPF program: %s%s\n", strerror(-err),
			err == -EPERM ? ": need root or CAP_BPF+CAP_PERFMON" : "");
		return 1;
	}
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: cannot attach to inet_sock_set_state (tp_btf): %s\n",
			strerror(-err));
		floor_bpf__destroy(skel);
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "floor: cannot map its ring buffer: %s\n", strerror(errno));
		floor_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "floor: tracing\n");
	while (!stop) {
		err = ring_buffer__poll(rb, 50);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "floor: reading the ring: %s\n", strerror(-err));
			break;
		}
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	fprintf(stderr, "floor: %llu records, %llu lost\n", nrecords,
		(unsigned long long)skel->bss->lost);
	ring_buffer__free(rb);
	floor_bpf__destroy(skel);
	return err < 0 && err != -EINTR ? 1 : 0;
}
