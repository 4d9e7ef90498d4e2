/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Escapers against hostile comm values: the exact text each output format
 * receives, and truncation that never leaves half an escape behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/types.h>
#include "porttrace.h"
#include "escape.h"

struct esc_case {
	const char *name;
	const char *in;
	size_t len;		/* bytes of in handed to the escaper */
	const char *term, *json, *csv;
};

#define S(s)	s, sizeof(s) - 1

static const struct esc_case cases[] = {
	{ "empty", S(""), "", "", "" },
	{ "plain", S("curl"), "curl", "curl", "curl" },
	{ "clear screen", S("\x1b[2J"), "\\x1b[2J", "\\u001b[2J", "\\x1b[2J" },
	{ "newline", S("a\nb"), "a\\x0ab", "a\\nb", "a\\x0ab" },
	{ "carriage return", S("a\rb"), "a\\x0db", "a\\rb", "a\\x0db" },
	{ "quote", S("a\"b"), "a\"b", "a\\\"b", "\"a\"\"b\"" },
	{ "backslash", S("a\\b"), "a\\\\b", "a\\\\b", "a\\\\b" },
	{ "comma", S("a,b"), "a,b", "a,b", "\"a,b\"" },
	{ "formula =", S("=cmd"), "=cmd", "=cmd", "\"'=cmd\"" },
	{ "formula +", S("+1"), "+1", "+1", "\"'+1\"" },
	{ "formula -", S("-1"), "-1", "-1", "\"'-1\"" },
	{ "formula @", S("@x"), "@x", "@x", "\"'@x\"" },
	{ "leading tab", S("\tx"), "\\x09x", "\\tx", "\"'\\x09x\"" },
	{ "leading cr", S("\rx"), "\\x0dx", "\\rx", "\"'\\x0dx\"" },
	{ "inner tab", S("a\tb"), "a\\x09b", "a\\tb", "a\\x09b" },
	{ "json shorts", S("\b\f"), "\\x08\\x0c", "\\b\\f", "\\x08\\x0c" },
	{ "ctrl-a", S("\x01"), "\\x01", "\\u0001", "\\x01" },
	{ "del", S("\x7f"), "\\x7f", "\\u007f", "\\x7f" },
	{ "0xff", S("\xff"), "\\xff", "\\ufffd", "\\xff" },
	{ "leading space", S(" x"), " x", " x", "\" x\"" },
	{ "trailing space", S("x "), "x ", "x ", "\"x \"" },
	{ "utf-8 2 bytes", S("caf\xc3\xa9"), "caf\\xc3\\xa9",
	  "caf\xc3\xa9", "caf\xc3\xa9" },
	{ "utf-8 3 bytes", S("\xe2\x82\xac"), "\\xe2\\x82\\xac",
	  "\xe2\x82\xac", "\xe2\x82\xac" },
	{ "utf-8 4 bytes", S("\xf0\x9f\x98\x80"), "\\xf0\\x9f\\x98\\x80",
	  "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },
	{ "lone lead byte", S("\xc3("), "\\xc3(", "\\ufffd(", "\\xc3(" },
	{ "lone continuation", S("\x80"), "\\x80", "\\ufffd", "\\x80" },
	{ "overlong slash", S("\xc0\xaf"), "\\xc0\\xaf", "\\ufffd\\ufffd",
	  "\\xc0\\xaf" },
	{ "overlong 3 bytes", S("\xe0\x80\xaf"), "\\xe0\\x80\\xaf",
	  "\\ufffd\\ufffd\\ufffd", "\\xe0\\x80\\xaf" },
	{ "surrogate", S("\xed\xa0\x80"), "\\xed\\xa0\\x80",
	  "\\ufffd\\ufffd\\ufffd", "\\xed\\xa0\\x80" },
	{ "past U+10FFFF", S("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80",
	  "\\ufffd\\ufffd\\ufffd\\ufffd", "\\xf4\\x90\\x80\\x80" },
	{ "0xf5 lead", S("\xf5\x80"), "\\xf5\\x80", "\\ufffd\\ufffd",
	  "\\xf5\\x80" },
	/* the kernel cuts comm at 15 bytes, possibly inside a character */
	{ "cut utf-8", "ab\xe2\x82\xac", 4, "ab\\xe2\\x82", "ab\\ufffd\\ufffd",
	  "ab\\xe2\\x82" },
	{ "stops at NUL", S("ab\0=c"), "ab", "ab", "ab" },
	/* bidirectional controls reorder what a viewer shows: escaped */
	{ "right-to-left override", S("a\xe2\x80\xae" "b"), "a\\xe2\\x80\\xaeb", "a\\u202eb",
	  "a\\xe2\\x80\\xaeb" },
	{ "arabic letter mark", S("\xd8\x9cx"), "\\xd8\\x9cx", "\\u061cx", "\\xd8\\x9cx" },
	{ "first strong isolate", S("\xe2\x81\xa8"), "\\xe2\\x81\\xa8", "\\u2068",
	  "\\xe2\\x81\\xa8" },
	{ "not bidi: en dash", S("\xe2\x80\x93"), "\\xe2\\x80\\x93", "\xe2\x80\x93",
	  "\xe2\x80\x93" },
	{ "no NUL, 16 bytes", "ABCDEFGHIJKLMNOPQRST", PT_COMM_LEN,
	  "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNOP" },
	{ "everything", S("=\x1b\"\\,\n"), "=\\x1b\"\\\\,\\x0a",
	  "=\\u001b\\\"\\\\,\\n", "\"'=\\x1b\"\"\\\\,\\x0a\"" },
};

typedef size_t (*esc_fn)(char *, size_t, const char *, size_t);

static void check_all(esc_fn fn, size_t field)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct esc_case *c = &cases[i];
		const char *want = *(const char *const *)((const char *)c + field);
		char buf[ESC_BUF_SIZE(32)];
		size_t n;

		memset(buf, 'Z', sizeof(buf));
		n = fn(buf, sizeof(buf), c->in, c->len);
		if (strcmp(buf, want))
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, buf, want);
		assert_int_equal(n, strlen(want));
	}
}

