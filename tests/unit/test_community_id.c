/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Community ID v1 against the vectors the spec's implementations publish
 * (Zeek's, Suricata's, Elastic's tests: 1.2.3.4:1122 <-> 5.6.7.8:3344), in
 * both directions; IPv6 and same-address flows against Python's hashlib
 * over the spec's layout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "community_id.h"

struct vec {
	const char *a;
	uint16_t aport;
	const char *b;
	uint16_t bport;
	uint8_t proto;
	uint16_t seed;
	const char *want;
};

static const struct vec vecs[] = {
	/* published */
	{ "1.2.3.4", 1122, "5.6.7.8", 3344, 6, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ "1.2.3.4", 1122, "5.6.7.8", 3344, 17, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	{ "1.2.3.4", 1122, "5.6.7.8", 3344, 6, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	{ "1.2.3.4", 1122, "5.6.7.8", 3344, 17, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
	/* hashlib: 16-byte addresses; one address, the ports decide the order */
	{ "fe80::1", 40000, "::1", 443, 6, 0, "1:eQfPZTTO7/gpajxZndN8XhhIOzE=" },
	{ "127.0.0.1", 50000, "127.0.0.1", 80, 6, 0, "1:jG7HJaxo5f/efFe+PrQaZXQMQzw=" },
};

/* as the ring buffer carries them: IPv4 v4-mapped */
static void addr16(const char *s, uint8_t out[16])
{
	struct in_addr v4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, &v4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		char fwd[PT_COMMUNITY_ID_LEN + 1], rev[PT_COMMUNITY_ID_LEN + 1];
		uint8_t a[16], b[16];

		addr16(v->a, a);
		addr16(v->b, b);
		assert_int_equal(pt_community_id(fwd, v->seed, v->proto, a, v->aport, b, v->bport),
				 PT_COMMUNITY_ID_LEN);
		assert_string_equal(fwd, v->want);
		/* the other end's record: the same id */
		pt_community_id(rev, v->seed, v->proto, b, v->bport, a, v->aport);
		assert_string_equal(rev, v->want);
	}
}

/* the protocol and each port count: no two of these collide */
static void test_fields_count(void **state)
{
	char base[PT_COMMUNITY_ID_LEN + 1], other[PT_COMMUNITY_ID_LEN + 1];
	uint8_t a[16], b[16];

	(void)state;
	addr16("10.0.0.1", a);
	addr16("10.0.0.2", b);
	pt_community_id(base, 0, 6, a, 40000, b, 443);
	pt_community_id(other, 0, 17, a, 40000, b, 443);
	assert_string_not_equal(base, other);
	pt_community_id(other, 0, 6, a, 40001, b, 443);
	assert_string_not_equal(base, other);
	pt_community_id(other, 0, 6, a, 40000, b, 444);
	assert_string_not_equal(base, other);
	addr16("10.0.0.3", b);
	pt_community_id(other, 0, 6, a, 40000, b, 443);
	assert_string_not_equal(base, other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_fields_count),
	};

	return cmocka_run_group_tests_name("community_id", tests, NULL, NULL);
}
