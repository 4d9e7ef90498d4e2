/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The field list of a record, in output order: JSON keys and CSV columns are
 * both generated from it, so they cannot drift apart. Each sink only decides
 * how a string, a bare value or a null is spelled.
 */
#ifndef PT_RECORD_H
#define PT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "flow.h"

enum pt_field {
	PT_FLD_TIME,
	PT_FLD_KIND,
	PT_FLD_PROTO,
	PT_FLD_FAMILY,
	PT_FLD_SIDE,
	PT_FLD_PID,
	PT_FLD_COMM,
	PT_FLD_THREAD,
	PT_FLD_UID,
	PT_FLD_CGROUP_ID,
	PT_FLD_CONTAINER_ID,
	PT_FLD_NETNS,
	PT_FLD_CLIENT_ADDR,
	PT_FLD_CLIENT_PORT,
	PT_FLD_CLIENT_PORT_CLASS,
	PT_FLD_SERVER_ADDR,
	PT_FLD_SERVER_PORT,
	PT_FLD_SERVER_PORT_CLASS,
	PT_FLD_FLOW_CLASS,
	PT_FLD_EPHEMERAL_RANGE,
	PT_FLD_EVIDENCE,
	PT_FLD_ATTRIBUTION,
	PT_FLD_RESULT,
	PT_FLD_LATENCY_US,
	PT_FLD_DURATION_MS,
	PT_FLD_TX_BYTES,
	PT_FLD_RX_BYTES,
	PT_FLD_CLOSED_FIRST,
	PT_FLD_BOUND,
	PT_NFIELDS,
};

/* snake_case names, the JSON keys and the CSV header */
extern const char *const pt_field_names[PT_NFIELDS];

enum pt_value_type {
	PT_VAL_NULL = 0,	/* JSON null, CSV empty cell */
	PT_VAL_STR,		/* escaped; JSON quoted */
	PT_VAL_BARE,		/* a number or true/false: written as is */
};

struct pt_value {
	enum pt_value_type type;
	const char *s;
	size_t len;		/* s need not be NUL-terminated (comm) */
};

struct pt_record {
	struct pt_value v[PT_NFIELDS];
	/* storage for the values built here; s points into it */
	char num[PT_NFIELDS][24];
	char evidence[48];
	char range[16];
	char stats[256];
};

/* n in decimal into buf (at least 21 bytes), NUL-terminated; returns the length */
size_t pt_u64_dec(char *buf, uint64_t n);

/* Fill r from f; r holds pointers into f and f->ev, which must outlive it. */
void pt_record_from_flow(struct pt_record *r, const struct pt_flow *f);
/* A row of nulls but time, kind=stats and the counts in evidence (CSV). */
void pt_record_from_stats(struct pt_record *r, const struct pt_stats *st);

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

/* Append the first n (<= PT_LINE_WORD) bytes of s, of which PT_LINE_WORD are
 * readable: one fixed-size copy, which the compiler inlines. */
#define PT_LINE_WORD	32
static inline void pt_line_put_word(struct pt_line *l, const char s[PT_LINE_WORD], size_t n)
{
	if (l->over || PT_LINE_WORD >= sizeof(l->buf) - l->len) {
		l->over = true;
		return;
	}
	memcpy(l->buf + l->len, s, PT_LINE_WORD);
	l->len += n;
}

/* append s escaped by esc (esc_json/esc_csv); never truncates silently */
void pt_line_esc(struct pt_line *l,
		 size_t (*esc)(char *, size_t, const char *, size_t),
		 const char *s, size_t len);

#endif /* PT_RECORD_H */
