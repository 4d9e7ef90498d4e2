/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cgroup v2 id <-> path, and container ids; the contract is in cgroup.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "cgroup.h"

/* include/linux/exportfs.h: kernfs handles are the 64-bit node id */
#define FILEID_KERNFS	0xfe

/* ---- container id from a path ---- */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* s[0..len) is exactly a 64-digit hex id: copy it lower-cased */
static bool take_id(const char *s, size_t len, char *out)
{
	size_t i;

	if (len != PT_CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return false;
	for (i = 0; i < len; i++)
		out[i] = s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i];
	out[len] = '\0';
	return true;
}

/* One path component: <id>, or <prefix><id>.scope for a known runtime. */
static bool component_id(const char *c, size_t len, char *out)
{
	/* systemd cgroup driver scopes: docker, containerd (CRI), CRI-O, podman */
	static const char *const prefixes[] = {
		"docker-", "cri-containerd-", "crio-", "libpod-",
	};
	static const char suffix[] = ".scope";
	const size_t slen = sizeof(suffix) - 1;
	size_t i, plen;

	if (take_id(c, len, out))
		return true;
	if (len < slen || memcmp(c + len - slen, suffix, slen))
		return false;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		plen = strlen(prefixes[i]);
		if (len > plen + slen && !memcmp(c, prefixes[i], plen) &&
		    take_id(c + plen, len - plen - slen, out))
			return true;
	}
	return false;
}

int pt_parse_container_id(const char *path, char out[PT_CONTAINER_ID_LEN + 1])
{
	const char *end, *start;

	out[0] = '\0';
	if (!path)
		return 0;
	/*
	 * Deepest first: a container may create cgroups of its own below its
	 * scope (systemd inside it), and nested runtimes put the innermost
	 * container last.
	 */
	end = path + strlen(path);
	while (end > path) {
		start = end;
		while (start > path && start[-1] != '/')
			start--;
		if (start < end && component_id(start, end - start, out))
			return 1;
		end = start > path ? start - 1 : path;
	}
	out[0] = '\0';
	return 0;
}

/* ---- the cgroup2 mount ---- */

