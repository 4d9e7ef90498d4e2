/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Safe output files; the rules are in outfile.h. of->fp is a stdio stream
 * over a cookie that writes to of->fd, so every byte that reaches the file
 * is counted here and the first failed write is seen here, with its errno,
 * whichever stdio call (fprintf, fwrite, fflush, fclose) triggered it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/openat2.h>
#include "options.h"
#include "outfile.h"

/*
 * Big enough that a batch of records goes out in few write()s. stdio takes
 * the size only with a buffer: given NULL, glibc gives a cookie stream
 * BUFSIZ (8 KiB), and each write into the page cache then also zeroes the
 * rest of its last, new block: 8 KiB writes cost the tracer a fifth of its
 * CPU in that memset alone.
 */
#define OUTFILE_BUF	(64 * 1024)

enum open_mode {
	OPEN_CREATE,	/* a new file only */
	OPEN_FORCE,	/* a new file, or truncate an existing regular file */
	OPEN_APPEND,	/* a new file, or append to an existing regular file */
};

/* Cut the last bytes written off the file again (a regular file only). */
static void cut_back(struct pt_outfile *of, unsigned long long bytes)
{
	struct stat st;

	if (bytes && of->fd >= 0 && !fstat(of->fd, &st) && S_ISREG(st.st_mode)) {
		off_t end = st.st_size >= (off_t)bytes ? st.st_size - (off_t)bytes : 0;

		if (!ftruncate(of->fd, end))
			lseek(of->fd, end, SEEK_SET);
	}
}

/* Cut the file back to the last batch boundary. */
static void cut(struct pt_outfile *of)
{
	cut_back(of, of->pending);
	of->pending = 0;
}

/* The first failed write: cut off the part of a row it got out, and drop
 * everything after it. */
static void fail(struct pt_outfile *of, int err)
{
	of->failed = true;
	of->err_no = err;
	cut_back(of, of->partial);
	of->partial = 0;
	snprintf(of->err, sizeof(of->err),
		 "writing %s failed: %s; it ends at the last whole record",
		 of->path, strerror(err));
	errno = err;
}

static int carry_set(struct pt_outfile *of, const char *buf, size_t len, bool append)
{
	size_t need = (append ? of->ncarry : 0) + len;

	if (need > of->carry_cap) {
		size_t cap = need < 4096 ? 4096 : 2 * need;
		char *c = realloc(of->carry, cap);

		if (!c)
			return -ENOMEM;
		of->carry = c;
		of->carry_cap = cap;
	}
	if (!append)
		of->ncarry = 0;
	memcpy(of->carry + of->ncarry, buf, len);
	of->ncarry += len;
	return 0;
}

/* every byte of iov[0..1] to fd; -errno on failure with *landed set */
static int write_all(int fd, struct iovec iov[2], size_t *landed)
{
	int i = 0;
	ssize_t n;

	*landed = 0;
	while (i < 2) {
		if (!iov[i].iov_len) {
			i++;
			continue;
		}
		n = writev(fd, iov + i, 2 - i);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		*landed += (size_t)n;
		while (n > 0 && i < 2) {
			size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			n -= (ssize_t)k;
			if (!iov[i].iov_len)
				i++;
		}
	}
	return 0;
}

/*
 * stdio's buffer, wherever it filled: the carried start of a row and this
 * buffer up to its last newline go out in one writev(); the rest is carried.
 */
static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
	struct pt_outfile *of = cookie;
	const char *nl;
	struct iovec iov[2];
	size_t whole, landed;
	int err;

	/* stdio must drain its buffer, so say it was written */
	if (of->failed || of->discard)
		return (ssize_t)size;
	nl = size ? memrchr(buf, '\n', size) : NULL;
	if (!nl) {
		err = carry_set(of, buf, size, true);
		goto out;
	}
	whole = (size_t)(nl - buf) + 1;
	iov[0] = (struct iovec){ of->carry, of->ncarry };
	iov[1] = (struct iovec){ (void *)buf, whole };
	err = write_all(of->fd, iov, &landed);
	if (err) {
		of->partial = landed;
		goto out;
	}
	of->pending += landed;
	err = carry_set(of, buf + whole, size - whole, false);
out:
	if (err) {
		fail(of, -err);
		/* short count: stdio sets the stream's error flag */
		return 0;
	}
	return (ssize_t)size;
}

/* of->fd is closed by commit/abort, after fsync */
static int cookie_close(void *cookie)
{
	(void)cookie;
	return 0;
}

