// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * peer: the two ends of a TCP flow for porttrace's end-to-end tests.
 *
 *   peer server [-6] [-a ADDR] [-p PORT] [-n ACCEPTS] [-A] [-U] [-M] [-W MSEC]
 *               [-X SEND:RECV] [-H MSEC] [-u] [-L]
 *               [-r READY_FILE] [-i PID_FILE] [-g GO_FILE] [-G GATE] [-t SECS]
 *   peer client [-6] -c ADDR -p PORT [-b SRCADDR] [-s SRCPORT] [-R LO-HI] [-k COUNT] [-q]
 *               [-E] [-O] [-S SYNCNT] [-K] [-H MSEC] [-X SEND:RECV] [-Z] [-u]
 *               [-D MSEC] [-r INFO_FILE] [-i PID_FILE] [-g GO_FILE] [-G GATE] [-t SECS]
 *   (both: [-N COMM] sets the process name, up to 15 bytes of anything;
 *    [-T NAME] does the socket work in a second thread named NAME)
 *
 * The server listens (port 0 = kernel's choice), writes "pid=P port=N" to
 * READY_FILE, then accepts ACCEPTS connections one after another (accept4(),
 * accept() with -A, or IORING_OP_ACCEPT through io_uring with -U; each after
 * MSEC with -W) and closes each at once; with -H it keeps the listener open
 * MSEC longer before closing it. The client connects COUNT times (optionally
 * bound to a source address and/or a fixed source port, or with a per-socket
 * IP_LOCAL_PORT_RANGE), each time waiting until the server has accepted and
 * closed (so both sockets exist when the server accepts) unless -q says
 * close at once; then writes "pid=P sport=N ..." to INFO_FILE.
 *
 * Lifecycle options (client unless said otherwise):
 *   -E  a failed connect is not fatal: "err=ENAME" takes its "sport=" slot
 *       (after a failed non-blocking connect, "err=ENAME sport=N" when the
 *       port was still known right after connect() returned)
 *   -O  non-blocking connect(): poll() for the outcome, then SO_ERROR
 *   -S  TCP_SYNCNT (SYN retransmissions before ETIMEDOUT)
 *   -K  keep every connection open until all COUNT are made, then close
 *       them all (after -H MSEC)
 *   -Z  close with SO_LINGER {1, 0}: an RST instead of a FIN
 *   -G GATE  with -X: once the data is exchanged (both ends open), write
 *       "pid=P sport=N" to GATE.held, then wait for GATE to exist before
 *       the hold and the close: a connection open across a tracer's start.
 *       Server: wait for GATE to exist before the first accept: a
 *       connection queued across a tracer's start
 *   -X SEND:RECV  both: the client writes SEND bytes and reads RECV bytes,
 *       holds the connection -H MSEC, then closes first (FIN); the server
 *       reads exactly SEND bytes, writes RECV bytes, reads to EOF, closes
 *   -u  both: UDP. The client connect()s a datagram socket and sends one
 *       datagram; the server binds and receives ACCEPTS datagrams.
 *   -L  server: listen() without bind(); the kernel picks the port then
 *   -U  server: accept through io_uring (built with -DHAVE_LIBURING -luring;
 *       without it -U exits 3 saying so)
 *   -M  server: -U with one multishot accept request (IORING_ACCEPT_MULTISHOT,
 *       Linux >= 5.19), armed again whenever it ends
 *
 * Server and client are separate processes so the tests can tell whose pid a
 * record carries. -i writes "pid=P" before any socket work and -g waits for
 * GO_FILE to exist, so a test can start a tracer filtered on this pid first.
 * Files are written to a temporary name and renamed: readers never see a
 * partial line. Every run ends within SECS (default 20) by alarm().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBURING
#include <liburing.h>
#endif

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51	/* Linux >= 6.3 */
#endif

#define MAX_CONNS 1000

struct opts {
	bool server;
	bool v6;
	bool plain_accept;
	bool quick;
	bool tolerate;		/* -E */
	bool nonblock;		/* -O */
	bool keep;		/* -K */
	bool rst;		/* -Z */
	bool udp;		/* -u */
	bool uring;		/* -U */
	bool multishot;		/* -M: -U with one multishot accept request */
	bool autobind;		/* -L */
	long syncnt;		/* -S, 0 = system default */
	long hold_ms;		/* -H */
	long send_bytes, recv_bytes;	/* -X; -1 = no data exchange */
	const char *addr;
	const char *srcaddr;
	long port;
	long srcport;
	long accepts;
	long count;
	long delay_ms;
	long accept_delay_ms;
	long range_lo, range_hi;
	long timeout;
	const char *ready_file;
	const char *pid_file;
	const char *go_file;
	const char *close_gate;	/* -G */
	const char *comm;
	const char *thread;	/* -T */
};

static void die(const char *what)
{
	fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: peer server [-6] [-a ADDR] [-p PORT] [-n ACCEPTS] [-A] [-W MSEC]\n"
		"                   [-r READY_FILE] [-i PID_FILE] [-g GO_FILE] [-G GATE] [-t SECS]\n"
		"       peer client [-6] -c ADDR -p PORT [-b SRCADDR] [-s SRCPORT] [-R LO-HI]\n"
		"                   [-k COUNT] [-q]\n"
		"                   [-D MSEC] [-r INFO_FILE] [-i PID_FILE] [-g GO_FILE] [-G GATE] [-t SECS]\n"
		"       server: [-U] [-M] [-H MSEC] [-X SEND:RECV] [-u] [-L]\n"
		"       client: [-E] [-O] [-S SYNCNT] [-K] [-H MSEC] [-X SEND:RECV] [-Z] [-u]\n"
		"       both: [-N COMM] [-T THREAD]\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "peer: bad number '%s' (want %ld..%ld)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	if (fputs(text, f) == EOF || fclose(f) == EOF)
		die(tmp);
	if (rename(tmp, path))
		die(path);
}

static void wait_go(const char *path)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct stat st;

	if (!path)
		return;
	/* bounded by alarm() */
	while (stat(path, &st))
		nanosleep(&ts, NULL);
}

