// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hold: many TCP connections at once (or a fast churn of them) for
 * porttrace's scale tests (tests/e2e/scale.sh). IPv4 only.
 *
 *   hold server -a ADDR -p PORT[,PORT...] [-n COUNT] [-K] [-B BACKLOG]
 *               [-l LOG] [-r READY] [-d DONE] [-g STOP] [-t SECS]
 *   hold client -c ADDR -p PORT[,PORT...] [-b SRC -m NSRC] [-n COUNT | -T SECS]
 *               [-K] [-Z] [-l LOG] [-r READY] [-g GO] [-d DONE] [-t SECS]
 *
 * Holding COUNT connections needs COUNT descriptors on each side. Each side
 * raises RLIMIT_NOFILE as far as it may (without CAP_SYS_RESOURCE only up to
 * the hard limit) and, when one process cannot hold them all, splits them
 * over as many worker processes as it takes. Every side forks its workers,
 * even one: the pid logged with each connection is the worker's, the one
 * that connected or accepted it; the parent only listens (server), gathers
 * and writes the files.
 *
 * The server listens on ADDR at every PORT (backlog BACKLOG, default 65535,
 * capped by net.core.somaxconn) and writes "pid=P" (the parent, the one that
 * called listen()) to READY. Its workers accept through epoll, each up to
 * its share of COUNT (with COUNT 0, one worker until STOP exists; then it
 * takes what is still queued, until the queues have stayed empty for 300 ms).
 * Right after each accept4() a worker reads the socket's TCP state
 * (TCP_INFO) and logs "PID PEER_ADDR PEER_PORT LOCAL_PORT STATE" (STATE: the
 * kernel's number; 1 = ESTABLISHED, 7 = CLOSE: reset before the state was
 * read). Without -K it closes each connection at once; with -K it keeps them
 * and closes each when its peer has closed it (EOF or reset). When all have
 * stopped accepting, the parent writes LOG and "pid=P accepted=N pids=W,..."
 * to DONE; with -K, once every connection is closed, it adds "closed=N".
 *
 * The client makes COUNT connections (blocking connect()), or as many as it
 * can in SECS with -T. Connection i is bound to source address
 * SRC + (i % NSRC) with IP_BIND_ADDRESS_NO_PORT (the kernel picks the port at
 * connect(), for the whole 4-tuple) and goes to PORT number
 * (i / NSRC) % (number of PORTs). Each connected one is logged as
 * "PID SRC_ADDR SRC_PORT DST_PORT"; a failed one is counted. Without -K each
 * is closed at once (with SO_LINGER {1, 0}, an RST, under -Z); with -K all are
 * kept. Then the parent writes LOG and "pid=P ok=N failed=F pids=W,...
 * [err=ENAME]" to READY; with -K the workers wait for GO to exist and close
 * theirs (RST under -Z), and the parent writes "closed=N" to DONE.
 *
 * Files are written to a temporary name and renamed: readers never see a
 * partial file. Every process ends within SECS (default 120) by alarm().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_PORTS	64
#define MAX_WORKERS	256
#define MAX_COUNT	1000000L
#define FD_SPARE	64
#define LISTENER_TAG	(1ULL << 40)

struct opts {
	bool server;
	bool keep;		/* -K */
	bool rst;		/* -Z */
	const char *addr;
	const char *src;
	long nsrc;
	int ports[MAX_PORTS];
	int nports;
	long count;
	long seconds;		/* -T */
	long backlog;
	long timeout;
	const char *log_file;
	const char *ready_file;
	const char *done_file;
	const char *go_file;
};

/* one connection as logged */
struct conn {
	int fd;
	uint32_t addr;		/* network order: the peer (server), our own (client) */
	uint16_t port;		/* the peer's port (server), our own (client) */
	uint16_t other;		/* our port (server), the server's (client) */
	uint8_t state;		/* server: tcpi_state right after accept4() */
};

