#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# porttrace end-to-end tests at scale: porttrace must never lose a record
# nor invent one, whatever the load. Each test runs the built ./porttrace
# against real sockets made by tests/e2e/hold (many connections at once, or
# a fast churn) and tests/e2e/peer inside private network namespaces, and
# checks every record against what the load processes logged they did,
# connection by connection (client address + client port + server port):
#
#   - 100,000 TCP connections held open at once (about 200,000 descriptors,
#     spread over as many processes as RLIMIT_NOFILE requires), then closed:
#     exactly one connect, accept, client close and server close each, with
#     the pid of the process that connected or accepted it;
#   - a namespace churning RST-closed connections beside the traced one:
#     not one of its ports, pids or addresses in the trace, and the traced
#     namespace's records exact;
#   - RST closes racing accept() from 250 source addresses: one accept
#     record per connection the server's kernel completed (ok, or reset when
#     it died in the queue — ok whenever the server saw it still
#     established), never two, a server close for each ok one, one connect
#     and one client close per connection.
#
# Lost events: 0 lost and 0 missing is the goal. The 100,000 and the RST
# race pass with records missing only when porttrace counted at least as many
# lost (its count is an upper bound: a tracepoint run the kernel skipped
# counts even when its record was recovered late), said in a note; beside the churn,
# where porttrace cannot know whose tracepoint runs the kernel skipped, the
# lost count is an upper bound and the traced namespace's records must be
# exact.
#
# Run from the repository root, as root, after
#     make porttrace .output/tests/peer .output/tests/hold
# Output is TAP, as tests/e2e/run.sh's (see there for PORTTRACE, PEER,
# PORTTRACE_E2E_KEEP and PORTTRACE_SKIP_PRIVILEGED); HOLD=path overrides the
# load tool. A test name pattern (ERE on the function names) as $1, or in
# ONLY, runs only the matching tests:
#     tests/e2e/scale.sh t_hold_100k
#     ONLY='phantom|race' tests/e2e/scale.sh
# SCALE_CONNS=N changes the 100,000 of t_hold_100k (e.g. to find where a
# build starts to fail).

set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

ONLY=${1:-${ONLY:-}}
HOLD=${HOLD:-./.output/tests/hold}
E2E_NEEDS="python3"
E2E_SETUP=scale_setup

# ------------------------------------------------------------ helpers

scale_setup()
{
	CHECK=$TMP/scale_check.py
	write_checker >"$CHECK"
}

need_hold()
{
	[[ -x $HOLD ]] && return 0
	fail "cannot run: no $HOLD (make .output/tests/hold)"
	return 1
}

# scale_ns LO HI: a namespace for many connections: that ephemeral range,
# accept and SYN queues that cannot overflow
scale_ns()
{
	new_ns || return 1
	in_ns sysctl -q -w net.ipv4.ip_local_port_range="$1 $2" net.core.somaxconn=65535 \
		net.ipv4.tcp_max_syn_backlog=65535 ||
		{ fail "test setup: cannot set the sysctls of $NS"; return 1; }
}

# start_hold NAME server|client ARGS...: the load tool in $NS, in the background
start_hold()
{
	local name=$1
	shift
	bg_start "$name" /dev/null "$T/$name.err" ip netns exec "$NS" "$HOLD" "$@" ||
		{ fail "hold $name did not start"; return 1; }
}

# wait_hold NAME FILE PATTERN SECS: until FILE has a line matching PATTERN;
# fails early when NAME has exited without writing it
wait_hold()
{
	local name=$1 file=$2 pat=$3 secs=$4 i
	for ((i = 0; i < secs * 10; i++)); do
		grep -Eq -- "$pat" "$file" 2>/dev/null && return 0
		if [[ -s $T/$name.rc ]]; then
			grep -Eq -- "$pat" "$file" 2>/dev/null && return 0
			fail "hold $name exited $(cat "$T/$name.rc") without '$pat' in $file:" \
				"$(head -c 2000 "$T/$name.err")"
			return 1
		fi
		sleep 0.1
	done
	fail "hold $name: no '$pat' in $file within $secs s:" "$(head -c 2000 "$T/$name.err")"
	return 1
}

