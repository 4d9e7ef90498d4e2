/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Container ids from cgroup paths as the runtimes write them, and the live
 * id <-> path mapping on this host's cgroup2 mount. The live tests create
 * cgroups: they need root and cgroup2, as the e2e tests do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "cgroup.h"

#define HEX	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX2	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define HEX_UP	"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define HEX63	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
#define HEX65	HEX "0"

static const struct {
	const char *name, *path, *want;	/* want NULL: no container */
} parse_cases[] = {
	{ "docker, systemd driver", "/system.slice/docker-" HEX ".scope", HEX },
	{ "docker, cgroupfs driver", "/docker/" HEX, HEX },
	{ "containerd, kubelet systemd driver",
	  "/kubepods.slice/kubepods-burstable.slice/"
	  "kubepods-burstable-pod1d4c5c3e_0c3f_4a8e_9f3a_2b7c1e0d9a11.slice/"
	  "cri-containerd-" HEX ".scope", HEX },
	{ "cri-o", "/kubepods.slice/kubepods-besteffort.slice/"
	  "kubepods-besteffort-pod0c3f.slice/crio-" HEX ".scope", HEX },
	{ "podman rootless",
	  "/user.slice/user-1000.slice/user@1000.service/user.slice/"
	  "libpod-" HEX ".scope", HEX },
	{ "podman, process in the container's child cgroup",
	  "/machine.slice/libpod-" HEX ".scope/container", HEX },
	{ "kubepods, cgroupfs driver",
	  "/kubepods/burstable/pod1d4c5c3e-0c3f-4a8e-9f3a-2b7c1e0d9a11/" HEX,
	  HEX },
	{ "systemd inside a container",
	  "/system.slice/docker-" HEX ".scope/system.slice/nginx.service", HEX },
	{ "nested: the innermost wins", "/docker/" HEX "/docker/" HEX2, HEX2 },
	{ "trailing slash", "/docker/" HEX "/", HEX },
	{ "relative path", "docker-" HEX ".scope", HEX },
	{ "upper case, lowered", "/docker/" HEX_UP, HEX },
	{ "root", "/", NULL },
	{ "empty", "", NULL },
	{ "a service", "/system.slice/nginx.service", NULL },
	{ "a login session", "/user.slice/user-1000.slice/session-3.scope", NULL },
	{ "cri-o conmon is no container",
	  "/kubepods.slice/crio-conmon-" HEX ".scope", NULL },
	{ "podman conmon is no container",
	  "/machine.slice/libpod-conmon-" HEX ".scope", NULL },
	{ "63 hex digits", "/docker/" HEX63, NULL },
	{ "63 hex digits in a scope", "/system.slice/docker-" HEX63 ".scope", NULL },
	{ "65 hex digits", "/docker/" HEX65, NULL },
	{ "65 hex digits in a scope", "/system.slice/docker-" HEX65 ".scope", NULL },
	{ "hex run inside a longer name", "/x" HEX, NULL },
	{ "unknown runtime prefix", "/system.slice/foo-" HEX ".scope", NULL },
	{ "not a scope", "/system.slice/docker-" HEX ".service", NULL },
	{ "scope suffix missing", "/system.slice/docker-" HEX, NULL },
	{ "64 non-hex", "/docker/"
	  "0123456789abcdefg123456789abcdef0123456789abcdef0123456789abcdef", NULL },
	{ "hex only in the prefix's place", "/" HEX "-docker.scope", NULL },
};

static void test_parse(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		char out[PT_CONTAINER_ID_LEN + 1];
		const char *want = parse_cases[i].want;
		int ret;

		memset(out, 'Z', sizeof(out));
		ret = pt_parse_container_id(parse_cases[i].path, out);
		if (ret != (want != NULL))
			fail_msg("%s: returned %d", parse_cases[i].name, ret);
		if (strcmp(out, want ? want : ""))
			fail_msg("%s: got \"%s\", want \"%s\"", parse_cases[i].name,
				 out, want ? want : "");
	}
}

static void test_parse_null(void **state)
{
	char out[PT_CONTAINER_ID_LEN + 1] = "Z";

	(void)state;
	assert_int_equal(pt_parse_container_id(NULL, out), 0);
	assert_string_equal(out, "");
}

/* ---- live, on this host's cgroup2 mount ---- */

static char scope_dir[4096], plain_dir[4096], gone_dir[4096];
static char scope_hex[PT_CONTAINER_ID_LEN + 1];

static const char *need_cgroup2(void)
{
	const char *mnt = pt_cgroup2_mount();

	if (!mnt)
		fail_msg("no cgroup2 mount in /proc/self/mountinfo: "
			 "this test needs cgroup v2");
	if (geteuid() != 0)
		fail_msg("not root: this test creates cgroups under %s", mnt);
	return mnt;
}

static int cleanup(void **state)
{
	(void)state;
	if (scope_dir[0])
		rmdir(scope_dir);
	if (plain_dir[0])
		rmdir(plain_dir);
	if (gone_dir[0])
		rmdir(gone_dir);
	return 0;
}