static void test_term(void **state)
{
	(void)state;
	check_all(pt_esc_term, offsetof(struct esc_case, term));
}

static void test_json(void **state)
{
	(void)state;
	check_all(pt_esc_json, offsetof(struct esc_case, json));
}

static void test_csv(void **state)
{
	(void)state;
	check_all(pt_esc_csv, offsetof(struct esc_case, csv));
}

/*
 * --csv-raw: the same cell as pt_esc_csv but for the "'" prefix, so a cell
 * that needs no neutralising is byte-identical in both modes.
 */
static void test_csv_raw(void **state)
{
	static const struct { const char *in, *want; } raw[] = {
		{ "=cmd", "=cmd" },
		{ "+1", "+1" },
		{ "-1", "-1" },
		{ "@x", "@x" },
		{ "\tx", "\\x09x" },
		{ "\rx", "\\x0dx" },
		{ "=a,\"b", "\"=a,\"\"b\"" },
	};
	char buf[ESC_BUF_SIZE(32)], want[ESC_BUF_SIZE(32)];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct esc_case *c = &cases[i];

		if (c->len && strchr("=+-@\t\r", c->in[0]))
			continue;
		pt_esc_csv(want, sizeof(want), c->in, c->len);
		n = pt_esc_csv_raw(buf, sizeof(buf), c->in, c->len);
		if (strcmp(buf, want))
			fail_msg("%s: got \"%s\", want \"%s\"", c->name, buf, want);
		assert_int_equal(n, strlen(want));
	}
	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		n = pt_esc_csv_raw(buf, sizeof(buf), raw[i].in, strlen(raw[i].in));
		assert_string_equal(buf, raw[i].want);
		assert_int_equal(n, strlen(raw[i].want));
	}
}

