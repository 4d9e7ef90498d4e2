#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What fleet tools rely on: every JSON line porttrace writes validates
# against doc/porttrace.schema.json (python3-jsonschema), and community_id
# is the Community ID v1 of the flow, the same in each end's records.
#
# Run from the repository root, as root, after
#     make porttrace .output/tests/peer
# TAP output as the other e2e suites (tests/e2e/run.sh says more); a test
# name pattern as $1 runs only the matching tests.

set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

ONLY=${1:-}
SCHEMA=doc/porttrace.schema.json

# Every kind a run can write, live and audit, a stats record included (a
# run that overflowed the smallest ring), validates against the schema
t_schema()
{
	local kinds want=(accept close connect destination finding listen report service stats
		unlisten) k pj n=1000
	new_ns || return
	kernel_lacks reset || want+=(reset)
	# a listener that accepts nothing: the audit's idle-listener finding
	start_server idle -p 9705 -n 0 -H 30000 -t 60 || return
	PT_STDOUT=$T/pt.out start_pt pt -o json -k all || return
	PT_STDOUT=$T/au.out start_pt au audit -o json || return
	start_server srv -p 9701 || return
	run_client cli -c 127.0.0.1 -p 9701 || return
	run_client_err ref -O -c 127.0.0.1 -p 9702 || return
	[[ $CLI_ERR == ECONNREFUSED ]] || fail "test setup: connect to 9702: ${CLI_ERR:-succeeded}"
	start_server udp -u -p 9703 || return
	run_client cliu -u -c 127.0.0.1 -p 9703 || return
	wait_server srv
	wait_server udp
	wait_recs "$T/pt.out" 8
	sleep 0.3
	stop_pt pt
	stop_pt au
	bg_kill idle

	# a run that lost records ends with its stats record
	PT_STDOUT=$T/pj.out start_pt pj -o json --ring-size=64 -P 9704 || return
	start_server many -p 9704 -n $n -t 60 || return
	pj=$(bg_pid pj)
	kill -STOP "$pj"
	run_client many -c 127.0.0.1 -p 9704 -k $n -t 60
	wait_server many
	kill -CONT "$pj"
	sleep 0.5
	ALLOW_LOST=1 stop_pt pj
	grep -q '"kind":"stats"' "$T/pj.out" ||
		fail "test setup: no stats record after overflowing a 64 KiB ring: $PT_SUMMARY"

	kinds=$(tests/e2e/schema-check "$SCHEMA" "$T/pt.out" "$T/au.out" "$T/pj.out" 2>&1) ||
		{ fail "a record does not validate against $SCHEMA:" "$kinds"; return; }
	for k in "${want[@]}"; do
		[[ " ${kinds#kinds: } " == *" $k "* ]] || fail "no '$k' record was validated ($kinds)"
	done
	note "$kinds"
}

# community_id_is PORT PROTO CLIENT-ADDR SERVER-ADDR N: the N records of the
# flow to PORT carry one community_id, Python's for the flow
community_id_is()
{
	local port=$1 proto=$2 caddr=$3 saddr=$4 n=$5 ids cport want
	ids=$(ns_recs "$OUT" ".server_port == $port" | jq -r .community_id | sort | uniq -c)
	[[ $(ns_recs "$OUT" ".server_port == $port" | grep -c .) == "$n" ]] ||
		fail "$proto $port: expected $n records" "$(ns_recs "$OUT" ".server_port == $port")"
	[[ $(grep -c . <<<"$ids") == 1 ]] ||
		{ fail "$proto $port: the flow's records carry different community_ids:" "$ids"; return; }
	cport=$(ns_recs "$OUT" ".server_port == $port" | jq -r .client_port | head -1)
	want=$(tests/e2e/cid-ref "$caddr" "$cport" "$saddr" "$port" "$proto")
	[[ $(awk '{print $2}' <<<"$ids") == "$want" ]] ||
		fail "$proto $port: community_id $(awk '{print $2}' <<<"$ids"), the spec gives $want"
}

# The connect, the accept and both closes of a TCP flow carry one
# community_id, the one the spec gives (IPv4 and IPv6); a UDP connect too
t_community_id()
{
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o json -k connect,accept,close || return
	start_server s4 -p 9711 || return
	run_client c4 -c 127.0.0.1 -p 9711 || return
	start_server s6 -6 -a ::1 -p 9712 || return
	run_client c6 -c ::1 -p 9712 || return
	start_server u4 -u -p 9713 || return
	run_client cu -u -c 127.0.0.1 -p 9713 || return
	wait_server s4
	wait_server s6
	wait_server u4
	wait_recs "$OUT" 9
	sleep 0.3
	stop_pt pt
	community_id_is 9711 tcp 127.0.0.1 127.0.0.1 4
	community_id_is 9712 tcp ::1 ::1 4
	community_id_is 9713 udp 127.0.0.1 127.0.0.1 1
}