/* Fill ss from a numeric address; the family follows the address. */
static socklen_t make_addr(struct sockaddr_storage *ss, const char *addr, long port)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			goto bad;
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
		goto bad;
	return sizeof(*s4);
bad:
	fprintf(stderr, "peer: bad address '%s'\n", addr);
	exit(2);
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		die("getsockname");
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void drain(int fd)
{
	char buf[512];
	ssize_t n;

	do {
		n = read(fd, buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* errno's symbolic name ("ECONNREFUSED") */
static const char *ename(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

static void write_all(int fd, long n)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		ssize_t w = write(fd, buf, n < (long)sizeof(buf) ? (size_t)n : sizeof(buf));

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		n -= w;
	}
}

static void read_exactly(int fd, long n)
{
	char buf[4096];

	while (n > 0) {
		ssize_t r = read(fd, buf, n < (long)sizeof(buf) ? (size_t)n : sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0) {
			fprintf(stderr, "peer: early EOF, %ld bytes short\n", n);
			exit(1);
		}
		n -= r;
	}
}

/* the rest of the stream must be empty: the peer closed after its bytes */
static void expect_eof(int fd)
{
	char c;
	ssize_t r;

	do {
		r = read(fd, &c, 1);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		die("read to EOF");
	if (r > 0) {
		fprintf(stderr, "peer: unexpected bytes before EOF\n");
		exit(1);
	}
}

static void set_rst_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		die("setsockopt SO_LINGER");
}

#ifdef HAVE_LIBURING
/* one accept through io_uring; with multishot, one request for them all */
static int uring_accept(struct io_uring *ring, int lfd, bool multishot)
{
	static bool armed;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	if (!armed) {
		sqe = io_uring_get_sqe(ring);
		if (!sqe) {
			fprintf(stderr, "peer: io_uring: no sqe\n");
			exit(1);
		}
		if (multishot)
			io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
		else
			io_uring_prep_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
		ret = io_uring_submit(ring);
		if (ret < 0) {
			errno = -ret;
			die("io_uring_submit");
		}
		armed = multishot;
	}
	do {
		ret = io_uring_wait_cqe(ring, &cqe);
	} while (ret == -EINTR);
	if (ret < 0) {
		errno = -ret;
		die("io_uring_wait_cqe");
	}
	ret = cqe->res;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		armed = false;	/* the multishot request ended: arm it again */
	io_uring_cqe_seen(ring, cqe);
	if (ret < 0)
		errno = -ret;
	return ret < 0 ? -1 : ret;
}
#endif

/* UDP server: bind, then receive ACCEPTS datagrams */
static int run_udp_server(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char line[128], buf[2048];
	int fd, zero = 0;

	len = make_addr(&ss, o->addr, o->port);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		die("setsockopt IPV6_V6ONLY");
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	snprintf(line, sizeof(line), "pid=%d port=%d\n", (int)getpid(), local_port(fd));
	write_file(o->ready_file, line);
	for (long i = 0; i < o->accepts; i++) {
		if (recv(fd, buf, sizeof(buf), 0) < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("recv");
		}
	}
	sleep_ms(o->hold_ms);
	close(fd);
	return 0;
}

static int run_server(const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char line[128];
	int fd, one = 1, zero = 0;
#ifdef HAVE_LIBURING
	struct io_uring ring;
#endif

	if (o->udp)
		return run_udp_server(o);
	if (o->uring) {
#ifdef HAVE_LIBURING
		int ret = io_uring_queue_init(8, &ring, 0);

		if (ret < 0) {
			errno = -ret;
			die("io_uring_queue_init");
		}
#else
		fprintf(stderr, "peer: built without liburing (-DHAVE_LIBURING -luring): no -U\n");
		exit(3);
#endif
	}

	len = make_addr(&ss, o->addr, o->port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("setsockopt SO_REUSEADDR");
	/* "::" means dual stack here, whatever net.ipv6.bindv6only says */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)))
		die("setsockopt IPV6_V6ONLY");
	if (!o->autobind && bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	if (listen(fd, 128))
		die("listen");

	snprintf(line, sizeof(line), "pid=%d port=%d\n", (int)getpid(), local_port(fd));
	write_file(o->ready_file, line);

	for (long i = 0; i < o->accepts; i++) {
		struct timespec gap = { o->accept_delay_ms / 1000,
					(o->accept_delay_ms % 1000) * 1000000L };
		int c;

		if (!i)
			wait_go(o->close_gate);
		if (o->accept_delay_ms)
			nanosleep(&gap, NULL);
#ifdef HAVE_LIBURING
		if (o->uring)
			c = uring_accept(&ring, fd, o->multishot);
		else
#endif
		c = o->plain_accept ? accept(fd, NULL, NULL)
				    : accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("accept");
		}
		if (o->send_bytes >= 0) {
			read_exactly(c, o->send_bytes);
			write_all(c, o->recv_bytes);
			expect_eof(c);
		}
		close(c);
	}
	sleep_ms(o->hold_ms);
	close(fd);
#ifdef HAVE_LIBURING
	if (o->uring)
		io_uring_queue_exit(&ring);
#endif
	return 0;
}

