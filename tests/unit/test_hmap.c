/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The audit's hash map against a plain array, through growth and deletes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hmap.h"

#define N	5000

struct key {
	uint32_t a;
	uint8_t b[6];
};

static struct key k(uint32_t i)
{
	struct key key;

	memset(&key, 0, sizeof(key));
	key.a = i * 2654435761u;
	key.b[i % 6] = (uint8_t)i;
	return key;
}

static void test_put_get_del(void **state)
{
	static bool present[N];
	struct pt_hmap m;
	struct key key;
	uint32_t *v, i, round;
	size_t n;

	(void)state;
	pt_hmap_init(&m, sizeof(struct key));
	key = k(1);
	assert_null(pt_hmap_get(&m, &key));
	assert_int_equal(pt_hmap_del(&m, &key), -ENOENT);
	for (i = 0; i < N; i++) {
		key = k(i);
		assert_int_equal(pt_hmap_put(&m, &key, i, &v), 1);
		assert_int_equal(*v, i);
		present[i] = true;
	}
	assert_int_equal(m.len, N);
	key = k(7);
	assert_int_equal(pt_hmap_put(&m, &key, 99, &v), 0);
	assert_int_equal(*v, 7);
	*v = 70;
	assert_int_equal(*pt_hmap_get(&m, &key), 70);
	*v = 7;

	/* delete in a scattered order, re-add some, check everything each round */
	srand(1);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < N / 2; i++) {
			uint32_t j = (uint32_t)rand() % N;

			key = k(j);
			assert_int_equal(pt_hmap_del(&m, &key), present[j] ? 0 : -ENOENT);
			present[j] = false;
			j = (uint32_t)rand() % N;
			key = k(j);
			assert_int_equal(pt_hmap_put(&m, &key, j, NULL), present[j] ? 0 : 1);
			present[j] = true;
		}
		n = 0;
		for (i = 0; i < N; i++) {
			key = k(i);
			v = pt_hmap_get(&m, &key);
			if (present[i]) {
				assert_non_null(v);
				assert_int_equal(*v, i);
				n++;
			} else {
				assert_null(v);
			}
		}
		assert_int_equal(m.len, n);
	}
	pt_hmap_free(&m);
	assert_int_equal(m.len, 0);
	assert_null(pt_hmap_get(&m, &key));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_del),
	};

	return cmocka_run_group_tests_name("hmap", tests, NULL, NULL);
}
