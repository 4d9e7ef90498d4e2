/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Safe output files: links and existing files refused, mode 0600, atomic
 * reports, rows cut back to a whole one when a write fails (ENOSPC on
 * /dev/full, EFBIG past RLIMIT_FSIZE), reopen after log rotation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <linux/types.h>
#include "options.h"
#include "outfile.h"

#define ROW	"2026-11-23T08:40:01.123456Z,connect,tcp,curl\r\n"

static char dir[] = "/tmp/porttrace-outfile.XXXXXX";

static char *in_dir(const char *name)
{
	static char paths[4][256];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* The whole file, NUL-terminated, or NULL if there is none (caller frees). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc(len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static void file_is(const char *path, const char *want)
{
	char *got = slurp(path);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void mode_is(const char *path, mode_t want)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, want);
}

/* Entries in the test directory but . and .. */
static int dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir + strlen(dir) - 6, "XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* a permissive umask must not widen the 0600 */
	umask(0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	umask(022);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void write_rows(struct pt_outfile *of, int n)
{
	for (int i = 0; i < n; i++)
		assert_true(fputs(ROW, of->fp) >= 0);
}

static void test_create_mode(void **state)
{
	struct pt_outfile of;
	char *path = in_dir("out.csv");

	(void)state;
	assert_int_equal(pt_outfile_open(&of, path, 0), 0);
	assert_true(of.fresh);
	mode_is(path, 0600);
	write_rows(&of, 2);
	assert_int_equal(pt_outfile_flush(&of), 0);
	assert_int_equal(pt_outfile_commit(&of), 0);
	file_is(path, ROW ROW);
	mode_is(path, 0600);
	assert_null(of.fp);
}

static void test_symlink_refused(void **state)
{
	static const unsigned int flags[] = {
		0, PT_OUTFILE_FORCE, PT_OUTFILE_ATOMIC,
		PT_OUTFILE_ATOMIC | PT_OUTFILE_FORCE,
	};
	char *victim = in_dir("victim"), *link = in_dir("out.csv");
	char *dangling = in_dir("dangling.csv");
	struct pt_outfile of;
	size_t i;

	(void)state;
	put_file(victim, "keep me\n");
	chmod(victim, 0644);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(symlink(in_dir("nowhere"), dangling), 0);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		assert_int_equal(pt_outfile_open(&of, link, flags[i]), -ELOOP);
		assert_non_null(strstr(of.err, "symbolic link"));
		assert_null(of.fp);
		assert_int_equal(pt_outfile_open(&of, dangling, flags[i]), -ELOOP);
	}
	file_is(victim, "keep me\n");
	mode_is(victim, 0644);
	/* nothing created through the dangling link, no temporary left */
	assert_int_equal(access(in_dir("nowhere"), F_OK), -1);
	assert_int_equal(dir_entries(), 3);
}

/*
 * Who else could touch the file decides: a symbolic link anywhere on the
 * path (even with --force), a directory another user owns or can write
 * (unless sticky, like /tmp), an existing file another user owns: refused.
 * A file --force truncates becomes 0600, whatever its mode was.
 */
static void test_foreign_hands(void **state)
{
	static const unsigned int flags[] = { 0, PT_OUTFILE_FORCE, PT_OUTFILE_ATOMIC };
	char real[300], link[300], other[300], ww[300], sticky[300], path[400];
	struct pt_outfile of;
	size_t i;

	(void)state;
	/* in_dir() reuses four buffers: keep copies */
	snprintf(real, sizeof(real), "%s", in_dir("real"));
	snprintf(link, sizeof(link), "%s", in_dir("link"));
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, link), 0);
	snprintf(other, sizeof(other), "%s", in_dir("other"));
	snprintf(ww, sizeof(ww), "%s", in_dir("ww"));
	snprintf(sticky, sizeof(sticky), "%s", in_dir("sticky"));
	assert_int_equal(mkdir(other, 0755), 0);
	assert_int_equal(chown(other, 65534, 65534), 0);
	assert_int_equal(mkdir(ww, 0700), 0);
	assert_int_equal(chmod(ww, 0777), 0);
	assert_int_equal(mkdir(sticky, 0700), 0);
	assert_int_equal(chmod(sticky, 01777), 0);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		snprintf(path, sizeof(path), "%s/out.csv", link);
		assert_int_equal(pt_outfile_open(&of, path, flags[i] | PT_OUTFILE_FORCE), -ELOOP);
		assert_non_null(strstr(of.err, "symbolic link"));
		snprintf(path, sizeof(path), "%s/out.csv", other);
		assert_int_equal(pt_outfile_open(&of, path, flags[i]), -EPERM);
		assert_non_null(strstr(of.err, "another user"));
		snprintf(path, sizeof(path), "%s/out.csv", ww);
		assert_int_equal(pt_outfile_open(&of, path, flags[i]), -EPERM);
		assert_non_null(strstr(of.err, "other users can write"));
	}
	assert_int_equal(access(in_dir("real/out.csv"), F_OK), -1);

	/* sticky: others cannot rename or remove our file there */
	snprintf(path, sizeof(path), "%s/out.csv", sticky);
	assert_int_equal(pt_outfile_open(&of, path, 0), 0);
	write_rows(&of, 1);
	assert_int_equal(pt_outfile_commit(&of), 0);
	file_is(path, ROW);

	/* a file planted by another user: not truncated, not appended to */
	snprintf(path, sizeof(path), "%s/planted.csv", sticky);
	put_file(path, "theirs\n");
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(pt_outfile_open(&of, path, PT_OUTFILE_FORCE), -EPERM);
	assert_non_null(strstr(of.err, "another user"));
	file_is(path, "theirs\n");

	/* our own file, once 0644: --force makes it 0600 */
	snprintf(path, sizeof(path), "%s/mine.csv", real);
	put_file(path, "old\n");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(pt_outfile_open(&of, path, PT_OUTFILE_FORCE), 0);
	mode_is(path, 0600);
	assert_int_equal(pt_outfile_commit(&of), 0);
}

