/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * JSON Lines sink: one object per line, keys in the same order as the CSV
 * columns (both come from record.c), no whitespace, so `grep` and `jq -c`
 * both work on the stream. A field that does not apply is null.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/types.h>
#include "escape.h"
#include "record.h"
#include "sink.h"

/*
 * A buffered stream may report a failed write only at a later flush, so
 * ferror() is checked as well as the return value. errno was cleared by the
 * caller: zero here means stdio failed without saying why.
 */
static int json_result(struct sink *s, int ret)
{
	if (ret >= 0 && s->line_flush && fflush(s->out))
		ret = -1;
	if (ret < 0 || ferror(s->out))
		return errno ? -errno : -EIO;
	return 0;
}

static int json_open(struct sink *s)
{
	(void)s;
	return 0;
}

/* {"time": ,"kind": ... spelled once, not per record */
static char keys[PT_NFIELDS][PT_LINE_WORD];
static size_t keys_len[PT_NFIELDS];

static void make_keys(void)
{
	for (size_t i = 0; i < PT_NFIELDS; i++)
		keys_len[i] = (size_t)snprintf(keys[i], sizeof(keys[i]), "%s\"%s\":",
					       i ? "," : "{", pt_field_names[i]);
}

static int json_write_flow(struct sink *s, const struct pt_flow *f)
{
	struct pt_record r;
	struct pt_line l;
	size_t i;
	int ret;

	pt_record_from_flow(&r, f);
	l.len = 0;
	l.over = false;
	if (!keys_len[0])
		make_keys();
	for (i = 0; i < PT_NFIELDS; i++) {
		const struct pt_value *v = &r.v[i];

		pt_line_put_word(&l, keys[i], keys_len[i]);
		switch (v->type) {
		case PT_VAL_STR:
			pt_line_put(&l, "\"", 1);
			pt_line_esc(&l, esc_json, v->s, v->len);
			pt_line_put(&l, "\"", 1);
			break;
		case PT_VAL_BARE:
			pt_line_put(&l, v->s, v->len);
			break;
		default:
			pt_line_put(&l, "null", 4);
			break;
		}
	}
	pt_line_put(&l, "}\n", 2);
	if (l.over)
		return -ENOBUFS;

	/* one call per record: on error nothing past stdio's own partial write */
	errno = 0;
	ret = fwrite(l.buf, 1, l.len, s->out) == l.len ? 0 : -1;
	ret = json_result(s, ret);
	if (!ret)
		s->rows++;
	return ret;
}

static int json_write_stats(struct sink *s, const struct pt_stats *st)
{
	int ret;

	errno = 0;
	ret = fprintf(s->out,
		      "{\"time\":\"%s\",\"kind\":\"stats\",\"events\":%" PRIu64
		      ",\"lost\":%" PRIu64 ",\"lost_ringbuf\":%" PRIu64
		      ",\"lost_state\":%" PRIu64 ",\"lost_recursion\":%" PRIu64
		      ",\"lost_unseen\":%" PRIu64 "}\n",
		      st->time, st->events, st->lost, st->lost_ringbuf,
		      st->lost_state, st->lost_recursion, st->lost_unseen);
	return json_result(s, ret);
}

static int json_close(struct sink *s)
{
	errno = 0;
	return json_result(s, fflush(s->out) ? -1 : 0);
}

const struct sink_ops sink_json_ops = {
	.open = json_open,
	.write_flow = json_write_flow,
	.write_stats = json_write_stats,
	.close = json_close,
};