static struct {
	bool probed;
	int fd;			/* the mount, for open_by_handle_at(): not O_PATH, which it rejects */
	char path[PATH_MAX];
	size_t len;
} cg2 = { .fd = -1 };

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape_octal(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/*
 * The first cgroup2 mount of the whole hierarchy (root "/"), else the first
 * at all. Fields: id parent maj:min root mountpoint opts [optional...] - type.
 */
static int find_cgroup2(char *out, size_t n)
{
	char *line = NULL, *f[5], *sep, *save, *type;
	bool found = false, found_root = false;
	size_t cap = 0;
	FILE *fp;
	int i;

	fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return -errno;
	while (!found_root && getline(&line, &cap, fp) > 0) {
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		type = strtok_r(sep + 3, " \n", &save);
		if (!type || strcmp(type, "cgroup2"))
			continue;
		f[0] = strtok_r(line, " ", &save);
		for (i = 1; i < 5 && f[i - 1]; i++)
			f[i] = strtok_r(NULL, " ", &save);
		if (i < 5 || !f[4])
			continue;
		if (found && strcmp(f[3], "/"))
			continue;
		unescape_octal(f[4]);
		if (strlen(f[4]) >= n)
			continue;
		strcpy(out, f[4]);
		found = true;
		found_root = !strcmp(f[3], "/");
	}
	free(line);
	fclose(fp);
	return found ? 0 : -ENODEV;
}

const char *pt_cgroup2_mount(void)
{
	if (!cg2.probed) {
		cg2.probed = true;
		if (find_cgroup2(cg2.path, sizeof(cg2.path)))
			return NULL;
		cg2.fd = open(cg2.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg2.fd < 0)
			return NULL;
		/* "/" joins paths as "" so "/" + "/a" never gives "//a" */
		cg2.len = strlen(cg2.path);
		if (cg2.len == 1)
			cg2.len = 0;
	}
	return cg2.fd >= 0 ? cg2.path : NULL;
}

/* ---- id -> container id, cached ---- */

union kernfs_handle {
	struct file_handle fh;
	char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
};

#define DELETED	" (deleted)"

/* The cgroup's path below the mount, or -errno (-ESTALE: it is gone). */
static int cgroup_path(uint64_t id, char *out, size_t n)
{
	union kernfs_handle h;
	char link[PATH_MAX], proc[32];
	ssize_t len;
	int fd;

	if (!pt_cgroup2_mount())
		return -ENODEV;
	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cg2.fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	len = readlink(proc, link, sizeof(link) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	link[len] = '\0';
	/* removed since it was opened: d_path() appended this */
	if ((size_t)len > sizeof(DELETED) - 1 &&
	    !strcmp(link + len - (sizeof(DELETED) - 1), DELETED))
		link[len - (sizeof(DELETED) - 1)] = '\0';
	/* strip the mount point when it is there; the rest is parsed as is */
	if (cg2.len && !strncmp(link, cg2.path, cg2.len) &&
	    (link[cg2.len] == '/' || !link[cg2.len]))
		snprintf(out, n, "%s", link[cg2.len] ? link + cg2.len : "/");
	else
		snprintf(out, n, "%s", link);
	return 0;
}

#define CG_SLOTS	1024	/* a power of two */
#define CG_PROBE	8

struct cg_slot {
	uint64_t id;		/* 0: empty (no cgroup has id 0) */
	bool found;
	char cid[PT_CONTAINER_ID_LEN + 1];
};

static struct cg_slot cg_cache[CG_SLOTS];
static unsigned int cg_evict;

static size_t cg_hash(uint64_t id)
{
	/* Fibonacci hashing: ids are sequential, the top bits spread them */
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 54) & (CG_SLOTS - 1);
}

/* Out of a resource now, maybe not later: not worth remembering. */
static bool transient(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOMEM ||
	       err == -EINTR || err == -EAGAIN;
}

const char *pt_container_id(uint64_t cgroup_id)
{
	char path[PATH_MAX], cid[PT_CONTAINER_ID_LEN + 1];
	struct cg_slot *slot = NULL;
	size_t h, i;
	bool found;
	int err;

	if (!cgroup_id)
		return NULL;
	h = cg_hash(cgroup_id);
	for (i = 0; i < CG_PROBE; i++) {
		struct cg_slot *c = &cg_cache[(h + i) & (CG_SLOTS - 1)];

		if (c->id == cgroup_id)
			return c->found ? c->cid : NULL;
		if (!c->id) {
			slot = c;
			break;
		}
	}

	err = cgroup_path(cgroup_id, path, sizeof(path));
	found = !err && pt_parse_container_id(path, cid);
	if (transient(err))
		return NULL;
	/*
	 * Full window: overwrite one in turn. Slots are never emptied, so a
	 * lookup that stops at the first empty slot misses nothing.
	 */
	if (!slot)
		slot = &cg_cache[(h + cg_evict++ % CG_PROBE) & (CG_SLOTS - 1)];
	slot->id = cgroup_id;
	slot->found = found;
	if (found)
		memcpy(slot->cid, cid, sizeof(cid));
	return found ? slot->cid : NULL;
}

/* ---- path -> id ---- */

/* path relative to dirfd (AT_FDCWD), or dirfd itself when path is "" */
static int id_at(int dirfd, const char *path, uint64_t *id)
{
	int flags = path[0] ? 0 : AT_EMPTY_PATH;
	union kernfs_handle h;
	struct statfs sfs;
	struct stat st;
	int mount_id;

	if (path[0] ? statfs(path, &sfs) : fstatfs(dirfd, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -EINVAL;
	if (fstatat(dirfd, path, &st, flags))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	h.fh.handle_bytes = sizeof(*id);
	if (!name_to_handle_at(dirfd, path, &h.fh, &mount_id, flags) &&
	    h.fh.handle_bytes == sizeof(*id) &&
	    h.fh.handle_type == FILEID_KERNFS) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	/* without handle support the inode number is the id (64-bit ino_t) */
	*id = st.st_ino;
	return 0;
}

static int id_of(const char *path, uint64_t *id)
{
	return id_at(AT_FDCWD, path, id);
}

int pt_cgroup_id_of_fd(int fd, uint64_t *id)
{
	return id_at(fd, "", id);
}

int pt_cgroup_id_of_path(const char *path, uint64_t *id)
{
	char full[PATH_MAX];
	int err;

	if (!path || !path[0])
		return -EINVAL;
	if (!pt_cgroup2_mount())
		return -ENODEV;
	/* already a filesystem path under the mount */
	if (cg2.len && !strncmp(path, cg2.path, cg2.len) &&
	    (path[cg2.len] == '/' || !path[cg2.len]))
		return id_of(path, id);
	if (snprintf(full, sizeof(full), "%s%s%s", cg2.len ? cg2.path : "",
		     path[0] == '/' ? "" : "/", path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	err = id_of(full, id);
	/* an absolute path on another cgroup2 mount (a bind mount) */
	if (err == -ENOENT && path[0] == '/' && !id_of(path, id))
		return 0;
	return err;
}
