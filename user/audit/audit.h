/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * porttrace audit: decoded records in, one aggregate out, written as a
 * table, JSON Lines or CSV, with ranked port-hygiene findings. No I/O but
 * through the writers, no clock but the records' own times, so it is fed
 * and checked by unit tests exactly as by the live loader.
 *
 * What is aggregated:
 * - services: one per (netns, proto, listening address, port), from listen
 *   records (inventory included) and the accepts and server-side closes
 *   that belong to them: an accept goes to the listener on its exact
 *   address, else to the wildcard listener (0.0.0.0, or :: which also takes
 *   IPv4) of its port, else to a new "unlisted" service (listener not seen);
 * - destinations: one per (netns, proto, server address, port), from
 *   connects and client-side closes;
 * - ephemeral-port use per destination: TCP connects on a kernel-chosen
 *   port, held until the close record of the same socket (sock_id);
 * - closed ports hit per remote address (reset records), for the scan rule.
 *
 * Findings (rule names are output, stable):
 *   listener-in-ephemeral-range  medium  explicitly bound listening port
 *       inside its namespace's ephemeral range, and not reserved
 *   non-ephemeral-to-static-flow low     flows of another class, per
 *       (process, class, inbound/outbound)
 *   ephemeral-port-pressure      high when the peak of concurrently used
 *       ephemeral ports towards one destination reached 80% of the range
 *       or a connect failed with no-ephemeral-port, medium from 50%
 *   port-scan                    high    a remote address refused on at
 *       least scan_ports distinct closed ports within scan_window_s
 *   unexpected-listener          medium  listening on all addresses on a
 *       port not in --expect-port (only when that list was given)
 *   idle-listener                low     a TCP listener that accepted
 *       nothing during the run
 * Ranked by severity, then count, then rule and subject. count is the
 * rule's measure: accepts (listener rules, 0 for idle), flows, peak ports
 * in use, distinct closed ports.
 *
 * CSV columns (one header row, this order, every row all of them; a cell
 * that does not apply to its record is empty):
 *   record                report | service | destination | finding
 *   host, version, ephemeral_mode, start, end, events, lost, complete
 *                         report: the run; complete is false when events
 *                         were lost (or the audit ran out of memory)
 *   netns, proto, address, port, service_hint
 *                         service: the listening address;
 *                         destination: the server address
 *   state                 service: listening | closed | unlisted
 *   comms, pids, pid_count, uid, container_id
 *                         the processes seen: comms and pids (at most 8)
 *                         separated by one space, pid_count all of them
 *   bound, in_ephemeral_range, ephemeral_range
 *                         service: port bound explicitly (empty: unknown),
 *                         port inside ephemeral_range (LO-HI)
 *   accepts, unaccepted, distinct_clients, distinct_client_ports,
 *   eph_to_static, static_to_static, eph_to_eph, static_to_eph,
 *   first_accept, last_accept
 *                         service: connections the kernel accepted (of
 *                         which unaccepted died before a process took
 *                         them), by flow class, first and last
 *   connects, failures, no_ephemeral_port, peak_ephemeral_ports,
 *   first_connect, last_connect
 *                         destination: connect attempts, failures by
 *                         result ("refused=3 timeout=1"), peak of ephemeral
 *                         ports in use at once; its ephemeral_range is the
 *                         kernel's, the one the peak is measured against
 *   bytes_in, bytes_out   service: received/sent by the server;
 *                         destination: received/sent by the clients
 *   rank, severity, rule, subject, detail, count
 *                         finding
 * JSON Lines carries the same names, "kind" for "record", only the fields
 * of each record's kind, comms and pids as arrays, failures as an object.
 */
#ifndef PT_AUDIT_H
#define PT_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flow.h"
#include "row.h"

#define PT_AUDIT_SCAN_PORTS	20	/* default --scan-ports */
#define PT_AUDIT_SCAN_WINDOW_S	60	/* default --scan-window */
#define PT_AUDIT_SHOW_PIDS	8	/* pids listed per service/destination */
#define PT_AUDIT_SHOW_COMMS	4	/* comms listed per service/destination */

struct pt_audit_opts {
	const uint16_t *expect_ports;	/* --expect-port; copied */
	size_t n_expect;		/* 0: no allow-list, no unexpected-listener */
	unsigned int scan_ports;	/* 0: PT_AUDIT_SCAN_PORTS */
	unsigned int scan_window_s;	/* 0: PT_AUDIT_SCAN_WINDOW_S */
	bool numeric;			/* -N: no service names */
};

enum pt_severity {
	PT_SEV_LOW = 1,
	PT_SEV_MEDIUM,
	PT_SEV_HIGH,
};

/*
 * subject and detail hold raw text, comm included: escape them for the
 * output (pt_esc_term, pt_esc_json, pt_esc_csv), as the writers here do.
 */
struct pt_finding {
	enum pt_severity severity;
	const char *rule;
	char subject[160];
	char detail[320];
	uint64_t count;
};

/* What the report says about the run; strings may be NULL (written empty/null). */
struct pt_audit_meta {
	const char *host;
	const char *version;
	const char *ephemeral_mode;	/* "auto", "iana" or "LO-HI" */
	const char *start, *end;	/* RFC 3339 UTC */
	uint64_t events;
	uint64_t lost;			/* complete means lost == 0 */
};

struct pt_audit;

/* NULL on ENOMEM. */
struct pt_audit *pt_audit_new(const struct pt_audit_opts *o);
void pt_audit_free(struct pt_audit *a);

/*
 * Aggregate one record. Returns 0, or -ENOMEM: the record is (partly)
 * lost and every later report says it is incomplete.
 */
int pt_audit_add(struct pt_audit *a, const struct pt_flow *f);

/*
 * The findings as of now, ranked, into out[0..max). Returns how many there
 * are in all (more than max: only the first max were written).
 */
size_t pt_audit_findings(struct pt_audit *a, struct pt_finding *out, size_t max);

const char *pt_severity_str(enum pt_severity s);

/*
 * The report: each of its rows (report, services, destinations, findings),
 * in order, to emit() -- a sink writes them as JSON Lines or CSV. Any number
 * of times (--interval snapshots). 0, or the first -errno (emit's included).
 */
extern const struct pt_row_shape pt_audit_shape;
int pt_audit_rows(struct pt_audit *a, const struct pt_audit_meta *m,
		  int (*emit)(void *ctx, const struct pt_row *r), void *ctx);

/* The report laid out for a terminal, one call per line. 0 or -errno. */
int pt_audit_write_table(struct pt_audit *a, FILE *out, const struct pt_audit_meta *m);

#endif /* PT_AUDIT_H */