/* what a worker tells its parent, one write() each (< PIPE_BUF: atomic) */
struct report {
	int worker;
	int pid;
	long n;			/* connected / accepted */
	long failed;
	char err[32];
};

static void die(const char *what)
{
	fprintf(stderr, "hold[%d]: %s: %s\n", (int)getpid(), what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hold server -a ADDR -p PORT[,PORT...] [-n COUNT] [-K] [-B BACKLOG]\n"
		"                   [-l LOG] [-r READY] [-d DONE] [-g STOP] [-t SECS]\n"
		"       hold client -c ADDR -p PORT[,PORT...] [-b SRC -m NSRC] [-n COUNT | -T SECS]\n"
		"                   [-K] [-Z] [-l LOG] [-r READY] [-g GO] [-d DONE] [-t SECS]\n");
	exit(2);
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "hold: bad number '%s' (want %ld..%ld)\n", s, lo, hi);
		exit(2);
	}
	return v;
}

static void parse_ports(struct opts *o, char *s)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->nports == MAX_PORTS) {
			fprintf(stderr, "hold: more than %d ports\n", MAX_PORTS);
			exit(2);
		}
		o->ports[o->nports++] = (int)num(tok, 1, 65535);
	}
}

static uint32_t addr4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "hold: bad IPv4 address '%s'\n", s);
		exit(2);
	}
	return a.s_addr;
}

static void tmp_name(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s.tmp.%d", path, (int)getpid());
}

static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	if (!path)
		return;
	tmp_name(tmp, sizeof(tmp), path);
	f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	if (fputs(text, f) == EOF || fclose(f) == EOF)
		die(tmp);
	if (rename(tmp, path))
		die(path);
}

static char *part_name(const char *log, int w)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s.part%d", log, w);
	return buf;
}

/* worker w's part of LOG: "PID ADDR PORT OTHER[ STATE]" per connection */
static void write_part(const char *log, int w, const struct conn *c, long n, bool with_state)
{
	static char buf[1 << 20];
	char a[INET_ADDRSTRLEN];
	const char *path;
	FILE *f;
	int pid = (int)getpid();

	if (!log)
		return;
	path = part_name(log, w);
	f = fopen(path, "w");
	if (!f)
		die(path);
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	for (long i = 0; i < n; i++) {
		struct in_addr in = { c[i].addr };

		inet_ntop(AF_INET, &in, a, sizeof(a));
		if (with_state)
			fprintf(f, "%d %s %u %u %u\n", pid, a, c[i].port, c[i].other, c[i].state);
		else
			fprintf(f, "%d %s %u %u\n", pid, a, c[i].port, c[i].other);
	}
	if (fclose(f) == EOF)
		die(path);
}

/* LOG from the workers' parts, which go */
static void merge_parts(const char *log, int jobs)
{
	static char buf[1 << 16];
	char tmp[4096];
	FILE *out;

	if (!log)
		return;
	tmp_name(tmp, sizeof(tmp), log);
	out = fopen(tmp, "w");
	if (!out)
		die(tmp);
	for (int w = 0; w < jobs; w++) {
		const char *path = part_name(log, w);
		FILE *in = fopen(path, "r");
		size_t n;

		if (!in)
			die(path);
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			if (fwrite(buf, 1, n, out) != n)
				die(tmp);
		fclose(in);
		unlink(path);
	}
	if (fclose(out) == EOF)
		die(tmp);
	if (rename(tmp, log))
		die(log);
}

