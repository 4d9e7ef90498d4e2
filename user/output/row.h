/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one row model every output goes through: a row is typed cells in the
 * column order of its shape. Live records (record.c) and the audit's rows
 * (audit_report.c) are both rows; the JSON Lines and CSV sinks spell any row
 * the same way, so the two cannot drift apart in escaping or nulls.
 */
#ifndef PT_ROW_H
#define PT_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum pt_cell_type {
	PT_CELL_UNSET = 0,	/* not a field of this row: JSON omits it, CSV empty */
	PT_CELL_NULL,		/* a field with no value: JSON null, CSV empty */
	PT_CELL_STR,		/* text, escaped per format; JSON quoted */
	PT_CELL_TEXT,		/* porttrace's own words (a kind, an address, a
				 * time): printable ASCII without '"' or '\\'.
				 * JSON quotes it as is; CSV escapes it as STR */
	PT_CELL_NUM,		/* a number or true/false: written as is */
	PT_CELL_LIST,		/* s: the CSV text (escaped); json: ready JSON */
};

struct pt_cell {
	enum pt_cell_type t;
	const char *s;
	size_t len;		/* s need not be NUL-terminated (comm) */
	const char *json;	/* PT_CELL_LIST only */
};

/*
 * A row's columns. names are the CSV header and the JSON keys; where
 * json_names (optional) has an entry, the JSON key is that instead. keys and
 * keys_len cache the JSON keys, each "name": in PT_KEY_WIDTH bytes, built on
 * first use (a name is at most PT_KEY_WIDTH - 4 bytes).
 */
#define PT_KEY_WIDTH	32
struct pt_row_shape {
	size_t ncols;
	const char *const *names;
	const char *const *json_names;
	char (*keys)[PT_KEY_WIDTH];
	unsigned char *keys_len;
};

struct pt_row {
	const struct pt_row_shape *shape;
	const struct pt_cell *c;	/* shape->ncols of them */
};

static inline void pt_cell_null(struct pt_cell *c)
{
	*c = (struct pt_cell){ .t = PT_CELL_NULL };
}

/* s, or null when s is NULL */
static inline void pt_cell_str(struct pt_cell *c, const char *s)
{
	if (!s)
		pt_cell_null(c);
	else
		*c = (struct pt_cell){ .t = PT_CELL_STR, .s = s, .len = strlen(s) };
}

/*
 * s, or null when s is NULL: text porttrace made itself, never a string the
 * kernel or a process gave (comm, a container id: pt_cell_str). Spares the
 * JSON escaper a pass over a dozen fields of every record.
 */
static inline void pt_cell_text(struct pt_cell *c, const char *s)
{
	if (!s)
		pt_cell_null(c);
	else
		*c = (struct pt_cell){ .t = PT_CELL_TEXT, .s = s, .len = strlen(s) };
}

static inline void pt_cell_textn(struct pt_cell *c, const char *s, size_t len)
{
	*c = (struct pt_cell){ .t = PT_CELL_TEXT, .s = s, .len = len };
}

/* at most len bytes of s, up to a NUL: a fixed array such as comm */
static inline void pt_cell_strn(struct pt_cell *c, const char *s, size_t len)
{
	*c = (struct pt_cell){ .t = PT_CELL_STR, .s = s, .len = len };
}

/* n in decimal into buf (at least 21 bytes), NUL-terminated; returns the length */
size_t pt_u64_dec(char *buf, uint64_t n);

/* n in decimal, its last digit just before end, without a NUL (at most 20
 * digits); returns where it starts */
char *pt_u64_dec_back(char *end, uint64_t n);

/* the buffer a number cell is spelled into: 20 digits at most */
#define PT_NUM_SIZE	24

/* n, spelled into buf (PT_NUM_SIZE bytes, the digits at its end: nothing
 * to count first), which must outlive the cell */
static inline void pt_cell_u64(struct pt_cell *c, char buf[PT_NUM_SIZE], uint64_t n)
{
	char *end = buf + PT_NUM_SIZE, *s = pt_u64_dec_back(end, n);

	*c = (struct pt_cell){ .t = PT_CELL_NUM, .s = s, .len = (size_t)(end - s) };
}

/* a number already spelled, such as a constant */
static inline void pt_cell_numstr(struct pt_cell *c, const char *s)
{
	*c = (struct pt_cell){ .t = PT_CELL_NUM, .s = s, .len = strlen(s) };
}

static inline void pt_cell_bool(struct pt_cell *c, bool b)
{
	*c = (struct pt_cell){ .t = PT_CELL_NUM, .s = b ? "true" : "false", .len = b ? 4 : 5 };
}

/* csv: the list as one CSV cell's text; json: the list as JSON, ready */
static inline void pt_cell_list(struct pt_cell *c, const char *csv, const char *json)
{
	*c = (struct pt_cell){ .t = PT_CELL_LIST, .s = csv, .len = strlen(csv), .json = json };
}

/*
 * One output line built in memory and written with one call, so a failed
 * write never leaves half a record past what stdio itself wrote. Sized far
 * above the longest record; over is set instead of overrunning.
 */
struct pt_line {
	char buf[4096];
	size_t len;
	bool over;
};

/* An empty line. Not `= { 0 }`: that clears all 4 KiB of buf, a tenth of
 * a record's cost, for bytes that are written before they are read. */
static inline void pt_line_init(struct pt_line *l)
{
	l->len = 0;
	l->over = false;
}

/* Inline: a record is some sixty of these, and a call each was a third of
 * the JSON sink's cost. No NUL is kept: a line is written by its length. */
static inline void pt_line_put(struct pt_line *l, const char *s, size_t n)
{
	if (l->over || n >= sizeof(l->buf) - l->len) {
		l->over = true;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static inline void pt_line_puts(struct pt_line *l, const char *s)
{
	pt_line_put(l, s, strlen(s));
}

/* append s escaped by esc (pt_esc_json/pt_esc_csv); never truncates silently */
void pt_line_esc(struct pt_line *l,
		 size_t (*esc)(char *, size_t, const char *, size_t),
		 const char *s, size_t len);

/*
 * Write l with one call: a failed write leaves nothing of it past what stdio
 * itself wrote, so a file cut back on error keeps whole lines. flush: a
 * terminal's line. A buffered stream may report a failure only at a later
 * flush, so ferror() counts too. 0 or -errno (-ENOBUFS: l overflowed).
 */
int pt_line_write(const struct pt_line *l, FILE *out, bool flush);

/* r as one JSON object and its newline */
void pt_row_json(struct pt_line *l, const struct pt_row *r);
/* r as one CSV row (RFC 4180, CRLF); raw: no "'" before formula-like cells */
void pt_row_csv(struct pt_line *l, const struct pt_row *r, bool raw);
/* the CSV header row of a shape */
void pt_row_csv_header(struct pt_line *l, const struct pt_row_shape *shape);

#endif /* PT_ROW_H */
