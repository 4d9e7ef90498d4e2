/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Output files (-w/--write, audit reports), created the way a tool that
 * runs as root must create them:
 *
 * - never through a symbolic link: the directory is opened once with
 *   RESOLVE_NO_SYMLINKS (a link anywhere in the path is refused, -ELOOP) and
 *   everything after is relative to it; the file is opened with O_NOFOLLOW,
 *   even with --force, so nobody can point us at /etc/shadow;
 * - only in a directory owned by us or root that no one else can write
 *   (unless it is sticky, like /tmp), and never over a file another user
 *   owns (-EPERM): such a user could swap what we write or plant what we
 *   append to;
 * - never over an existing file unless PT_OUTFILE_FORCE (-EEXIST), and then
 *   only over a regular file with no other hard link;
 * - mode 0600, also for a file --force truncates: connection records say
 *   who talks to whom;
 * - rows never half-written: stdio hands its buffer over wherever it fills,
 *   often mid-row, but only whole rows (up to the last newline) go to the
 *   file; the rest waits for the next write. A process killed at any point
 *   (a second Ctrl-C's _exit) leaves the file ending at a whole row. When a
 *   write fails (ENOSPC, EIO, EFBIG), the part of a row it got out is cut
 *   off again, later writes are dropped, and of->failed/of->err_no say why;
 *   the caller stops that sink, warns once and exits non-zero at the end.
 *   pt_outfile_flush() marks a batch boundary, what an abort cuts back to;
 * - PT_OUTFILE_ATOMIC: written to ".NAME.XXXXXX" beside the target and
 *   renamed over it by pt_outfile_commit(), so a reader never sees half a
 *   report and a failed run leaves the old one in place.
 *
 * of->fp is an ordinary fully buffered stdio stream: sinks and report
 * writers print to it as to any FILE.
 */
#ifndef PT_OUTFILE_H
#define PT_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define PT_OUTFILE_FORCE	0x1	/* replace an existing regular file */
#define PT_OUTFILE_ATOMIC	0x2	/* temporary file, renamed at commit */

/*
 * of->fp calls back into of: keep it at one address from open to
 * commit/abort (embed it in a struct, do not copy it).
 */
struct pt_outfile {
	FILE *fp;		/* write here; NULL when not open */
	int fd;
	char *path;		/* the target, as given (for messages) */
	int dirfd;		/* its directory, opened once without symlinks */
	char *base;		/* its name in that directory */
	char *tmp_path;		/* ATOMIC: the temporary file's name there, until commit */
	unsigned int flags;
	/*
	 * Bytes that reached the file: whole rows, and those since the last
	 * boundary. A cut goes back by pending from the file's end, not to an
	 * absolute offset: -w files are O_APPEND, and a copytruncate may have
	 * moved the end under us.
	 */
	unsigned long long written;
	unsigned long long pending;
	size_t partial;		/* of a failed write: the bytes that landed */
	char *iobuf;		/* fp's buffer: glibc would give a cookie stream 8 KiB */
	char *carry;		/* a row's start, waiting for its newline */
	size_t ncarry, carry_cap;
	bool fresh;		/* empty when (re)opened: a CSV sink writes its header */
	bool failed;		/* a write failed: everything after is dropped */
	bool discard;		/* closing without a flush: drop what stdio holds */
	bool warned;		/* see pt_outfile_warned() */
	int err_no;		/* why it failed (positive errno) */
	char err[256];		/* one line for the user: open or write failure */
};

/*
 * Create path for writing (flags: PT_OUTFILE_*). Returns 0, or -errno with
 * of->err set: -EEXIST (exists, no FORCE), -ELOOP (a symbolic link),
 * -EISDIR/-EINVAL (not a regular file), -EMLINK (a regular file with other
 * hard links: overwriting it would change them too), else the open error.
 */
int pt_outfile_open(struct pt_outfile *of, const char *path, unsigned int flags);

/*
 * Wrap an fd the caller opened (it is closed by commit/abort): for tests
 * (/dev/full) and for a descriptor handed over by a parent. path is only
 * used in messages. Returns 0 or -ENOMEM.
 */
int pt_outfile_fdopen(struct pt_outfile *of, int fd, const char *path);

/*
 * Write out what was printed and mark its end as a row boundary. Call it
 * at row boundaries only: after each batch of records, after a report.
 * Returns 0, or -errno once the file failed (now or earlier): the file then
 * ends at the last boundary.
 */
int pt_outfile_flush(struct pt_outfile *of);

/*
 * Whether the caller already warned about of's failure; marks it warned.
 * `if (of->failed && !pt_outfile_warned(of)) warn(of->err);` warns once.
 */
bool pt_outfile_warned(struct pt_outfile *of);

/*
 * SIGHUP (log rotation): flush, close and open the path again: a new file
 * if the old one was moved away, else the same file, appended to (after a
 * copytruncate, from its new end). The same safety rules as open, without
 * FORCE truncation. Not for ATOMIC files (-EINVAL). of->fresh says whether
 * the file is empty now (moved away, or cut by copytruncate): a CSV writer
 * then starts with its header again. On failure of->fp is NULL, of->failed
 * set and of->err says why; pt_outfile_commit/abort() still clean up.
 */
int pt_outfile_reopen(struct pt_outfile *of);

/*
 * Finish: flush, fsync, close; an ATOMIC file is then renamed over its
 * target (without FORCE, never over a file that appeared meanwhile).
 * Returns 0 or -errno with of->err set; on failure the temporary file is
 * removed and the target left as it was. of is closed either way.
 */
int pt_outfile_commit(struct pt_outfile *of);

/* Close without committing; an ATOMIC file's temporary is removed. */
void pt_outfile_abort(struct pt_outfile *of);

/*
 * The output format a file name implies: PT_OUT_CSV for .csv, PT_OUT_JSON
 * for .json, .jsonl and .ndjson (any case); -EINVAL for anything else.
 */
int pt_output_from_path(const char *path);

#endif /* PT_OUTFILE_H */
