// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>
#include <nettle/base64.h>
#include <nettle/sha1.h>
#include "community_id.h"

static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * A connection's records (connect, accept, two closes) come close together
 * and hash the same input: its id is remembered, by that input, in a small
 * direct-mapped cache (per thread). A hit costs a compare instead of a SHA-1
 * and a base64: about a fifth of a JSON record's formatting.
 */
#define CID_SLOTS	256	/* a power of two */

struct cid_slot {
	uint8_t n;		/* bytes of key in use; 0: empty */
	uint8_t key[40];	/* the whole hash input: same key, same id */
	char id[PT_COMMUNITY_ID_LEN + 1];
};

static __thread struct cid_slot cid_cache[CID_SLOTS];

static struct cid_slot *cid_slot_of(const uint8_t key[40])
{
	uint64_t h = 0, w;

	for (size_t i = 0; i < 40; i += 8) {
		memcpy(&w, key + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	}
	return &cid_cache[h >> 56 & (CID_SLOTS - 1)];
}

/* The hash input of a flow, the lower end first (both ends of a flow hash
 * alike): seed, two addresses, protocol, pad, two ports. Zeroed past the
 * length returned, which the slot's hash reads. */
static size_t cid_key(uint8_t key[40], uint16_t seed, uint8_t proto, const uint8_t a[16],
		      uint16_t aport, const uint8_t b[16], uint16_t bport)
{
	bool v4 = !memcmp(a, v4mapped, 12) && !memcmp(b, v4mapped, 12);
	size_t alen = v4 ? 4 : 16, off = v4 ? 12 : 0, n = 0;
	int c = memcmp(a + off, b + off, alen);

	if (c > 0 || (c == 0 && aport > bport)) {
		const uint8_t *t = a;
		uint16_t tp = aport;

		a = b;
		aport = bport;
		b = t;
		bport = tp;
	}
	memset(key, 0, 40);
	put16(key, seed);
	n = 2;
	memcpy(key + n, a + off, alen);
	n += alen;
	memcpy(key + n, b + off, alen);
	n += alen;
	key[n++] = proto;
	key[n++] = 0;
	put16(key + n, aport);
	put16(key + n + 2, bport);
	return n + 4;
}

unsigned int pt_community_id_slot(uint16_t seed, uint8_t proto, const uint8_t a[16],
				  uint16_t aport, const uint8_t b[16], uint16_t bport)
{
	uint8_t key[40];

	cid_key(key, seed, proto, a, aport, b, bport);
	return (unsigned int)(cid_slot_of(key) - cid_cache);
}

size_t pt_community_id(char out[PT_COMMUNITY_ID_LEN + 1], uint16_t seed, uint8_t proto,
		       const uint8_t a[16], uint16_t aport, const uint8_t b[16], uint16_t bport)
{
	uint8_t key[40], digest[SHA1_DIGEST_SIZE];
	size_t n = cid_key(key, seed, proto, a, aport, b, bport);
	struct cid_slot *slot = cid_slot_of(key);
	struct sha1_ctx ctx;

	if (slot->n == n && !memcmp(slot->key, key, n)) {
		memcpy(out, slot->id, sizeof(slot->id));
		return PT_COMMUNITY_ID_LEN;
	}
	sha1_init(&ctx);
	sha1_update(&ctx, n, key);
	sha1_digest(&ctx, sizeof(digest), digest);
	memcpy(out, "1:", 2);
	base64_encode_raw(out + 2, sizeof(digest), digest);
	out[PT_COMMUNITY_ID_LEN] = '\0';
	slot->n = (uint8_t)n;
	memcpy(slot->key, key, n);
	memcpy(slot->id, out, sizeof(slot->id));
	return PT_COMMUNITY_ID_LEN;
}