static bool exists(const char *path)
{
	struct stat st;

	return path && !stat(path, &st);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Raise RLIMIT_NOFILE to need (root with CAP_SYS_RESOURCE may go past the
 * hard limit), else to the hard limit; how many connections one process can
 * then hold.
 */
static long conns_per_process(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	if ((long)rl.rlim_cur < need) {
		struct rlimit want = { (rlim_t)need,
				       (long)rl.rlim_max < need ? (rlim_t)need : rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &want)) {
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl))
				die("setrlimit RLIMIT_NOFILE");
		}
		if (getrlimit(RLIMIT_NOFILE, &rl))
			die("getrlimit");
	}
	if ((long)rl.rlim_cur <= 2 * FD_SPARE) {
		fprintf(stderr, "hold: RLIMIT_NOFILE %ld is too small\n", (long)rl.rlim_cur);
		exit(1);
	}
	return (long)rl.rlim_cur - FD_SPARE;
}

static void set_rst_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		die("setsockopt SO_LINGER");
}

static struct conn *grow(struct conn *c, long *cap, long n)
{
	if (n < *cap)
		return c;
	*cap = *cap ? *cap * 2 : 4096;
	c = realloc(c, (size_t)*cap * sizeof(*c));
	if (!c)
		die("realloc");
	return c;
}

/* in a new worker: its own alarm (not inherited), and no life after its parent */
static pid_t start_worker(const struct opts *o)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		die("fork");
	if (pid)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	alarm((unsigned int)o->timeout);
	return 0;
}

static void kill_all(const pid_t *pids, int jobs)
{
	for (int w = 0; w < jobs; w++)
		kill(pids[w], SIGKILL);
}

static void send_report(int wfd, const struct report *r)
{
	if (write(wfd, r, sizeof(*r)) != (ssize_t)sizeof(*r))
		die("write report");
}

/* one report from each of jobs workers; false if one died first */
static bool read_reports(int rfd, struct report *r, int jobs)
{
	for (int got = 0; got < jobs; got++) {
		struct report one;
		ssize_t n;

		do {
			n = read(rfd, &one, sizeof(one));
		} while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(one) || one.worker < 0 || one.worker >= jobs)
			return false;
		r[one.worker] = one;
	}
	return true;
}

/* reap every worker; false if one failed */
static bool reap(const pid_t *pids, int jobs)
{
	bool ok = true;

	for (int w = 0; w < jobs; w++) {
		int st;

		while (waitpid(pids[w], &st, 0) < 0)
			if (errno != EINTR)
				die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "hold: worker %d (pid %d) failed (status 0x%x)\n", w,
				(int)pids[w], st);
			ok = false;
		}
	}
	return ok;
}

static void list_pids(char *buf, size_t len, const pid_t *pids, int jobs)
{
	size_t off = 0;

	buf[0] = 0;
	for (int w = 0; w < jobs && off < len; w++)
		off += (size_t)snprintf(buf + off, len - off, "%s%d", w ? "," : "", (int)pids[w]);
}

/* ------------------------------------------------------------------ server */

struct server {
	const struct opts *o;
	const int *lfd;
	int ep;
	struct conn *conns;
	long cap, accepted, closed, quota;	/* quota 0: until STOP */
};

/* take what is queued on listener i; false once the quota is reached */
static bool accept_all(struct server *s, int i)
{
	const struct opts *o = s->o;

	while (!s->quota || s->accepted < s->quota) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		struct tcp_info ti;
		socklen_t tlen = sizeof(ti);
		struct conn *c;
		int fd;

		fd = accept4(s->lfd[i], (struct sockaddr *)&peer, &len,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN)
				return true;
			die("accept4");
		}
		/* first thing: was it reset before we took it? */
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen))
			die("getsockopt TCP_INFO");
		s->conns = grow(s->conns, &s->cap, s->accepted);
		c = &s->conns[s->accepted];
		c->fd = fd;
		c->addr = peer.sin_addr.s_addr;
		c->port = ntohs(peer.sin_port);
		c->other = (uint16_t)o->ports[i];
		c->state = ti.tcpi_state;
		if (o->keep) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
						  .data.u64 = (uint64_t)s->accepted };

			if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev))
				die("epoll_ctl");
		} else {
			close(fd);
			c->fd = -1;
		}
		s->accepted++;
	}
	return false;
}

