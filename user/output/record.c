/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which fields a record kind carries, decided once for JSON and CSV. The
 * rules (null where a field does not apply) are part of the output contract.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "community_id.h"
#include "escape.h"
#include "record.h"

const char *const pt_field_names[PT_NFIELDS] = {
	[PT_FLD_TIME] = "time",
	[PT_FLD_KIND] = "kind",
	[PT_FLD_PROTO] = "proto",
	[PT_FLD_FAMILY] = "family",
	[PT_FLD_SIDE] = "side",
	[PT_FLD_PID] = "pid",
	[PT_FLD_COMM] = "comm",
	[PT_FLD_THREAD] = "thread",
	[PT_FLD_UID] = "uid",
	[PT_FLD_CGROUP_ID] = "cgroup_id",
	[PT_FLD_CONTAINER_ID] = "container_id",
	[PT_FLD_NETNS] = "netns",
	[PT_FLD_CLIENT_ADDR] = "client_addr",
	[PT_FLD_CLIENT_PORT] = "client_port",
	[PT_FLD_CLIENT_PORT_CLASS] = "client_port_class",
	[PT_FLD_SERVER_ADDR] = "server_addr",
	[PT_FLD_SERVER_PORT] = "server_port",
	[PT_FLD_SERVER_PORT_CLASS] = "server_port_class",
	[PT_FLD_FLOW_CLASS] = "flow_class",
	[PT_FLD_EPHEMERAL_RANGE] = "ephemeral_range",
	[PT_FLD_EVIDENCE] = "evidence",
	[PT_FLD_ATTRIBUTION] = "attribution",
	[PT_FLD_RESULT] = "result",
	[PT_FLD_LATENCY_US] = "latency_us",
	[PT_FLD_DURATION_MS] = "duration_ms",
	[PT_FLD_TX_BYTES] = "tx_bytes",
	[PT_FLD_RX_BYTES] = "rx_bytes",
	[PT_FLD_CLOSED_FIRST] = "closed_first",
	[PT_FLD_BOUND] = "bound",
	[PT_FLD_COMMUNITY_ID] = "community_id",
	[PT_FLD_SCHEMA_VERSION] = "schema_version",
};

/* --field-names=ecs: Elastic Common Schema names where ECS has the field,
 * porttrace.* for the rest (the README's mapping table) */
static const char *const ecs_names[PT_NFIELDS] = {
	[PT_FLD_TIME] = "@timestamp",
	[PT_FLD_KIND] = "event.action",
	[PT_FLD_PROTO] = "network.transport",
	[PT_FLD_FAMILY] = "network.type",
	[PT_FLD_SIDE] = "porttrace.side",
	[PT_FLD_PID] = "process.pid",
	[PT_FLD_COMM] = "process.name",
	[PT_FLD_THREAD] = "process.thread.name",
	[PT_FLD_UID] = "user.id",
	[PT_FLD_CGROUP_ID] = "porttrace.cgroup_id",
	[PT_FLD_CONTAINER_ID] = "container.id",
	[PT_FLD_NETNS] = "porttrace.netns",
	[PT_FLD_CLIENT_ADDR] = "source.ip",
	[PT_FLD_CLIENT_PORT] = "source.port",
	[PT_FLD_CLIENT_PORT_CLASS] = "porttrace.client_port_class",
	[PT_FLD_SERVER_ADDR] = "destination.ip",
	[PT_FLD_SERVER_PORT] = "destination.port",
	[PT_FLD_SERVER_PORT_CLASS] = "porttrace.server_port_class",
	[PT_FLD_FLOW_CLASS] = "porttrace.flow_class",
	[PT_FLD_EPHEMERAL_RANGE] = "porttrace.ephemeral_range",
	[PT_FLD_EVIDENCE] = "porttrace.evidence",
	[PT_FLD_ATTRIBUTION] = "porttrace.attribution",
	[PT_FLD_RESULT] = "porttrace.result",
	[PT_FLD_LATENCY_US] = "porttrace.latency_us",
	[PT_FLD_DURATION_MS] = "porttrace.duration_ms",
	[PT_FLD_TX_BYTES] = "porttrace.tx_bytes",
	[PT_FLD_RX_BYTES] = "porttrace.rx_bytes",
	[PT_FLD_CLOSED_FIRST] = "porttrace.closed_first",
	[PT_FLD_BOUND] = "porttrace.bound",
	[PT_FLD_COMMUNITY_ID] = "network.community_id",
	[PT_FLD_SCHEMA_VERSION] = "porttrace.schema_version",
};

