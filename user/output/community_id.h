/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Community ID v1 (the flow hash Zeek, Suricata and Elastic use): the same
 * string for a flow's two ends, so a connect on one host and its accept on
 * another join in any store. "1:" and the base64 of a SHA-1 over the seed,
 * the two addresses and ports (the lower end first), the IP protocol and a
 * pad byte. SHA-1 and base64 come from GNU Nettle.
 */
#ifndef PT_COMMUNITY_ID_H
#define PT_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

/* "1:" + 28 base64 characters + NUL */
#define PT_COMMUNITY_ID_LEN	30

/*
 * The id of a TCP (6) or UDP (17) flow between a:aport and b:bport, in
 * either order. Addresses are 16 bytes; IPv4-mapped ones (::ffff:a.b.c.d)
 * hash as IPv4 when both ends are. Returns the length written to out
 * (PT_COMMUNITY_ID_LEN + 1 bytes). The ids of recent flows are cached
 * (per thread) by their whole hash input.
 */
size_t pt_community_id(char out[PT_COMMUNITY_ID_LEN + 1], uint16_t seed, uint8_t proto,
		       const uint8_t a[16], uint16_t aport, const uint8_t b[16], uint16_t bport);

/* The slot of pt_community_id()'s cache that this flow's id takes: for the
 * unit test, which makes two flows share one. */
unsigned int pt_community_id_slot(uint16_t seed, uint8_t proto, const uint8_t a[16],
				  uint16_t aport, const uint8_t b[16], uint16_t bport);

#endif /* PT_COMMUNITY_ID_H */