/* an accepted connection became readable: EOF or a reset closes it */
static void on_conn(struct server *s, long idx)
{
	struct conn *c = &s->conns[idx];
	char buf[256];
	ssize_t r;

	if (c->fd < 0)
		return;
	r = read(c->fd, buf, sizeof(buf));
	if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	close(c->fd);
	c->fd = -1;
	s->closed++;
}

static void server_worker(const struct opts *o, const int *lfd, int w, long quota, int wfd)
{
	struct server s = { .o = o, .lfd = lfd, .quota = quota };
	struct epoll_event evs[1024];
	struct report r = { .worker = w, .pid = (int)getpid() };
	bool accepting = true, stopping = false;
	double idle_since = 0;

	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.ep < 0)
		die("epoll_create1");
	for (int i = 0; i < o->nports; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
					  .data.u64 = LISTENER_TAG | (uint64_t)i };

		if (epoll_ctl(s.ep, EPOLL_CTL_ADD, lfd[i], &ev))
			die("epoll_ctl");
	}
	while (accepting) {
		int n = epoll_wait(s.ep, evs, 1024, 50);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int k = 0; k < n && accepting; k++) {
			uint64_t d = evs[k].data.u64;

			if (d & LISTENER_TAG)
				accepting = accept_all(&s, (int)(d & 0xffff));
			else
				on_conn(&s, (long)d);
		}
		if (!accepting || quota)
			continue;
		if (!stopping && exists(o->go_file)) {
			stopping = true;
			idle_since = now();
			for (int i = 0; i < o->nports; i++)
				accept_all(&s, i);
		} else if (stopping) {
			/* STOP: what is still queued, until 300 ms without any */
			if (n > 0)
				idle_since = now();
			else if (now() - idle_since > 0.3)
				accepting = false;
		}
	}
	for (int i = 0; i < o->nports; i++) {
		epoll_ctl(s.ep, EPOLL_CTL_DEL, lfd[i], NULL);
		close(lfd[i]);
	}
	write_part(o->log_file, w, s.conns, s.accepted, true);
	r.n = s.accepted;
	send_report(wfd, &r);
	while (o->keep && s.closed < s.accepted) {
		int n = epoll_wait(s.ep, evs, 1024, 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int k = 0; k < n; k++)
			on_conn(&s, (long)evs[k].data.u64);
	}
	exit(0);
}

static int run_server(const struct opts *o)
{
	static struct report reps[MAX_WORKERS];
	pid_t pids[MAX_WORKERS] = { 0 };
	int lfd[MAX_PORTS], pfd[2], one = 1, jobs = 1;
	long per = o->count, total = 0;
	char line[512 + MAX_WORKERS * 12], plist[MAX_WORKERS * 12];

	if (o->keep) {
		per = conns_per_process(o->count + o->nports + FD_SPARE);
		jobs = (int)((o->count + per - 1) / per);
		if (jobs > MAX_WORKERS) {
			fprintf(stderr, "hold: %ld connections need more than %d workers\n",
				o->count, MAX_WORKERS);
			return 1;
		}
		per = (o->count + jobs - 1) / jobs;
	}
	for (int i = 0; i < o->nports; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)o->ports[i]),
					  .sin_addr.s_addr = addr4(o->addr) };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (fd < 0)
			die("socket");
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
			die("setsockopt SO_REUSEADDR");
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			die("bind");
		if (listen(fd, (int)o->backlog))
			die("listen");
		lfd[i] = fd;
	}
	if (pipe2(pfd, O_CLOEXEC))
		die("pipe2");
	for (int w = 0; w < jobs; w++) {
		long quota = o->count ? (o->count - (long)w * per < per ? o->count - (long)w * per : per) : 0;

		pids[w] = start_worker(o);
		if (!pids[w]) {
			close(pfd[0]);
			server_worker(o, lfd, w, quota, pfd[1]);
		}
	}
	close(pfd[1]);
	for (int i = 0; i < o->nports; i++)
		close(lfd[i]);
	snprintf(line, sizeof(line), "pid=%d\n", (int)getpid());
	write_file(o->ready_file, line);

	if (!read_reports(pfd[0], reps, jobs)) {
		fprintf(stderr, "hold: a server worker died before it was done accepting\n");
		kill_all(pids, jobs);
		reap(pids, jobs);
		return 1;
	}
	for (int w = 0; w < jobs; w++)
		total += reps[w].n;
	merge_parts(o->log_file, jobs);
	list_pids(plist, sizeof(plist), pids, jobs);
	snprintf(line, sizeof(line), "pid=%d accepted=%ld pids=%s\n", (int)getpid(), total, plist);
	write_file(o->done_file, line);
	if (!reap(pids, jobs))
		return 1;
	if (o->keep) {
		snprintf(line, sizeof(line), "pid=%d accepted=%ld pids=%s\nclosed=%ld\n",
			 (int)getpid(), total, plist, total);
		write_file(o->done_file, line);
	}
	return 0;
}