static void test_existing(void **state)
{
	char *path = in_dir("out.json");
	struct pt_outfile of;

	(void)state;
	put_file(path, "old contents\n");
	assert_int_equal(pt_outfile_open(&of, path, 0), -EEXIST);
	assert_non_null(strstr(of.err, "already exists"));
	assert_non_null(strstr(of.err, "--force"));
	file_is(path, "old contents\n");

	assert_int_equal(pt_outfile_open(&of, path, PT_OUTFILE_FORCE), 0);
	/* truncated at open, not at the first write */
	file_is(path, "");
	write_rows(&of, 1);
	assert_int_equal(pt_outfile_commit(&of), 0);
	file_is(path, ROW);
}

static void test_force_refuses_odd_files(void **state)
{
	char *hard = in_dir("hard.csv"), *other = in_dir("other");
	char *fifo = in_dir("fifo.csv"), *sub = in_dir("sub.csv");
	struct pt_outfile of;

	(void)state;
	put_file(other, "elsewhere\n");
	assert_int_equal(link(other, hard), 0);
	assert_int_equal(pt_outfile_open(&of, hard, PT_OUTFILE_FORCE), -EMLINK);
	assert_non_null(strstr(of.err, "hard links"));
	file_is(other, "elsewhere\n");

	/* must fail at once, not block waiting for a reader */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(pt_outfile_open(&of, fifo, PT_OUTFILE_FORCE), -EINVAL);
	assert_int_equal(pt_outfile_open(&of, fifo,
					 PT_OUTFILE_FORCE | PT_OUTFILE_ATOMIC), -EINVAL);

	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(pt_outfile_open(&of, sub, PT_OUTFILE_FORCE), -EISDIR);
	assert_int_equal(pt_outfile_open(&of, sub,
					 PT_OUTFILE_FORCE | PT_OUTFILE_ATOMIC), -EISDIR);
	assert_int_equal(pt_outfile_open(&of, in_dir("nodir/x.csv"), 0), -ENOENT);
	assert_non_null(strstr(of.err, "nodir/x.csv"));
}

/* The name of the one temporary file in dir, or NULL. */
static char *temp_name(void)
{
	static char name[sizeof(dir) + 256];
	DIR *d = opendir(dir);
	struct dirent *de;
	char *found = NULL;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, ".report.json.", 13) && strlen(de->d_name) == 19) {
			snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
			found = name;
		}
	closedir(d);
	return found;
}

