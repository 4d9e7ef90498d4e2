// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * churn: loopback TCP connection-churn load generator for benchmarking
 * porttrace. One listener (127.0.0.1 or ::1), one or more blocking accept
 * threads that accept and close, and N client threads that connect and close
 * as fast as they can until a deadline or a connection count.
 *
 * With -r REQ:RESP each connection also carries a request/response exchange:
 * the client writes REQ bytes, the server reads them, writes RESP bytes and
 * closes, and the client reads the RESP bytes before it closes.
 *
 * Clients close with SO_LINGER {1, 0}: the RST leaves no TIME_WAIT socket, so
 * the kernel can reuse ephemeral ports at once and a run never exhausts them.
 * The price is that a connection may be reset before the server accepts it;
 * such accept() failures are expected and only successful accepts count.
 *
 * Output, one line on stdout:
 *   connections=N seconds=S.SSS rate=R.R accepts=M [exchanges=E] cpu_us=C
 * exchanges (with -r): responses the clients received in full; cpu_us: the
 * process's own user + system CPU time (getrusage), all threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS	64
#define MAX_SECONDS	3600.0
#define MAX_PAYLOAD	(1024 * 1024)	/* -r: bytes each way, at most */
#define BACKLOG		4096
/* after the clients stop, how long the accept thread may drain the queue */
#define DRAIN_IDLE_NS	(200 * 1000 * 1000LL)
#define DRAIN_MAX_NS	(2 * 1000 * 1000 * 1000LL)

struct opts {
	int threads;
	double seconds;
	unsigned long max_conns;	/* 0: unlimited */
	int port;			/* 0: kernel-chosen */
	int servers;			/* accept threads */
	size_t req, resp;		/* -r: payload bytes each way */
	bool ipv6;
};

struct run {
	const struct opts *opts;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int lfd;
	long long deadline_ns;
	atomic_bool stop;		/* clients: stop now */
	atomic_bool draining;		/* accept thread: exit on next error */
	atomic_ulong claimed;		/* connection slots handed out (for -n) */
	atomic_ulong connections;	/* successful connect()s */
	atomic_ulong accepts;		/* successful accept()s */
	atomic_ulong exchanges;		/* -r: responses received in full */
	atomic_ulong exchange_errors;	/* -r: short request or response */
	atomic_ulong connect_errors;
	atomic_int first_connect_errno;
	atomic_int fatal_errno;		/* a client could not go on */
	const char *_Atomic fatal_what;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(long long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: churn [-t CLIENT_THREADS] [-s SERVER_THREADS] [-d SECONDS] [-n MAX_CONNECTIONS]\n"
		"             [-r REQ:RESP] [-p PORT] [-6]\n"
		"Loopback TCP connect/accept churn; prints\n"
		"  connections=N seconds=S.SSS rate=R.R accepts=M [exchanges=E] cpu_us=C\n"
		"  -t N   client threads (1-%d, default 2)\n"
		"  -s N   accept threads (1-%d, default 1)\n"
		"  -d S   run time in seconds (default 3, at most %.0f)\n"
		"  -n N   stop after N connections (default 0: only the time limit)\n"
		"  -r Q:R request/response: the client sends Q bytes, the server answers\n"
		"         R bytes and closes (0-%d each; default: no payload)\n"
		"  -p P   listen on port P (default 0: kernel-chosen)\n"
		"  -6     use ::1 instead of 127.0.0.1\n",
		MAX_THREADS, MAX_THREADS, MAX_SECONDS, MAX_PAYLOAD);
}

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s == '-' || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	unsigned long v;
	char *end;
	int c;

	*o = (struct opts){ .threads = 2, .servers = 1, .seconds = 3.0 };
	while ((c = getopt(argc, argv, "t:s:d:n:r:p:6h")) != -1) {
		switch (c) {
		case 't':
			if (parse_ulong(optarg, 1, MAX_THREADS, &v)) {
				fprintf(stderr, "churn: invalid thread count '%s' (1-%d)\n", optarg, MAX_THREADS);
				return -EINVAL;
			}
			o->threads = (int)v;
			break;
		case 's':
			if (parse_ulong(optarg, 1, MAX_THREADS, &v)) {
				fprintf(stderr, "churn: invalid accept thread count '%s' (1-%d)\n", optarg, MAX_THREADS);
				return -EINVAL;
			}
			o->servers = (int)v;
			break;
		case 'r': {
			char *colon = strchr(optarg, ':');
			unsigned long q, r;

			if (!colon) {
				fprintf(stderr, "churn: invalid payload '%s' (REQ:RESP)\n", optarg);
				return -EINVAL;
			}
			*colon = '\0';
			if (parse_ulong(optarg, 0, MAX_PAYLOAD, &q) ||
			    parse_ulong(colon + 1, 0, MAX_PAYLOAD, &r)) {
				*colon = ':';
				fprintf(stderr, "churn: invalid payload '%s' (REQ:RESP, 0-%d each)\n",
					optarg, MAX_PAYLOAD);
				return -EINVAL;
			}
			*colon = ':';
			o->req = q;
			o->resp = r;
			break;
		}
		case 'd':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o->seconds > 0) || o->seconds > MAX_SECONDS) {
				fprintf(stderr, "churn: invalid duration '%s' (0-%.0f seconds)\n", optarg, MAX_SECONDS);
				return -EINVAL;
			}
			break;
		case 'n':
			if (parse_ulong(optarg, 0, (unsigned long)-1 / 2, &o->max_conns)) {
				fprintf(stderr, "churn: invalid connection count '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (parse_ulong(optarg, 0, 65535, &v)) {
				fprintf(stderr, "churn: invalid port '%s' (0-65535)\n", optarg);
				return -EINVAL;
			}
			o->port = (int)v;
			break;
		case '6':
			o->ipv6 = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "churn: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int setup_listener(struct run *r)
{
	const struct opts *o = r->opts;
	int one = 1, fd, err;

	memset(&r->addr, 0, sizeof(r->addr));
	if (o->ipv6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&r->addr;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(o->port);
		r->addrlen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&r->addr;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(o->port);
		r->addrlen = sizeof(*a);
	}

	fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "churn: failed to create listening socket: %s\n", strerror(errno));
		return -errno;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) {
		fprintf(stderr, "churn: failed to set SO_REUSEADDR: %s\n", strerror(errno));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&r->addr, r->addrlen)) {
		fprintf(stderr, "churn: failed to bind %s port %d: %s\n",
			o->ipv6 ? "::1" : "127.0.0.1", o->port, strerror(errno));
		goto fail;
	}
	if (listen(fd, BACKLOG)) {
		fprintf(stderr, "churn: failed to listen: %s\n", strerror(errno));
		goto fail;
	}
	/* learn the kernel-chosen port; the clients connect to exactly this */
	if (getsockname(fd, (struct sockaddr *)&r->addr, &r->addrlen)) {
		fprintf(stderr, "churn: failed to read listening address: %s\n", strerror(errno));
		goto fail;
	}
	r->lfd = fd;
	return 0;
