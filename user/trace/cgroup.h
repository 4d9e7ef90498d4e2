/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup v2 ids: the path behind an id (for container_id) and the id behind
 * a path (for --cgroup). A cgroup v2 id is its kernfs inode number; the
 * kernel reports it in bpf_get_current_cgroup_id() and accepts it as a file
 * handle of type FILEID_KERNFS on the cgroup2 mount.
 */
#ifndef PT_CGROUP_H
#define PT_CGROUP_H

#include <stdint.h>

#define PT_CONTAINER_ID_LEN	64

/*
 * The container id (64 lower-case hex digits) in a cgroup path, from the
 * deepest component that carries one: docker-<id>.scope,
 * cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope, or a
 * component that is exactly <id> (/docker/<id>, /kubepods/.../<id>).
 * Returns 1 and fills out, or 0 with out empty. Shorter or longer hex runs
 * never match; conmon scopes (crio-conmon-<id>.scope) are no container.
 */
int pt_parse_container_id(const char *path, char out[PT_CONTAINER_ID_LEN + 1]);

/*
 * The container id of a cgroup, or NULL (not in a container, cgroup gone,
 * no cgroup2 mount). Results, misses included, are cached, so a known id
 * costs no system call. The string stays valid until its cache slot is
 * reused: copy it if it must outlive the next call.
 */
const char *pt_container_id(uint64_t cgroup_id);

/*
 * The id of the cgroup at path: a filesystem path under the cgroup2 mount
 * (/sys/fs/cgroup/system.slice) or a path relative to the cgroup2 root, as
 * /proc/PID/cgroup shows it (/system.slice/nginx.service). Returns 0, or
 * -ENODEV without a cgroup2 mount, -ENOTDIR/-EINVAL when path is no cgroup,
 * else -errno of the lookup.
 */
int pt_cgroup_id_of_path(const char *path, uint64_t *id);

/* The same for a cgroup directory open at fd. */
int pt_cgroup_id_of_fd(int fd, uint64_t *id);

/* Where cgroup2 is mounted (/sys/fs/cgroup), or NULL if it is not. */
const char *pt_cgroup2_mount(void);

#endif /* PT_CGROUP_H */
