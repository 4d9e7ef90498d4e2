/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Community ID v1 against the vectors the spec's implementations publish
 * (Zeek's, Suricata's, Elastic's tests: 1.2.3.4:1122 <-> 5.6.7.8:3344), in
 * both directions; IPv6 and same-address flows against Python's hashlib
 * over the spec's layout; the same ids from the cache of recent flows.
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

/*
 * The ids are cached by their whole hash input: 4,096 flows (more than the
 * cache holds, so slots are shared and overwritten), differing in seed,
 * protocol, family, address bytes and ports, give each flow the same id on
 * every call, in any order and from either end; the published vectors
 * still hold after the cache is full of other flows.
 */
#define NFLOWS 4096

struct flow {
	uint8_t a[16], b[16];
	uint16_t aport, bport, seed;
	uint8_t proto;
	char id[PT_COMMUNITY_ID_LEN + 1];
};

static void test_cache(void **state)
{
	static struct flow f[NFLOWS];
	char got[PT_COMMUNITY_ID_LEN + 1];
	uint32_t x = 12345;
	size_t distinct = 0;

	(void)state;
	for (size_t i = 0; i < NFLOWS; i++) {
		x = x * 1103515245u + 12345u;
		addr16((x >> 8) & 1 ? "10.0.0.1" : "fd00::1", f[i].a);
		addr16((x >> 8) & 1 ? "10.0.0.2" : "fd00::2", f[i].b);
		/* neighbours differ in one field */
		f[i].a[15] = (uint8_t)(i >> 4);
		f[i].b[14] = (uint8_t)(x >> 24);
		f[i].aport = (uint16_t)(40000 + (i & 3));
		f[i].bport = (uint16_t)(443 + ((i >> 2) & 1));
		f[i].proto = (i >> 3) & 1 ? 17 : 6;
		f[i].seed = (uint16_t)((x >> 16) & 1);
		pt_community_id(f[i].id, f[i].seed, f[i].proto, f[i].a, f[i].aport, f[i].b, f[i].bport);
	}
	for (size_t i = 1; i < NFLOWS; i++)
		distinct += strcmp(f[i].id, f[i - 1].id) != 0;
	assert_int_equal(distinct, NFLOWS - 1);
	/* again, in another order (a stride prime to NFLOWS), from the other end */
	for (size_t k = 0, i = 0; k < NFLOWS; k++, i = (i + 1031) % NFLOWS) {
		pt_community_id(got, f[i].seed, f[i].proto, f[i].b, f[i].bport, f[i].a, f[i].aport);
		assert_string_equal(got, f[i].id);
		pt_community_id(got, f[i].seed, f[i].proto, f[i].a, f[i].aport, f[i].b, f[i].bport);
		assert_string_equal(got, f[i].id);
	}
	test_vectors(state);
}

/*
 * Flows that share a cache slot and differ in one field only (the seed, the
 * protocol, either port, a byte of either address, the family): each keeps
 * its own id. A cache that compared less than the whole input would hand
 * the second flow the first one's.
 */
static void test_cache_same_slot(void **state)
{
	char id_v[PT_COMMUNITY_ID_LEN + 1], id_base[PT_COMMUNITY_ID_LEN + 1];
	char got[PT_COMMUNITY_ID_LEN + 1];

	(void)state;
	for (int field = 0; field < 7; field++) {
		uint8_t a[16], b[16], va[16], vb[16];
		uint16_t seed = 0, vseed, aport = 40000, bport = 443, vaport, vbport;
		uint8_t proto = 6, vproto;
		unsigned int slot, k;

		addr16("10.0.0.1", a);
		addr16("10.0.0.2", b);
		slot = pt_community_id_slot(seed, proto, a, aport, b, bport);
		/* a variant in the same slot: vary the field, then the other
		 * end's port (which the field's own variations may not reach) */
		for (k = 1; k < 1u << 20; k++) {
			memcpy(va, a, 16);
			memcpy(vb, b, 16);
			vseed = seed, vproto = proto, vaport = aport, vbport = bport;
			switch (field) {
			case 0: vseed = (uint16_t)k; break;
			case 1: vproto = (uint8_t)(k & 0xff); vbport = (uint16_t)(443 + (k >> 8)); break;
			case 2: vaport = (uint16_t)(40000 + k); break;
			case 3: vbport = (uint16_t)(443 + k); break;
			case 4: va[15] = (uint8_t)k; vaport = (uint16_t)(40000 + (k >> 8)); break;
			case 5: vb[15] = (uint8_t)k; vaport = (uint16_t)(40000 + (k >> 8)); break;
			default: va[0] = 0xfd; vb[0] = 0xfd; vaport = (uint16_t)(40000 + k); break;
			}
			if ((vseed != seed || vproto != proto || vaport != aport || vbport != bport ||
			     memcmp(va, a, 16) || memcmp(vb, b, 16)) &&
			    pt_community_id_slot(vseed, vproto, va, vaport, vb, vbport) == slot)
				break;
		}
		assert_true(k < 1u << 20);
		pt_community_id(id_v, vseed, vproto, va, vaport, vb, vbport);
		pt_community_id(id_base, seed, proto, a, aport, b, bport);
		assert_string_not_equal(id_v, id_base);
		/* the slot holds the base flow now */
		pt_community_id(got, vseed, vproto, va, vaport, vb, vbport);
		assert_string_equal(got, id_v);
		pt_community_id(got, seed, proto, a, aport, b, bport);
		assert_string_equal(got, id_base);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_fields_count),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_same_slot),
	};

	return cmocka_run_group_tests_name("community_id", tests, NULL, NULL);
}