static int wrap(struct pt_outfile *of)
{
	cookie_io_functions_t io = {
		.write = cookie_write,
		.close = cookie_close,
	};
	struct stat st;

	of->fresh = fstat(of->fd, &st) || !S_ISREG(st.st_mode) || !st.st_size;
	of->fp = fopencookie(of, "w", io);
	if (!of->fp) {
		snprintf(of->err, sizeof(of->err), "cannot open %s: %s",
			 of->path, strerror(errno));
		return -ENOMEM;
	}
	if (!of->iobuf)
		of->iobuf = malloc(OUTFILE_BUF);
	/* without one, stdio's own buffer does, only smaller */
	setvbuf(of->fp, of->iobuf, _IOFBF, OUTFILE_BUF);
	return 0;
}

static int refuse(struct pt_outfile *of, int err, const char *why)
{
	snprintf(of->err, sizeof(of->err), "refusing to write %s: %s",
		 of->path, why);
	return -err;
}

/*
 * What may stand at the target: never a symlink, directory or special file;
 * a regular file only when overwriting was asked for.
 */
static int check_existing(struct pt_outfile *of, const struct stat *st, bool overwrite)
{
	if (S_ISLNK(st->st_mode))
		return refuse(of, ELOOP, "it is a symbolic link");
	if (S_ISDIR(st->st_mode))
		return refuse(of, EISDIR, "it is a directory");
	if (!S_ISREG(st->st_mode))
		return refuse(of, EINVAL, "not a regular file");
	if (!overwrite) {
		snprintf(of->err, sizeof(of->err),
			 "%s already exists (--force overwrites it)", of->path);
		return -EEXIST;
	}
	return 0;
}

static int sys_error(struct pt_outfile *of, const char *what, int err)
{
	snprintf(of->err, sizeof(of->err), "cannot %s %s: %s", what,
		 of->path, strerror(err));
	return -err;
}

/*
 * An existing file at of->path: never through a link, only a regular file,
 * only one with no other name (truncating a hard link to a file elsewhere
 * would change that file). O_NONBLOCK: a FIFO put there must not hang us.
 */
static int open_existing(struct pt_outfile *of, enum open_mode mode)
{
	int fl = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_APPEND;
	struct stat st;
	int fd;

	fd = openat(of->dirfd, of->base, fl);
	if (fd < 0) {
		if (errno == ELOOP)
			return refuse(of, ELOOP, "it is a symbolic link");
		if (errno == EISDIR)
			return refuse(of, EISDIR, "it is a directory");
		/* a FIFO without a reader, a device without its driver */
		if (errno == ENXIO)
			return refuse(of, EINVAL, "not a regular file");
		return -errno;	/* ENOENT: gone again, the caller retries */
	}
	if (fstat(fd, &st)) {
		int err = errno;

		close(fd);
		return sys_error(of, "stat", err);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(of, EINVAL, "not a regular file");
	}
	if (st.st_nlink > 1) {
		char why[64];

		close(fd);
		snprintf(why, sizeof(why), "it has %lu hard links",
			 (unsigned long)st.st_nlink);
		return refuse(of, EMLINK, why);
	}
	if (st.st_uid != geteuid()) {
		char why[64];

		close(fd);
		snprintf(why, sizeof(why), "it belongs to another user (uid %u)",
			 (unsigned int)st.st_uid);
		return refuse(of, EPERM, why);
	}
	/* a file we truncate is ours from now on: records are private */
	if (fcntl(fd, F_SETFL, O_APPEND) ||
	    (mode == OPEN_FORCE && (ftruncate(fd, 0) || fchmod(fd, 0600)))) {
		int err = errno;

		close(fd);
		return sys_error(of, "open", err);
	}
	return fd;
}