/* ESC_BUF_SIZE must hold the worst byte of every escaper, 16 times over. */
static void test_worst_case_fits(void **state)
{
	char in[PT_COMM_LEN], buf[ESC_BUF_SIZE(PT_COMM_LEN)];

	(void)state;
	memset(in, 0x01, sizeof(in));
	assert_int_equal(pt_esc_json(buf, sizeof(buf), in, sizeof(in)), 6 * PT_COMM_LEN);
	assert_int_equal(pt_esc_term(buf, sizeof(buf), in, sizeof(in)), 4 * PT_COMM_LEN);
	/* two quotes, the neutralising quote, "=" and 15 \xhh */
	in[0] = '=';
	assert_int_equal(pt_esc_csv(buf, sizeof(buf), in, sizeof(in)),
			 4 + 4 * (PT_COMM_LEN - 1));
}

static void test_truncate_term(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(pt_esc_term(buf, 0, "abc", 3), 0);
	assert_int_equal(buf[0], 'Z');		/* n == 0: dst untouched */
	assert_int_equal(pt_esc_term(buf, 1, "abc", 3), 0);
	assert_string_equal(buf, "");
	assert_int_equal(pt_esc_term(buf, 3, "abc", 3), 2);
	assert_string_equal(buf, "ab");
	/* "\x1b" needs 4 bytes + NUL: none of it, not "\x1" */
	assert_int_equal(pt_esc_term(buf, 4, "\x1b", 1), 0);
	assert_string_equal(buf, "");
	assert_int_equal(pt_esc_term(buf, 6, "a\x1b" "b", 3), 5);
	assert_string_equal(buf, "a\\x1b");
	/* a later unit that would fit is not emitted after one that did not */
	assert_int_equal(pt_esc_term(buf, 5, "ab\x1b" "c", 4), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(pt_esc_term(buf, 3, "a\\", 2), 1);
	assert_string_equal(buf, "a");
}

static void test_truncate_json(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(pt_esc_json(buf, 8, "\x01\x01", 2), 6);
	assert_string_equal(buf, "\\u0001");
	/* a UTF-8 character is kept whole or dropped */
	assert_int_equal(pt_esc_json(buf, 3, "\xc3\xa9", 2), 2);
	assert_string_equal(buf, "\xc3\xa9");
	assert_int_equal(pt_esc_json(buf, 4, "a\xe2\x82\xac", 4), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(pt_esc_json(buf, 2, "\"", 1), 0);
	assert_string_equal(buf, "");
}

static void test_truncate_csv(void **state)
{
	char buf[8];

	(void)state;
	/* a quoted cell is still closed */
	assert_int_equal(pt_esc_csv(buf, 6, "a,bcdef", 7), 5);
	assert_string_equal(buf, "\"a,b\"");
	assert_int_equal(pt_esc_csv(buf, 5, "a\"b", 3), 3);
	assert_string_equal(buf, "\"a\"");
	assert_int_equal(pt_esc_csv(buf, 4, "=cmd", 4), 3);
	assert_string_equal(buf, "\"'\"");
	/* too small for the two quotes: an empty cell, never an open quote */
	assert_int_equal(pt_esc_csv(buf, 2, "a,b", 3), 0);
	assert_string_equal(buf, "");
	assert_int_equal(pt_esc_csv(buf, 3, "a,b", 3), 2);
	assert_string_equal(buf, "\"\"");
	assert_int_equal(pt_esc_csv(buf, 4, "ab", 2), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(pt_esc_csv(buf, 0, "ab", 2), 0);
}

static void test_null_src(void **state)
{
	char buf[4];

	(void)state;
	assert_int_equal(pt_esc_term(buf, sizeof(buf), NULL, 5), 0);
	assert_int_equal(pt_esc_json(buf, sizeof(buf), NULL, 5), 0);
	assert_int_equal(pt_esc_csv(buf, sizeof(buf), NULL, 5), 0);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_term),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_raw),
		cmocka_unit_test(test_worst_case_fits),
		cmocka_unit_test(test_truncate_term),
		cmocka_unit_test(test_truncate_json),
		cmocka_unit_test(test_truncate_csv),
		cmocka_unit_test(test_null_src),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