# field FILE KEY: the value of KEY=VALUE in FILE
field()
{
	sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1" | head -1
}

# wait_lines FILE N SECS: until FILE has N lines, or has not grown for 2 s
# (porttrace has written all it will), or SECS passed
wait_lines()
{
	local file=$1 n=$2 secs=$3 i size last=-1 still=0
	for ((i = 0; i < secs * 5; i++)); do
		size=$(stat -c %s "$file" 2>/dev/null || echo 0)
		if ((size == last)); then
			# counting 100 MB of lines costs: only when it stopped growing
			(($(wc -l <"$file") >= n)) && return 0
			((++still >= 10)) && return 1
		else
			still=0 last=$size
		fi
		sleep 0.2
	done
	return 1
}

# counters NAME...: those TcpExt counters of $NS that are not zero
counters()
{
	in_ns cat /proc/net/netstat | awk -v want=" $* " '
		$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) n[i] = $i; h = 1; next }
		$1 == "TcpExt:" { for (i = 2; i <= NF; i++)
			if (index(want, " " n[i] " ") && $i != 0) printf "%s=%s ", n[i], $i }'
}

# stop porttrace, its summary wanted but lost events judged by the checker;
# sets LOST (M of "N events, M lost", or -1 without a summary)
stop_scale_pt()
{
	LOST=-1
	ALLOW_LOST=1 stop_pt "$1"
	[[ $PT_SUMMARY =~ ,\ ([0-9]+)\ lost ]] && LOST=${BASH_REMATCH[1]}
	true
}

# check ARGS...: the checker over $OUT; its findings fail the test, its
# counts are shown either way
check()
{
	local res
	if res=$(python3 "$CHECK" "$OUT" --netns "$NS_INO" --lost "$LOST" "$@" 2>&1); then
		note "$res"
	else
		fail "$res"
	fi
}

secs_since() { echo $(($(date +%s) - $1)); }