static void make_cgroup(char *dir, size_t n, const char *mnt, const char *name)
{
	snprintf(dir, n, "%s/%s", mnt, name);
	if (mkdir(dir, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", dir, strerror(errno));
}

static void test_root(void **state)
{
	const char *mnt = need_cgroup2();
	uint64_t id = 0, id2 = 0;
	struct stat st;

	(void)state;
	assert_int_equal(pt_cgroup_id_of_path("/", &id), 0);
	assert_int_not_equal(id, 0);
	/* the mount point itself names the same cgroup */
	assert_int_equal(pt_cgroup_id_of_path(mnt, &id2), 0);
	assert_int_equal(id, id2);
	assert_int_equal(stat(mnt, &st), 0);
	assert_int_equal(id, st.st_ino);
	assert_null(pt_container_id(id));
	assert_null(pt_container_id(id));
}

static void test_container_scope(void **state)
{
	const char *mnt = need_cgroup2(), *cid, *again;
	char name[128], rel[160];
	uint64_t id, id_abs, id_rel;
	unsigned int pid = getpid();
	size_t i;

	(void)state;
	snprintf(scope_hex, sizeof(scope_hex), "%08x%08x%08x%08x%08x%08x%08x%08x",
		 pid, pid, pid, pid, pid, pid, pid, 0xc0ffee00u);
	snprintf(name, sizeof(name), "docker-%s.scope", scope_hex);
	make_cgroup(scope_dir, sizeof(scope_dir), mnt, name);

	/* relative to the cgroup root, with and without '/', and absolute */
	snprintf(rel, sizeof(rel), "/%s", name);
	assert_int_equal(pt_cgroup_id_of_path(rel, &id), 0);
	assert_int_equal(pt_cgroup_id_of_path(name, &id_rel), 0);
	assert_int_equal(pt_cgroup_id_of_path(scope_dir, &id_abs), 0);
	assert_int_equal(id, id_rel);
	assert_int_equal(id, id_abs);

	cid = pt_container_id(id);
	assert_non_null(cid);
	assert_string_equal(cid, scope_hex);
	/* a hit: the same cached string */
	again = pt_container_id(id);
	assert_ptr_equal(cid, again);

	/* thousands of unknown ids may evict it; it still resolves */
	for (i = 1; i <= 5000; i++)
		assert_null(pt_container_id(id + 1000000 + i));
	cid = pt_container_id(id);
	assert_non_null(cid);
	assert_string_equal(cid, scope_hex);

	/* once known, a removed cgroup keeps its id: served from the cache */
	assert_int_equal(rmdir(scope_dir), 0);
	scope_dir[0] = '\0';
	cid = pt_container_id(id);
	assert_non_null(cid);
	assert_string_equal(cid, scope_hex);
}

static void test_plain_cgroup(void **state)
{
	const char *mnt = need_cgroup2();
	char name[64];
	uint64_t id;

	(void)state;
	snprintf(name, sizeof(name), "pt-test-%u", (unsigned int)getpid());
	make_cgroup(plain_dir, sizeof(plain_dir), mnt, name);
	assert_int_equal(pt_cgroup_id_of_path(name, &id), 0);
	assert_null(pt_container_id(id));
	assert_int_equal(rmdir(plain_dir), 0);
	plain_dir[0] = '\0';
}

/* Removed before it was ever looked up: the handle is stale, no container. */
static void test_gone_cgroup(void **state)
{
	const char *mnt = need_cgroup2();
	char name[128];
	uint64_t id;

	(void)state;
	snprintf(name, sizeof(name), "docker-%s.scope", HEX2);
	make_cgroup(gone_dir, sizeof(gone_dir), mnt, name);
	assert_int_equal(pt_cgroup_id_of_path(gone_dir, &id), 0);
	assert_int_equal(rmdir(gone_dir), 0);
	gone_dir[0] = '\0';
	assert_null(pt_container_id(id));
}

static void test_path_errors(void **state)
{
	uint64_t id;

	(void)state;
	need_cgroup2();
	assert_int_equal(pt_cgroup_id_of_path("", &id), -EINVAL);
	assert_int_equal(pt_cgroup_id_of_path(NULL, &id), -EINVAL);
	assert_int_equal(pt_cgroup_id_of_path("/no-such-cgroup.pt-test", &id),
			 -ENOENT);
	/* a file in a cgroup directory is not a cgroup */
	assert_int_equal(pt_cgroup_id_of_path("/cgroup.procs", &id), -ENOTDIR);
	/* a directory on another filesystem is not one either */
	assert_int_equal(pt_cgroup_id_of_path("/proc/self", &id), -ENOENT);
	assert_null(pt_container_id(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_root),
		cmocka_unit_test_teardown(test_container_scope, cleanup),
		cmocka_unit_test_teardown(test_plain_cgroup, cleanup),
		cmocka_unit_test_teardown(test_gone_cgroup, cleanup),
		cmocka_unit_test(test_path_errors),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, cleanup);
}
