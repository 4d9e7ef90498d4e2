/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Service names for ports: a hint for the reader ("443 is usually https"),
 * never evidence of what really listens there. Callers show it as such.
 *
 * Names come from the services database (getservbyport_r: /etc/services,
 * or whatever nsswitch.conf names), else from a built-in table of common
 * ports, so a minimal container image without /etc/services still gets
 * names. Every answer, a miss included, is cached for the process lifetime:
 * after the first look-up a port costs no system call. Not thread-safe.
 */
#ifndef PT_SERVICES_H
#define PT_SERVICES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The name of port/proto (PT_PROTO_TCP or PT_PROTO_UDP), or NULL when
 * neither source knows it, proto is another protocol, or numeric mode is
 * on. The string lives until the next pt_services_set_file() call.
 */
const char *pt_service_name(uint16_t port, uint8_t proto);

/* -N/--numeric: pt_service_name() returns NULL for every port. */
void pt_services_set_numeric(bool numeric);

/*
 * Read names from a services(5) file at path instead of the system
 * database (tests, or a chroot's copy); NULL goes back to the system
 * database. A missing or unreadable file leaves only the built-in table.
 * Drops the cache. Returns 0 or -ENOMEM.
 */
int pt_services_set_file(const char *path);

#endif /* PT_SERVICES_H */