# The checker: reads porttrace's JSON Lines once and every log the load
# tools wrote, and compares them flow by flow.
write_checker()
{
	cat <<-'PY'
	import argparse, collections, gc, json, operator, sys

	gc.disable()	# hundreds of thousands of records, no cycles: no collector passes

	ap = argparse.ArgumentParser()
	ap.add_argument("out")
	ap.add_argument("--netns", type=int, required=True)
	ap.add_argument("--lost", type=int, default=-1, help="M of porttrace's 'N events, M lost'")
	ap.add_argument("--lost-accounts", action="store_true",
	                help="pass when every missing record was counted: lost >= missing"
	                " (lost is an upper bound: a skipped run whose record was"
	                " recovered late still counts)")
	ap.add_argument("--lost-bound", action="store_true",
	                help="a lost count is an upper bound: only missing records fail")
	ap.add_argument("--server-addr", default="127.0.0.1")
	ap.add_argument("--client-log", required=True, help="PID SRC SPORT DPORT lines")
	ap.add_argument("--server-log", help="PID PEER PPORT LPORT STATE lines")
	ap.add_argument("--acceptor", type=int, help="without --server-log: the pid that accepted all")
	ap.add_argument("--listener-pid", type=int, help="the listener's owner")
	ap.add_argument("--all-ok", action="store_true", help="no accept may be reset")
	ap.add_argument("--expect-listen", action="append", default=[], help="PORT:PID")
	ap.add_argument("--forbid-pids", default="")
	ap.add_argument("--forbid-client-ports", help="LO-HI")
	ap.add_argument("--forbid-server-ports", default="")
	ap.add_argument("--forbid-addr-prefix", action="append", default=[])
	a = ap.parse_args()

	ESTABLISHED = 1	# tcpi_state
	FIELDS = ("kind", "side", "pid", "netns", "client_addr", "client_port", "server_addr",
	          "server_port", "result", "attribution", "proto")
	Rec = collections.namedtuple("Rec", FIELDS)
	pick = operator.itemgetter(*FIELDS)
	fails = []


	def short(r):
	    return json.dumps(r._asdict(), separators=(",", ":"))


	def ktxt(k):
	    return f"{k[0]}:{k[1]}->{a.server_addr}:{k[2]}"


	# what the load processes did: 4-tuple -> [pid] (client), [(pid, state)] (server)
	clients = collections.defaultdict(list)
	with open(a.client_log) as f:
	    for line in f:
	        pid, addr, sport, dport = line.split()
	        clients[(addr, int(sport), int(dport))].append(int(pid))
	servers = collections.defaultdict(list)
	if a.server_log:
	    with open(a.server_log) as f:
	        for line in f:
	            pid, addr, pport, lport, state = line.split()
	            servers[(addr, int(pport), int(lport))].append((int(pid), int(state)))
	else:
	    for k, pids in clients.items():
	        servers[k] = [(a.acceptor, ESTABLISHED)] * len(pids)
	n_clients = sum(len(v) for v in clients.values())
	n_servers = sum(len(v) for v in servers.values())
	reused = sum(1 for v in clients.values() if len(v) > 1)

	# what porttrace said, in one pass
	def read_records(path):
	    flows = {kind: collections.defaultdict(list) for kind in ("connect", "accept", "cclose", "sclose")}
	    others, stats, bad, total = [], [], 0, 0
	    make = Rec._make
	    with open(path, errors="replace") as f:
	        for line in f:
	            try:
	                d = json.loads(line)
	                if d.get("kind") == "stats":
	                    stats.append(d)
	                    continue
	                r = make(pick(d))
	            except (ValueError, AttributeError, KeyError, TypeError):
	                bad += 1
	                continue
	            total += 1
	            kind = r.kind
	            if kind == "close":
	                kind = "cclose" if r.side == "client" else "sclose"
	            if kind in flows:
	                flows[kind][(r.client_addr, r.client_port, r.server_port)].append(r)
	            else:
	                others.append(r)
	    return flows, others, stats, bad, total


	flows, others, stats, bad, total = read_records(a.out)
	if bad:
	    fails.append(f"{bad} output lines are not JSON objects")

	# nothing from elsewhere: another namespace, or the other namespace's load
	forbid_pids = {int(p) for p in a.forbid_pids.split(",") if p}
	forbid_sports = {int(p) for p in a.forbid_server_ports.split(",") if p}
	flo, fhi = map(int, a.forbid_client_ports.split("-")) if a.forbid_client_ports else (1, 0)
	prefixes = tuple(a.forbid_addr_prefix)


	def stray(r):
	    why = []
	    if r.netns != a.netns:
	        why.append("netns")
	    if r.pid in forbid_pids:
	        why.append("pid")
	    if isinstance(r.client_port, int) and flo <= r.client_port <= fhi:
	        why.append("client_port")
	    if r.server_port in forbid_sports:
	        why.append("server_port")
	    if prefixes and str(r.client_addr).startswith(prefixes):
	        why.append("client_addr")
	    if prefixes and str(r.server_addr).startswith(prefixes):
	        why.append("server_addr")
	    return why


	strays = []
	for lst in [l for d in flows.values() for l in d.values()] + [others]:
	    for r in lst:
	        why = stray(r)
	        if why:
	            strays.append((r, why))
	if strays:
	    fails.append(f"{len(strays)} records from outside the traced namespace or of the other "
	                 "namespace's ports, pids or addresses, e.g.:")
	    fails += [f"  [{','.join(w)}] {short(r)}" for r, w in strays[:5]]


	class Tally:
	    def __init__(self, name):
	        self.name, self.want, self.got = name, 0, 0
	        self.missing, self.extra, self.wrong = [], [], []

	    def bad(self):
	        return self.missing or self.extra or self.wrong or self.want != self.got

	    def report(self):
	        out = [f"{self.name}: expected {self.want}, got {self.got} (missing {len(self.missing)}, "
	               f"extra {len(self.extra)}, wrong {len(self.wrong)})"]
	        for what, lst in (("missing", self.missing), ("extra", self.extra), ("wrong", self.wrong)):
	            out += [f"  {self.name} {what}: {s}" for s in lst[:5]]
	        return out


	def mismatch(r, want):
	    """want: ((field index, value), ...)"""
	    bad = [f"{FIELDS[i]} {r[i]!r} (wants {v!r})" for i, v in want if r[i] != v]
	    return ", ".join(bad)


	def fields(**kv):
	    return tuple((FIELDS.index(f), v) for f, v in kv.items())


	def match(t, k, pids, got, want):
	    """one record per pid in pids (a multiset) for 4-tuple k, with fields want"""
	    t.want += len(pids)
	    t.got += len(got)
	    if len(pids) == 1 and len(got) == 1:	# the usual case, quickly
	        r = got[0]
	        if r.pid != pids[0] or any(r[i] != v for i, v in want):
	            why = mismatch(r, want) or f"pid {r.pid} (wants {pids[0]})"
	            t.wrong.append(f"{why}: {short(r)}")
	        return
	    if len(got) < len(pids):
	        t.missing += [ktxt(k)] * (len(pids) - len(got))
	    elif len(got) > len(pids):
	        t.extra.append(f"{ktxt(k)}: {len(got)} records, wants {len(pids)}: "
	                       + " ".join(short(r) for r in got[:3]))
	    pool = collections.Counter(pids)
	    for r in got if pids else ():	# none wanted: all extra, said above
	        why = mismatch(r, want)
	        if not why and pool[r.pid] <= 0:
	            why = f"pid {r.pid} (wants {' or '.join(map(str, sorted(set(pids)))) or 'none'})"
	        elif not why:
	            pool[r.pid] -= 1
	        if why:
	            t.wrong.append(f"{why}: {short(r)}")


	def compare():
	    tc, ta, tcc, tsc = Tally("connect"), Tally("accept"), Tally("client close"), Tally("server close")
	    resets = could_reset = 0
	    keys = set(clients) | set(servers)
	    for d in flows.values():
	        keys |= set(d)
	    common = dict(proto="tcp", server_addr=a.server_addr)
	    w_connect = fields(side="client", result="ok", **common)
	    w_cclose = fields(side="client", **common)
	    w_sclose = fields(side="server", **common)
	    w_accept = fields(side="server", attribution="syscall", **common)
	    w_reset = fields(side="server", attribution="listener", pid=a.listener_pid, **common)
	    for k in keys:
	        cp = clients.get(k, [])
	        match(tc, k, cp, flows["connect"].get(k, []), w_connect)
	        match(tcc, k, cp, flows["cclose"].get(k, []), w_cclose)
	        sv = servers.get(k, [])
	        acc = flows["accept"].get(k, [])
	        # an accept is ok, or reset when the connection may have died in the queue:
	        # only if the server did not find it established right after accept()
	        maybe = 0 if a.all_ok else sum(1 for _, st in sv if st != ESTABLISHED)
	        could_reset += maybe
	        oks = [r for r in acc if r.result == "ok"]
	        rst = [r for r in acc if r.result == "reset"]
	        resets += len(rst)
	        ta.want += len(sv)
	        ta.got += len(acc)
	        if len(acc) < len(sv):
	            ta.missing += [ktxt(k)] * (len(sv) - len(acc))
	        elif len(acc) > len(sv):
	            ta.extra.append(f"{ktxt(k)}: {len(acc)} accept records, wants {len(sv)}: "
	                            + " ".join(short(r) for r in acc[:3]))
	        pool = collections.Counter(p for p, _ in sv)
	        for r in oks if sv else ():
	            why = mismatch(r, w_accept)
	            if not why and pool[r.pid] <= 0:
	                why = f"pid {r.pid} (wants the acceptor: {' or '.join(str(p) for p in sorted(pool)) or 'none'})"
	            elif not why:
	                pool[r.pid] -= 1
	            if why:
	                ta.wrong.append(f"{why}: {short(r)}")
	        for i, r in enumerate(rst if sv else ()):
	            if i >= maybe:
	                why = "result reset, but the server's accept() took it established"
	            elif a.listener_pid is not None:
	                why = mismatch(r, w_reset)
	            else:
	                why = "" if r.attribution in ("listener", "none") else f"attribution {r.attribution!r}"
	            if why:
	                ta.wrong.append(f"{why}: {short(r)}")
	        for r in acc:
	            if r.result not in ("ok", "reset"):
	                ta.wrong.append(f"result {r.result!r}: {short(r)}")
	        # the server's close of each connection it took, but of those reported
	        # dead in the queue (nobody had accepted them: no flow to close)
	        match(tsc, k, [p for p, _ in sv][:max(0, len(sv) - len(rst))], flows["sclose"].get(k, []),
	              w_sclose)
	    return tc, ta, tcc, tsc, resets, could_reset


	tc, ta, tcc, tsc, resets, could_reset = compare()

	# listeners (with -k all)
	for spec in a.expect_listen:
	    port, pid = map(int, spec.split(":"))
	    for kind in ("listen", "unlisten"):
	        got = [r for r in others if r.kind == kind and r.server_port == port]
	        if len(got) != 1 or got[0].pid != pid:
	            fails.append(f"{kind} on port {port}: expected one record of pid {pid}, got "
	                         + (" ".join(short(r) for r in got[:3]) or "none"))
	        others = [r for r in others if r not in got]
	if others:
	    fails.append(f"{len(others)} records of no traced flow, e.g.:")
	    fails += ["  " + short(r) for r in others[:5]]

	tallies = (tc, ta, tcc, tsc)
	missing = sum(len(t.missing) for t in tallies)
	# --lost-accounts: records missing and nothing else wrong, no more than
	# porttrace said it lost, pass (reported); else every loss fails
	accounted = (a.lost_accounts and a.lost > 0 and a.lost >= missing and not fails
	             and not any(t.extra or t.wrong for t in tallies))
	for t in tallies:
	    if t.bad() and not accounted:
	        fails += t.report()
	if a.lost != 0 and not accounted and not (a.lost_bound and a.lost > 0):
	    fails.append(("porttrace printed no 'N events, M lost' summary" if a.lost < 0 else
	                  f"porttrace: {a.lost} lost") + f"; {missing} records missing"
	                 + (" (the count matches)" if a.lost == missing else " (the count does NOT match)"))
	for s in stats:
	    if s.get("lost") and not accounted and not a.lost_bound:
	        fails.append("stats record: " + json.dumps(s))

	summary = (f"{n_clients} connections made by the client, {n_servers} taken by the server"
	           + (f" ({reused} 4-tuples used more than once)" if reused else "")
	           + f"; {total} records: connect {tc.got}/{tc.want}, accept {ta.got}/{ta.want}"
	           + f" ({resets} reset before accept, {could_reset} could be)"
	           + f", client close {tcc.got}/{tcc.want}, server close {tsc.got}/{tsc.want}; "
	           + ("no summary" if a.lost < 0 else f"{a.lost} lost")
	           + (f", which accounts for the {missing} missing records (--lost-accounts)" if accounted else "")
	           + (" (an upper bound: --lost-bound)" if a.lost_bound and a.lost > 0 else ""))
	if fails:
	    print("\n".join(fails + [summary]))
	    sys.exit(1)
	print(summary)
	PY
}