static void test_atomic(void **state)
{
	char *path = in_dir("report.json");
	struct pt_outfile of;
	char *tmp;

	(void)state;
	assert_int_equal(pt_outfile_open(&of, path, PT_OUTFILE_ATOMIC), 0);
	tmp = temp_name();
	assert_non_null(tmp);
	mode_is(tmp, 0600);
	write_rows(&of, 3);
	assert_int_equal(pt_outfile_flush(&of), 0);
	/* written, not there yet */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pt_outfile_commit(&of), 0);
	file_is(path, ROW ROW ROW);
	mode_is(path, 0600);
	assert_null(temp_name());
	assert_int_equal(dir_entries(), 1);

	/* an existing report: refused at open, before any tracing */
	assert_int_equal(pt_outfile_open(&of, path, PT_OUTFILE_ATOMIC), -EEXIST);
	assert_int_equal(dir_entries(), 1);

	/* --force: the old report stays whole until the new one replaces it */
	assert_int_equal(pt_outfile_open(&of, path,
					 PT_OUTFILE_ATOMIC | PT_OUTFILE_FORCE), 0);
	write_rows(&of, 1);
	assert_int_equal(pt_outfile_flush(&of), 0);
	file_is(path, ROW ROW ROW);
	assert_int_equal(pt_outfile_commit(&of), 0);
	file_is(path, ROW);
	assert_int_equal(dir_entries(), 1);
}

static void test_atomic_abort_and_race(void **state)
{
	char *path = in_dir("report.json");
	struct pt_outfile of;

	(void)state;
	assert_int_equal(pt_outfile_open(&of, path, PT_OUTFILE_ATOMIC), 0);
	write_rows(&of, 1);
	pt_outfile_abort(&of);
	assert_int_equal(dir_entries(), 0);

	/* a file that appeared during the run is not replaced without --force */
	assert_int_equal(pt_outfile_open(&of, path, PT_OUTFILE_ATOMIC), 0);
	write_rows(&of, 1);
	put_file(path, "theirs\n");
	assert_int_equal(pt_outfile_commit(&of), -EEXIST);
	assert_non_null(strstr(of.err, "appeared"));
	file_is(path, "theirs\n");
	assert_int_equal(dir_entries(), 1);
}

static void test_dev_full(void **state)
{
	struct pt_outfile of;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(pt_outfile_fdopen(&of, fd, "/dev/full"), 0);
	write_rows(&of, 1);
	assert_false(of.failed);
	assert_int_equal(pt_outfile_flush(&of), -ENOSPC);
	assert_true(of.failed);
	assert_int_equal(of.err_no, ENOSPC);
	assert_non_null(strstr(of.err, "/dev/full"));
	assert_non_null(strstr(of.err, strerror(ENOSPC)));
	/* warn once */
	assert_false(pt_outfile_warned(&of));
	assert_true(pt_outfile_warned(&of));
	/* later rows are dropped, the error stays */
	write_rows(&of, 1);
	assert_int_equal(pt_outfile_flush(&of), -ENOSPC);
	assert_int_equal(pt_outfile_commit(&of), -ENOSPC);
	assert_null(of.fp);
}

/* A write error stdio hits on its own, with its buffer full, mid-batch. */
static void test_dev_full_implicit(void **state)
{
	struct pt_outfile of;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC), i, ret = 0;

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(pt_outfile_fdopen(&of, fd, "/dev/full"), 0);
	for (i = 0; i < 10000 && ret >= 0; i++)
		ret = fputs(ROW, of.fp);
	assert_true(ret < 0);
	assert_int_equal(errno, ENOSPC);
	assert_true(of.failed);
	assert_int_equal(pt_outfile_flush(&of), -ENOSPC);
	pt_outfile_abort(&of);
}

/*
 * EFBIG past RLIMIT_FSIZE in a child (the limit and SIGXFSZ are per
 * process): three rows committed, then a batch of 4000 that stdio starts
 * writing by itself, in 64 KiB pieces that split rows, until the limit.
 * The file must end at a whole row: the three, and the rows of the batch
 * that got out whole before the limit (not cut back to the last flush).
 * Exit codes name the first check that failed.
 */
