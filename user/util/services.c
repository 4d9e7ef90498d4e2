/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Port names: the system database, a built-in table, a cache. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/types.h>
#include "porttrace.h"
#include "services.h"

#define SVC_TCP		0x1
#define SVC_UDP		0x2
#define SVC_BOTH	(SVC_TCP | SVC_UDP)

/*
 * Common ports, for hosts (containers, minimal images) without
 * /etc/services. IANA's names where people use them, else the name the
 * port is known by (9200 is registered as wap-wsp, run as Elasticsearch).
 */
static const struct {
	uint16_t port;
	uint8_t protos;
	const char *name;
} builtin[] = {
	{ 20, SVC_TCP, "ftp-data" },
	{ 21, SVC_TCP, "ftp" },
	{ 22, SVC_BOTH, "ssh" },
	{ 23, SVC_TCP, "telnet" },
	{ 25, SVC_TCP, "smtp" },
	{ 53, SVC_BOTH, "domain" },
	{ 67, SVC_UDP, "bootps" },
	{ 68, SVC_UDP, "bootpc" },
	{ 69, SVC_UDP, "tftp" },
	{ 80, SVC_BOTH, "http" },
	{ 88, SVC_BOTH, "kerberos" },
	{ 110, SVC_TCP, "pop3" },
	{ 111, SVC_BOTH, "sunrpc" },
	{ 123, SVC_BOTH, "ntp" },
	{ 143, SVC_TCP, "imap" },
	{ 161, SVC_BOTH, "snmp" },
	{ 179, SVC_TCP, "bgp" },
	{ 389, SVC_BOTH, "ldap" },
	{ 443, SVC_BOTH, "https" },
	{ 445, SVC_TCP, "microsoft-ds" },
	{ 465, SVC_TCP, "submissions" },
	{ 514, SVC_UDP, "syslog" },
	{ 587, SVC_TCP, "submission" },
	{ 636, SVC_BOTH, "ldaps" },
	{ 853, SVC_BOTH, "domain-s" },
	{ 873, SVC_TCP, "rsync" },
	{ 993, SVC_TCP, "imaps" },
	{ 995, SVC_TCP, "pop3s" },
	{ 1194, SVC_BOTH, "openvpn" },
	{ 1433, SVC_TCP, "ms-sql-s" },
	{ 1812, SVC_UDP, "radius" },
	{ 2049, SVC_BOTH, "nfs" },
	{ 2181, SVC_TCP, "zookeeper" },
	{ 2379, SVC_TCP, "etcd-client" },
	{ 2380, SVC_TCP, "etcd-server" },
	{ 3306, SVC_TCP, "mysql" },
	{ 3389, SVC_TCP, "ms-wbt-server" },
	{ 5060, SVC_BOTH, "sip" },
	{ 5353, SVC_UDP, "mdns" },
	{ 5432, SVC_TCP, "postgresql" },
	{ 5672, SVC_TCP, "amqp" },
	{ 5900, SVC_TCP, "rfb" },
	{ 6379, SVC_TCP, "redis" },
	{ 6443, SVC_TCP, "kube-apiserver" },
	{ 8080, SVC_TCP, "http-alt" },
	{ 8443, SVC_TCP, "https-alt" },
	{ 9092, SVC_TCP, "kafka" },
	{ 9200, SVC_TCP, "elasticsearch" },
	{ 9418, SVC_TCP, "git" },
	{ 11211, SVC_BOTH, "memcache" },
	{ 27017, SVC_TCP, "mongodb" },
};

/*
 * One slot per port and protocol, filled on first use: 1 MiB of pointers
 * in .bss, of which only the pages of ports really seen are ever touched.
 */
static const char *names[2][65536];
static unsigned char known[2][65536 / 8];
/* names we allocated, freed when the cache is dropped */
static char **owned;
static size_t nowned, owned_cap;

static bool numeric;
static char *file;		/* NULL: the system database */
static bool file_loaded;

static int proto_index(uint8_t proto)
{
	switch (proto) {
	case PT_PROTO_TCP:
		return 0;
	case PT_PROTO_UDP:
		return 1;
	default:
		return -1;
	}
}

static bool is_known(int pi, uint16_t port)
{
	return known[pi][port / 8] & (1u << (port % 8));
}

static void remember(int pi, uint16_t port, const char *name)
{
	names[pi][port] = name;
	known[pi][port / 8] |= 1u << (port % 8);
}

/* A copy we own, or NULL (out of memory: the port stays unnamed). */
static const char *keep(const char *name)
{
	char *copy;

	if (nowned == owned_cap) {
		size_t cap = owned_cap ? owned_cap * 2 : 64;
		char **n = realloc(owned, cap * sizeof(*n));

		if (!n)
			return NULL;
		owned = n;
		owned_cap = cap;
	}
	copy = strdup(name);
	if (copy)
		owned[nowned++] = copy;
	return copy;
}

static void drop_cache(void)
{
	size_t i;

	for (i = 0; i < nowned; i++)
		free(owned[i]);
	nowned = 0;
	memset(names, 0, sizeof(names));
	memset(known, 0, sizeof(known));
	file_loaded = false;
}

static const char *builtin_name(uint16_t port, int pi)
{
	size_t i;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (builtin[i].port == port && (builtin[i].protos & (1u << pi)))
			return builtin[i].name;
	return NULL;
}

static const char *db_name(uint16_t port, int pi)
{
	struct servent se, *res = NULL;
	char buf[1024];

	if (getservbyport_r(htons(port), pi ? "udp" : "tcp", &se, buf,
			    sizeof(buf), &res) || !res || !res->s_name)
		return NULL;
	return keep(res->s_name);
}

/*
 * services(5): "name port/proto [aliases] [# comment]". The whole file is
 * read once; the first line for a port wins, as getservbyport() does.
 */
static void load_file(void)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	file_loaded = true;
	f = fopen(file, "re");
	if (!f)
		return;
	/* getline: a line of any length (long alias lists) is one line */
	while (getline(&line, &cap, f) >= 0) {
		char *save = NULL, *name, *pp, *slash, *end;
		unsigned long port;
		int pi;

		line[strcspn(line, "#\n")] = '\0';
		name = strtok_r(line, " \t", &save);
		pp = name ? strtok_r(NULL, " \t", &save) : NULL;
		if (!pp || !(slash = strchr(pp, '/')))
			continue;
		*slash = '\0';
		errno = 0;
		port = strtoul(pp, &end, 10);
		if (errno || *end || end == pp || port > 65535)
			continue;
		if (!strcmp(slash + 1, "tcp"))
			pi = 0;
		else if (!strcmp(slash + 1, "udp"))
			pi = 1;
		else
			continue;
		if (!is_known(pi, (uint16_t)port)) {
			const char *kept = keep(name);

			if (kept)
				remember(pi, (uint16_t)port, kept);
		}
	}
	free(line);
	fclose(f);
}

const char *pt_service_name(uint16_t port, uint8_t proto)
{
	int pi = proto_index(proto);
	const char *name = NULL;

	if (numeric || pi < 0)
		return NULL;
	if (is_known(pi, port))
		return names[pi][port];
	if (file) {
		if (!file_loaded) {
			load_file();
			if (is_known(pi, port))
				return names[pi][port];
		}
	} else {
		name = db_name(port, pi);
	}
	if (!name)
		name = builtin_name(port, pi);
	remember(pi, port, name);
	return name;
}

void pt_services_set_numeric(bool on)
{
	numeric = on;
}

int pt_services_set_file(const char *path)
{
	char *copy = NULL;

	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	free(file);
	file = copy;
	drop_cache();
	return 0;
}