/* ------------------------------------------------------------------ client */

static void client_worker(const struct opts *o, int w, long first, long end, int wfd)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_addr.s_addr = addr4(o->addr) };
	uint32_t src0 = o->src ? ntohl(addr4(o->src)) : 0;
	struct report r = { .worker = w, .pid = (int)getpid() };
	double deadline = o->seconds ? now() + (double)o->seconds : 0;
	struct conn *conns = NULL;
	long cap = 0;
	int one = 1;

	for (long i = first; o->seconds ? now() < deadline : i < end; i++) {
		struct sockaddr_in me;
		socklen_t mlen = sizeof(me);
		uint32_t src = src0 + (uint32_t)(i % o->nsrc);
		int port = o->ports[(i / o->nsrc) % o->nports];
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct conn *c;

		if (fd < 0)
			die("socket");
		if (o->src) {
			struct sockaddr_in sa = { .sin_family = AF_INET,
						  .sin_addr.s_addr = htonl(src) };

			if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)))
				die("setsockopt IP_BIND_ADDRESS_NO_PORT");
			if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
				die("bind");
		}
		dst.sin_port = htons((uint16_t)port);
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
			if (!r.failed)
				snprintf(r.err, sizeof(r.err), "%s", strerrorname_np(errno));
			r.failed++;
			close(fd);
			continue;
		}
		if (getsockname(fd, (struct sockaddr *)&me, &mlen))
			die("getsockname");
		conns = grow(conns, &cap, r.n);
		c = &conns[r.n++];
		c->fd = fd;
		c->addr = me.sin_addr.s_addr;
		c->port = ntohs(me.sin_port);
		c->other = (uint16_t)port;
		if (o->keep)
			continue;
		if (o->rst)
			set_rst_close(fd);
		close(fd);
		c->fd = -1;
	}
	write_part(o->log_file, w, conns, r.n, false);
	send_report(wfd, &r);
	if (!o->keep)
		exit(0);
	/* bounded by alarm() */
	while (!exists(o->go_file))
		sleep_ms(10);
	for (long i = 0; i < r.n; i++) {
		if (o->rst)
			set_rst_close(conns[i].fd);
		close(conns[i].fd);
	}
	exit(0);
}

