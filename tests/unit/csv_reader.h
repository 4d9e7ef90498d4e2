/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A CSV reader for the unit tests, so they need nothing outside C. */
#ifndef PT_TEST_CSV_READER_H
#define PT_TEST_CSV_READER_H

#define CSV_MAX_FIELDS	64
#define CSV_MAX_FIELD	1024

struct csv_rec {
	int nf;
	char f[CSV_MAX_FIELDS][CSV_MAX_FIELD];
};

/*
 * A strict RFC 4180 reader, so the test needs nothing outside C: quotes only
 * around whole fields, "" inside them, every record ending in CRLF. Returns 1
 * for a record, 0 at the end, -1 on anything malformed.
 */
static int csv_next(const char **pp, const char *end, struct csv_rec *r)
{
	const char *p = *pp;

	if (p == end)
		return 0;
	r->nf = 0;
	for (;;) {
		size_t len = 0;
		char *out;

		if (r->nf == CSV_MAX_FIELDS)
			return -1;
		out = r->f[r->nf++];
		if (*p == '"') {
			for (p++;; p++) {
				if (p == end)
					return -1;
				if (*p == '"') {
					if (p + 1 == end || p[1] != '"')
						break;
					p++;
				}
				if (len + 1 >= CSV_MAX_FIELD)
					return -1;
				out[len++] = *p;
			}
			p++;
		} else {
			for (; p < end && *p != ',' && *p != '\r' && *p != '\n'; p++) {
				if (*p == '"' || len + 1 >= CSV_MAX_FIELD)
					return -1;
				out[len++] = *p;
			}
		}
		out[len] = '\0';
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			break;
		return -1;
	}
	*pp = p + 2;
	return 1;
}

#endif /* PT_TEST_CSV_READER_H */
