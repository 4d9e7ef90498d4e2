/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Escapers for hostile strings; the contract is in escape.h. */
#include <stdbool.h>
#include <string.h>
#include "escape.h"

static const char hexdig[] = "0123456789abcdef";

struct esc_out {
	char *dst;
	size_t lim;	/* units must end before this offset: room for NUL (and a closing quote) */
	size_t len;
	bool full;
};

/*
 * Append one unit whole or not at all, and stop at the first that does not
 * fit: half an escape would be misread, and skipping to a shorter later unit
 * would silently drop bytes from the middle.
 */
static void put(struct esc_out *o, const char *s, size_t len)
{
	if (o->full || o->len + len >= o->lim) {
		o->full = true;
		return;
	}
	memcpy(o->dst + o->len, s, len);
	o->len += len;
}

static void put_hex(struct esc_out *o, const char *prefix, unsigned char c)
{
	char buf[8];
	size_t plen = strlen(prefix);

	memcpy(buf, prefix, plen);
	buf[plen] = hexdig[c >> 4];
	buf[plen + 1] = hexdig[c & 0xf];
	put(o, buf, plen + 2);
}

static size_t input_len(const char *src, size_t srclen)
{
	return src ? strnlen(src, srclen) : 0;
}

/*
 * Length of the well-formed UTF-8 sequence at s (2-4), or 0 if ill-formed.
 * Follows RFC 3629 table: no overlongs, no surrogates, nothing past U+10FFFF.
 */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;

	/* the second byte's range is what rules out overlongs and surrogates */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;

	if (avail < len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Bidirectional controls (U+061C, U+200E-F, U+202A-E, U+2066-9) reorder
 * what a terminal or a viewer shows around them: a name with U+202E reads
 * backwards. Escaped like control bytes, though well-formed.
 */
static bool utf8_bidi(const unsigned char *s, size_t u)
{
	unsigned int cp;

	if (u == 2)
		return s[0] == 0xd8 && s[1] == 0x9c;	/* U+061C */
	if (u != 3 || s[0] != 0xe2)
		return false;
	cp = 0x2000 | ((s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

static size_t finish(struct esc_out *o)
{
	o->dst[o->len] = '\0';
	return o->len;
}

size_t pt_esc_term(char *dst, size_t n, const char *src, size_t srclen)
{
	struct esc_out o = { .dst = dst, .lim = n };
	size_t len = input_len(src, srclen), i;

	if (!n)
		return 0;
	for (i = 0; i < len && !o.full; i++) {
		unsigned char c = src[i];

		if (c == '\\')
			put(&o, "\\\\", 2);
		else if (c >= 0x20 && c < 0x7f)
			put(&o, &src[i], 1);
		else
			put_hex(&o, "\\x", c);
	}
	return finish(&o);
}

/* RFC 8259's two-character escapes, or NULL when the byte has none. */
static const char *json_short(unsigned char c)
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		return NULL;
	}
}

/* bytes JSON takes as they are: printable ASCII but '"' and '\\' */
static const unsigned char json_plain[256] = {
	[0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1,
};

size_t pt_esc_json(char *dst, size_t n, const char *src, size_t srclen)
{
	struct esc_out o = { .dst = dst, .lim = n };
	size_t len, i, u;
	const char *sh;

	if (!n)
		return 0;
	/* the common case, plain printable ASCII, is one pass */
	for (i = 0; src && i < srclen && i + 1 < n; i++) {
		unsigned char c = src[i];

		if (!json_plain[c])
			break;
		dst[i] = c;
	}
	if (!src || i == srclen || !src[i]) {
		dst[i] = '\0';
		return i;
	}
	len = input_len(src, srclen);
	i = 0;
	while (i < len && !o.full) {
		unsigned char c = src[i];

		if ((sh = json_short(c))) {
			put(&o, sh, 2);
		} else if (c < 0x20 || c == 0x7f) {
			put_hex(&o, "\\u00", c);
		} else if (c < 0x80) {
			put(&o, &src[i], 1);
		} else if ((u = utf8_len((const unsigned char *)&src[i], len - i))) {
			const unsigned char *p = (const unsigned char *)&src[i];

			if (utf8_bidi(p, u)) {
				char buf[8] = "\\u";
				unsigned int cp = u == 2 ? 0x061c :
					0x2000 | ((p[1] & 0x3f) << 6) | (p[2] & 0x3f);

				for (int d = 0; d < 4; d++)
					buf[2 + d] = hexdig[(cp >> (12 - 4 * d)) & 0xf];
				put(&o, buf, 6);
			} else {
				put(&o, &src[i], u);
			}
			i += u;
			continue;
		} else {
			/* not a character: U+FFFD, never a Latin-1 look-alike */
			put(&o, "\\ufffd", 6);
		}
		i++;
	}
	return finish(&o);
}

/* Spreadsheets evaluate cells starting with these (OWASP "CSV injection"). */
static bool csv_formula_start(char c)
{
	return c && strchr("=+-@\t\r", c);
}

static size_t csv_cell(char *dst, size_t n, const char *src, size_t srclen,
		       bool may_neutralise)
{
	struct esc_out o = { .dst = dst, .lim = n };
	size_t len = input_len(src, srclen), i = 0, u;
	bool neutralise, quote;

	if (!n)
		return 0;

	/* quoting is decided on the whole input, before anything is written */
	neutralise = may_neutralise && len && csv_formula_start(src[0]);
	quote = neutralise || (len && (src[0] == ' ' || src[len - 1] == ' '));
	for (i = 0; i < len && !quote; i++)
		quote = src[i] == '"' || src[i] == ',';

	if (quote) {
		/* keep one byte back so the cell is closed even when truncated */
		if (n < 3)
			return finish(&o);
		o.lim = n - 1;
		put(&o, "\"", 1);
	}
	if (neutralise)
		put(&o, "'", 1);

	i = 0;
	while (i < len && !o.full) {
		unsigned char c = src[i];

		if (c == '"') {
			put(&o, "\"\"", 2);
		} else if (c == '\\') {
			put(&o, "\\\\", 2);
		} else if (c < 0x20 || c == 0x7f) {
			put_hex(&o, "\\x", c);
		} else if (c < 0x80) {
			put(&o, &src[i], 1);
		} else if ((u = utf8_len((const unsigned char *)&src[i], len - i)) &&
			   !utf8_bidi((const unsigned char *)&src[i], u)) {
			put(&o, &src[i], u);
			i += u;
			continue;
		} else if (u) {
			for (size_t k = 0; k < u; k++)
				put_hex(&o, "\\x", (unsigned char)src[i + k]);
			i += u;
			continue;
		} else {
			put_hex(&o, "\\x", c);
		}
		i++;
	}
	if (quote)
		o.dst[o.len++] = '"';
	return finish(&o);
}

size_t pt_esc_csv(char *dst, size_t n, const char *src, size_t srclen)
{
	return csv_cell(dst, n, src, srclen, true);
}

size_t pt_esc_csv_raw(char *dst, size_t n, const char *src, size_t srclen)
{
	return csv_cell(dst, n, src, srclen, false);
}
