#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# porttrace end-to-end tests: run the built ./porttrace against real TCP
# connections made by tests/e2e/peer inside private network namespaces, and
# assert the exact records that come out (pid on each side, ports, classes,
# ranges, evidence), the filters, the exit paths and zero lost events.
#
# Run from the repository root, as root, after
#     make porttrace .output/tests/peer
# Output is TAP: "ok N - name", "not ok N - name" followed by "# " lines
# saying what was expected and what came out, "ok N - name # SKIP reason".
# Exits non-zero if any test failed. Without root or BPF every test fails,
# unless PORTTRACE_SKIP_PRIVILEGED=1, which turns them into SKIPs.
#
# Traffic stays on loopback inside namespaces created here (pt-e2e-PID-*);
# records are matched by netns inode and ports, so host traffic cannot
# interfere. PORTTRACE=path and PEER=path override the binaries; a test name
# pattern (ERE on the function names, e.g. 'ipv6|filter') as $1 runs only the
# matching tests; PORTTRACE_E2E_KEEP=1 keeps the scratch files in /tmp.

set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

ONLY=${1:-}

# ------------------------------------------------------------ common flows

# one_flow "PT ARGS" "SERVER ARGS" "CLIENT ARGS": porttrace (JSON in $OUT),
# one server in $NS, one client run against it ("%PORT%" in the client args
# is the server's port), then wait for the connect and the accept record and
# stop porttrace. Sets SRV_PID, SRV_PORT, CLI_PID, CLI_SPORT, OUT.
one_flow()
{
	local ptargs=$1 srvargs=$2 cliargs=$3
	OUT=$T/pt.out
	# shellcheck disable=SC2086
	start_pt pt $ptargs || return 1
	# shellcheck disable=SC2086
	start_server srv $srvargs || return 1
	cliargs=${cliargs//%PORT%/$SRV_PORT}
	# shellcheck disable=SC2086
	run_client cli $cliargs || return 1
	wait_server srv
	wait_recs "$OUT" 2
	stop_pt pt
}

# expect_flow FAMILY CADDR SADDR CPORT SPORT CCLASS SCLASS FLOW CRANGE SRANGE
#             CPID SPID CEVIDENCE SEVIDENCE
# The connect record (client's pid, range of the client socket, CEVIDENCE)
# and the accept record (server's pid, range of the server socket, SEVIDENCE)
# of one flow in $OUT.
expect_flow()
{
	local fam=$1 caddr=$2 saddr=$3 cp=$4 sp=$5 cc=$6 sc=$7 flow=$8
	local crange=$9 srange=${10} cpid=${11} spid=${12} cev=${13} sev=${14}
	local common=(proto=tcp family="$fam" comm=peer uid=0 netns="$NS_INO"
		client_addr="$caddr" client_port="$cp" client_port_class="$cc"
		server_addr="$saddr" server_port="$sp" server_port_class="$sc"
		flow_class="$flow" attribution=syscall)
	[[ -n $CGROUP_ID ]] && common+=(cgroup_id="$CGROUP_ID")

	expect_record "$OUT" connect "$cp" "$sp" "${common[@]}" kind=connect \
		pid="$cpid" ephemeral_range="$crange" evidence="$cev"
	expect_record "$OUT" accept "$cp" "$sp" "${common[@]}" kind=accept \
		pid="$spid" ephemeral_range="$srange" evidence="$sev"
}

EV_C="client=socket server=listener"		# connect record, auto
EV_A="client=peer-socket server=listener"	# accept record, auto

# ------------------------------------------------------------ classification

t_ipv4()
{
	new_ns || return
	one_flow "-o json" "-p 8080" "-c 127.0.0.1 -p %PORT%" || return
	local r
	r=$(ns_range)
	expect_total "$OUT" 2
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$CLI_SPORT" 8080 ephemeral static \
		ephemeral-to-static "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

t_ipv6()
{
	new_ns || return
	one_flow "-o json" "-6 -p 8080" "-c ::1 -p %PORT%" || return
	local r
	r=$(ns_range)
	expect_total "$OUT" 2
	expect_flow ipv6 ::1 ::1 "$CLI_SPORT" 8080 ephemeral static \
		ephemeral-to-static "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

t_mapped()
{
	local r p1 c1 p2 c2
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o json || return
	start_server srv -a :: -p 8080 -n 2 || return
	run_client c4 -c 127.0.0.1 -p 8080 || return
	p1=$CLI_PID c1=$CLI_SPORT
	run_client c6 -c ::ffff:127.0.0.1 -p 8080 || return
	p2=$CLI_PID c2=$CLI_SPORT
	wait_server srv
	wait_recs "$OUT" 4
	stop_pt pt
	r=$(ns_range)
	expect_total "$OUT" 4
	# an AF_INET client, and an AF_INET6 client to ::ffff:127.0.0.1; the
	# server's accepted sockets are AF_INET6 with mapped addresses
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$c1" 8080 ephemeral static \
		ephemeral-to-static "$r" "$r" "$p1" "$SRV_PID" "$EV_C" "$EV_A"
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$c2" 8080 ephemeral static \
		ephemeral-to-static "$r" "$r" "$p2" "$SRV_PID" "$EV_C" "$EV_A"
}

# Distinct client and server addresses, so a record that swaps the two ends
# or mangles byte order shows; the client binds its address with port 0,
# which leaves the port to the kernel (ephemeral). The server port 45678 lies
# inside the range: only its listener makes it static, on both records, also
# when the local server is reached on a non-loopback address.
t_addresses()
{
	local r p4 c4 s4 p6 c6
	new_ns || return
	if ! { ip -n "$NS" addr add 10.11.12.13/32 dev lo &&
		ip -n "$NS" addr add 10.11.12.14/32 dev lo &&
		ip -n "$NS" addr add 2001:db8:1::13/128 dev lo nodad &&
		ip -n "$NS" addr add 2001:db8:1::14/128 dev lo nodad; }; then
		fail "cannot add test addresses"
		return
	fi
	r=$(ns_range)
	OUT=$T/pt.out
	start_pt pt -o json || return
	start_server srv4 -a 10.11.12.14 -p 45678 || return
	s4=$SRV_PID
	run_client c4 -b 10.11.12.13 -c 10.11.12.14 -p 45678 || return
	p4=$CLI_PID c4=$CLI_SPORT
	start_server srv6 -a 2001:db8:1::14 -p 45678 || return
	run_client c6 -b 2001:db8:1::13 -c 2001:db8:1::14 -p 45678 || return
	p6=$CLI_PID c6=$CLI_SPORT
	wait_server srv4
	wait_server srv6
	wait_recs "$OUT" 4
	stop_pt pt
	expect_total "$OUT" 4
	expect_flow ipv4 10.11.12.13 10.11.12.14 "$c4" 45678 ephemeral static \
		ephemeral-to-static "$r" "$r" "$p4" "$s4" "$EV_C" "$EV_A"
	expect_flow ipv6 2001:db8:1::13 2001:db8:1::14 "$c6" 45678 ephemeral static \
		ephemeral-to-static "$r" "$r" "$p6" "$SRV_PID" "$EV_C" "$EV_A"
}

t_fixed_sport()
{
	new_ns || return
	one_flow "-o json" "-p 8080" "-c 127.0.0.1 -p %PORT% -s 5555" || return
	local r
	r=$(ns_range)
	[[ $CLI_SPORT == 5555 ]] || fail "peer: client port $CLI_SPORT, wanted 5555"
	expect_total "$OUT" 2
	expect_flow ipv4 127.0.0.1 127.0.0.1 5555 8080 static static \
		static-to-static "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

# A client bound to 40000 (inside the range) that has closed before the
# server accepts: both records of the flow must still give its port the same
# class (doc/design.md: both ends seen on one host get the same class).
t_client_gone()
{
	new_ns || return
	local r
	r=$(ns_range)
	in_range 40000 "$r" || fail "test setup: 40000 not inside the netns range $r"
	one_flow "-o json" "-p 8080 -W 300" "-c 127.0.0.1 -p %PORT% -s 40000 -q" || return
	expect_total "$OUT" 2
	expect_flow ipv4 127.0.0.1 127.0.0.1 40000 8080 static static \
		static-to-static "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

t_server_in_range()
{
	new_ns || return
	local r
	r=$(ns_range)
	in_range 45678 "$r" || fail "test setup: 45678 not inside the netns range $r"
	one_flow "-o json" "-p 45678" "-c 127.0.0.1 -p %PORT%" || return
	expect_total "$OUT" 2
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$CLI_SPORT" 45678 ephemeral static \
		ephemeral-to-static "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

t_server_port0()
{
	new_ns || return
	one_flow "-o json" "-p 0" "-c 127.0.0.1 -p %PORT%" || return
	local r
	r=$(ns_range)
	in_range "$SRV_PORT" "$r" || fail "test setup: kernel gave the server $SRV_PORT, outside $r"
	expect_total "$OUT" 2
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$CLI_SPORT" "$SRV_PORT" ephemeral ephemeral \
		ephemeral-to-ephemeral "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

t_static_to_eph()
{
	new_ns || return
	one_flow "-o json" "-6 -p 0" "-c ::1 -p %PORT% -s 5555" || return
	local r
	r=$(ns_range)
	expect_total "$OUT" 2
	expect_flow ipv6 ::1 ::1 5555 "$SRV_PORT" static ephemeral \
		static-to-ephemeral "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

t_ns_range()
{
	local p1 c1 s2 p2 c2
	new_ns || return
	set_ns_range 20000 20999 || { fail "sysctl ip_local_port_range failed"; return; }
	[[ $(ns_range) == 20000-20999 ]] || { fail "netns range is $(ns_range)"; return; }
	OUT=$T/pt.out
	start_pt pt -o json || return
	start_server srv -p 8080 || return
	run_client cli -c 127.0.0.1 -p 8080 || return
	p1=$CLI_PID c1=$CLI_SPORT
	start_server srv2 -p 0 || return
	s2=$SRV_PORT
	run_client cli2 -c 127.0.0.1 -p "$s2" || return
	p2=$CLI_PID c2=$CLI_SPORT
	wait_server srv
	wait_server srv2
	wait_recs "$OUT" 4
	stop_pt pt
	in_range "$c1" 20000-20999 || fail "client port $c1 outside 20000-20999"
	in_range "$s2" 20000-20999 || fail "kernel-chosen server port $s2 outside 20000-20999"
	expect_total "$OUT" 4
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$c1" 8080 ephemeral static \
		ephemeral-to-static 20000-20999 20000-20999 "$p1" "$(srv_pid srv)" "$EV_C" "$EV_A"
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$c2" "$s2" ephemeral ephemeral \
		ephemeral-to-ephemeral 20000-20999 20000-20999 "$p2" "$SRV_PID" "$EV_C" "$EV_A"
}

# Two namespaces of this host joined by a veth pair (containers on a bridge),
# different ranges: client namespace A 40000-40999, server namespace B
# 20000-20999. B's accept judges A's client port by A's socket (peer-socket),
# not by B's range. A's connect cannot know B's listener: the server port is
# judged by A's range and says so (server=range) — a kernel-chosen port of B
# (in 20000-20999) is then static to A, the limit the README states.
t_veth_peer()
{
	local a b ia ib c1 c2 s2 cp1 cp2 sp
	new_ns || return
	a=$NS ia=$NS_INO
	set_ns_range 40000 40999 || { fail "test setup: sysctl"; return; }
	new_ns || return
	b=$NS ib=$NS_INO
	set_ns_range 20000 20999 || { fail "test setup: sysctl"; return; }
	ip link add "pta$$" netns "$a" type veth peer name "ptb$$" netns "$b" &&
		ip -n "$a" addr add 10.77.0.1/24 dev "pta$$" && ip -n "$a" link set "pta$$" up &&
		ip -n "$b" addr add 10.77.0.2/24 dev "ptb$$" && ip -n "$b" link set "ptb$$" up ||
		{ fail "test setup: veth pair"; return; }
	OUT=$T/pt.out
	start_pt pt -o json || return
	NS=$b start_server srv -a 10.77.0.2 -p 8080 || return
	sp=$SRV_PID
	NS=$a run_client cli -c 10.77.0.2 -p 8080 || return
	c1=$CLI_SPORT cp1=$CLI_PID
	NS=$b start_server srv2 -L || return
	s2=$SRV_PORT
	NS=$a run_client cli2 -c 10.77.0.2 -p "$s2" || return
	c2=$CLI_SPORT cp2=$CLI_PID
	NS=$b wait_server srv
	NS=$b wait_server srv2
	NS_INO=$ia wait_recs "$OUT" 2
	NS_INO=$ib wait_recs "$OUT" 2
	sleep 0.3
	stop_pt pt
	in_range "$c1" 40000-40999 || fail "client port $c1 outside A's 40000-40999"
	in_range "$s2" 20000-20999 || fail "kernel-chosen server port $s2 outside B's 20000-20999"
	NS_INO=$ib expect_record "$OUT" accept "$c1" 8080 pid="$sp" client_addr=10.77.0.1 \
		server_addr=10.77.0.2 client_port_class=ephemeral server_port_class=static \
		flow_class=ephemeral-to-static ephemeral_range=20000-20999 \
		evidence="client=peer-socket server=listener"
	NS_INO=$ib expect_record "$OUT" accept "$c2" "$s2" pid="$SRV_PID" client_port_class=ephemeral \
		server_port_class=ephemeral flow_class=ephemeral-to-ephemeral \
		evidence="client=peer-socket server=listener"
	NS_INO=$ia expect_record "$OUT" connect "$c1" 8080 pid="$cp1" client_port_class=ephemeral \
		server_port_class=static flow_class=ephemeral-to-static ephemeral_range=40000-40999 \
		evidence="client=socket server=range"
	NS_INO=$ia expect_record "$OUT" connect "$c2" "$s2" pid="$cp2" client_port_class=ephemeral \
		server_port_class=static flow_class=ephemeral-to-static evidence="client=socket server=range"
}

srv_pid() { sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$T/$1.ready"; }

t_sock_range()
{
	new_ns || return
	one_flow "-o json" "-p 8080" "-c 127.0.0.1 -p %PORT% -R 40000-40099" || return
	local r
	r=$(ns_range)
	in_range "$CLI_SPORT" 40000-40099 || fail "test setup: client port $CLI_SPORT outside 40000-40099"
	expect_total "$OUT" 2
	# the client socket's IP_LOCAL_PORT_RANGE narrows its range; the
	# server socket has the namespace's
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$CLI_SPORT" 8080 ephemeral static \
		ephemeral-to-static 40000-40099 "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

t_iana()
{
	local p1 c1 p2 c2 ev="client=iana server=iana"
	new_ns || return
	set_ns_range 30000 30999 || { fail "sysctl ip_local_port_range failed"; return; }
	OUT=$T/pt.out
	start_pt pt -o json --ephemeral=iana || return
	start_server srv -p 8080 || return
	run_client cli -c 127.0.0.1 -p 8080 || return
	p1=$CLI_PID c1=$CLI_SPORT
	start_server srv2 -p 50055 || return
	run_client cli2 -c 127.0.0.1 -p 50055 || return
	p2=$CLI_PID c2=$CLI_SPORT
	wait_server srv
	wait_server srv2
	wait_recs "$OUT" 4
	stop_pt pt
	in_range "$c1" 30000-30999 || fail "client port $c1 outside 30000-30999"
	expect_total "$OUT" 4
	# kernel-chosen 30xxx is static by IANA; explicitly bound 50055 is
	# ephemeral by IANA. ephemeral_range is the range --ephemeral set
	# (README), not the namespace's.
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$c1" 8080 static static \
		static-to-static 49152-65535 49152-65535 "$p1" "$(srv_pid srv)" "$ev" "$ev"
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$c2" 50055 static ephemeral \
		static-to-ephemeral 49152-65535 49152-65535 "$p2" "$SRV_PID" "$ev" "$ev"
}

t_user_range()
{
	local r p1 p2 c2 ev="client=user-range server=user-range"
	new_ns || return
	r=$(ns_range)
	in_range 20500 "$r" && fail "test setup: 20500 inside the netns range $r"
	OUT=$T/pt.out
	start_pt pt -o json --ephemeral=20000-20999 || return
	start_server srv -p 8080 || return
	run_client cli -c 127.0.0.1 -p 8080 -s 20500 || return
	p1=$CLI_PID
	start_server srv2 -p 20100 || return
	run_client cli2 -c 127.0.0.1 -p 20100 || return
	p2=$CLI_PID c2=$CLI_SPORT
	wait_server srv
	wait_server srv2
	wait_recs "$OUT" 4
	stop_pt pt
	in_range "$c2" 20000-20999 && fail "test setup: client port $c2 inside 20000-20999"
	expect_total "$OUT" 4
	# bound 20500 is ephemeral by the user's range, kernel-chosen 3xxxx+ is
	# not; ephemeral_range is the range --ephemeral set (README)
	expect_flow ipv4 127.0.0.1 127.0.0.1 20500 8080 ephemeral static \
		ephemeral-to-static 20000-20999 20000-20999 "$p1" "$(srv_pid srv)" "$ev" "$ev"
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$c2" 20100 static ephemeral \
		static-to-ephemeral 20000-20999 20000-20999 "$p2" "$SRV_PID" "$ev" "$ev"
}

t_preexisting_listener()
{
	new_ns || return
	local r
	r=$(ns_range)
	OUT=$T/pt.out
	# the listener exists before porttrace starts, as on any real server
	start_server srv -p 45678 || return
	start_pt pt -o json || return
	run_client cli -c 127.0.0.1 -p 45678 || return
	wait_server srv
	wait_recs "$OUT" 2
	stop_pt pt
	expect_total "$OUT" 2
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$CLI_SPORT" 45678 ephemeral static \
		ephemeral-to-static "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

t_attach_tracepoint()
{
	new_ns || return
	one_flow "-o json --attach=tracepoint" "-p 8080" "-c 127.0.0.1 -p %PORT%" || return
	local r
	r=$(ns_range)
	grep -q '(tracepoint)' "$T/pt.err" || fail "not attached to the classic tracepoint: $(head -2 "$T/pt.err")"
	expect_total "$OUT" 2
	expect_flow ipv4 127.0.0.1 127.0.0.1 "$CLI_SPORT" 8080 ephemeral static \
		ephemeral-to-static "$r" "$r" "$CLI_PID" "$SRV_PID" "$EV_C" "$EV_A"
}

# ------------------------------------------------------------ attribution

t_attribution()
{
	local n=15 cpid a b bad
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o json || return
	start_server s4 -p 8080 -n $n || return		# accept4()
	a=$SRV_PID
	start_server sa -p 8081 -n $n -A || return	# accept()
	b=$SRV_PID
	run_client c1 -c 127.0.0.1 -p 8080 -k $n || return
	cpid=$CLI_PID
	run_client c2 -c 127.0.0.1 -p 8081 -k $n || return
	[[ $CLI_PID == "$cpid" ]] && fail "test setup: client pids not distinct"
	wait_server s4
	wait_server sa
	wait_recs "$OUT" $((4 * n))
	stop_pt pt
	expect_total "$OUT" $((4 * n))
	expect_total "$OUT" "$n" ".kind == \"accept\" and .server_port == 8080 and .pid == $a"
	expect_total "$OUT" "$n" ".kind == \"accept\" and .server_port == 8081 and .pid == $b"
	expect_total "$OUT" "$n" ".kind == \"connect\" and .server_port == 8080 and .pid == $cpid"
	expect_total "$OUT" "$n" ".kind == \"connect\" and .server_port == 8081 and .pid == $CLI_PID"
	bad=$(ns_recs "$OUT" ".kind == \"accept\" and (.pid == $cpid or .pid == $CLI_PID)" | head -3)
	[[ -z $bad ]] || fail "accept records attributed to the client:" "$bad"
	expect_total "$OUT" 0 '.comm != "peer" or .attribution != "syscall"'
}

# A server that accepts in a thread of its own name, a client that connects
# from one: comm is each process's name, thread the worker's; -c matches the
# process's name, not the thread's; the table shows process/thread.
t_thread_name()
{
	local spid
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o json -k connect,accept,close || return
	PT_STDOUT=$T/ptc.out start_pt ptc -o json -k connect,accept,close -c srvproc || return
	PT_STDOUT=$T/ptt.out start_pt ptt -o json -k connect,accept,close -c acceptor || return
	PT_STDOUT=$T/pttab.out start_pt pttab -o table || return
	start_server srv -p 8080 -N srvproc -T acceptor || return
	spid=$SRV_PID
	run_client cli -c 127.0.0.1 -p 8080 -N cliproc -T dialer || return
	wait_server srv
	wait_recs "$OUT" 4
	wait_recs "$T/ptc.out" 2
	wait_recs "$T/pttab.out" 2
	sleep 0.3
	stop_pt pt
	stop_pt ptc
	stop_pt ptt
	stop_pt pttab
	expect_record "$OUT" accept "$CLI_SPORT" 8080 pid="$spid" comm=srvproc thread=acceptor
	expect_record "$OUT" connect "$CLI_SPORT" 8080 pid="$CLI_PID" comm=cliproc thread=dialer
	expect_one "$OUT" "server close" '.kind == "close" and .side == "server"' pid="$spid" comm=srvproc thread=acceptor
	expect_one "$OUT" "client close" '.kind == "close" and .side == "client"' pid="$CLI_PID" comm=cliproc thread=dialer
	expect_total "$T/ptc.out" 2 '.comm == "srvproc" and .thread == "acceptor"'
	expect_total "$T/ptc.out" 2
	expect_total "$T/ptt.out" 0
	# COMM is 15 wide: srvproc/accepto
	grep -Eq "accept +$spid srvproc/accept" "$T/pttab.out" ||
		fail "table: no 'accept $spid srvproc/accept...' row:" "$(cat "$T/pttab.out")"
}

# ------------------------------------------------------------ filters

t_filter_pid_server()
{
	local spid
	new_ns || return
	OUT=$T/pt.out
	start_gated srv server -p 8080 || return
	spid=$GPID
	start_pt pt -o json -p "$spid" || return
	open_gate srv || return
	start_server other -p 8081 || return
	run_client c1 -c 127.0.0.1 -p 8080 || return
	run_client c2 -c 127.0.0.1 -p 8081 || return
	wait_server srv
	wait_server other
	wait_recs "$OUT" 1
	sleep 0.3
	stop_pt pt
	expect_total "$OUT" 1
	expect_total "$OUT" 1 ".kind == \"accept\" and .pid == $spid and .server_port == 8080"
}

t_filter_pid_list()
{
	local c1 s2 c1port
	new_ns || return
	OUT=$T/pt.out
	start_gated c1 client -c 127.0.0.1 -p 8080 || return
	c1=$GPID
	start_gated s2 server -p 8081 || return
	s2=$GPID
	start_pt pt -o json -p "$c1,$s2" || return
	start_server s1 -p 8080 || return
	open_gate s2 || return
	touch "$T/c1.go"
	run_client c2 -c 127.0.0.1 -p 8081 || return
	wait_server s1
	wait_server s2
	wait_for "$T/c1.ready" sport= 5 || fail "client c1 did not finish"
	c1port=$(sed -n 's/.*sport=\([0-9]*\).*/\1/p' "$T/c1.ready")
	wait_recs "$OUT" 2
	sleep 0.3
	stop_pt pt
	# c1 -> s1 shows only c1's connect; c2 -> s2 only s2's accept
	expect_total "$OUT" 2
	expect_total "$OUT" 1 ".kind == \"connect\" and .pid == $c1 and .client_port == ${c1port:-0} and .server_port == 8080"
	expect_total "$OUT" 1 ".kind == \"accept\" and .pid == $s2 and .client_port == $CLI_SPORT and .server_port == 8081"
}

t_filter_port()
{
	local a b
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o json -P 7001,5555 || return
	start_server s1 -p 7001 || return
	start_server s2 -p 7002 -n 2 || return
	run_client a -c 127.0.0.1 -p 7001 || return
	a=$CLI_SPORT
	run_client b -c 127.0.0.1 -p 7002 || return
	b=$CLI_SPORT
	run_client c -c 127.0.0.1 -p 7002 -s 5555 || return
	wait_server s1
	wait_server s2
	wait_recs "$OUT" 4
	sleep 0.3
	stop_pt pt
	# 7001 matches the server end, 5555 the client end; b -> 7002 neither
	expect_total "$OUT" 4
	expect_total "$OUT" 2 ".client_port == $a and .server_port == 7001"
	expect_total "$OUT" 2 ".client_port == 5555 and .server_port == 7002"
	expect_total "$OUT" 0 ".client_port == $b"
}

# kind/family filter tests: an IPv4 and an IPv6 flow, then exactly COND
filter_two_flows()	# "PT ARGS" N COND
{
	new_ns || return
	OUT=$T/pt.out
	# shellcheck disable=SC2086
	start_pt pt -o json $1 || return
	start_server s4 -p 8080 || return
	start_server s6 -6 -p 8081 || return
	run_client c4 -c 127.0.0.1 -p 8080 || return
	run_client c6 -c ::1 -p 8081 || return
	wait_server s4
	wait_server s6
	wait_recs "$OUT" "$2"
	sleep 0.3
	stop_pt pt
	expect_total "$OUT" "$2"
	expect_total "$OUT" "$2" "$3"
}

t_filter_kind_connect() { filter_two_flows "-k connect" 2 '.kind == "connect"'; }
t_filter_kind_accept() { filter_two_flows "--kind=accept" 2 '.kind == "accept"'; }
t_filter_kind_both() { filter_two_flows "-k connect,accept" 4 '.kind == "connect" or .kind == "accept"'; }
t_filter_ipv4() { filter_two_flows "-4" 2 '.family == "ipv4" and .server_port == 8080'; }
t_filter_ipv6() { filter_two_flows "-6" 2 '.family == "ipv6" and .server_port == 8081'; }

t_filter_mapped()
{
	new_ns || return
	start_pt pt4 -o json -4 || return
	start_pt pt6 -o json -6 || return
	start_server srv -a :: -p 8080 || return
	run_client cli -c ::ffff:127.0.0.1 -p 8080 || return
	wait_server srv
	wait_recs "$T/pt4.out" 2
	sleep 0.3
	stop_pt pt4
	stop_pt pt6
	# the records say ipv4, so -4 must show them and -6 must not
	expect_total "$T/pt4.out" 2 '.family == "ipv4"'
	expect_total "$T/pt6.out" 0
}

# ------------------------------------------------------------ lifecycle

t_sigterm_summary()
{
	local n lines
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o json -P 61391 || return
	start_server srv -p 61391 -n 2 || return
	run_client cli -c 127.0.0.1 -p 61391 -k 2 || return
	wait_server srv
	wait_recs "$OUT" 4
	sleep 0.3
	stop_pt pt TERM
	expect_total "$OUT" 4
	lines=$(grep -vc '"kind":"stats"' "$OUT")
	n=$(sed -n 's/^porttrace: \([0-9]*\) events.*/\1/p' <<<"$PT_SUMMARY")
	[[ $n == "$lines" ]] || fail "summary '$PT_SUMMARY' but $lines records in the output"
	jq -e . "$OUT" >/dev/null 2>&1 || fail "output is not valid JSON Lines: $(head -c 500 "$OUT")"
	# a stats record only when the summary has something to count (a
	# kernel skip the run recovered from, a close reported late)
	if [[ $PT_SUMMARY =~ ,\ 0\ lost && $PT_SUMMARY != *"reported late"* ]]; then
		grep -q '"kind":"stats"' "$OUT" &&
			fail "stats record in the output although nothing was lost or reported late"
	else
		tail -1 "$OUT" | jq -e '.kind == "stats"' >/dev/null 2>&1 ||
			fail "summary '$PT_SUMMARY' but no stats record last in the output"
	fi
}

# Records are not held back while porttrace runs (issue: out within
# ~100 ms; 1 s allowed here against a loaded machine)
t_latency()
{
	local t0 t1 ms
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o json -P 61390 || return
	start_server srv -p 61390 || return
	run_client cli -c 127.0.0.1 -p 61390 || return
	t0=$(date +%s%N)
	wait_recs "$OUT" 2
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	((ms <= 1000)) || fail "records of a finished flow took $ms ms to reach the output" \
		"$(dump_recs "$OUT")"
	stop_pt pt
}

t_duration()
{
	local rc
	start_pt pt -o json -d 1 || return
	if ! rc=$(bg_wait pt 10); then
		fail "porttrace -d 1 still running 10 s after it started tracing"
		return
	fi
	check_exit pt "$rc"
}

# A consumer that is behind (a pipe read at 80 KiB/s) while a churn floods
# the ring: porttrace still stops at --duration (the drain gives way every
# few hundred records), and a SIGHUP (log rotation) arriving while it is
# blocked writing neither fails that write nor ends the trace.
t_slow_consumer()
{
	local rc churn=${CHURN:-./.output/tools/churn}
	new_ns || return
	mkfifo "$T/fifo" || return
	bg_start rd "$T/rd.out" "$T/rd.err" python3 -c '
import sys, time
f = open(sys.argv[1], "rb", buffering=0)
while f.read(4096):
    time.sleep(0.05)' "$T/fifo" || { fail "slow reader did not start"; return; }
	PT_STDOUT=$T/fifo start_pt pt -o json -k all --ring-size=64 -d 4 || return
	bg_start churn /dev/null "$T/churn.err" ip netns exec "$NS" "$churn" -t 1 -d 30 ||
		{ fail "churn did not start"; return; }
	sleep 1.5
	kill -HUP "$(bg_pid pt)"
	if ! rc=$(bg_wait pt 20); then
		fail "porttrace -d 4 behind a slow reader still running 20 s after it started tracing" \
			"stderr: $(head -c 1000 "$T/pt.err")"
		bg_kill pt
	elif [[ $rc != 0 ]]; then
		fail "porttrace -d 4 behind a slow reader: exit $rc" "stderr: $(head -c 1000 "$T/pt.err")"
	fi
	grep -qi 'interrupted' "$T/pt.err" && fail "a signal failed a write: $(cat "$T/pt.err")"
	grep -Eq '^porttrace: [0-9]+ events, [0-9]+ lost' "$T/pt.err" ||
		fail "no summary: $(head -c 1000 "$T/pt.err")"
	bg_kill churn
}

# A second Ctrl-C exits at once, mid-drain: stdout and the -w file still
# end at a whole record (only whole rows are ever written), every line JSON.
t_second_interrupt()
{
	local churn=${CHURN:-./.output/tools/churn} pid f
	new_ns || return
	start_pt pt -o json -k all -w "$T/w.json" || return
	bg_start churn /dev/null "$T/churn.err" ip netns exec "$NS" "$churn" -t 2 -d 20 ||
		{ fail "churn did not start"; return; }
	sleep 2
	pid=$(bg_pid pt)
	kill -INT "$pid"
	sleep 0.05
	kill -INT "$pid" 2>/dev/null
	bg_wait pt 10 >/dev/null || fail "porttrace still running 10 s after a second SIGINT"
	bg_kill churn
	for f in "$T/pt.out" "$T/w.json"; do
		if [[ ! -s $f ]]; then
			fail "$f is empty"
			continue
		fi
		[[ $(tail -c 1 "$f" | od -An -tx1 | tr -d ' ') == 0a ]] ||
			fail "$f does not end at a whole record:" "$(tail -c 300 "$f")"
		jq -e . "$f" >/dev/null 2>&1 || fail "$f: not JSON Lines"
	done
}

t_count()
{
	local rc lines
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o json -n 2 -P 61392 || return
	start_server srv -p 61392 -n 3 || return
	run_client cli -c 127.0.0.1 -p 61392 -k 3 || return
	wait_server srv
	if ! rc=$(bg_wait pt 5); then
		fail "porttrace -n 2 still running 5 s after 6 matching events"
		return
	fi
	check_exit pt "$rc"
	lines=$(grep -c . "$OUT")
	[[ $lines == 2 ]] || fail "porttrace -n 2 wrote $lines lines: $(head -c 1000 "$OUT")"
	expect_total "$OUT" 2 '.server_port == 61392'
}

t_head()
{
	local rc i extra
	new_ns || return
	mkfifo "$T/fifo" || return
	bg_start head "$T/head.out" "$T/head.err" head -n 1 "$T/fifo" || return
	PT_STDOUT=$T/fifo start_pt pt --output=json -P 61393 || return
	start_server srv -p 61393 -n 20 || return
	for ((i = 0; i < 20; i++)); do
		run_client "c$i" -c 127.0.0.1 -p 61393 || return
		[[ -s $T/pt.rc ]] && break
		sleep 0.25
	done
	if ! rc=$(bg_wait pt 5); then
		fail "porttrace | head -1 still running 5 s after the reader left"
		return
	fi
	# README: exit status 0 on a closed pipe
	[[ $rc == 0 ]] || fail "porttrace | head -1: exit status $rc, expected 0"
	[[ $(grep -c . "$T/head.out") == 1 ]] || fail "head got: $(cat "$T/head.out")"
	extra=$(grep -Ev '^porttrace: (tracing|[0-9]+ events, [0-9]+ lost)' "$T/pt.err")
	[[ -z $extra ]] || fail "unexpected stderr from porttrace | head -1:" "$extra"
}

# Overflow the smallest ring (64 KiB holds ~600 records) while the consumer
# is stopped: whatever is not printed must be counted, in the summary and in
# a stats record in the stream.
t_lost_accounting()
{
	local n=1000 printed lost stats_lost pj pc row
	new_ns || return
	OUT=$T/pj.out
	start_pt pj -o json --ring-size=64 -P 61396 || return
	start_pt pc -o csv --ring-size=64 -P 61396 || return
	start_server srv -p 61396 -n $n -t 60 || return
	pj=$(bg_pid pj)
	pc=$(bg_pid pc)
	kill -STOP "$pj" "$pc"
	run_client cli -c 127.0.0.1 -p 61396 -k $n -t 60
	wait_server srv
	kill -CONT "$pj" "$pc"
	sleep 0.5
	ALLOW_LOST=1 stop_pt pj
	printed=$(count_recs "$OUT" '.server_port == 61396')
	lost=$(sed -n 's/^porttrace: [0-9]* events, \([0-9]*\) lost.*/\1/p' <<<"$PT_SUMMARY")
	stats_lost=$(jq -R 'fromjson? | select(.kind == "stats") | .lost' "$OUT" | tail -1)
	jq -e . "$OUT" >/dev/null 2>&1 || fail "output is not valid JSON Lines"
	((printed > 0 && printed < 2 * n)) ||
		fail "expected a 64 KiB ring to overflow: $printed of $((2 * n)) records printed"
	[[ -n $lost && $lost != 0 ]] || fail "summary reports no loss: '$PT_SUMMARY'"
	[[ $stats_lost == "${lost:-x}" ]] ||
		fail "summary says ${lost:-?} lost but the stream's stats record says '${stats_lost:-(none)}'"
	((printed + ${lost:-0} >= 2 * n)) ||
		fail "silent loss: $((2 * n)) events, $printed printed, ${lost:-?} counted lost"
	tail -1 "$OUT" | jq -e '.kind == "stats"' >/dev/null 2>&1 ||
		fail "the stats record is not the last line: $(tail -1 "$OUT")"

	# CSV (README): a last row with kind "stats" and the counts in evidence
	ALLOW_LOST=1 stop_pt pc
	lost=$(sed -n 's/^porttrace: [0-9]* events, \([0-9]*\) lost.*/\1/p' <<<"$PT_SUMMARY")
	row=$(tail -1 "$T/pc.out" | tr -d '\r')
	[[ $row =~ ^[^,]+,stats,.*lost=${lost:-x}( |,|$) ]] ||
		fail "CSV: expected a last 'stats' row with lost=${lost:-?}, got: $row"
	local hcells
	hcells=$(head -1 "$T/pc.out" | tr -cd ',' | wc -c)
	[[ $(tr -cd ',' <<<"$row" | wc -c) == "$hcells" ]] ||
		fail "CSV stats row does not have as many cells as the header: $row"
}

# comm is attacker-controlled: JSON must carry it exactly, CSV and the table
# must never pass control bytes through, CSV must defuse formulas
t_hostile_comm()
{
	local name=$'=a"b\\\e[31m\x01\tz' cpid
	new_ns || return
	start_pt pj -o json -P 61397 || return
	start_pt pc -o csv -P 61397 || return
	start_pt pt -o table -P 61397 || return
	start_server srv -p 61397 || return
	run_client cli -c 127.0.0.1 -p 61397 -N "$name" || return
	cpid=$CLI_PID
	wait_server srv
	wait_recs "$T/pj.out" 2
	sleep 0.3
	stop_pt pj
	stop_pt pc
	stop_pt pt
	local rec
	rec=$(ns_recs "$T/pj.out" '.kind == "connect"')
	if [[ -z $rec ]]; then
		fail "no JSON connect record" "$(dump_recs "$T/pj.out")"
	else
		jq -e --arg n "$name" --argjson p "$cpid" '.comm == $n and .pid == $p' <<<"$rec" >/dev/null ||
			fail "JSON comm: expected $(jq -n --arg n "$name" '$n'), got $(jq .comm <<<"$rec")"
	fi
	jq -e . "$T/pj.out" >/dev/null 2>&1 || fail "JSON output does not parse"
	local f
	for f in pc pt; do
		LC_ALL=C grep -q $'[\x01-\x09\x0b\x0c\x0e-\x1f\x7f]' "$T/$f.out" &&
			fail "raw control bytes in -o ${f/pc/csv}" "$(grep "$cpid" "$T/$f.out" | od -c | head -5)"
		grep -q "$cpid" "$T/$f.out" || fail "no record of client pid $cpid in -o ${f/pc/csv}"
	done
	grep "$cpid" "$T/pc.out" | grep -q "\"'=" ||
		fail "CSV comm cell starting with '=' not neutralised: $(grep "$cpid" "$T/pc.out")"
}

t_table()
{
	new_ns || return
	OUT=$T/pt.out
	start_pt pt -o table || return
	start_server srv -p 8080 || return
	run_client cli -c 127.0.0.1 -p 8080 || return
	wait_server srv
	wait_lines "$OUT" 2 '(connect|accept) .*:8080 '
	stop_pt pt
	head -1 "$OUT" | grep -Eq '^ *TIME +EVENT +PID +COMM +CLIENT +SERVER +CLASS' ||
		fail "table header: expected TIME EVENT PID COMM CLIENT SERVER CLASS, got: $(head -1 "$OUT")"
	local long
	long=$(awk 'length($0) > 100' "$OUT" | head -3)
	[[ -z $long ]] || fail "table lines wider than 100 columns:" "$long"
	grep -E "\\b$CLI_PID\\b" "$OUT" | grep -q "127.0.0.1:$CLI_SPORT" ||
		fail "no table row with client pid $CLI_PID and 127.0.0.1:$CLI_SPORT" "$(head -5 "$OUT")"
	grep -E "\\b$SRV_PID\\b" "$OUT" | grep -q "127.0.0.1:8080" ||
		fail "no table row with server pid $SRV_PID and 127.0.0.1:8080" "$(head -5 "$OUT")"
}

# README: exit status 1 when output cannot be written, one line on stderr
t_output_error()
{
	local rc i lines
	new_ns || return
	PT_STDOUT=/dev/full start_pt pt -o json -P 61398 || return
	start_server srv -p 61398 -n 20 || return
	for ((i = 0; i < 20; i++)); do
		run_client "c$i" -c 127.0.0.1 -p 61398 || return
		[[ -s $T/pt.rc ]] && break
		sleep 0.25
	done
	if ! rc=$(bg_wait pt 5); then
		fail "porttrace >/dev/full still running 5 s after its records failed to write"
		return
	fi
	[[ $rc == 1 ]] || fail "porttrace >/dev/full: exit status $rc, expected 1"
	lines=$(grep -vc '^porttrace: tracing' "$T/pt.err")
	((lines >= 1 && lines <= 2)) ||
		fail "porttrace >/dev/full: expected one error line (and maybe a summary), got:" "$(cat "$T/pt.err")"
	grep -Eqi 'space|write|output' "$T/pt.err" || fail "no write error named on stderr: $(cat "$T/pt.err")"
	# nothing reached /dev/full: the summary must not claim otherwise
	if grep -Eq '^porttrace: [0-9]+ events' "$T/pt.err"; then
		grep -Eq '^porttrace: 0 events' "$T/pt.err" ||
			fail "porttrace >/dev/full counts events it never wrote: $(grep events "$T/pt.err")"
	fi
}

t_bad_options()
{
	local args rc lines
	for args in "--port=70000" "-P 0x10" "--ephemeral=5-3" "--ephemeral=foo" \
		"-o xml" "--kind=bogus" "-p abc" "-d -1" "-n 0x" "-P 80," "-p 1,,2" \
		"--lifetime -k accept" "--listeners --lifetime" "audit --listeners" \
		"--connections --listeners"; do
		# shellcheck disable=SC2086
		timeout 5 "$PT" $args </dev/null >"$T/bad.out" 2>"$T/bad.err"
		rc=$?
		lines=$(grep -c . "$T/bad.err")
		if [[ $rc != 2 ]]; then
			fail "porttrace $args: exit status $rc, expected 2 (bad option)"
		elif [[ $lines != 1 ]]; then
			fail "porttrace $args: expected one line on stderr, got $lines:" "$(head -5 "$T/bad.err")"
		fi
		[[ -s $T/bad.out ]] && fail "porttrace $args wrote to stdout: $(head -3 "$T/bad.out")"
	done
	# a --cgroup that is no cgroup: one line naming it (no fallback to the
	# classic tracepoint in between), exit 1; its control bytes escaped
	timeout 20 "$PT" --cgroup=$'/no/such\033[2J' -d 1 </dev/null >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	[[ $rc == 1 ]] || fail "porttrace --cgroup=/no/such: exit status $rc, expected 1"
	grep -v 'off on this kernel' "$T/bad.err" >"$T/bad.err2"
	[[ $(grep -c . "$T/bad.err2") == 1 ]] &&
		grep -qF "cannot open --cgroup '/no/such\x1b[2J': No such file or directory" "$T/bad.err2" ||
		fail "porttrace --cgroup=/no/such: expected one line naming it, got:" "$(cat "$T/bad.err")"
}

t_help_version()
{
	local rc
	timeout 5 "$PT" --help </dev/null >"$T/h.out" 2>"$T/h.err"
	rc=$?
	[[ $rc == 0 ]] || fail "porttrace --help: exit $rc"
	grep -q -- '--ephemeral' "$T/h.out" || fail "porttrace --help does not document --ephemeral on stdout"
	timeout 5 "$PT" -V </dev/null >"$T/v.out" 2>"$T/v.err"
	rc=$?
	[[ $rc == 0 ]] || fail "porttrace -V: exit $rc"
	grep -Eq '[0-9]+\.[0-9]+' "$T/v.out" || fail "porttrace -V printed no version: $(head -2 "$T/v.out")"
}

t_csv()
{
	local header want
	new_ns || return
	OUT=$T/pt.json
	start_pt pt -o csv || return
	start_server srv -p 8080 || return
	run_client cli -c 127.0.0.1 -p 8080 || return
	wait_server srv
	wait_lines "$T/pt.out" 2 ',(connect|accept),.*,8080,'
	stop_pt pt
	want=${COLUMNS_LIST// /,}
	header=$(head -1 "$T/pt.out" | tr -d '\r')
	[[ $(head -1 "$T/pt.out" | tail -c 2 | od -An -tx1 | tr -d ' ') == 0d0a ]] ||
		fail "CSV header line does not end in CRLF (README: RFC 4180 line ends)"
	in_order "$COLUMNS_LIST" "${header//,/ }" ||
		fail "CSV header: expected '$want' in this order (others may come between)" "got '$header'"
	# rows -> JSON objects by the header (these cells need no quoting)
	tail -n +2 "$T/pt.out" | tr -d '\r' | jq -cR --arg h "$header" \
		'($h | split(",")) as $k | split(",") as $v
		 | reduce range(0; $k | length) as $i ({}; .[$k[$i]] = $v[$i])' >"$OUT"
	local r
	r=$(ns_range)
	expect_total "$OUT" 2
	local common=(proto=tcp family=ipv4 comm=peer uid=0 netns="$NS_INO"
		client_addr=127.0.0.1 client_port="$CLI_SPORT" client_port_class=ephemeral
		server_addr=127.0.0.1 server_port=8080 server_port_class=static
		flow_class=ephemeral-to-static ephemeral_range="$r" attribution=syscall)
	[[ -n $CGROUP_ID ]] && common+=(cgroup_id="$CGROUP_ID")
	local rec
	rec=$(ns_recs "$OUT" '.kind == "connect"')
	[[ -n $rec ]] && check_fields "$rec" "csv connect" "${common[@]}" pid="$CLI_PID" evidence="$EV_C"
	rec=$(ns_recs "$OUT" '.kind == "accept"')
	[[ -n $rec ]] && check_fields "$rec" "csv accept" "${common[@]}" pid="$SRV_PID" evidence="$EV_A"
}

t_not_root()
{
	local rc lines
	command -v setpriv >/dev/null || { skip "setpriv not installed"; return; }
	# a copy any user can execute, wherever the checkout lives
	install -m 0755 "$PT" "$T/porttrace" || return
	chmod 0755 "$TMP" "$T"
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$T/porttrace" -o json -d 1 </dev/null >"$T/nr.out" 2>"$T/nr.err"
	rc=$?
	lines=$(grep -c . "$T/nr.err")
	[[ $rc == 1 ]] || fail "porttrace as uid 65534: exit $rc, expected 1"
	[[ $lines == 1 ]] || fail "porttrace as uid 65534: expected one stderr line, got $lines:" \
		"$(head -5 "$T/nr.err")"
	grep -Eqi 'root|CAP_BPF|sudo' "$T/nr.err" || fail "stderr names no fix: $(head -2 "$T/nr.err")"
}

# Without root, with capabilities only. CAP_BPF+CAP_PERFMON alone: tracefs
# (mode 0700) is out of reach: one line naming CAP_DAC_READ_SEARCH, exit 1.
# With it too: porttrace traces (records of this test's namespace, with the
# right pids), and says what it cannot reach without CAP_SYS_ADMIN.
t_caps_without_root()
{
	local rc caps=+bpf,+perfmon
	command -v setpriv >/dev/null || { fail "setpriv (util-linux) not installed"; return; }
	new_ns || return
	install -m 0755 "$PT" "$T/porttrace" || return
	chmod 0755 "$TMP" "$T"
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=$caps \
		--ambient-caps=$caps "$T/porttrace" -o json -d 1 </dev/null >"$T/c1.out" 2>"$T/c1.err"
	rc=$?
	[[ $rc == 1 ]] || fail "CAP_BPF+CAP_PERFMON only: exit $rc, expected 1"
	grep -v 'off on this kernel' "$T/c1.err" >"$T/c1.err2"
	[[ $(grep -c . "$T/c1.err2") == 1 ]] && grep -q 'CAP_DAC_READ_SEARCH' "$T/c1.err2" ||
		fail "CAP_BPF+CAP_PERFMON only: expected one line naming CAP_DAC_READ_SEARCH:" "$(cat "$T/c1.err")"
	caps=$caps,+dac_read_search
	bg_start pt "$T/pt.out" "$T/pt.err" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=$caps --ambient-caps=$caps "$T/porttrace" -o json -P 8080 ||
		{ fail "porttrace did not start"; return; }
	wait_for "$T/pt.err" '^porttrace: tracing' 15 ||
		{ fail "porttrace with CAP_BPF+CAP_PERFMON+CAP_DAC_READ_SEARCH not tracing:" "$(cat "$T/pt.err")"; return; }
	start_server srv -p 8080 || return
	run_client cli -c 127.0.0.1 -p 8080 || return
	wait_server srv
	wait_recs "$T/pt.out" 2
	sleep 0.3
	stop_pt pt
	OUT=$T/pt.out
	expect_total "$OUT" 2
	expect_record "$OUT" connect "$CLI_SPORT" 8080 pid="$CLI_PID" result=ok
	expect_record "$OUT" accept "$CLI_SPORT" 8080 pid="$SRV_PID" result=ok
	grep -q 'CAP_SYS_ADMIN' "$T/pt.err" ||
		fail "no word of what it cannot reach without CAP_SYS_ADMIN:" "$(cat "$T/pt.err")"
}

# ------------------------------------------------------------ main

TESTS=(
	"t_ipv4|ipv4: one connect (client pid) and one accept (server pid), ephemeral-to-static"
	"t_ipv6|ipv6 ::1: one connect and one accept, ephemeral-to-static"
	"t_mapped|ipv4-mapped: dual-stack server on ::, records are ipv4 with dotted addresses"
	"t_addresses|non-loopback local addresses (10.11.12.13 -> .14:45678, 2001:db8:1::13 -> ::14): right ends, listener evidence"
	"t_fixed_sport|client bound to source port 5555: static-to-static"
	"t_client_gone|client (bound to 40000) closes before the server accepts: accept record still there, both say static"
	"t_server_in_range|server bound to 45678 inside the ephemeral range: static, ephemeral-to-static"
	"t_server_port0|server on a kernel-chosen port: ephemeral-to-ephemeral"
	"t_static_to_eph|fixed client port to a kernel-chosen server port (ipv6): static-to-ephemeral"
	"t_ns_range|netns ip_local_port_range 20000-20999: records carry and use it"
	"t_veth_peer|two namespaces joined by a veth pair, different ranges: the accept judges the client port by the client's socket; the connect judges the server port by its own range and says so"
	"t_sock_range|per-socket IP_LOCAL_PORT_RANGE narrows the connect record's range"
	"t_iana|--ephemeral=iana: plain 49152-65535 test, evidence iana"
	"t_user_range|--ephemeral=20000-20999: plain range test, evidence user-range"
	"t_attach_tracepoint|--attach=tracepoint (classic tracepoint fallback): same ipv4 records"
	"t_preexisting_listener|listener opened before porttrace started: server port still static by its listener"
	"t_attribution|attribution: 30 flows, accept()/accept4() pid is the server's, connect pid the client's"
	"t_thread_name|a worker thread with its own name: comm is the process's name, thread the worker's, -c matches the process; table shows process/thread"
	"t_filter_pid_server|-p SERVER_PID: only that server's accept"
	"t_filter_pid_list|-p CLIENT,SERVER of two flows: exactly their connect and accept"
	"t_filter_port|-P 7001,5555: flows with either port at either end, nothing else"
	"t_filter_kind_connect|-k connect: only connect records"
	"t_filter_kind_accept|--kind=accept: only accept records"
	"t_filter_kind_both|-k connect,accept: both kinds"
	"t_filter_ipv4|-4: the ipv4 flow only"
	"t_filter_ipv6|-6: the ipv6 flow only"
	"t_filter_mapped|-4 shows an ipv4-mapped flow (reported as ipv4), -6 does not"
	"t_sigterm_summary|SIGTERM: exit 0, summary counts the records, 0 lost, a stats record only for what the summary counts"
	"t_latency|records reach the output within 1 s while porttrace runs"
	"t_duration|-d 1 exits 0 by itself with a summary"
	"t_slow_consumer|a reader far behind while a churn floods the ring: -d still ends it, exit 0; SIGHUP during a blocked write does not fail it"
	"t_second_interrupt|a second SIGINT mid-drain: stdout and -w end at a whole record, all JSON"
	"t_count|-n 2 stops after exactly 2 records, exit 0"
	"t_head|porttrace | head -1 ends quietly within 5 s"
	"t_lost_accounting|2000 events into a 64 KiB ring with the consumer stopped: every one printed or counted lost"
	"t_hostile_comm|hostile comm: exact in JSON, no control bytes in CSV/table, CSV formula defused"
	"t_table|-o table: header columns, IPv4 rows within 100 columns, both pids"
	"t_output_error|stdout on /dev/full: exit 1 with the write error on stderr, 0 events counted"
	"t_bad_options|bad option values: exit 2, one line on stderr"
	"t_help_version|--help and -V exit 0 on stdout"
	"t_csv|-o csv: header has the documented columns in order; rows carry the right values"
	"t_not_root|without privileges: exit 1 with one line naming the fix"
	"t_caps_without_root|uid 65534 with CAP_BPF+CAP_PERFMON: one line naming CAP_DAC_READ_SEARCH; with it, exact records"
)

# tests that need neither root nor BPF
NOPRIV="t_bad_options t_help_version"

e2e_main
