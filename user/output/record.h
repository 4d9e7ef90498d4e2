/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The field list of a record, in output order: JSON keys and CSV columns are
 * both generated from it, so they cannot drift apart. A record is a row
 * (row.h): the sinks spell its cells.
 */
#ifndef PT_RECORD_H
#define PT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "flow.h"
#include "row.h"

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
	PT_FLD_COMMUNITY_ID,
	PT_FLD_SCHEMA_VERSION,
	PT_NFIELDS,
};

/* snake_case names, the JSON keys and the CSV header */
extern const char *const pt_field_names[PT_NFIELDS];

struct pt_record {
	struct pt_cell c[PT_NFIELDS];
	/* storage for the values built here; cells point into it */
	char num[PT_NFIELDS][PT_NUM_SIZE];
	char evidence[48];
	char range[16];
	char stats[256];
	char community_id[32];
};

/* every JSON record and CSV row says which doc/porttrace.schema.json it
 * follows; raised when a field changes meaning or goes away */
#define PT_SCHEMA_VERSION	1
#define PT_SCHEMA_VERSION_STR	"1"

/* a record's columns: every field, null where it does not apply */
extern const struct pt_row_shape pt_record_shape;
/* the same columns with ECS names as JSON keys (--field-names=ecs) */
extern const struct pt_row_shape pt_record_shape_ecs;

static inline struct pt_row pt_record_row(const struct pt_record *r)
{
	return (struct pt_row){ .shape = &pt_record_shape, .c = r->c };
}

/* Fill r from f; r holds pointers into f and f->ev, which must outlive it. */
void pt_record_from_flow(struct pt_record *r, const struct pt_flow *f);
/* A row of nulls but time, kind=stats and the counts in evidence (CSV). */
void pt_record_from_stats(struct pt_record *r, const struct pt_stats *st);

#endif /* PT_RECORD_H */