# ------------------------------------------------------------ tests

# 100,000 connections open at once (client and server workers hold them,
# about 200,000 descriptors), then all closed: four exact records each.
t_hold_100k()
{
	local n=${SCALE_CONNS:-100000} t0 t1 t2 t3 cpids spids
	need_hold || return
	scale_ns 1024 65535 || return
	OUT=$T/pt.out
	t0=$(date +%s)
	start_pt pt -o json -k connect,accept,close --netns="$NS_INO" --ring-size=65536 || return
	# 8 source addresses x 4 server ports: 32 4-tuple spaces of 64,512 ports
	start_hold srv server -a 127.0.0.1 -p 8001,8002,8003,8004 -n "$n" -K -t 150 \
		-l "$T/srv.log" -r "$T/srv.ready" -d "$T/srv.done" || return
	wait_hold srv "$T/srv.ready" '^pid=' 10 || return
	start_hold cli client -c 127.0.0.1 -p 8001,8002,8003,8004 -b 127.0.0.2 -m 8 -n "$n" -K \
		-t 150 -l "$T/cli.log" -r "$T/cli.ready" -g "$T/cli.go" -d "$T/cli.done" || return
	wait_hold cli "$T/cli.ready" '^pid=' 60 || return
	wait_hold srv "$T/srv.done" 'accepted=' 30 || return
	t1=$(date +%s)
	[[ $(field "$T/cli.ready" ok) == "$n" && $(field "$T/srv.done" accepted) == "$n" ]] ||
		{ fail "test setup: client: $(cat "$T/cli.ready"), server: $(cat "$T/srv.done")" \
			"$(counters ListenOverflows ListenDrops TCPReqQFullDrop)"; return; }
	cpids=$(field "$T/cli.ready" pids) spids=$(field "$T/srv.done" pids)
	note "$n connections held by client workers $cpids and server workers $spids"
	# all at once: the client closes, the server closes each on EOF
	touch "$T/cli.go"
	wait_hold cli "$T/cli.done" '^closed=' 60 || return
	wait_hold srv "$T/srv.done" '^closed=' 60 || return
	t2=$(date +%s)
	wait_lines "$OUT" $((4 * n)) 60
	# every socket through CLOSE (TIME-WAIT is past it) before porttrace stops
	local i
	for ((i = 0; i < 300; i++)); do
		[[ -z $(ip netns exec "$NS" ss -tanH state established state fin-wait-1 \
			state fin-wait-2 state closing state last-ack state close-wait | head -1) ]] && break
		sleep 0.1
	done
	sleep 0.5
	stop_scale_pt pt
	t3=$(date +%s)
	check --client-log "$T/cli.log" --server-log "$T/srv.log" --all-ok --lost-accounts
	note "t_hold_100k: established in $((t1 - t0)) s, closed in $((t2 - t1)) s, drained in $((t3 - t2)) s, checked in $(secs_since "$t3") s; $(secs_since "$t0") s in all"
}