/* Returns an fd or -errno with of->err set. */
static int open_target(struct pt_outfile *of, enum open_mode mode)
{
	struct stat st;
	int fd, tries, err;

	/* each retry means the file vanished or appeared in between */
	for (tries = 0; tries < 3; tries++) {
		/* O_EXCL: a symbolic link (even dangling) is EEXIST, never followed */
		fd = openat(of->dirfd, of->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC | O_APPEND, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return sys_error(of, "create", errno);
		if (fstatat(of->dirfd, of->base, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				continue;
			return sys_error(of, "stat", errno);
		}
		err = check_existing(of, &st, mode != OPEN_CREATE);
		if (err)
			return err;
		fd = open_existing(of, mode);
		if (fd != -ENOENT)
			return fd;
	}
	return sys_error(of, "create", EAGAIN);
}

/* ".NAME.XXXXXX" in the target's directory, so renameat() stays on one file system. */
static int open_temp(struct pt_outfile *of)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	struct stat st;
	int fd = -1, err, tries;

	if (!fstatat(of->dirfd, of->base, &st, AT_SYMLINK_NOFOLLOW)) {
		err = check_existing(of, &st, of->flags & PT_OUTFILE_FORCE);
		if (err)
			return err;
	} else if (errno != ENOENT) {
		return sys_error(of, "stat", errno);
	}
	if (asprintf(&of->tmp_path, ".%s.XXXXXX", of->base) < 0) {
		of->tmp_path = NULL;
		return sys_error(of, "create", ENOMEM);
	}
	/* O_EXCL, mode 0600: mkostemp's rules, relative to the directory */
	for (tries = 0; tries < 100; tries++) {
		unsigned char rnd[6];
		char *x = of->tmp_path + strlen(of->tmp_path) - 6;

		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			break;
		for (int i = 0; i < 6; i++)
			x[i] = set[rnd[i] % (sizeof(set) - 1)];
		fd = openat(of->dirfd, of->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err = errno ? errno : EEXIST;
		free(of->tmp_path);
		of->tmp_path = NULL;
		return sys_error(of, "create a temporary file for", err);
	}
	return fd;
}

/*
 * The target's directory, opened once: no symbolic link anywhere on the way
 * (RESOLVE_NO_SYMLINKS), owned by us or root, and writable by no one else
 * unless sticky (/tmp): whoever can write it could replace what we write.
 */
static int open_dir(struct pt_outfile *of)
{
	const char *slash = strrchr(of->path, '/');
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS,
	};
	char *dir, why[96];
	struct stat st;
	int fd;

	of->base = strdup(slash ? slash + 1 : of->path);
	if (!slash)
		dir = strdup(".");
	else if (slash == of->path)
		dir = strdup("/");
	else
		dir = strndup(of->path, (size_t)(slash - of->path));
	if (!dir || !of->base) {
		free(dir);
		return sys_error(of, "open", ENOMEM);
	}
	if (!*of->base || !strcmp(of->base, ".") || !strcmp(of->base, "..")) {
		free(dir);
		return refuse(of, EISDIR, "it is a directory");
	}
	fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
	free(dir);
	if (fd < 0) {
		if (errno == ELOOP)
			return refuse(of, ELOOP, "a directory on its path is a symbolic link (give the real path)");
		return sys_error(of, "open the directory of", errno);
	}
	if (fstat(fd, &st)) {
		int err = errno;

		close(fd);
		return sys_error(of, "stat the directory of", err);
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(why, sizeof(why), "its directory belongs to another user (uid %u)",
			 (unsigned int)st.st_uid);
		close(fd);
		return refuse(of, EPERM, why);
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		close(fd);
		return refuse(of, EPERM, "other users can write its directory");
	}
	of->dirfd = fd;
	return 0;
}

static void init(struct pt_outfile *of)
{
	memset(of, 0, sizeof(*of));
	of->fd = -1;
	of->dirfd = -1;
}

/* the directory and names: the end of an open file's life */
static void release(struct pt_outfile *of)
{
	if (of->dirfd >= 0)
		close(of->dirfd);
	of->dirfd = -1;
	free(of->base);
	of->base = NULL;
	free(of->path);
	of->path = NULL;
}

/* fclose (dropping what it holds if discarding) and close; no fsync */
static int close_fds(struct pt_outfile *of)
{
	int err = 0;

	if (of->fp)
		fclose(of->fp);
	of->fp = NULL;
	free(of->iobuf);
	of->iobuf = NULL;
	/* a last line without its newline is still the caller's text */
	if (of->ncarry && !of->discard && !of->failed && of->fd >= 0) {
		struct iovec iov[2] = { { of->carry, of->ncarry }, { NULL, 0 } };
		size_t landed;
		int werr = write_all(of->fd, iov, &landed);

		if (werr) {
			of->partial = landed;
			fail(of, -werr);
			err = werr;
		}
	}
	free(of->carry);
	of->carry = NULL;
	of->ncarry = of->carry_cap = 0;
	if (of->fd >= 0 && close(of->fd))
		err = -errno;
	of->fd = -1;
	return err;
}

int pt_outfile_open(struct pt_outfile *of, const char *path, unsigned int flags)
{
	int fd, err;

	init(of);
	of->flags = flags;
	of->path = strdup(path);
	if (!of->path)
		return -ENOMEM;
	fd = open_dir(of);
	if (!fd) {
		if (flags & PT_OUTFILE_ATOMIC)
			fd = open_temp(of);
		else
			fd = open_target(of, flags & PT_OUTFILE_FORCE ? OPEN_FORCE : OPEN_CREATE);
	}
	if (fd < 0) {
		err = fd;
		release(of);
		return err;
	}
	of->fd = fd;
	err = wrap(of);
	if (err)
		pt_outfile_abort(of);
	return err;
}

int pt_outfile_fdopen(struct pt_outfile *of, int fd, const char *path)
{
	int err;

	init(of);
	of->path = strdup(path);
	if (!of->path)
		return -ENOMEM;
	of->fd = fd;
	err = wrap(of);
	if (err) {
		free(of->path);
		of->path = NULL;
		of->fd = -1;
	}
	return err;
}

int pt_outfile_flush(struct pt_outfile *of)
{
	if (!of->fp)
		return of->failed ? -of->err_no : -EBADF;
	/* the cookie saw any failure, with its errno; fflush alone may not say */
	if (fflush(of->fp) && !of->failed)
		fail(of, errno ? errno : EIO);
	if (of->failed)
		return -of->err_no;
	of->written += of->pending;
	of->pending = 0;
	return 0;
}

bool pt_outfile_warned(struct pt_outfile *of)
{
	bool was = of->warned;

	of->warned = true;
	return was;
}

int pt_outfile_reopen(struct pt_outfile *of)
{
	int err, fd;

	if (of->tmp_path)
		return -EINVAL;
	err = pt_outfile_flush(of);
	if (err)
		return err;
	close_fds(of);
	fd = open_target(of, OPEN_APPEND);
	if (fd < 0) {
		/* the sink stops like on a write error: of->err already says why */
		of->failed = true;
		of->err_no = -fd;
		return fd;
	}
	of->fd = fd;
	err = wrap(of);
	if (err) {
		close(fd);
		of->fd = -1;
		of->failed = true;
		of->err_no = -err;
	}
	return err;
}

static int rename_into_place(struct pt_outfile *of)
{
	struct stat st;

	if (of->flags & PT_OUTFILE_FORCE) {
		if (renameat(of->dirfd, of->tmp_path, of->dirfd, of->base))
			return sys_error(of, "rename into", errno);
		return 0;
	}
	/* without --force, not over a file that appeared since open */
	if (!renameat2(of->dirfd, of->tmp_path, of->dirfd, of->base, RENAME_NOREPLACE))
		return 0;
	if (errno == EEXIST) {
		snprintf(of->err, sizeof(of->err),
			 "%s appeared while porttrace ran; not overwritten", of->path);
		return -EEXIST;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return sys_error(of, "rename into", errno);
	/* a file system without RENAME_NOREPLACE: check, then rename */
	if (!fstatat(of->dirfd, of->base, &st, AT_SYMLINK_NOFOLLOW)) {
		snprintf(of->err, sizeof(of->err),
			 "%s appeared while porttrace ran; not overwritten", of->path);
		return -EEXIST;
	}
	if (renameat(of->dirfd, of->tmp_path, of->dirfd, of->base))
		return sys_error(of, "rename into", errno);
	return 0;
}

int pt_outfile_commit(struct pt_outfile *of)
{
	int err, cerr;

	if (!of->fp) {
		/* never opened, or a reopen failed */
		err = of->failed ? -of->err_no : -EBADF;
		pt_outfile_abort(of);
		return err;
	}
	err = pt_outfile_flush(of);
	/* EINVAL: an fd that cannot be synced (a pipe, /dev/null) */
	if (!err && fsync(of->fd) && errno != EINVAL && errno != EROFS)
		err = sys_error(of, "sync", errno);
	of->discard = err != 0;
	cerr = close_fds(of);
	if (!err && cerr)
		err = sys_error(of, "close", -cerr);
	if (of->tmp_path) {
		if (!err)
			err = rename_into_place(of);
		if (err)
			unlinkat(of->dirfd, of->tmp_path, 0);
		else
			fsync(of->dirfd);	/* the rename itself, durable: best effort */
		free(of->tmp_path);
		of->tmp_path = NULL;
	}
	release(of);
	return err;
}

void pt_outfile_abort(struct pt_outfile *of)
{
	/* what stdio holds is no whole row, nor what reached the file since the boundary */
	of->discard = true;
	cut(of);
	close_fds(of);
	if (of->tmp_path) {
		unlinkat(of->dirfd, of->tmp_path, 0);
		free(of->tmp_path);
		of->tmp_path = NULL;
	}
	release(of);
}

int pt_output_from_path(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');

	/* ".csv" alone is a hidden file with no extension */
	if (!dot || dot == base)
		return -EINVAL;
	if (!strcasecmp(dot, ".csv"))
		return PT_OUT_CSV;
	if (!strcasecmp(dot, ".json") || !strcasecmp(dot, ".jsonl") ||
	    !strcasecmp(dot, ".ndjson"))
		return PT_OUT_JSON;
	return -EINVAL;
}
