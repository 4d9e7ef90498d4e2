/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Escapers for strings the kernel hands us (comm): any process can set its
 * comm to any 15 bytes, so they are hostile input to a terminal, a JSON
 * parser or a spreadsheet.
 *
 * All three write into dst (n bytes), always NUL-terminate when n > 0 and
 * return the length written (excluding the NUL). Input stops at the first
 * NUL or after srclen bytes, whichever comes first, because comm is a fixed
 * array that need not be NUL-terminated. On truncation an escape sequence or
 * UTF-8 character is written whole or not at all, and a quoted CSV cell is
 * still closed. Hex digits are lowercase.
 *
 * pt_esc_term: printable ASCII 0x20-0x7e as is, '\' as "\\", every other byte
 *   (controls, ESC, DEL, >= 0x80) as "\xhh". Output is pure ASCII.
 * pt_esc_json: RFC 8259 string content, without the surrounding quotes:
 *   '"' and '\' backslashed, \b \f \n \r \t short forms, other bytes < 0x20
 *   and 0x7f as "\u00hh". Well-formed UTF-8 is kept, but for the
 *   bidirectional controls (U+061C, U+200E-F, U+202A-E, U+2066-9), which
 *   become "\uhhhh"; each byte of an ill-formed sequence becomes "\ufffd"
 *   (U+FFFD, not a character that could be real), so the output is always
 *   valid UTF-8.
 * pt_esc_csv: one RFC 4180 cell. A cell starting with = + - @ TAB or CR gets a
 *   "'" prefix so spreadsheets do not run it as a formula. '\' becomes "\\";
 *   every byte < 0x20 (TAB, CR and LF too), 0x7f, the bytes of ill-formed
 *   UTF-8 and of a bidirectional control become "\xhh" text, keeping the
 *   file valid UTF-8 and each record on one line. The cell is wrapped in
 *   double quotes, with '"' doubled, when it contains '"' or ',', starts or
 *   ends with a space, or was neutralised. A CSV reader returns the escaped
 *   text, not the raw bytes.
 * pt_esc_csv_raw: pt_esc_csv without the "'" prefix (--csv-raw, for programs
 *   that read the file and would keep the "'" as data). Quoting and the
 *   "\xhh" escapes are the same.
 */
#ifndef PT_ESCAPE_H
#define PT_ESCAPE_H

#include <stddef.h>

/* A dst of this size never truncates srclen input bytes, for any escaper. */
#define ESC_BUF_SIZE(srclen)	((srclen) * 6 + 4)

size_t pt_esc_term(char *dst, size_t n, const char *src, size_t srclen);
size_t pt_esc_json(char *dst, size_t n, const char *src, size_t srclen);
size_t pt_esc_csv(char *dst, size_t n, const char *src, size_t srclen);
size_t pt_esc_csv_raw(char *dst, size_t n, const char *src, size_t srclen);

#endif /* PT_ESCAPE_H */