# --field-names=ecs: the same record under ECS names, every key mapped, the
# values unchanged; CSV and the stats record as the README says
t_ecs()
{
	local cpid sport rec keys
	new_ns || return
	OUT=$T/ecs.out
	PT_STDOUT=$OUT start_pt ecs -o json --field-names=ecs -k connect -P 9721 || return
	PT_STDOUT=$T/plain.out start_pt plain -o json -k connect -P 9721 || return
	start_server srv -p 9721 || return
	run_client cli -c 127.0.0.1 -p 9721 || return
	cpid=$CLI_PID sport=$CLI_SPORT
	wait_server srv
	wait_lines "$OUT" 1 5
	wait_lines "$T/plain.out" 1 5
	sleep 0.3
	stop_pt ecs
	stop_pt plain
	[[ $(grep -c . "$OUT") == 1 ]] || { fail "expected one record:" "$(cat "$OUT")"; return; }
	rec=$(cat "$OUT")
	check_fields "$rec" "ecs connect" event.action=connect network.transport=tcp \
		network.type=ipv4 process.pid="$cpid" process.name=peer source.ip=127.0.0.1 \
		source.port="$sport" destination.ip=127.0.0.1 destination.port=9721 \
		porttrace.flow_class=ephemeral-to-static porttrace.result=ok \
		porttrace.schema_version=1 container.id=null
	# every key is ECS's or porttrace.*; as many as a record has fields
	keys=$(jq -r 'keys[]' <<<"$rec" | grep -Ev '^(@timestamp|event\.action|network\.(transport|type|community_id)|process\.(pid|name|thread\.name)|user\.id|container\.id|source\.(ip|port)|destination\.(ip|port)|porttrace\.[a-z_]+)$')
	[[ -z $keys ]] || fail "keys that are neither ECS nor porttrace.*:" "$keys"
	[[ $(jq 'keys | length' <<<"$rec") == 31 ]] || fail "expected 31 keys: $(jq -c 'keys' <<<"$rec")"
	# the values are those of a plain run's record of the same connect (its
	# own time and latency: another porttrace's programs)
	jq -e --slurpfile p "$T/plain.out" '
		. as $e | $p[0] | (.community_id == $e["network.community_id"]
		and .uid == $e["user.id"] and .netns == $e["porttrace.netns"]
		and .cgroup_id == $e["porttrace.cgroup_id"] and .side == $e["porttrace.side"]
		and .evidence == $e["porttrace.evidence"]
		and .client_port_class == $e["porttrace.client_port_class"])' \
		<<<"$rec" >/dev/null || fail "ECS values differ from the plain record's:" "$rec" "$(cat "$T/plain.out")"
}

