# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash disable=SC2034
#
# Helpers for the tests/e2e/*.sh suites: TAP output, private network
# namespaces, background processes with bounded waits, record assertions with
# jq, and the suite driver (e2e_main).
# Every wait here is bounded; every process and namespace a test creates is
# torn down after it, and again by the EXIT trap.

PT=${PORTTRACE:-./porttrace}
PEER=${PEER:-./.output/tests/peer}

# the JSON/CSV columns, in order
COLUMNS_LIST="time kind proto family pid comm uid cgroup_id netns client_addr client_port client_port_class server_addr server_port server_port_class flow_class ephemeral_range evidence attribution"
# every field of every record kind, exactly and in this order
COLUMNS_ALL="time kind proto family side pid comm thread uid cgroup_id container_id netns client_addr client_port client_port_class server_addr server_port server_port_class flow_class ephemeral_range evidence attribution result latency_us duration_ms tx_bytes rx_bytes closed_first bound community_id schema_version"

TEST_NUM=0
TEST_FAILED=0
TMP=
FAILS=()
SKIP_REASON=
TEST_BG=()	# background job names of the current test
TEST_NS=()	# namespaces of the current test
TEST_CG=()	# cgroup directories of the current test
ALL_CG=()	# every cgroup directory ever created, for the EXIT trap
ALL_NS=()	# every namespace ever created, for the EXIT trap

# ---------------------------------------------------------------- TAP