static char ecs_keys[PT_NFIELDS][PT_KEY_WIDTH];
static unsigned char ecs_keys_len[PT_NFIELDS];

const struct pt_row_shape pt_record_shape_ecs = {
	.ncols = PT_NFIELDS,
	.names = pt_field_names,
	.json_names = ecs_names,
	.keys = ecs_keys,
	.keys_len = ecs_keys_len,
};

static char record_keys[PT_NFIELDS][PT_KEY_WIDTH];
static unsigned char record_keys_len[PT_NFIELDS];

const struct pt_row_shape pt_record_shape = {
	.ncols = PT_NFIELDS,
	.names = pt_field_names,
	.keys = record_keys,
	.keys_len = record_keys_len,
};

/* porttrace's own words: a kind, an address it spelled, a time */
static void set_text(struct pt_record *r, enum pt_field i, const char *s)
{
	pt_cell_text(&r->c[i], s);
}

/* snprintf was a fifth of the per-record cost under load */
static void set_u64(struct pt_record *r, enum pt_field i, uint64_t n)
{
	pt_cell_u64(&r->c[i], r->num[i], n);
}

/* every field is present, null unless set; the schema's version always */
static void record_reset(struct pt_record *r)
{
	for (size_t i = 0; i < PT_NFIELDS; i++)
		pt_cell_null(&r->c[i]);
	pt_cell_numstr(&r->c[PT_FLD_SCHEMA_VERSION], PT_SCHEMA_VERSION_STR);
}