# make deb, dpkg -i: binary, man page, unit (systemd-analyze verify clean,
# the exposure the README states) and default file; the unit's command line
# with the default file's arguments writes its audit; dpkg --purge leaves
# nothing behind
t_deb()
{
	local deb f out rc score readme args state
	local files=(/usr/sbin/porttrace /usr/share/man/man8/porttrace.8.gz
		/lib/systemd/system/porttrace.service /etc/default/porttrace)
	if dpkg-query -W -f='${Status}' porttrace 2>/dev/null | grep -q 'install ok installed'; then
		fail "a porttrace package is installed already; this test installs and purges its own"
		return
	fi
	make --no-print-directory deb >"$T/deb.log" 2>&1 ||
		{ fail "make deb failed:" "$(tail -20 "$T/deb.log")"; return; }
	deb=$(ls .output/deb/porttrace_*.deb 2>/dev/null | head -1)
	[[ -n $deb ]] || { fail "make deb made no .deb:" "$(tail -5 "$T/deb.log")"; return; }
	dpkg -i "$deb" >"$T/dpkg.log" 2>&1 || { fail "dpkg -i $deb failed:" "$(tail "$T/dpkg.log")"; return; }

	# from here on every path ends with the purge
	for f in "${files[@]}"; do
		[[ -e $f ]] || fail "the package did not install $f"
	done
	dpkg-query -W -f='${Conffiles}' porttrace | grep -q ' /etc/default/porttrace ' ||
		fail "/etc/default/porttrace is not a conffile: $(dpkg-query -W -f='${Conffiles}' porttrace)"
	out=$(systemd-analyze verify /lib/systemd/system/porttrace.service 2>&1)
	rc=$?
	[[ $rc == 0 && -z $out ]] || fail "systemd-analyze verify: status $rc:" "$out"
	score=$(systemd-analyze security --offline=true /lib/systemd/system/porttrace.service 2>&1 |
		sed -n 's/.*exposure level for porttrace.service: \([0-9.]*\) .*/\1/p')
	readme=$(sed -n 's/.*`systemd-analyze security` exposure level: \*\*\([0-9.]*\)\*\*.*/\1/p' README.md)
	[[ -n $score && $score == "$readme" ]] ||
		fail "systemd-analyze security: exposure ${score:-?}, the README says ${readme:-nothing}"

	# the unit's command line, its arguments from the default file (the state
	# directory here instead of /var/lib/porttrace), a short run
	new_ns || true
	state=$T/state
	mkdir -m 0700 "$state"
	args=$(. /etc/default/porttrace && echo "$PORTTRACE_ARGS")
	args=${args//\/var\/lib\/porttrace/$state}
	start_server srv -p 9731 -n 1 || true
	# shellcheck disable=SC2086
	bg_start unit "$T/unit.out" "$T/unit.err" /usr/sbin/porttrace audit $args -d 4 || true
	wait_for "$T/unit.err" 'tracing' 10 || fail "the installed porttrace did not start: $(cat "$T/unit.err")"
	run_client cli -c 127.0.0.1 -p 9731 || true
	[[ $args != *--metrics=127.0.0.1:9465* ]] ||
		curl -sf --max-time 5 http://127.0.0.1:9465/metrics | grep -q '^porttrace_build_info{' ||
		fail "the installed porttrace serves no metrics on 127.0.0.1:9465 (args: $args)"
	bg_wait unit 20 >/dev/null || fail "the installed porttrace audit did not end: $(cat "$T/unit.err")"
	grep -q '"kind":"report"' "$state/audit.jsonl" 2>/dev/null ||
		fail "no report in $state/audit.jsonl (args: $args):" "$(head -c 500 "$state/audit.jsonl" 2>&1)"
	jq -se --argjson ns "$NS_INO" 'any(.[]; .kind == "service" and .port == 9731 and .netns == $ns
		and .accepts == 1)' "$state/audit.jsonl" >/dev/null 2>&1 ||
		fail "no service row for 9731 with its accept in the installed porttrace's audit:" \
			"$(cat "$state/audit.jsonl")"

	dpkg --purge porttrace >"$T/purge.log" 2>&1 || fail "dpkg --purge failed:" "$(tail "$T/purge.log")"
	for f in "${files[@]}"; do
		[[ -e $f ]] && fail "dpkg --purge left $f behind"
	done
	dpkg-query -W -f='${Status}' porttrace 2>/dev/null | grep -q 'installed' &&
		fail "porttrace is still installed after dpkg --purge"
}

# promq EXPR: the value of an instant query to the test's Prometheus, or
# "none" (no series)
promq()
{
	ip netns exec "$NS" curl -sf --max-time 5 "http://127.0.0.1:9090/api/v1/query" \
		--data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // "none"'
}