# Namespace B churns RST-closed connections (B's own ports, pids and
# addresses) for 10 s while porttrace traces only namespace A, where a
# client makes 40 connections: A's records exact, nothing of B's.
t_netns_phantom()
{
	local t0 a_ns a_ino b_ns bn bpids spid sport=9500 cp
	need_hold || return
	t0=$(date +%s)
	scale_ns 20000 29999 || return
	b_ns=$NS
	scale_ns 40000 49999 || return
	a_ns=$NS a_ino=$NS_INO
	start_pt pt -o json -k all --netns="$a_ino" || return

	NS=$b_ns
	start_hold bsrv server -a 127.0.4.1 -p 7001,7002,7003,7004 -n 0 -g "$T/bsrv.stop" -t 60 \
		-r "$T/bsrv.ready" -d "$T/bsrv.done" || return
	wait_hold bsrv "$T/bsrv.ready" '^pid=' 10 || return
	start_hold bcli client -c 127.0.4.1 -p 7001,7002,7003,7004 -b 127.0.3.1 -m 50 -T 10 -Z \
		-t 60 -r "$T/bcli.ready" || return

	NS=$a_ns
	start_server srv -p $sport -n 40 -t 40 || return
	spid=$SRV_PID
	run_client cli -c 127.0.0.1 -p $sport -k 40 -D 250 -t 40 || return
	wait_server srv

	NS=$b_ns
	wait_hold bcli "$T/bcli.ready" '^pid=' 20 || return
	touch "$T/bsrv.stop"
	wait_hold bsrv "$T/bsrv.done" 'accepted=' 20 || return
	bn=$(field "$T/bcli.ready" ok)
	bpids=$(field "$T/bsrv.ready" pid),$(field "$T/bsrv.done" pids),$(field "$T/bcli.ready" pid),$(field "$T/bcli.ready" pids)
	((bn >= 1000)) || fail "test setup: namespace B made only $bn connections: $(cat "$T/bcli.ready")"
	note "namespace B: $bn connections reset by pids $bpids; B's server took $(field "$T/bsrv.done" accepted)"

	NS=$a_ns NS_INO=$a_ino
	wait_lines "$T/pt.out" $((4 * 40 + 2)) 10
	stop_scale_pt pt
	for cp in $CLI_SPORTS; do
		echo "$CLI_PID 127.0.0.1 $cp $sport"
	done >"$T/a.log"
	OUT=$T/pt.out
	# B's load makes the kernel skip tracepoint runs now and then; porttrace
	# cannot tell whose they were and counts them as lost: an upper bound,
	# A's records must still be exact
	check --client-log "$T/a.log" --acceptor "$spid" --all-ok --expect-listen "$sport:$spid" --lost-bound \
		--forbid-pids "$bpids" --forbid-client-ports 20000-29999 \
		--forbid-server-ports 7001,7002,7003,7004 --forbid-addr-prefix 127.0.3. \
		--forbid-addr-prefix 127.0.4.
	note "t_netns_phantom: $(secs_since "$t0") s"
}