static int efbig_child(const char *path)
{
	struct pt_outfile of;
	struct rlimit rl;
	int i;

	signal(SIGXFSZ, SIG_IGN);
	if (pt_outfile_open(&of, path, 0))
		return 10;
	for (i = 0; i < 3; i++)
		fputs(ROW, of.fp);
	if (pt_outfile_flush(&of))
		return 11;
	rl.rlim_cur = rl.rlim_max = 3 * strlen(ROW) + 100000;
	if (setrlimit(RLIMIT_FSIZE, &rl))
		return 12;
	for (i = 0; i < 4000; i++)
		fputs(ROW, of.fp);
	if (!of.failed)		/* stdio wrote on its own and hit the limit */
		return 13;
	if (pt_outfile_flush(&of) != -EFBIG)
		return 14;
	if (of.err_no != EFBIG)
		return 15;
	if (pt_outfile_commit(&of) != -EFBIG)
		return 16;
	return 0;
}

static void test_efbig_cut_to_row(void **state)
{
	char *path = in_dir("big.csv");
	int status;
	pid_t pid;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(efbig_child(path));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	{
		char *got = slurp(path);
		size_t len = strlen(got), row = strlen(ROW);

		assert_int_equal(len % row, 0);
		assert_true(len > 3 * row);
		assert_true(len <= 3 * row + 100000);
		for (size_t off = 0; off < len; off += row)
			assert_memory_equal(got + off, ROW, row);
		free(got);
	}
}

/*
 * Killed at any moment (a second Ctrl-C's _exit), the file ends at a whole
 * row: stdio's small buffer fills mid-row again and again, and only whole
 * rows reach the file; the last one without its newline is kept back.
 */
static void test_whole_rows_only(void **state)
{
	char *path = in_dir("rows.csv");
	static char small[7];	/* glibc sizes a buffer it allocates itself */
	struct pt_outfile of;
	char *got;

	(void)state;
	assert_int_equal(pt_outfile_open(&of, path, 0), 0);
	setvbuf(of.fp, small, _IOFBF, sizeof(small));
	fputs(ROW ROW "half a ro", of.fp);
	got = slurp(path);
	assert_string_equal(got, ROW ROW);
	free(got);
	fputs("w\n", of.fp);
	assert_int_equal(pt_outfile_flush(&of), 0);
	file_is(path, ROW ROW "half a row\n");
	/* a last line without a newline is still written at the end */
	fputs("tail", of.fp);
	assert_int_equal(pt_outfile_commit(&of), 0);
	file_is(path, ROW ROW "half a row\ntail");
}

static long file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (long)st.st_size;
}

/*
 * Records go out in writes of up to 64 KiB, not stdio's 8 KiB default:
 * into the page cache each write also zeroes the rest of its last block,
 * so small writes cost the tracer dearly. Nothing reaches the file before
 * 64 KiB wait, then whole rows of at most that; the same after a reopen.
 */
static void fills_64k(struct pt_outfile *of, const char *path)
{
	long before = file_size(path), rows = 60 * 1024 / (long)strlen(ROW);
	long got;

	write_rows(of, (int)rows);
	assert_int_equal(file_size(path), before);
	write_rows(of, (int)rows);
	got = file_size(path) - before;
	assert_true(got > 60 * 1024 && got <= 64 * 1024);
	assert_int_equal(got % (long)strlen(ROW), 0);
	assert_int_equal(pt_outfile_flush(of), 0);
	assert_int_equal(file_size(path) - before, 2 * rows * (long)strlen(ROW));
}

static void test_batches_in_64k(void **state)
{
	char *path = in_dir("big.csv"), *old = in_dir("big.csv.1"), *out = in_dir("stdout");
	struct pt_outfile of;
	int fd;

	(void)state;
	assert_int_equal(pt_outfile_open(&of, path, 0), 0);
	fills_64k(&of, path);
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(pt_outfile_reopen(&of), 0);
	fills_64k(&of, path);
	assert_int_equal(pt_outfile_commit(&of), 0);
	/* stdout redirected to a file goes the same way */
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pt_outfile_fdopen(&of, fd, "stdout"), 0);
	fills_64k(&of, out);
	assert_int_equal(pt_outfile_commit(&of), 0);
}

/* Abort drops what stdio wrote by itself since the last boundary. */
static void test_abort_cuts(void **state)
{
	char *path = in_dir("live.csv");
	struct pt_outfile of;

	(void)state;
	assert_int_equal(pt_outfile_open(&of, path, 0), 0);
	write_rows(&of, 2);
	assert_int_equal(pt_outfile_flush(&of), 0);
	write_rows(&of, 3000);
	fputs("half a ro", of.fp);
	assert_true(of.pending > 0);
	pt_outfile_abort(&of);
	file_is(path, ROW ROW);
}