/*
 * connect(), blocking or not; 0 or an errno. *sport gets the local port
 * as soon as it is known (0 if never).
 */
static int do_connect(const struct opts *o, int fd, const struct sockaddr_storage *dst,
		      socklen_t dlen, int *sport)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int err = 0, fl;

	*sport = 0;
	if (!o->nonblock)
		return connect(fd, (const struct sockaddr *)dst, dlen) ? errno : 0;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		die("fcntl O_NONBLOCK");
	if (connect(fd, (const struct sockaddr *)dst, dlen) == 0)
		goto done;
	if (errno != EINPROGRESS)
		return errno;
	/* the port is assigned before the SYN leaves; it may already be gone */
	*sport = local_port(fd);
	/* bounded by alarm() */
	while (poll(&pfd, 1, -1) < 0)
		if (errno != EINTR)
			die("poll");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		die("getsockopt SO_ERROR");
	if (err)
		return err;
done:
	if (fcntl(fd, F_SETFL, fl))
		die("fcntl");
	return 0;
}

static int run_client(const struct opts *o)
{
	struct sockaddr_storage dst, src;
	struct timespec gap = { o->delay_ms / 1000, (o->delay_ms % 1000) * 1000000L };
	socklen_t dlen, slen;
	static char info[64 + MAX_CONNS * sizeof(" err=EADDRNOTAVAIL sport=65535")];
	static int kept[MAX_CONNS];
	long nkept = 0;
	size_t off;
	int one = 1;

	dlen = make_addr(&dst, o->addr, o->port);
	off = (size_t)snprintf(info, sizeof(info), "pid=%d", (int)getpid());

	for (long i = 0; i < o->count; i++) {
		int fd = socket(dst.ss_family, (o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		int err, sport;

		if (fd < 0)
			die("socket");
		if (o->range_lo) {
			unsigned int r = (unsigned int)o->range_lo |
					 (unsigned int)o->range_hi << 16;

			if (setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &r, sizeof(r)))
				die("setsockopt IP_LOCAL_PORT_RANGE");
		}
		if (o->syncnt) {
			int n = (int)o->syncnt;

			if (setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &n, sizeof(n)))
				die("setsockopt TCP_SYNCNT");
		}
		/* bind(SRCADDR, 0) leaves the port to the kernel: still ephemeral */
		if (o->srcport || o->srcaddr) {
			const char *any = dst.ss_family == AF_INET6 ? "::" : "0.0.0.0";

			if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
				die("setsockopt SO_REUSEADDR");
			slen = make_addr(&src, o->srcaddr ? o->srcaddr : any, o->srcport);
			if (bind(fd, (struct sockaddr *)&src, slen))
				die("bind");
		}
		err = do_connect(o, fd, &dst, dlen, &sport);
		if (err) {
			if (!o->tolerate) {
				errno = err;
				die("connect");
			}
			off += (size_t)snprintf(info + off, sizeof(info) - off, " err=%s", ename(err));
			if (sport)
				off += (size_t)snprintf(info + off, sizeof(info) - off, " sport=%d", sport);
			close(fd);
			goto next;
		}
		off += (size_t)snprintf(info + off, sizeof(info) - off, " sport=%d",
					local_port(fd));
		if (o->udp) {
			if (send(fd, "x", 1, 0) < 0)
				die("send");
		} else if (o->send_bytes >= 0) {
			write_all(fd, o->send_bytes);
			read_exactly(fd, o->recv_bytes);
			if (o->close_gate) {
				char held[4096], line[64];

				snprintf(held, sizeof(held), "%s.held", o->close_gate);
				snprintf(line, sizeof(line), "pid=%d sport=%d\n", (int)getpid(),
					 local_port(fd));
				write_file(held, line);
				wait_go(o->close_gate);
			}
		}
		if (o->keep) {
			kept[nkept++] = fd;
			goto next;
		}
		if (o->send_bytes >= 0 || o->udp) {
			sleep_ms(o->hold_ms);
		} else if (!o->quick) {
			/* EOF once the server has accepted and closed */
			drain(fd);
		}
		if (o->rst)
			set_rst_close(fd);
		close(fd);
next:
		if (o->delay_ms && i + 1 < o->count)
			nanosleep(&gap, NULL);
	}
	if (nkept) {
		sleep_ms(o->hold_ms);
		for (long i = 0; i < nkept; i++) {
			if (o->rst)
				set_rst_close(kept[i]);
			close(kept[i]);
		}
	}
	snprintf(info + off, sizeof(info) - off, "\n");
	write_file(o->ready_file, info);
	return 0;
}