# A real Prometheus (Debian's, in the test's network namespace with its own
# config and storage) scrapes porttrace --metrics while the test makes
# known connections: accepted, refused; the counts it stores are exact,
# and the exposition passes promtool and carries no high-cardinality label
t_metrics()
{
	local mport=9466 i q want got scrape
	new_ns || return
	command -v prometheus >/dev/null && command -v promtool >/dev/null ||
		{ fail "prometheus and promtool are not installed (tools/install-deps)"; return; }
	start_server idle -p 9743 -n 0 -H 30000 -t 60 || return
	start_server srv -p 9741 -n 3 -t 60 || return
	# porttrace in the namespace: the tracepoints are global, its HTTP
	# socket is on the namespace's loopback, where Prometheus is
	bg_start pm "$T/pm.out" "$T/pm.err" ip netns exec "$NS" "$PT" -o none --netns="$NS_INO" -P 9741,9742,9743 \
		--metrics=127.0.0.1:$mport || return
	wait_for "$T/pm.err" 'tracing' 10 || { fail "porttrace --metrics did not start: $(cat "$T/pm.err")"; return; }
	printf '%s\n' 'global:' '  scrape_interval: 1s' 'scrape_configs:' '  - job_name: porttrace' \
		'    static_configs:' "      - targets: ['127.0.0.1:$mport']" >"$T/prom.yml"
	bg_start prom "$T/prom.out" "$T/prom.err" ip netns exec "$NS" prometheus \
		--config.file="$T/prom.yml" --storage.tsdb.path="$T/prom-data" \
		--web.listen-address=127.0.0.1:9090 || return
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$NS" curl -sf --max-time 2 http://127.0.0.1:9090/-/ready >/dev/null && break
		sleep 0.2
	done
	((i < 100)) || { fail "prometheus did not get ready:" "$(tail -5 "$T/prom.err")"; return; }

	for i in 1 2 3; do
		run_client "c$i" -c 127.0.0.1 -p 9741 || return
	done
	for i in 1 2; do
		run_client_err "r$i" -O -c 127.0.0.1 -p 9742 || return
		[[ $CLI_ERR == ECONNREFUSED ]] || fail "test setup: connect to 9742: ${CLI_ERR:-succeeded}"
	done
	wait_server srv
	# scraped every second: until the last count is in (20 s)
	for ((i = 0; i < 100; i++)); do
		[[ $(promq 'sum(porttrace_connects_total{result="refused"})') == 2 &&
			$(promq 'sum(porttrace_accepts_total{port="9741"})') == 3 ]] && break
		sleep 0.2
	done
	want=(
		'up{job="porttrace"}=1'
		'porttrace_build_info=1'
		'sum(porttrace_accepts_total{port="9741",proto="tcp",client_port_class="ephemeral",comm="peer"})=3'
		'sum(porttrace_connects_total{result="ok",flow_class="ephemeral-to-static"})=3'
		'sum(porttrace_connects_total{result="refused"})=2'
		'sum(porttrace_connect_latency_seconds_count{result="ok"})=3'
		'sum(porttrace_events_total{kind="accept"})=3'
		'porttrace_listeners{port="9743",bound="true",in_ephemeral_range="false",comm="peer"}=1'
		'sum(porttrace_events_lost_total)=0'
		'sum(porttrace_series_dropped_total)=0'
		'porttrace_ephemeral_port_range_size{family="ipv4"}='"$(ip netns exec "$NS" awk '{print $2 - $1 + 1}' /proc/sys/net/ipv4/ip_local_port_range)"
	)
	kernel_lacks reset || want+=('porttrace_refused_syns_total=2')
	for q in "${want[@]}"; do
		got=$(promq "${q%=*}")
		[[ $got == "${q##*=}" ]] || fail "Prometheus: ${q%=*} is $got, expected ${q##*=}"
	done

	scrape=$(ip netns exec "$NS" curl -sf --max-time 5 "http://127.0.0.1:$mport/metrics")
	got=$(promtool check metrics <<<"$scrape" 2>&1) || fail "promtool check metrics:" "$got"
	[[ -z $got ]] || fail "promtool check metrics has remarks:" "$got"
	got=$(grep -oE '[{,](client_port|server_port|pid|tid|uid|client_addr|server_addr|address|cgroup_id|netns)="' <<<"$scrape" | sort -u)
	[[ -z $got ]] || fail "high-cardinality labels in the exposition:" "$got"
	[[ $(ip netns exec "$NS" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/") == 404 ]] ||
		fail "GET / is not 404"

	kill -INT "$(bg_pid pm)" 2>/dev/null
	bg_wait pm 10 >/dev/null || fail "porttrace --metrics did not end on SIGINT: $(cat "$T/pm.err")"

	# the audit's findings: the listener that accepted nothing
	bg_start pa "$T/pa.out" "$T/pa.err" ip netns exec "$NS" "$PT" audit -o none -P 9743 \
		--netns="$NS_INO" --metrics=127.0.0.1:9467 || return
	wait_for "$T/pa.err" 'tracing' 10 || { fail "porttrace audit --metrics did not start: $(cat "$T/pa.err")"; return; }
	scrape=$(ip netns exec "$NS" curl -sf --max-time 5 "http://127.0.0.1:9467/metrics")
	grep -qx 'porttrace_findings{rule="idle-listener",severity="low"} 1' <<<"$scrape" ||
		fail "audit --metrics: no idle-listener finding:" "$(grep findings <<<"$scrape")"
	kill -TERM "$(bg_pid pa)" 2>/dev/null
	bg_wait pa 10 >/dev/null || fail "porttrace audit --metrics did not end on SIGTERM"
	[[ $(cat "$T/pm.rc" 2>/dev/null) == 0 ]] || fail "porttrace --metrics exit status $(cat "$T/pm.rc" 2>/dev/null)"
	[[ ! -s $T/pm.out ]] || fail "-o none wrote to stdout: $(head -c 300 "$T/pm.out")"
	bg_kill prom
	bg_kill idle
}

# ------------------------------------------------------------ main

TESTS=(
	"t_schema|every record kind (live, stats, audit rows) validates against doc/porttrace.schema.json"
	"t_community_id|community_id: one per flow, the same in the connect, accept and both closes, the spec's value (IPv4, IPv6, UDP)"
	"t_ecs|--field-names=ecs: every key ECS's or porttrace.*, the values the plain record's"
	"t_metrics|a real Prometheus scrapes --metrics: exact accepted, refused and listener counts; promtool clean; no high-cardinality labels"
	"t_deb|make deb; dpkg -i installs binary, man page, unit (verify clean, the README's exposure) and default file; the unit's command line audits; dpkg --purge removes it all"
)

e2e_main