# 20,000 connections from 127.0.1.1-250, each closed with an RST right after
# connect() while the server accepts: one accept record per connection the
# server's kernel made (reset only if it may have died in the queue), never
# two, a server close for each accepted one, one connect and client close each
t_rst_accept_race()
{
	local n=20000 t0 lpid est
	need_hold || return
	t0=$(date +%s)
	scale_ns 1024 65535 || return
	OUT=$T/pt.out
	start_pt pt -o json -k connect,accept,close --netns="$NS_INO" --ring-size=65536 || return
	start_hold srv server -a 127.0.0.1 -p 8100 -n 0 -g "$T/srv.stop" -t 60 \
		-l "$T/srv.log" -r "$T/srv.ready" -d "$T/srv.done" || return
	wait_hold srv "$T/srv.ready" '^pid=' 10 || return
	lpid=$(field "$T/srv.ready" pid)
	start_hold cli client -c 127.0.0.1 -p 8100 -b 127.0.1.1 -m 250 -n $n -Z -t 60 \
		-l "$T/cli.log" -r "$T/cli.ready" || return
	wait_hold cli "$T/cli.ready" '^pid=' 40 || return
	[[ $(field "$T/cli.ready" ok) == "$n" ]] ||
		fail "test setup: not every connect succeeded: $(cat "$T/cli.ready")"
	sleep 0.3
	touch "$T/srv.stop"
	wait_hold srv "$T/srv.done" 'accepted=' 20 || return
	est=$(awk '$5 == 1' "$T/srv.log" | wc -l)
	note "client $(cat "$T/cli.ready"); server $(cat "$T/srv.done"), $((n - est)) of them reset before it read their state; netstat: $(counters ListenOverflows ListenDrops TCPReqQFullDrop)"
	# connect, client close and accept each, and at least a server close for
	# each one the server found established
	wait_lines "$OUT" $((3 * n + est)) 20
	sleep 0.5
	stop_scale_pt pt
	# 0 lost and 0 missing is the goal; a loss porttrace counted (lost >=
	# records missing, nothing else wrong) passes, said in a note
	check --client-log "$T/cli.log" --server-log "$T/srv.log" --listener-pid "$lpid" --lost-accounts
	note "t_rst_accept_race: $(secs_since "$t0") s"
}