/* -T: the socket work in a thread of its own name; the process keeps its own */
static void *worker(void *arg)
{
	struct opts *o = arg;

	if (prctl(PR_SET_NAME, o->thread, 0, 0, 0))
		die("prctl PR_SET_NAME");
	return (void *)(long)(o->server ? run_server(o) : run_client(o));
}

int main(int argc, char **argv)
{
	struct opts o = {
		.port = -1, .accepts = 1, .count = 1, .timeout = 20,
		.send_bytes = -1, .recv_bytes = -1,
	};
	char line[64];
	int c;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		o.server = true;
	else if (strcmp(argv[1], "client"))
		usage();
	argv++;
	argc--;

	while ((c = getopt(argc, argv, "6AqEOKZuUMLa:b:c:p:n:r:i:g:G:s:R:k:D:W:t:N:T:S:H:X:")) != -1) {
		switch (c) {
		case '6': o.v6 = true; break;
		case 'A': o.plain_accept = true; break;
		case 'q': o.quick = true; break;
		case 'E': o.tolerate = true; break;
		case 'O': o.nonblock = true; break;
		case 'K': o.keep = true; break;
		case 'Z': o.rst = true; break;
		case 'u': o.udp = true; break;
		case 'U': o.uring = true; break;
		case 'M': o.uring = o.multishot = true; break;
		case 'L': o.autobind = true; break;
		case 'S': o.syncnt = num(optarg, 1, 127); break;
		case 'H': o.hold_ms = num(optarg, 0, 600000); break;
		case 'X':
			if (sscanf(optarg, "%ld:%ld", &o.send_bytes, &o.recv_bytes) != 2 ||
			    o.send_bytes < 0 || o.recv_bytes < 0 ||
			    o.send_bytes > 100000000 || o.recv_bytes > 100000000) {
				fprintf(stderr, "peer: bad -X '%s' (want SEND:RECV)\n", optarg);
				return 2;
			}
			break;
		case 'a':
		case 'c': o.addr = optarg; break;
		case 'p': o.port = num(optarg, 0, 65535); break;
		case 'n': o.accepts = num(optarg, 0, MAX_CONNS); break;
		case 'k': o.count = num(optarg, 1, MAX_CONNS); break;
		case 'D': o.delay_ms = num(optarg, 0, 10000); break;
		case 'W': o.accept_delay_ms = num(optarg, 0, 10000); break;
		case 's': o.srcport = num(optarg, 1, 65535); break;
		case 't': o.timeout = num(optarg, 1, 600); break;
		case 'r': o.ready_file = optarg; break;
		case 'i': o.pid_file = optarg; break;
		case 'g': o.go_file = optarg; break;
		case 'G': o.close_gate = optarg; break;
		case 'b': o.srcaddr = optarg; break;
		case 'N': o.comm = optarg; break;
		case 'T': o.thread = optarg; break;
		case 'R':
			if (sscanf(optarg, "%ld-%ld", &o.range_lo, &o.range_hi) != 2 ||
			    o.range_lo < 1 || o.range_hi > 65535 || o.range_lo > o.range_hi) {
				fprintf(stderr, "peer: bad range '%s'\n", optarg);
				return 2;
			}
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (!o.addr) {
		if (!o.server)
			usage();
		o.addr = o.v6 ? "::1" : "127.0.0.1";
	}
	if (o.port < 0) {
		if (!o.server)
			usage();
		o.port = 0;
	}

	/* a wedged test must not outlive its budget */
	signal(SIGALRM, SIG_DFL);
	alarm((unsigned int)o.timeout);

	/* hostile names for the escaping tests: comm is whatever a process says */
	if (o.comm && prctl(PR_SET_NAME, o.comm, 0, 0, 0))
		die("prctl PR_SET_NAME");

	snprintf(line, sizeof(line), "pid=%d\n", (int)getpid());
	write_file(o.pid_file, line);
	wait_go(o.go_file);

	if (o.thread) {
		pthread_t t;
		void *ret;

		if (pthread_create(&t, NULL, worker, &o) || pthread_join(t, &ret))
			die("pthread");
		return (int)(long)ret;
	}
	return o.server ? run_server(&o) : run_client(&o);
}
