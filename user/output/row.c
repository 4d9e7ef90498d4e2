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

/* written in place from the last digit: no scratch copy (with one, the
 * copy's memcpy call cost as much as the digits) */
size_t pt_u64_dec(char *buf, uint64_t n)
{
	size_t len = dec_digits(n);
	char *p = buf + len;

	*p = '\0';
	while (n >= 100) {
		p -= 2;
		memcpy(p, &digit_pairs[(n % 100) * 2], 2);
		n /= 100;
	}
	if (n >= 10)
		memcpy(p - 2, &digit_pairs[n * 2], 2);
	else
		p[-1] = (char)('0' + n);
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

void pt_row_json(struct pt_line *l, const struct pt_row *r)
{
	const struct pt_row_shape *sh = r->shape;
	bool first = true;

	if (!sh->keys_len[0])
		make_keys(sh);
	for (size_t i = 0; i < sh->ncols; i++) {
		const struct pt_cell *c = &r->c[i];

		if (c->t == PT_CELL_UNSET)
			continue;
		if (first) {
			/* {"name": -- the cached key without its comma */
			pt_line_put(l, "{", 1);
			pt_line_put(l, sh->keys[i] + 1, sh->keys_len[i] - 1u);
			first = false;
		} else {
			pt_line_put_word(l, sh->keys[i], sh->keys_len[i]);
		}
		switch (c->t) {
		case PT_CELL_STR:
			pt_line_put(l, "\"", 1);
			pt_line_esc(l, pt_esc_json, c->s, c->len);
			pt_line_put(l, "\"", 1);
			break;
		case PT_CELL_TEXT:
			pt_line_put(l, "\"", 1);
			pt_line_put(l, c->s, c->len);
			pt_line_put(l, "\"", 1);
			break;
		case PT_CELL_NUM:
			pt_line_put(l, c->s, c->len);
			break;
		case PT_CELL_LIST:
			pt_line_puts(l, c->json);
			break;
		default:
			pt_line_put(l, "null", 4);
			break;
		}
	}
	pt_line_put(l, first ? "{}\n" : "}\n", first ? 3 : 2);
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
