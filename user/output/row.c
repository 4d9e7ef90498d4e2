// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Rows as JSON Lines and CSV. Every string cell is escaped here, whoever
 * made the row: comm and container ids are hostile, and a cell of ours must
 * not start a spreadsheet formula either.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "escape.h"
#include "row.h"

/* two digits at a time: a record spells a dozen numbers */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* the digits of n: at most 20 */
static size_t dec_digits(uint64_t n)
{
	size_t len = 1;

	while (n >= 10000) {
		n /= 10000;
		len += 4;
	}
	if (n >= 100)
		len += n >= 1000 ? 3 : 2;
	else if (n >= 10)
		len++;
	return len;
}

/* the digits of n, its last just before end; returns the first */
char *pt_u64_dec_back(char *end, uint64_t n)
{
	char *p = end;

	while (n >= 100) {
		p -= 2;
		memcpy(p, &digit_pairs[(n % 100) * 2], 2);
		n /= 100;
	}
	if (n >= 10) {
		p -= 2;
		memcpy(p, &digit_pairs[n * 2], 2);
	} else {
		*--p = (char)('0' + n);
	}
	return p;
}

/* written in place from the last digit: no scratch copy (with one, the
 * copy's memcpy call cost as much as the digits) */
size_t pt_u64_dec(char *buf, uint64_t n)
{
	size_t len = dec_digits(n);

	buf[len] = '\0';
	pt_u64_dec_back(buf + len, n);
	return len;
}

void pt_line_esc(struct pt_line *l,
		 size_t (*esc)(char *, size_t, const char *, size_t),
		 const char *s, size_t len)
{
	size_t room = sizeof(l->buf) - l->len;

	/* with less room than the worst case the escaper would cut the value
	 * (len bounds the value; the escaper stops at a NUL before it) */
	if (l->over || room < ESC_BUF_SIZE(len)) {
		l->over = true;
		return;
	}
	l->len += esc(l->buf + l->len, room, s, len);
}

int pt_line_write(const struct pt_line *l, FILE *out, bool flush)
{
	if (l->over)
		return -ENOBUFS;
	errno = 0;
	if (fwrite(l->buf, 1, l->len, out) != l->len || (flush && fflush(out)) || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

/* ,"name": for each column, spelled once per shape rather than per row */
static void make_keys(const struct pt_row_shape *sh)
{
	for (size_t i = 0; i < sh->ncols; i++) {
		const char *name = sh->json_names && sh->json_names[i] ? sh->json_names[i] : sh->names[i];
		int n = snprintf(sh->keys[i], PT_KEY_WIDTH, ",\"%s\":", name);

		sh->keys_len[i] = n > 0 && n < PT_KEY_WIDTH ? (unsigned char)n : 0;
	}
}

/*
 * A value's bytes: most are a few to thirty bytes, where a memcpy() call of
 * variable length cost as much as the copy. Two fixed-size copies that
 * overlap in the middle read and write exactly the n bytes.
 */
static inline void copy_value(char *dst, const char *src, size_t n)
{
	if (n >= 16 && n <= 32) {
		memcpy(dst, src, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else if (n >= 8 && n < 16) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(dst, src, 4);
		memcpy(dst + n - 4, src + n - 4, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	} else {
		memcpy(dst, src, n);
	}
}

/* whether n bytes of value fit after p, with the cell's key (copied whole,
 * PT_KEY_WIDTH bytes) before them and the closing "}\n" (3 at most) after */
static inline bool json_fits(const char *p, const char *end, size_t n)
{
	return (size_t)(end - p) >= PT_KEY_WIDTH + n + 3;
}

/* ,"name": -- or {"name": for the object's first */
static inline char *json_key(char *p, const struct pt_row_shape *sh, size_t i, bool *first)
{
	memcpy(p, sh->keys[i], PT_KEY_WIDTH);
	if (*first) {
		*p = '{';
		*first = false;
	}
	return p + sh->keys_len[i];
}

/*
 * Spelled through a cursor of its own, the room checked once a cell: with
 * pt_line_put() per piece the line's length went back to memory around
 * every copy (the copy could have written it), some sixty times a record.
 */
void pt_row_json(struct pt_line *l, const struct pt_row *r)
{
	const struct pt_row_shape *sh = r->shape;
	char *p = l->buf + l->len, *const end = l->buf + sizeof(l->buf);
	bool first = true;

	if (l->over)
		return;
	if (!sh->keys_len[0])
		make_keys(sh);
	for (size_t i = 0; i < sh->ncols; i++) {
		const struct pt_cell *c = &r->c[i];
		size_t n;

		if (c->t == PT_CELL_UNSET)
			continue;
		if (!sh->keys_len[i])	/* a name too long for its key */
			goto over;
		switch (c->t) {
		case PT_CELL_STR:
			/* the escaper's worst case, its NUL included */
			if (!json_fits(p, end, 2 + ESC_BUF_SIZE(c->len)))
				goto over;
			p = json_key(p, sh, i, &first);
			*p++ = '"';
			p += pt_esc_json(p, (size_t)(end - p), c->s, c->len);
			*p++ = '"';
			break;
		case PT_CELL_TEXT:
			if (!json_fits(p, end, 2 + c->len))
				goto over;
			p = json_key(p, sh, i, &first);
			*p++ = '"';
			copy_value(p, c->s, c->len);
			p += c->len;
			*p++ = '"';
			break;
		case PT_CELL_NUM:
		case PT_CELL_LIST:
			n = c->t == PT_CELL_NUM ? c->len : strlen(c->json);
			if (!json_fits(p, end, n))
				goto over;
			p = json_key(p, sh, i, &first);
			copy_value(p, c->t == PT_CELL_NUM ? c->s : c->json, n);
			p += n;
			break;
		default:
			if (!json_fits(p, end, 4))
				goto over;
			p = json_key(p, sh, i, &first);
			memcpy(p, "null", 4);
			p += 4;
			break;
		}
	}
	if ((size_t)(end - p) < 3)
		goto over;
	if (first)
		*p++ = '{';
	memcpy(p, "}\n", 2);
	l->len = (size_t)(p + 2 - l->buf);
	return;
over:
	l->over = true;
}

void pt_row_csv(struct pt_line *l, const struct pt_row *r, bool raw)
{
	size_t (*esc)(char *, size_t, const char *, size_t) = raw ? pt_esc_csv_raw : pt_esc_csv;

	for (size_t i = 0; i < r->shape->ncols; i++) {
		const struct pt_cell *c = &r->c[i];

		if (i)
			pt_line_put(l, ",", 1);
		if (c->t == PT_CELL_STR || c->t == PT_CELL_TEXT || c->t == PT_CELL_LIST)
			pt_line_esc(l, esc, c->s, c->len);
		else if (c->t == PT_CELL_NUM)
			pt_line_put(l, c->s, c->len);
	}
	pt_line_put(l, "\r\n", 2);
}

void pt_row_csv_header(struct pt_line *l, const struct pt_row_shape *shape)
{
	for (size_t i = 0; i < shape->ncols; i++) {
		if (i)
			pt_line_put(l, ",", 1);
		pt_line_puts(l, shape->names[i]);
	}
	pt_line_put(l, "\r\n", 2);
}
