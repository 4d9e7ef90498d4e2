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

size_t pt_community_id(char out[PT_COMMUNITY_ID_LEN + 1], uint16_t seed, uint8_t proto,
		       const uint8_t a[16], uint16_t aport, const uint8_t b[16], uint16_t bport)
{
	/* seed, two addresses, protocol, pad, two ports: 40 bytes at most */
	uint8_t buf[2 + 16 + 16 + 1 + 1 + 2 + 2], digest[SHA1_DIGEST_SIZE];
	bool v4 = !memcmp(a, v4mapped, 12) && !memcmp(b, v4mapped, 12);
	size_t alen = v4 ? 4 : 16, off = v4 ? 12 : 0, n = 0;
	struct sha1_ctx ctx;
	int c = memcmp(a + off, b + off, alen);

	/* the lower end first: both ends of a flow hash alike */
	if (c > 0 || (c == 0 && aport > bport)) {
		const uint8_t *t = a;
		uint16_t tp = aport;

		a = b;
		aport = bport;
		b = t;
		bport = tp;
	}
	put16(buf, seed);
	n = 2;
	memcpy(buf + n, a + off, alen);
	n += alen;
	memcpy(buf + n, b + off, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	put16(buf + n, aport);
	put16(buf + n + 2, bport);
	n += 4;

	sha1_init(&ctx);
	sha1_update(&ctx, n, buf);
	sha1_digest(&ctx, sizeof(digest), digest);
	memcpy(out, "1:", 2);
	base64_encode_raw(out + 2, sizeof(digest), digest);
	out[PT_COMMUNITY_ID_LEN] = '\0';
	return PT_COMMUNITY_ID_LEN;
}