static void test_reopen_rotated(void **state)
{
	char *path = in_dir("live.csv"), *old = in_dir("live.csv.1");
	struct pt_outfile of;

	(void)state;
	assert_int_equal(pt_outfile_open(&of, path, 0), 0);
	write_rows(&of, 2);
	assert_int_equal(pt_outfile_flush(&of), 0);
	fputs("x,y\r\n", of.fp);
	/* logrotate moves the file away, then sends SIGHUP */
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(pt_outfile_reopen(&of), 0);
	assert_true(of.fresh);
	mode_is(path, 0600);
	write_rows(&of, 1);
	assert_int_equal(pt_outfile_flush(&of), 0);
	assert_int_equal(pt_outfile_commit(&of), 0);
	/* what was pending at SIGHUP went to the old file, whole */
	file_is(old, ROW ROW "x,y\r\n");
	file_is(path, ROW);
}

/* logrotate copytruncate: the same file, cut to 0 under us */
static void test_reopen_copytruncate(void **state)
{
	char *path = in_dir("live.csv");
	struct pt_outfile of;

	(void)state;
	assert_int_equal(pt_outfile_open(&of, path, 0), 0);
	write_rows(&of, 2);
	assert_int_equal(pt_outfile_flush(&of), 0);
	/* SIGHUP without a rotation: the same file, appended to */
	assert_int_equal(pt_outfile_reopen(&of), 0);
	assert_false(of.fresh);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(pt_outfile_reopen(&of), 0);
	assert_true(of.fresh);
	write_rows(&of, 1);
	assert_int_equal(pt_outfile_flush(&of), 0);
	/* appended at the new end: no hole of NULs where the old rows were */
	file_is(path, ROW);
	/* even without a reopen */
	assert_int_equal(truncate(path, 0), 0);
	write_rows(&of, 1);
	assert_int_equal(pt_outfile_commit(&of), 0);
	file_is(path, ROW);
}

static void test_reopen_refuses(void **state)
{
	char *path = in_dir("live.csv"), *victim = in_dir("victim");
	struct pt_outfile of;

	(void)state;
	assert_int_equal(pt_outfile_open(&of, in_dir("r.json"), PT_OUTFILE_ATOMIC), 0);
	assert_int_equal(pt_outfile_reopen(&of), -EINVAL);
	pt_outfile_abort(&of);

	put_file(victim, "keep\n");
	assert_int_equal(pt_outfile_open(&of, path, 0), 0);
	write_rows(&of, 1);
	assert_int_equal(pt_outfile_flush(&of), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(pt_outfile_reopen(&of), -ELOOP);
	assert_true(of.failed);
	assert_null(of.fp);
	assert_non_null(strstr(of.err, "symbolic link"));
	assert_int_equal(pt_outfile_flush(&of), -ELOOP);
	assert_int_equal(pt_outfile_commit(&of), -ELOOP);
	file_is(victim, "keep\n");
}

static void test_output_from_path(void **state)
{
	(void)state;
	assert_int_equal(pt_output_from_path("out.csv"), PT_OUT_CSV);
	assert_int_equal(pt_output_from_path("/var/log/x.CSV"), PT_OUT_CSV);
	assert_int_equal(pt_output_from_path("a.json"), PT_OUT_JSON);
	assert_int_equal(pt_output_from_path("a.jsonl"), PT_OUT_JSON);
	assert_int_equal(pt_output_from_path("dir.d/a.ndjson"), PT_OUT_JSON);
	assert_int_equal(pt_output_from_path("a.txt"), -EINVAL);
	assert_int_equal(pt_output_from_path("report"), -EINVAL);
	assert_int_equal(pt_output_from_path("dir.csv/report"), -EINVAL);
	assert_int_equal(pt_output_from_path(".csv"), -EINVAL);
	assert_int_equal(pt_output_from_path("a.csv.gz"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_hands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_force_refuses_odd_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_abort_and_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_full_implicit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_efbig_cut_to_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_rows_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_in_64k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_cuts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_rotated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_copytruncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_refuses, setup, teardown),
		cmocka_unit_test(test_output_from_path),
	};

	return cmocka_run_group_tests_name("outfile", tests, NULL, NULL);
}