fail:
	err = -errno;
	close(fd);
	return err;
}

static bool payload(const struct opts *o)
{
	return o->req || o->resp;
}

/* read exactly len bytes (false on EOF, error or timeout) */
static bool read_full(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		len -= (size_t)n;
	}
	return true;
}

static bool write_full(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* bound every read and write of a connection, so no thread can hang on one */
static int set_timeouts(int fd)
{
	const struct timeval tmo = { .tv_sec = 2 };

	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)))
		return -errno;
	return 0;
}

/* -r: take the request, answer, close (the server closes first) */
static void serve(const struct opts *o, int fd, char *buf)
{
	if (set_timeouts(fd))
		return;
	if (!read_full(fd, buf, o->req))
		return;
	write_full(fd, buf, o->resp);
}

static void *accept_thread(void *arg)
{
	struct run *r = arg;
	const struct opts *o = r->opts;
	char *buf = NULL;

	if (payload(o)) {
		buf = calloc(1, o->req > o->resp ? o->req : o->resp ? o->resp : 1);
		if (!buf) {
			fprintf(stderr, "churn: out of memory\n");
			return NULL;
		}
	}
	for (;;) {
		int fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0) {
			atomic_fetch_add_explicit(&r->accepts, 1, memory_order_relaxed);
			if (buf)
				serve(o, fd, buf);
			close(fd);
			continue;
		}
		/* shutdown() of the listener makes accept() fail: that is our exit */
		if (atomic_load(&r->draining))
			break;
		switch (errno) {
		case EINTR:
		case EAGAIN:		/* SO_RCVTIMEO: re-check the exit flag */
		case ECONNABORTED:	/* reset by the client before we took it */
		case EPROTO:
		case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
		case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
			continue;
		case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM:
			/* out of resources: back off instead of spinning */
			sleep_ns(1000 * 1000);
			continue;
		default:
			/* the listener is gone (EINVAL, EBADF): nothing left to do */
			goto out;
		}
	}
out:
	free(buf);
	return NULL;
}

static void client_fatal(struct run *r, const char *what, int err)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&r->fatal_errno, &zero, err))
		atomic_store(&r->fatal_what, what);
	atomic_store(&r->stop, true);
}