# hold_open TAG PORT N GO: N connections in $NS held open until GO exists
# (server srvTAG, client cliTAG, their files $T/{srv,cli}TAG.*)
hold_open()
{
	local tag=$1 port=$2 n=$3 go=$4
	start_hold "srv$tag" server -a 127.0.0.1 -p "$port" -n "$n" -K -t 60 \
		-r "$T/srv$tag.ready" -d "$T/srv$tag.done" || return
	wait_hold "srv$tag" "$T/srv$tag.ready" '^pid=' 10 || return
	start_hold "cli$tag" client -c 127.0.0.1 -p "$port" -n "$n" -K -t 60 \
		-r "$T/cli$tag.ready" -g "$go" -d "$T/cli$tag.done"
}

# Connections still open in two namespaces when porttrace stops: their
# closes are owed but not lost (porttrace looks for them in every namespace
# before it counts a close as never seen), in both attach modes. Then they
# close, after porttrace: no record of that.
t_open_at_stop()
{
	local mode ns_a ns_b n_a=500 n_b=300 out recs want
	need_hold || return
	scale_ns 1024 65535 || return
	ns_a=$NS
	scale_ns 1024 65535 || return
	ns_b=$NS
	# both modes, or the one the kernel matrix runs
	for mode in ${PORTTRACE_ATTACH:-tp_btf tracepoint}; do
		out=$T/pt-$mode.out
		PT_STDOUT=$out start_pt "pt$mode" -o json -k connect,accept,close --attach="$mode" || return
		NS=$ns_a hold_open "a$mode" 8201 $n_a "$T/go$mode" || return
		NS=$ns_b hold_open "b$mode" 8202 $n_b "$T/go$mode" || return
		wait_hold "clia$mode" "$T/clia$mode.ready" '^pid=' 30 || return
		wait_hold "clib$mode" "$T/clib$mode.ready" '^pid=' 30 || return
		wait_hold "srva$mode" "$T/srva$mode.done" 'accepted=' 30 || return
		wait_hold "srvb$mode" "$T/srvb$mode.done" 'accepted=' 30 || return
		want=$((2 * (n_a + n_b)))
		wait_lines "$out" "$want" 10
		# still open: a close owed in each namespace, none lost
		stop_pt "pt$mode" || return
		touch "$T/go$mode"
		wait_hold "clia$mode" "$T/clia$mode.done" '^closed=' 30 || return
		wait_hold "clib$mode" "$T/clib$mode.done" '^closed=' 30 || return
		recs=$(grep -Ec '"server_port":820[12],' "$out")
		[[ $recs == "$want" ]] ||
			fail "$mode: expected $want connect and accept records of ports 8201-8202, got $recs"
		grep -q '"kind":"close".*"server_port":820[12],' "$out" &&
			fail "$mode: a close record of a connection that closed after porttrace stopped"
		grep -q '"kind":"stats"' "$out" && fail "$mode: a stats record: $(grep '"kind":"stats"' "$out")"
		note "$mode: $PT_SUMMARY"
	done
}

# ------------------------------------------------------------ main

TESTS=(
	"t_hold_100k|100,000 TCP connections held open at once, then closed: one connect, accept, client and server close each, right pids; none missing that was not counted lost"
	"t_netns_phantom|--netns=A while namespace B churns RST-closed connections: no record of B's ports, pids or addresses; A's records exact"
	"t_open_at_stop|800 connections open in two namespaces when porttrace stops, in each attach mode: 0 lost (their closes are owed, not lost); no close record after it stopped"
	"t_rst_accept_race|20,000 RST closes from 250 source addresses racing accept(): one accept record each (ok or reset), never two; closes exact"
)

e2e_main
