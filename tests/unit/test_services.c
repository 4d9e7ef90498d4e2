/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Service names: a services(5) file first, the built-in table where it has
 * no entry or is missing, every answer cached, nothing in numeric mode.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/types.h>
#include "porttrace.h"
#include "services.h"

static char path[] = "/tmp/porttrace-services.XXXXXX";

static void write_file(const char *text)
{
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int teardown(void **state)
{
	(void)state;
	if (strcmp(path + strlen(path) - 6, "XXXXXX"))
		unlink(path);
	strcpy(path + strlen(path) - 6, "XXXXXX");
	pt_services_set_numeric(false);
	return pt_services_set_file(NULL);
}

static void test_file(void **state)
{
	(void)state;
	write_file("# a comment line\n"
		   "ssh\t\t22/tcp\t\t\t# SSH Remote Login Protocol\n"
		   "myproto 4000/udp alias1 alias2\n"
		   "second  4000/udp\n"
		   "webby 80/tcp\n"
		   "broken 70000/tcp\n"
		   "noproto 4001\n"
		   "sctpish 4002/sctp\n");
	assert_int_equal(pt_services_set_file(path), 0);
	assert_string_equal(pt_service_name(22, PT_PROTO_TCP), "ssh");
	/* the first line for a port wins */
	assert_string_equal(pt_service_name(4000, PT_PROTO_UDP), "myproto");
	assert_null(pt_service_name(4000, PT_PROTO_TCP));
	/* the file wins over the built-in table */
	assert_string_equal(pt_service_name(80, PT_PROTO_TCP), "webby");
	/* no entry in the file: the built-in table */
	assert_string_equal(pt_service_name(5432, PT_PROTO_TCP), "postgresql");
	assert_null(pt_service_name(4001, PT_PROTO_TCP));
	assert_null(pt_service_name(4002, PT_PROTO_TCP));
	assert_null(pt_service_name(65535, PT_PROTO_TCP));
	assert_null(pt_service_name(4464, PT_PROTO_TCP));
}

/*
 * A line of any length is one line: a long alias list neither hides the
 * lines after it nor lends a later piece of itself the look of an entry.
 */
static void test_long_line(void **state)
{
	const char *head = "longname 7001/tcp ";
	char text[4096];
	size_t n;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "%s", head);
	/* aliases up to byte 511, then what a 512-byte reader would take as a line */
	memset(text + n, 'a', 510 - n);
	n = 510;
	text[n++] = ' ';
	n += (size_t)snprintf(text + n, sizeof(text) - n, "fake 7003/tcp");
	while (n < 3000)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " alias%zu", n);
	snprintf(text + n, sizeof(text) - n, "\nlater 7002/tcp\n");
	write_file(text);
	assert_int_equal(pt_services_set_file(path), 0);
	assert_string_equal(pt_service_name(7001, PT_PROTO_TCP), "longname");
	assert_string_equal(pt_service_name(7002, PT_PROTO_TCP), "later");
	assert_null(pt_service_name(7003, PT_PROTO_TCP));
}

/* Answers outlive the file: the cache is filled on first use. */
static void test_cached(void **state)
{
	(void)state;
	write_file("custom 12345/tcp\n");
	assert_int_equal(pt_services_set_file(path), 0);
	assert_string_equal(pt_service_name(12345, PT_PROTO_TCP), "custom");
	unlink(path);
	assert_string_equal(pt_service_name(12345, PT_PROTO_TCP), "custom");
	assert_null(pt_service_name(12346, PT_PROTO_TCP));
	/* setting the file again drops the cache */
	assert_int_equal(pt_services_set_file(path), 0);
	assert_null(pt_service_name(12345, PT_PROTO_TCP));
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_int_equal(pt_services_set_file("/nonexistent/services"), 0);
	assert_string_equal(pt_service_name(22, PT_PROTO_TCP), "ssh");
	assert_string_equal(pt_service_name(53, PT_PROTO_UDP), "domain");
	assert_string_equal(pt_service_name(6379, PT_PROTO_TCP), "redis");
	assert_string_equal(pt_service_name(11211, PT_PROTO_TCP), "memcache");
	assert_string_equal(pt_service_name(27017, PT_PROTO_TCP), "mongodb");
	/* built-in entries are per protocol */
	assert_string_equal(pt_service_name(69, PT_PROTO_UDP), "tftp");
	assert_null(pt_service_name(69, PT_PROTO_TCP));
	assert_null(pt_service_name(3306, PT_PROTO_UDP));
	assert_null(pt_service_name(45678, PT_PROTO_TCP));
	/* neither TCP nor UDP */
	assert_null(pt_service_name(22, 132));
}

static void test_system_db(void **state)
{
	(void)state;
	assert_int_equal(pt_services_set_file(NULL), 0);
	/* from /etc/services when there is one, else from the table */
	assert_string_equal(pt_service_name(22, PT_PROTO_TCP), "ssh");
	assert_string_equal(pt_service_name(443, PT_PROTO_TCP), "https");
	if (access("/etc/services", R_OK))
		skip();
	/* in every services(5) file, in no built-in table */
	assert_string_equal(pt_service_name(7, PT_PROTO_TCP), "echo");
}

static void test_numeric(void **state)
{
	(void)state;
	assert_int_equal(pt_services_set_file("/nonexistent/services"), 0);
	assert_string_equal(pt_service_name(22, PT_PROTO_TCP), "ssh");
	pt_services_set_numeric(true);
	assert_null(pt_service_name(22, PT_PROTO_TCP));
	assert_null(pt_service_name(80, PT_PROTO_TCP));
	pt_services_set_numeric(false);
	assert_string_equal(pt_service_name(22, PT_PROTO_TCP), "ssh");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_file, teardown),
		cmocka_unit_test_teardown(test_long_line, teardown),
		cmocka_unit_test_teardown(test_cached, teardown),
		cmocka_unit_test_teardown(test_missing_file, teardown),
		cmocka_unit_test_teardown(test_system_db, teardown),
		cmocka_unit_test_teardown(test_numeric, teardown),
	};

	return cmocka_run_group_tests_name("services", tests, NULL, NULL);
}