tap_result()	# name
{
	local name=$1 line

	TEST_NUM=$((TEST_NUM + 1))
	if [[ -n $SKIP_REASON ]]; then
		echo "ok $TEST_NUM - $name # SKIP $SKIP_REASON"
	elif ((${#FAILS[@]} == 0)); then
		echo "ok $TEST_NUM - $name"
	else
		TEST_FAILED=$((TEST_FAILED + 1))
		echo "not ok $TEST_NUM - $name"
		for line in "${FAILS[@]}"; do
			printf '%s\n' "$line" | sed 's/^/# /'
		done
	fi
}

fail()	# message (may span lines)
{
	FAILS+=("$*")
}

note()	# TAP diagnostic line
{
	printf '# %s\n' "$@"
}

skip()	# reason
{
	SKIP_REASON=$*
}

# Run one test function with its own scratch dir; tear down what it started.
run_test()	# function name
{
	local fn=$1 name=$2

	FAILS=()
	SKIP_REASON=
	TEST_BG=()
	TEST_NS=()
	TEST_CG=()
	T="$TMP/t$((TEST_NUM + 1))"
	mkdir -p "$T"
	"$fn"
	# a command that does not exist (a helper of another suite) must not
	# end a test early and quietly: that test would pass having run nothing
	(($? == 127)) && fail "a command the test runs was not found (exit status 127)"
	teardown_test
	tap_result "$name"
}

# ---------------------------------------------------------------- processes

# bg_start NAME OUT ERR CMD... : run CMD in the background with stdout/stderr
# redirected; $T/NAME.pid gets its pid, $T/NAME.rc its exit status.
bg_start()
{
	local name=$1 out=$2 err=$3 i
	shift 3
	rm -f "$T/$name.pid" "$T/$name.rc"
	(
		"$@" >"$out" 2>"$err" </dev/null &
		echo $! >"$T/$name.pid.tmp" && mv "$T/$name.pid.tmp" "$T/$name.pid"
		wait $!
		echo $? >"$T/$name.rc.tmp" && mv "$T/$name.rc.tmp" "$T/$name.rc"
	) 2>/dev/null &
	echo $! >"$T/$name.sub"
	# killed at teardown on purpose: no "Killed" job notices
	disown $!
	TEST_BG+=("$name")
	# two forks, normally in milliseconds; 20 s for a guest whose
	# emulator the host stalled (seen once in CI: 4 s were not enough)
	for ((i = 0; i < 1000; i++)); do
		[[ -s $T/$name.pid ]] && return 0
		sleep 0.02
	done
	return 1
}

bg_pid() { cat "$T/$1.pid" 2>/dev/null; }

# bg_wait NAME SECS: wait for NAME to exit; prints its exit status.
bg_wait()
{
	local name=$1 secs=$2 i
	for ((i = 0; i < secs * 20; i++)); do
		if [[ -s $T/$name.rc ]]; then
			cat "$T/$name.rc"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

bg_kill()	# name
{
	local p
	p=$(cat "$T/$1.pid" 2>/dev/null) && kill -KILL "$p" 2>/dev/null
	p=$(cat "$T/$1.sub" 2>/dev/null) && kill -KILL "$p" 2>/dev/null
	true
}

# wait_for FILE PATTERN SECS: until FILE has a line matching the ERE
wait_for()
{
	local file=$1 pat=$2 secs=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		grep -Eq -- "$pat" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------- namespaces

# new_ns: create a network namespace with lo up; sets NS and NS_INO.
new_ns()
{
	NS="pt-e2e-$$-$((TEST_NUM + 1))-${#TEST_NS[@]}"
	ip netns add "$NS" || return 1
	TEST_NS+=("$NS")
	ALL_NS+=("$NS")
	ip -n "$NS" link set lo up || return 1
	NS_INO=$(stat -L -c %i "/run/netns/$NS")
}

in_ns() { ip netns exec "$NS" "$@"; }

# the ip_local_port_range in force in $NS, as LO-HI
ns_range()
{
	in_ns cat /proc/sys/net/ipv4/ip_local_port_range | awk '{print $1 "-" $2}'
}

set_ns_range()	# LO HI
{
	in_ns sysctl -q -w net.ipv4.ip_local_port_range="$1 $2"
}

teardown_test()
{
	local n ns cg
	for n in "${TEST_BG[@]}"; do
		bg_kill "$n"
	done
	for ns in "${TEST_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for cg in "${TEST_CG[@]}"; do
		rm_cgroup "$cg"
	done
	TEST_BG=()
	TEST_NS=()
	TEST_CG=()
}

cleanup_all()
{
	local ns p cg
	for p in "$TMP"/t*/*.pid "$TMP"/t*/*.sub; do
		[[ -s $p ]] && kill -KILL "$(cat "$p")" 2>/dev/null
	done
	for ns in "${ALL_NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for cg in "${ALL_CG[@]}"; do
		rm_cgroup "$cg"
	done
	if [[ -n ${PORTTRACE_E2E_KEEP:-} ]]; then
		echo "# kept $TMP" >&2
	elif [[ -n $TMP && -d $TMP ]]; then
		rm -rf "$TMP"
	fi
}

# ---------------------------------------------------------------- cgroups

# the cgroup v2 mount point (from /proc/self/mountinfo), empty if none
cgroup2_mount()
{
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo
}

# new_cgroup: a child cgroup under the cgroup v2 root; sets CG (its path)
# and CG_ID (its inode: the cgroup id)
new_cgroup()
{
	local mnt
	CG='' CG_ID=''
	mnt=$(cgroup2_mount)
	[[ -n $mnt ]] || return 1
	CG="$mnt/pt-e2e-$$-$((TEST_NUM + 1))-${#TEST_CG[@]}"
	mkdir "$CG" || return 1
	TEST_CG+=("$CG")
	ALL_CG+=("$CG")
	CG_ID=$(stat -c %i "$CG")
}

# rm_cgroup DIR: remove it once its (killed) processes are gone (2 s)
rm_cgroup()
{
	local i
	[[ -d $1 ]] || return 0
	for ((i = 0; i < 40; i++)); do
		rmdir "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# could not remove cgroup $1" >&2
}

# ---------------------------------------------------------------- peers

# start_server NAME PEER-SERVER-ARGS...: listen in $NS; sets SRV_PID, SRV_PORT
start_server()
{
	local name=$1
	shift
	SRV_PID='' SRV_PORT=''
	bg_start "$name" /dev/null "$T/$name.err" ip netns exec "$NS" "$PEER" server -r "$T/$name.ready" "$@" ||
		{ fail "server $name did not start"; return 1; }
	if ! wait_for "$T/$name.ready" '^pid=' 5; then
		fail "server $name not ready within 5 s: $(cat "$T/$name.err" 2>/dev/null)"
		return 1
	fi
	SRV_PID=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$T/$name.ready")
	SRV_PORT=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' "$T/$name.ready")
}

# run_client NAME PEER-CLIENT-ARGS...: connect from $NS (foreground, bounded);
# sets CLI_PID, CLI_SPORT (first connection), CLI_SPORTS (all).
run_client()
{
	local name=$1 rc
	shift
	CLI_PID='' CLI_SPORT='' CLI_SPORTS=''
	timeout 25 ip netns exec "$NS" "$PEER" client -r "$T/$name.info" "$@" \
		2>"$T/$name.err" </dev/null
	rc=$?
	if ((rc != 0)) || [[ ! -s $T/$name.info ]]; then
		fail "client $name failed (exit $rc): $(cat "$T/$name.err" 2>/dev/null)"
		return 1
	fi
	CLI_PID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$T/$name.info")
	CLI_SPORTS=$(grep -o 'sport=[0-9]*' "$T/$name.info" | cut -d= -f2 | tr '\n' ' ')
	CLI_SPORT=${CLI_SPORTS%% *}
}

# start_gated NAME server|client ARGS...: a peer that writes its pid and then
# waits for $T/NAME.go; sets GPID
start_gated()
{
	local name=$1 role=$2
	shift 2
	GPID=
	bg_start "$name" /dev/null "$T/$name.err" ip netns exec "$NS" "$PEER" "$role" \
		-i "$T/$name.pidf" -g "$T/$name.go" -r "$T/$name.ready" "$@" ||
		{ fail "peer $name did not start"; return 1; }
	wait_for "$T/$name.pidf" '^pid=' 5 || { fail "peer $name wrote no pid"; return 1; }
	GPID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$T/$name.pidf")
}

open_gate()	# NAME: let it run; a server must then become ready
{
	touch "$T/$1.go"
	wait_for "$T/$1.ready" '^pid=' 5 || { fail "peer $1 not ready after its gate opened"; return 1; }
}

# wait_server NAME: the server must have taken all its connections
wait_server()
{
	local rc
	if ! rc=$(bg_wait "$1" 10); then
		fail "server $1 still running after 10 s"
		bg_kill "$1"
		return 1
	fi
	if [[ $rc != 0 ]]; then
		fail "server $1 exited $rc: $(cat "$T/$1.err" 2>/dev/null)"
		return 1
	fi
}

# ---------------------------------------------------------------- porttrace

# run_client_err NAME ARGS...: run_client with -E; sets CLI_ERR (first err=)
# and CLI_SPORT (the port printed with it, if any)
run_client_err()
{
	local name=$1
	shift
	CLI_ERR=
	run_client "$name" -E "$@" || return 1
	CLI_ERR=$(grep -o 'err=[A-Z0-9]*' "$T/$name.info" | head -1 | cut -d= -f2)
}

# kernel_lacks FEATURE: the kernel matrix says this kernel cannot give
# FEATURE (PORTTRACE_KERNEL_LACKS, a list set per kernel by tests/kernels/matrix)
kernel_lacks()
{
	[[ " ${PORTTRACE_KERNEL_LACKS:-} " == *" $1 "* ]]
}

# start_pt NAME ARGS...: start porttrace with stdout in $T/NAME.out and stderr
# in $T/NAME.err (stdout elsewhere with PT_STDOUT=path); wait (15 s) until
# it says it is tracing. PORTTRACE_ATTACH=MODE runs every start in that attach
# mode (a test's own --attach comes later and wins).
start_pt()
{
	local name=$1
	shift
	# (after a subcommand: `porttrace audit` must come first)
	if [[ -n ${PORTTRACE_ATTACH:-} && ${1:-} == audit ]]; then
		shift
		set -- audit "--attach=$PORTTRACE_ATTACH" "$@"
	elif [[ -n ${PORTTRACE_ATTACH:-} ]]; then
		set -- "--attach=$PORTTRACE_ATTACH" "$@"
	fi
	bg_start "$name" "${PT_STDOUT:-$T/$name.out}" "$T/$name.err" "$PT" "$@" ||
		{ fail "porttrace $* did not start"; return 1; }
	if ! wait_for "$T/$name.err" '^porttrace: tracing' 15; then
		fail "porttrace $* not tracing within 15 s$(
			[[ -s $T/$name.rc ]] && echo " (exited $(cat "$T/$name.rc"))")" \
			"stderr: $(head -c 2000 "$T/$name.err")"
		bg_kill "$name"
		return 1
	fi
}

# stop_pt NAME [SIGNAL]: signal porttrace, expect exit 0 within 5 s and a
# "N events, 0 lost" summary. Sets PT_SUMMARY.
stop_pt()
{
	local name=$1 sig=${2:-INT} pid rc
	PT_SUMMARY=
	pid=$(bg_pid "$name") || { fail "no pid for porttrace $name"; return 1; }
	kill -"$sig" "$pid" 2>/dev/null
	if ! rc=$(bg_wait "$name" 5); then
		fail "porttrace did not exit within 5 s of SIG$sig"
		bg_kill "$name"
		return 1
	fi
	check_exit "$name" "$rc"
}

# check_exit NAME RC: exit 0, summary line with 0 lost. The programs are
# global: a tracepoint run the kernel skipped (a softirq nested in a run on
# the same CPU) may be any socket's on this host, and porttrace counts it
# whether or not a record of it was recovered (an upper bound). Losses that
# are all such skips are noted, not failed: each test checks its own
# records one by one, so a record of its flow that a skip cost fails there.
# A full ring, state or an unseen close always fails.
check_exit()
{
	local name=$1 rc=$2 lost skipped
	[[ $rc == 0 ]] || fail "porttrace exit status: expected 0, got $rc" \
		"stderr: $(head -c 2000 "$T/$name.err")"
	PT_SUMMARY=$(grep -E '^porttrace: [0-9]+ events, [0-9]+ lost' "$T/$name.err" | tail -1)
	if [[ -z $PT_SUMMARY ]]; then
		fail "no 'porttrace: N events, M lost' summary on stderr" \
			"stderr: $(head -c 2000 "$T/$name.err")"
	elif [[ -z ${ALLOW_LOST:-} ]] && ! [[ $PT_SUMMARY =~ ,\ 0\ lost ]]; then
		[[ $PT_SUMMARY =~ ,\ ([0-9]+)\ lost ]] && lost=${BASH_REMATCH[1]}
		[[ $PT_SUMMARY =~ kernel\ skipped:\ ([0-9]+) ]] && skipped=${BASH_REMATCH[1]}
		if [[ -n ${lost:-} && ${lost} == "${skipped:-}" ]]; then
			note "all lost to counted kernel skips (records checked one by one): $PT_SUMMARY"
		else
			fail "events lost: $PT_SUMMARY"
		fi
	fi
}

# ---------------------------------------------------------------- records

# ns_recs OUT [JQ-CONDITION]: the JSON records of netns $NS_INO (tolerates a
# partial last line while porttrace is still writing)
ns_recs()
{
	local cond=${2:-true}
	jq -cR --arg ns "$NS_INO" \
		"fromjson? | objects | select((.netns|tostring) == \$ns) | select($cond)" "$1" 2>/dev/null
}

count_recs() { ns_recs "$@" | grep -c .; }

# wait_recs OUT N [JQ-CONDITION]: until at least N records (5 s)
wait_recs()
{
	local out=$1 n=$2 cond=${3:-true} i
	for ((i = 0; i < 100; i++)); do
		(($(count_recs "$out" "$cond") >= n)) && return 0
		sleep 0.05
	done
	return 1
}

# wait_lines FILE N ERE: until N lines of FILE match (5 s): a readiness
# wait for the table and CSV, which jq cannot count
wait_lines()
{
	local i
	for ((i = 0; i < 100; i++)); do
		(($(grep -Ec -- "$3" "$1" 2>/dev/null) >= $2)) && return 0
		sleep 0.05
	done
	return 1
}

dump_recs()	# out: diagnostic with what porttrace wrote for this netns
{
	local recs
	recs=$(ns_recs "$1" | head -20)
	echo "records in netns $NS_INO: ${recs:-(none)}"
}

# expect_total OUT N [JQ-CONDITION]: exactly N records in the netns
expect_total()
{
	local out=$1 n=$2 cond=${3:-true} got
	got=$(count_recs "$out" "$cond")
	[[ $got == "$n" ]] ||
		fail "expected $n records matching '$cond' in netns, got $got" "$(dump_recs "$out")"
}

# check_fields JSON WHAT KEY=VALUE...: numbers compare by their JSON text
check_fields()
{
	local rec=$1 what=$2 kv k v got
	shift 2
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		got=$(jq -r --arg k "$k" \
			'if has($k) then (.[$k] | if type == "string" then . else tojson end) else "<missing>" end' \
			<<<"$rec")
		[[ $got == "$v" ]] || fail "$what: $k: expected '$v', got '$got'"
	done
}

# in_order "WANTED WORDS" "GOT WORDS": every wanted word is in got, in order
in_order()
{
	local w g
	read -r -a g <<<"$2"
	local i=0
	for w in $1; do
		while ((i < ${#g[@]})) && [[ ${g[i]} != "$w" ]]; do
			i=$((i + 1))
		done
		((i < ${#g[@]})) || return 1
		i=$((i + 1))
	done
}

# check_schema JSON WHAT: contract keys in contract order, numeric fields are
# numbers, time is RFC 3339 UTC with microseconds and recent
check_schema()
{
	local rec=$1 what=$2 keys bad
	keys=$(jq -r 'keys_unsorted | join(" ")' <<<"$rec")
	in_order "$COLUMNS_LIST" "$keys" ||
		fail "$what: fields: expected '$COLUMNS_LIST' in this order (others may come between)" \
			"$what: got '$keys'"
	bad=$(jq -r '[("pid","uid","cgroup_id","netns","client_port","server_port") as $k
		| select((.[$k] | type) != "number") | $k] | join(",")' <<<"$rec")
	[[ -z $bad ]] || fail "$what: not JSON numbers: $bad"
	if ! jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")' \
		<<<"$rec" >/dev/null; then
		fail "$what: time: not RFC 3339 UTC with microseconds: $(jq -r .time <<<"$rec")"
	elif ! jq -e '(.time | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) - now | fabs < 120' \
		<<<"$rec" >/dev/null; then
		fail "$what: time: $(jq -r .time <<<"$rec") is not within 2 min of now ($(date -u +%FT%TZ))"
	fi
}

# expect_record OUT KIND CLIENT_PORT SERVER_PORT KEY=VALUE...: exactly one
# KIND record for that port pair in the netns, with these fields.
expect_record()
{
	local out=$1 kind=$2 cp=$3 sp=$4 recs n
	shift 4
	recs=$(ns_recs "$out" ".kind == \"$kind\" and .client_port == $cp and .server_port == $sp")
	n=$(grep -c . <<<"$recs")
	if [[ $n != 1 ]]; then
		fail "expected exactly one $kind record for client port $cp -> server port $sp, got $n" \
			"$(dump_recs "$out")"
		return 1
	fi
	check_schema "$recs" "$kind $cp->$sp"
	check_fields "$recs" "$kind $cp->$sp" "$@"
}

# check_schema_all JSON WHAT: exactly the fields of COLUMNS_ALL in that order,
# numeric fields numbers or null, time RFC 3339 UTC with microseconds
check_schema_all()
{
	local rec=$1 what=$2 keys bad
	keys=$(jq -r 'keys_unsorted | join(" ")' <<<"$rec")
	[[ $keys == "$COLUMNS_ALL" ]] ||
		fail "$what: fields: expected '$COLUMNS_ALL'" "$what: got '$keys'"
	bad=$(jq -r '[("pid","uid","cgroup_id","netns","client_port","server_port","latency_us",
			"duration_ms","tx_bytes","rx_bytes") as $k
		| select((.[$k] | type) != "number" and (.[$k] | type) != "null") | $k] | join(",")' <<<"$rec")
	[[ -z $bad ]] || fail "$what: neither JSON numbers nor null: $bad"
	jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$")' \
		<<<"$rec" >/dev/null || fail "$what: time: not RFC 3339 UTC with microseconds: $(jq -r .time <<<"$rec")"
}

# expect_one OUT WHAT JQ-CONDITION KEY=VALUE...: exactly one record in the
# netns matching the condition, with every field of COLUMNS_ALL and these
# values; sets REC to it (empty if not exactly one)
expect_one()
{
	local out=$1 what=$2 cond=$3 n
	shift 3
	REC=$(ns_recs "$out" "$cond")
	n=$(grep -c . <<<"$REC")
	if [[ $n != 1 ]]; then
		fail "$what: expected exactly one record matching '$cond', got $n" "$(dump_recs "$out")"
		REC=
		return 1
	fi
	check_schema_all "$REC" "$what"
	check_fields "$REC" "$what" "$@"
}

# check_jq JSON WHAT JQ-EXPRESSION: the expression must be true of the record
check_jq()
{
	[[ -n $1 ]] || return 1
	jq -e "$3" <<<"$1" >/dev/null 2>&1 || fail "$2: expected $3, record: $1"
}

# cgroup v2 id of this shell (inherited by the peers), empty if unknown
cgroup_id()
{
	local mnt path
	mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	path=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[[ -n $mnt && -n $path && -d $mnt$path ]] && stat -c %i "$mnt$path"
}

# ---------------------------------------------------------------- driver

# Why privileged tests cannot run here, or nothing
# in_range PORT LO-HI: the port lies in the range
in_range()
{
	local lo=${2%-*} hi=${2#*-}
	(($1 >= lo && $1 <= hi))
}

priv_problem()
{
	[[ $(id -u) == 0 ]] || { echo "not root"; return; }
	[[ -r /sys/kernel/btf/vmlinux ]] || { echo "no kernel BTF (/sys/kernel/btf/vmlinux)"; return; }
	local ns="pt-e2e-$$-probe"
	if ! ip netns add "$ns" 2>/dev/null; then
		echo "cannot create a network namespace"
		return
	fi
	ip netns del "$ns"
}

# e2e_main: run the suite's TESTS ("function|name" entries; NOPRIV lists the
# functions that need neither root nor BPF; ONLY is an ERE on the function
# names) and print the TAP plan; exit status 1 if any test failed. A suite
# may set E2E_NEEDS (more commands it runs), E2E_SETUP (a function run once
# the scratch dir exists) and E2E_AFTER_TEST (a function run after each
# test and at exit, e.g. to unmount what it mounted).
e2e_main()
{
	local entry fn name problem missing=

	problem=$(priv_problem)
	for entry in "$PT" "$PEER"; do
		[[ -x $entry ]] || missing+=" $entry"
	done
	for entry in jq ip timeout ${E2E_NEEDS:-}; do
		command -v "$entry" >/dev/null || missing+=" $entry"
	done

	TMP=$(mktemp -d /tmp/pt-e2e.XXXXXX) || exit 1
	trap '${E2E_AFTER_TEST:-:}; cleanup_all' EXIT
	trap 'exit 130' INT TERM
	CGROUP_ID=$(cgroup_id)
	${E2E_SETUP:-:}

	for entry in "${TESTS[@]}"; do
		fn=${entry%%|*}
		name=${entry#*|}
		[[ -n ${ONLY:-} && ! $fn =~ $ONLY ]] && continue
		if [[ -n $problem && " ${NOPRIV:-} " != *" $fn "* ]]; then
			FAILS=() SKIP_REASON=
			if [[ ${PORTTRACE_SKIP_PRIVILEGED:-} == 1 ]]; then
				skip "$problem"
			else
				fail "cannot run: $problem (set PORTTRACE_SKIP_PRIVILEGED=1 to skip)"
			fi
			tap_result "$name"
			continue
		fi
		if [[ -n $missing ]]; then
			FAILS=("cannot run: missing$missing (make porttrace .output/tests/peer; tools/install-deps)")
			SKIP_REASON=
			tap_result "$name"
			continue
		fi
		run_test "$fn" "$name"
		${E2E_AFTER_TEST:-:}
	done
	echo "1..$TEST_NUM"
	((TEST_FAILED == 0))
}