static void *client_thread(void *arg)
{
	struct run *r = arg;
	const struct opts *o = r->opts;
	const struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long max = o->max_conns;
	char *buf = NULL;

	if (payload(o)) {
		buf = calloc(1, o->req > o->resp ? o->req : o->resp ? o->resp : 1);
		if (!buf) {
			client_fatal(r, "calloc", ENOMEM);
			return NULL;
		}
	}

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		int fd;

		if (now_ns() >= r->deadline_ns)
			break;
		if (max && atomic_fetch_add_explicit(&r->claimed, 1, memory_order_relaxed) >= max)
			break;

		fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			client_fatal(r, "socket", errno);
			break;
		}
		/* the send timeout also bounds a connect() stuck on a dropped SYN
		 * (full accept queue) */
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) || set_timeouts(fd)) {
			client_fatal(r, "setsockopt", errno);
			close(fd);
			break;
		}
		if (connect(fd, (struct sockaddr *)&r->addr, r->addrlen) == 0) {
			atomic_fetch_add_explicit(&r->connections, 1, memory_order_relaxed);
			if (buf) {
				if (write_full(fd, buf, o->req) && read_full(fd, buf, o->resp))
					atomic_fetch_add_explicit(&r->exchanges, 1, memory_order_relaxed);
				else
					atomic_fetch_add_explicit(&r->exchange_errors, 1, memory_order_relaxed);
			}
		} else {
			int zero = 0;

			atomic_compare_exchange_strong(&r->first_connect_errno, &zero, errno);
			atomic_fetch_add_explicit(&r->connect_errors, 1, memory_order_relaxed);
			/* e.g. ECONNREFUSED, EADDRNOTAVAIL: don't hammer the kernel */
			sleep_ns(1000 * 1000);
		}
		close(fd);
	}
	free(buf);
	return NULL;
}

/*
 * The clients are done. Give the accept thread a bounded chance to take what
 * is still queued, so accepts=M is comparable to connections=N; connections
 * reset while their ACK was dropped (full queue) never arrive, so also stop
 * once accepts stop moving.
 */
static void drain_accepts(struct run *r)
{
	unsigned long want = atomic_load(&r->connections);
	unsigned long last = atomic_load(&r->accepts);
	long long start = now_ns(), moved = start;

	while (last < want) {
		long long t;
		unsigned long cur;

		sleep_ns(1000 * 1000);
		t = now_ns();
		cur = atomic_load(&r->accepts);
		if (cur != last) {
			last = cur;
			moved = t;
		}
		if (t - moved >= DRAIN_IDLE_NS || t - start >= DRAIN_MAX_NS)
			break;
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct run r = { .opts = &o, .lfd = -1 };
	pthread_t acceptors[MAX_THREADS], clients[MAX_THREADS];
	const struct timeval acc_tmo = { .tv_usec = 200 * 1000 };
	int started = 0, acceptors_started = 0, err, i;
	long long t0, t1;
	unsigned long conns, errs;
	struct rusage ru;
	double secs;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (setup_listener(&r))
		return 1;
	/* a lost wakeup can then never leave the accept thread blocked forever */
	if (setsockopt(r.lfd, SOL_SOCKET, SO_RCVTIMEO, &acc_tmo, sizeof(acc_tmo))) {
		fprintf(stderr, "churn: failed to set SO_RCVTIMEO: %s\n", strerror(errno));
		err = 1;
		goto cleanup;
	}

	for (i = 0; i < o.servers; i++) {
		err = pthread_create(&acceptors[i], NULL, accept_thread, &r);
		if (err) {
			fprintf(stderr, "churn: failed to start accept thread: %s\n", strerror(err));
			err = 1;
			goto cleanup;
		}
		acceptors_started++;
	}

	t0 = now_ns();
	r.deadline_ns = t0 + (long long)(o.seconds * 1e9);
	for (i = 0; i < o.threads; i++) {
		err = pthread_create(&clients[i], NULL, client_thread, &r);
		if (err) {
			fprintf(stderr, "churn: failed to start client thread: %s\n", strerror(err));
			atomic_store(&r.stop, true);
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(clients[i], NULL);
	t1 = now_ns();
	if (started < o.threads) {
		err = 1;
		goto cleanup;
	}

	drain_accepts(&r);
	err = 0;

cleanup:
	if (acceptors_started) {
		atomic_store(&r.draining, true);
		/* wakes the blocked accept()s, which then fail with EINVAL */
		shutdown(r.lfd, SHUT_RDWR);
		for (i = 0; i < acceptors_started; i++)
			pthread_join(acceptors[i], NULL);
	}
	if (r.lfd >= 0)
		close(r.lfd);
	if (err)
		return err;

	if (atomic_load(&r.fatal_errno)) {
		fprintf(stderr, "churn: %s failed: %s\n", atomic_load(&r.fatal_what),
			strerror(atomic_load(&r.fatal_errno)));
		return 1;
	}
	conns = atomic_load(&r.connections);
	errs = atomic_load(&r.connect_errors);
	if (conns == 0) {
		fprintf(stderr, "churn: no connection succeeded (%lu connect errors%s%s)\n", errs,
			errs ? ", first: " : "", errs ? strerror(atomic_load(&r.first_connect_errno)) : "");
		return 1;
	}
	if (errs)
		fprintf(stderr, "churn: warning: %lu connect errors, first: %s\n", errs,
			strerror(atomic_load(&r.first_connect_errno)));

	if (atomic_load(&r.exchange_errors))
		fprintf(stderr, "churn: warning: %lu request/response exchanges incomplete\n",
			atomic_load(&r.exchange_errors));

	secs = (t1 - t0) / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	printf("connections=%lu seconds=%.3f rate=%.1f accepts=%lu", conns, secs, conns / secs,
	       atomic_load(&r.accepts));
	if (payload(&o))
		printf(" exchanges=%lu", atomic_load(&r.exchanges));
	printf(" cpu_us=%lld\n",
	       (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	return 0;
}