void pt_record_from_flow(struct pt_record *r, const struct pt_flow *f)
{
	const struct pt_event *e = f->ev;
	bool client = pt_has_client(e);
	bool attributed = e->attribution != PT_ATTR_NONE;

	record_reset(r);

	set_text(r, PT_FLD_TIME, f->time);
	set_text(r, PT_FLD_KIND, pt_kind_str(e->kind));
	set_text(r, PT_FLD_PROTO, pt_proto_str(e->proto));
	set_text(r, PT_FLD_FAMILY, pt_family_str(e->family));
	set_text(r, PT_FLD_SIDE, pt_side_str(e->side));
	/* no process took part: whatever ran on the CPU is not the owner */
	if (attributed) {
		set_u64(r, PT_FLD_PID, e->pid);
		pt_cell_strn(&r->c[PT_FLD_COMM], e->comm, sizeof(e->comm));
		if (pt_thread_named(e))
			pt_cell_strn(&r->c[PT_FLD_THREAD], e->thread, sizeof(e->thread));
		set_u64(r, PT_FLD_UID, e->uid);
	} else {
		set_text(r, PT_FLD_COMM, "");
	}
	if (attributed)
		set_u64(r, PT_FLD_CGROUP_ID, e->cgroup_id);
	/* from /proc: anyone's to name */
	pt_cell_str(&r->c[PT_FLD_CONTAINER_ID], f->container_id);
	set_u64(r, PT_FLD_NETNS, e->netns);

	if (client) {
		set_text(r, PT_FLD_CLIENT_ADDR, f->client_addr);
		/* 0: never assigned (no-ephemeral-port) or already released */
		if (e->client_port)
			set_u64(r, PT_FLD_CLIENT_PORT, e->client_port);
		set_text(r, PT_FLD_CLIENT_PORT_CLASS,
			pt_port_class_str(f->client_class));
	}
	/* both ends known: the flow's id, the same in its other end's record */
	if (client && e->client_port && e->server_port &&
	    (e->proto == PT_PROTO_TCP || e->proto == PT_PROTO_UDP))
		pt_cell_textn(&r->c[PT_FLD_COMMUNITY_ID], r->community_id,
			     pt_community_id(r->community_id, 0, e->proto, e->client_addr,
					     e->client_port, e->server_addr, e->server_port));
	set_text(r, PT_FLD_SERVER_ADDR, f->server_addr);
	set_u64(r, PT_FLD_SERVER_PORT, e->server_port);
	set_text(r, PT_FLD_SERVER_PORT_CLASS, pt_port_class_str(f->server_class));
	if (client)
		set_text(r, PT_FLD_FLOW_CLASS, pt_flow_class_str(f->flow_class));

	{
		size_t n = pt_u64_dec(r->range, f->eph_lo);

		r->range[n++] = '-';
		n += pt_u64_dec(r->range + n, f->eph_hi);
		pt_cell_textn(&r->c[PT_FLD_EPHEMERAL_RANGE], r->range, n);
	}
	{
		char *p = r->evidence;

		if (client) {
			p = stpcpy(p, "client=");
			p = stpcpy(p, pt_evidence_str(f->client_evidence));
			*p++ = ' ';
		}
		p = stpcpy(p, "server=");
		p = stpcpy(p, pt_evidence_str(f->server_evidence));
		pt_cell_textn(&r->c[PT_FLD_EVIDENCE], r->evidence, (size_t)(p - r->evidence));
	}
	set_text(r, PT_FLD_ATTRIBUTION, pt_attribution_str(e->attribution));

	switch (e->kind) {
	case PT_EV_CONNECT:
		set_text(r, PT_FLD_RESULT, pt_result_str(e->result));
		/* found open at start: the connect was not seen */
		if (!(e->flags & PT_F_INVENTORY))
			set_u64(r, PT_FLD_LATENCY_US, e->latency_ns / 1000);
		break;
	case PT_EV_ACCEPT:
	case PT_EV_RESET:
		set_text(r, PT_FLD_RESULT, pt_result_str(e->result));
		break;
	case PT_EV_CLOSE:
		/* close carries sk_err: 0 is an ordinary end, not an outcome */
		if (e->result)
			set_text(r, PT_FLD_RESULT, pt_result_str(e->result));
		/* an end no run of porttrace saw, found later: how long, how
		 * much and who closed first are unknown */
		if (e->xflags & PT_X_UNSEEN)
			break;
		/* open before the start: how long is unknown */
		if (!(e->flags & PT_F_INVENTORY))
			set_u64(r, PT_FLD_DURATION_MS, e->duration_ns / 1000000);
		set_u64(r, PT_FLD_TX_BYTES, e->tx_bytes);
		set_u64(r, PT_FLD_RX_BYTES, e->rx_bytes);
		set_text(r, PT_FLD_CLOSED_FIRST, pt_closed_first_str(e));
		break;
	case PT_EV_LISTEN:
	case PT_EV_UNLISTEN:
		pt_cell_bool(&r->c[PT_FLD_BOUND], e->server_origin == PT_ORIGIN_BOUND);
		break;
	default:
		break;
	}
}

void pt_record_from_stats(struct pt_record *r, const struct pt_stats *st)
{
	record_reset(r);
	set_text(r, PT_FLD_TIME, st->time);
	set_text(r, PT_FLD_KIND, "stats");
	snprintf(r->stats, sizeof(r->stats),
		 "events=%" PRIu64 " lost=%" PRIu64 " lost_ringbuf=%" PRIu64
		 " lost_state=%" PRIu64 " lost_recursion=%" PRIu64 " lost_unseen=%" PRIu64
		 " closes_reported_late=%" PRIu64,
		 st->events, st->lost, st->lost_ringbuf, st->lost_state, st->lost_recursion,
		 st->lost_unseen, st->found_unseen);
	set_text(r, PT_FLD_EVIDENCE, r->stats);
}
