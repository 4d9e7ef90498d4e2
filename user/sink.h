/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Output sinks: table, JSON Lines, CSV. One interface, one file each. */
#ifndef PT_SINK_H
#define PT_SINK_H

#include <stdbool.h>
#include <stdio.h>
#include "flow.h"

struct sink;

struct sink_ops {
	/* write the header, if the format has one */
	int (*open)(struct sink *s);
	int (*write_flow)(struct sink *s, const struct pt_flow *f);
	int (*write_stats)(struct sink *s, const struct pt_stats *st);
	int (*close)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	FILE *out;
	bool line_flush;	/* flush after every record (a terminal) */
	bool lifetime;		/* table: one line per finished flow (--lifetime) */
	bool listeners;		/* table: one line per listening socket (--listeners) */
	bool connections;	/* table: one line per open connection (--connections) */
	bool csv_raw;		/* csv: no "'" before formula-like cells (--csv-raw) */
	unsigned long rows;
};

extern const struct sink_ops sink_table_ops;
extern const struct sink_ops sink_json_ops;
extern const struct sink_ops sink_csv_ops;

#endif /* PT_SINK_H */
