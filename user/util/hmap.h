/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small open-addressing hash map from fixed-size byte keys to u32 values
 * (an index into the caller's array, a count), for the audit's sets and
 * indexes. Keys are compared as bytes: zero a struct key's padding. The
 * hash is seeded per process, so remote-chosen keys (client addresses and
 * ports) cannot be picked to collide.
 */
#ifndef PT_HMAP_H
#define PT_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct pt_hmap {
	size_t ksize;
	size_t cap;		/* slots, a power of two; 0 until the first put */
	size_t len;
	unsigned char *keys;	/* cap * ksize */
	uint32_t *vals;
	unsigned char *used;
};

void pt_hmap_init(struct pt_hmap *m, size_t ksize);
void pt_hmap_free(struct pt_hmap *m);

/* The value stored for key, or NULL. */
uint32_t *pt_hmap_get(const struct pt_hmap *m, const void *key);

/*
 * Find key or insert it with val. Returns 1 if inserted, 0 if it was
 * there (val ignored), -ENOMEM; *slot (if not NULL) points at the value,
 * valid until the next put or del.
 */
int pt_hmap_put(struct pt_hmap *m, const void *key, uint32_t val, uint32_t **slot);

/* Remove key: 0, or -ENOENT. */
int pt_hmap_del(struct pt_hmap *m, const void *key);

#endif /* PT_HMAP_H */