static int run_client(const struct opts *o)
{
	static struct report reps[MAX_WORKERS];
	pid_t pids[MAX_WORKERS] = { 0 };
	long per = o->count, ok = 0, failed = 0;
	int pfd[2], jobs = 1;
	char line[512 + MAX_WORKERS * 12], plist[MAX_WORKERS * 12];
	const char *err = NULL;

	if (o->keep) {
		per = conns_per_process(o->count + FD_SPARE);
		jobs = (int)((o->count + per - 1) / per);
		if (jobs > MAX_WORKERS) {
			fprintf(stderr, "hold: %ld connections need more than %d workers\n",
				o->count, MAX_WORKERS);
			return 1;
		}
		per = (o->count + jobs - 1) / jobs;
	}
	if (pipe2(pfd, O_CLOEXEC))
		die("pipe2");
	for (int w = 0; w < jobs; w++) {
		long first = (long)w * per;
		long end = first + per < o->count ? first + per : o->count;

		pids[w] = start_worker(o);
		if (!pids[w]) {
			close(pfd[0]);
			client_worker(o, w, first, end, pfd[1]);
		}
	}
	close(pfd[1]);
	if (!read_reports(pfd[0], reps, jobs)) {
		fprintf(stderr, "hold: a client worker died before it was done connecting\n");
		kill_all(pids, jobs);
		reap(pids, jobs);
		return 1;
	}
	for (int w = 0; w < jobs; w++) {
		ok += reps[w].n;
		failed += reps[w].failed;
		if (!err && reps[w].failed)
			err = reps[w].err;
	}
	merge_parts(o->log_file, jobs);
	list_pids(plist, sizeof(plist), pids, jobs);
	snprintf(line, sizeof(line), "pid=%d ok=%ld failed=%ld pids=%s%s%s\n", (int)getpid(),
		 ok, failed, plist, err ? " err=" : "", err ? err : "");
	write_file(o->ready_file, line);
	if (!reap(pids, jobs))
		return 1;
	if (o->keep) {
		snprintf(line, sizeof(line), "closed=%ld\n", ok);
		write_file(o->done_file, line);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .backlog = 65535, .timeout = 120, .nsrc = 1 };
	int c;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		o.server = true;
	else if (strcmp(argv[1], "client"))
		usage();
	argv++;
	argc--;

	while ((c = getopt(argc, argv, "KZa:c:p:b:m:n:T:B:l:r:d:g:t:")) != -1) {
		switch (c) {
		case 'K': o.keep = true; break;
		case 'Z': o.rst = true; break;
		case 'a':
		case 'c': o.addr = optarg; break;
		case 'p': {
			char *copy = strdup(optarg);	/* strtok_r() writes; ps shows argv */

			if (!copy)
				die("strdup");
			parse_ports(&o, copy);
			break;
		}
		case 'b': o.src = optarg; break;
		case 'm': o.nsrc = num(optarg, 1, 65536); break;
		case 'n': o.count = num(optarg, 0, MAX_COUNT); break;
		case 'T': o.seconds = num(optarg, 1, 600); break;
		case 'B': o.backlog = num(optarg, 1, 1 << 20); break;
		case 'l': o.log_file = optarg; break;
		case 'r': o.ready_file = optarg; break;
		case 'd': o.done_file = optarg; break;
		case 'g': o.go_file = optarg; break;
		case 't': o.timeout = num(optarg, 1, 3600); break;
		default: usage();
		}
	}
	if (optind != argc || !o.addr || !o.nports)
		usage();
	if (!o.server && !o.count == !o.seconds) {
		fprintf(stderr, "hold: client: one of -n COUNT and -T SECS\n");
		return 2;
	}
	if (!o.server && o.keep && (!o.count || !o.go_file)) {
		fprintf(stderr, "hold: client -K needs -n COUNT and -g GO\n");
		return 2;
	}
	if (o.server && o.keep && !o.count) {
		fprintf(stderr, "hold: server -K needs -n COUNT\n");
		return 2;
	}
	if (o.server && !o.count && !o.go_file) {
		fprintf(stderr, "hold: server without -n COUNT needs -g STOP\n");
		return 2;
	}

	/* a wedged test must not outlive its budget (inherited by the workers) */
	signal(SIGALRM, SIG_DFL);
	alarm((unsigned int)o.timeout);

	return o.server ? run_server(&o) : run_client(&o);
}
