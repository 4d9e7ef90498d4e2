/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Linear probing, grown at 3/4 full, backward-shift deletion (no tombstones). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "hmap.h"

static uint64_t seed(void)
{
	static uint64_t s;
	static bool done;

	if (!done) {
		if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != sizeof(s))
			s = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&s;
		done = true;
	}
	return s;
}

/* FNV-1a over the key, seeded, then a murmur3 finaliser for the low bits */
static size_t hash(const struct pt_hmap *m, const void *key)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull ^ seed();
	size_t i;

	for (i = 0; i < m->ksize; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)h & (m->cap - 1);
}

static unsigned char *key_at(const struct pt_hmap *m, size_t i)
{
	return m->keys + i * m->ksize;
}

void pt_hmap_init(struct pt_hmap *m, size_t ksize)
{
	memset(m, 0, sizeof(*m));
	m->ksize = ksize;
}

void pt_hmap_free(struct pt_hmap *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	pt_hmap_init(m, m->ksize);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const struct pt_hmap *m, const void *key)
{
	size_t i = hash(m, key);

	while (m->used[i] && memcmp(key_at(m, i), key, m->ksize))
		i = (i + 1) & (m->cap - 1);
	return i;
}

uint32_t *pt_hmap_get(const struct pt_hmap *m, const void *key)
{
	size_t i;

	if (!m->len)
		return NULL;
	i = find(m, key);
	return m->used[i] ? &m->vals[i] : NULL;
}

static int grow(struct pt_hmap *m)
{
	struct pt_hmap n = *m;
	size_t i, j;

	n.cap = m->cap ? m->cap * 2 : 16;
	n.keys = malloc(n.cap * m->ksize);
	n.vals = malloc(n.cap * sizeof(*n.vals));
	n.used = calloc(n.cap, 1);
	if (!n.keys || !n.vals || !n.used) {
		free(n.keys);
		free(n.vals);
		free(n.used);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		if (!m->used[i])
			continue;
		j = find(&n, key_at(m, i));
		memcpy(key_at(&n, j), key_at(m, i), m->ksize);
		n.vals[j] = m->vals[i];
		n.used[j] = 1;
	}
	free(m->keys);
	free(m->vals);
	free(m->used);
	*m = n;
	return 0;
}

int pt_hmap_put(struct pt_hmap *m, const void *key, uint32_t val, uint32_t **slot)
{
	size_t i;

	if (m->len) {
		i = find(m, key);
		if (m->used[i]) {
			if (slot)
				*slot = &m->vals[i];
			return 0;
		}
	}
	if ((m->len + 1) * 4 > m->cap * 3 && grow(m))
		return -ENOMEM;
	i = find(m, key);
	memcpy(key_at(m, i), key, m->ksize);
	m->vals[i] = val;
	m->used[i] = 1;
	m->len++;
	if (slot)
		*slot = &m->vals[i];
	return 1;
}

int pt_hmap_del(struct pt_hmap *m, const void *key)
{
	size_t mask = m->cap - 1, i, j, home;

	if (!m->len)
		return -ENOENT;
	i = find(m, key);
	if (!m->used[i])
		return -ENOENT;
	/* pull back every later entry of the run that may sit in the hole */
	for (j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
		home = hash(m, key_at(m, j));
		/* stays if its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		memcpy(key_at(m, i), key_at(m, j), m->ksize);
		m->vals[i] = m->vals[j];
		i = j;
	}
	m->used[i] = 0;
	m->len--;
	return 0;
}
