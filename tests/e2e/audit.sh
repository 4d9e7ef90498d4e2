#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# porttrace end-to-end tests of `porttrace audit` and of -w/--write files:
# drive a known mix of services, clients, a port scan and an exhausted
# ephemeral range inside a private network namespace, and assert the exact
# report rows and findings in JSON Lines and CSV; then the safety rules of
# report files (O_EXCL, --force, symlinks, mode 0600, atomic rename), live
# -w files (format by extension, ENOSPC, SIGHUP rotation), --interval
# snapshots and -N.
#
# Run from the repository root, as root, after `make porttrace` (python3,
# jq and iproute2 from tools/install-deps; tmpfs mounts for the ENOSPC tests
# are made under the scratch dir and unmounted after each test).
# Output is TAP like tests/e2e/run.sh: "ok N - name", "not ok N - name"
# followed by "# " lines saying what was expected and what came out.
# Exits non-zero if any test failed. Without root or BPF every test fails,
# unless PORTTRACE_SKIP_PRIVILEGED=1, which turns them into SKIPs.
#
# Traffic is made by a small python3 helper (written to the scratch dir)
# on loopback inside namespaces created here (pt-e2e-PID-*); porttrace runs
# with --netns=INODE of that namespace, so host traffic cannot interfere.
# PORTTRACE=path overrides the binary; a test name pattern (ERE on the
# function names) as $1 runs only the matching tests; PORTTRACE_E2E_KEEP=1
# keeps the scratch files in /tmp.

set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

ONLY=${1:-}

# The audit CSV columns, in the order user/audit/audit_report.c names them.
AUDIT_COLUMNS="record host version ephemeral_mode start end events lost complete netns proto address port service_hint state comms pids pid_count uid container_id bound in_ephemeral_range ephemeral_range accepts unaccepted distinct_clients distinct_client_ports eph_to_static static_to_static eph_to_eph static_to_eph first_accept last_accept connects failures no_ephemeral_port peak_ephemeral_ports first_connect last_connect bytes_in bytes_out rank severity rule subject detail count schema_version"

MOUNTS=()	# tmpfs mounts of the current test, unmounted at its end

# ------------------------------------------------------------ helpers

# The traffic helper: servers, clients and a scanner with process names of
# our choosing (prctl), so report rows can be matched by comm and pid.
write_helpers()
{
	cat >"$TMP/h.py" <<'EOF'
import ctypes, errno, os, signal, socket, sys, time

signal.alarm(60)			# every helper ends by itself

def setname(n):
    ctypes.CDLL(None).prctl(15, n.encode(), 0, 0, 0)

def atomic(path, text):
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.rename(path + '.tmp', path)

def sock(addr):
    return socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET)

def opt(args, name, conv=str, default=None):
    return conv(args[args.index(name) + 1]) if name in args else default

def recv_exact(c, n):
    got = 0
    while got < n:
        b = c.recv(n - got)
        if not b:
            break
        got += len(b)
    return got

def drain(c):
    got = 0
    while True:
        b = c.recv(65536)
        if not b:
            return got
        got += len(b)

def idle():
    while True:
        time.sleep(100)

mode, name = sys.argv[1], sys.argv[2]
setname(name)
if mode == 'server':
    # server NAME ADDR PORT ACCEPTS READY [--hold] [--xfer RECV:SEND]
    addr, port, n, ready = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    args = sys.argv[7:]
    xfer = opt(args, '--xfer')
    s = sock(addr)
    s.bind((addr, port))
    s.listen(256)
    atomic(ready, 'pid=%d port=%d\n' % (os.getpid(), s.getsockname()[1]))
    held = []
    for i in range(n):
        c, _ = s.accept()
        if xfer:
            rx, tx = map(int, xfer.split(':'))
            recv_exact(c, rx)
            c.sendall(b'y' * tx)
        if '--hold' in args:
            held.append(c)
        else:
            c.close()
    atomic(ready + '.done', 'accepted=%d\n' % n)
    idle()
elif mode == 'client':
    # client NAME ADDR PORT COUNT INFO [--src ADDR] [--sport P] [--hold]
    #        [--xfer SEND:RECV]
    addr, port, count, info = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    args = sys.argv[7:]
    src, sport, xfer = opt(args, '--src'), opt(args, '--sport', int, 0), opt(args, '--xfer')
    out, held = [], []
    for i in range(count):
        c = sock(addr)
        if sport:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if src or sport:
            c.bind((src or ('::' if ':' in addr else '0.0.0.0'), sport))
        try:
            c.connect((addr, port))
        except OSError as e:
            out.append('err=' + errno.errorcode.get(e.errno, str(e.errno)))
            c.close()
            continue
        out.append('sport=%d' % c.getsockname()[1])
        if '--hold' in args:
            held.append(c)
            continue
        if xfer:
            c.sendall(b'x' * int(xfer.split(':')[0]))
        drain(c)			# the server closes first: we wait for it
        c.close()
    atomic(info, 'pid=%d %s\n' % (os.getpid(), ' '.join(out)))
    if '--hold' in args:
        idle()
elif mode == 'scan':
    # scan NAME SRC DST LO HI INFO: one connect per port, counted by outcome
    src, dst, lo, hi, info = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
    res = {}
    for p in range(lo, hi + 1):
        c = sock(dst)
        c.bind((src, 0))
        try:
            c.connect((dst, p))
            r = 'connected'
        except OSError as e:
            r = errno.errorcode.get(e.errno, str(e.errno))
        c.close()
        res[r] = res.get(r, 0) + 1
    atomic(info, 'pid=%d %s\n' % (os.getpid(), ' '.join('%s=%d' % kv for kv in sorted(res.items()))))
EOF
	# csv2json FILE: a strict RFC 4180 reader. Every line must end in CRLF,
	# every row have the header's column count; prints {"header": [...]}
	# then one JSON object per row (all values strings). Exit 1 with the
	# reason on stderr otherwise.
	cat >"$TMP/csv2json.py" <<'EOF'
import csv, io, json, sys

data = open(sys.argv[1], 'rb').read()
if not data:
    sys.exit('empty file')
if not data.endswith(b'\r\n'):
    sys.exit('does not end with CRLF (a half-written row?): ...%r' % data[-60:])
text = data.decode('utf-8')
rows = list(csv.reader(io.StringIO(text, newline=''), strict=True))
# a bare LF outside quotes would have split a row: count physical lines too
if text.count('\n') != text.count('\r\n'):
    sys.exit('a line ends in LF without CR')
header = rows[0]
print(json.dumps({'header': header}))
for i, r in enumerate(rows[1:], 2):
    if len(r) != len(header):
        sys.exit('row %d has %d columns, the header %d: %r' % (i, len(r), len(header), r))
    print(json.dumps(dict(zip(header, r))))
EOF
	# same_records CSV JSONL [kind-column]: the CSV file and the JSON Lines
	# file hold the same records in the same order: each JSON value renders
	# as its CSV cell (null empty, arrays space-joined, objects k=v), and
	# CSV cells of fields a JSON record lacks are empty.
	cat >"$TMP/same.py" <<'EOF'
import csv, io, json, sys

rows = list(csv.DictReader(io.StringIO(open(sys.argv[1], 'rb').read().decode(), newline='')))
recs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
kindcol = sys.argv[3] if len(sys.argv) > 3 else 'kind'
bad = []
if len(rows) != len(recs):
    bad.append('%d CSV rows, %d JSON records' % (len(rows), len(recs)))

def cell(v):
    if v is None:
        return ''
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, list):
        return ' '.join(str(x) for x in v)
    if isinstance(v, dict):
        return ' '.join('%s=%s' % kv for kv in v.items())
    return str(v)

for i, (row, rec) in enumerate(zip(rows, recs), 1):
    for k, v in rec.items():
        col = kindcol if k == 'kind' else k
        if col not in row:
            bad.append('record %d: JSON field %s is no CSV column' % (i, k))
        elif row[col] != cell(v):
            bad.append('record %d (%s): %s: JSON %r, CSV %r' % (i, rec.get('kind'), k, v, row[col]))
    for k, v in row.items():
        key = 'kind' if k == kindcol else k
        if key not in rec and v != '':
            bad.append('record %d (%s): CSV %s=%r, not in the JSON record' % (i, rec.get('kind'), k, v))
for b in bad[:15]:
    print(b)
sys.exit(1 if bad else 0)
EOF
}

# csv_json FILE: the rows of a CSV file as JSON Lines (header first); a
# malformed file is a failure, with the reason.
csv_json()
{
	local out
	if ! out=$(python3 "$TMP/csv2json.py" "$1" 2>&1); then
		fail "$(basename "$1"): not clean RFC 4180 CSV: $out"
		return 1
	fi
	printf '%s\n' "$out"
}

# py NAME ARGS...: run the helper in $NS in the foreground (bounded)
py()
{
	local mode=$1
	shift
	timeout 30 ip netns exec "$NS" python3 "$TMP/h.py" "$mode" "$@" </dev/null
}

# srv NAME ADDR PORT ACCEPTS [OPTIONS]: a helper server in $NS, in the
# background; waits until it listens. Sets SRV_PID.
srv()
{
	local name=$1 addr=$2 port=$3 n=$4
	shift 4
	SRV_PID=
	bg_start "$name" /dev/null "$T/$name.err" ip netns exec "$NS" \
		python3 "$TMP/h.py" server "$name" "$addr" "$port" "$n" "$T/$name.ready" "$@" ||
		{ fail "server $name did not start"; return 1; }
	if ! wait_for "$T/$name.ready" '^pid=' 10; then
		fail "server $name not listening within 10 s: $(head -c 500 "$T/$name.err")"
		return 1
	fi
	SRV_PID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$T/$name.ready")
}

# srv_done NAME: the server took all its connections (5 s)
srv_done()
{
	wait_for "$T/$1.ready.done" '^accepted=' 5 ||
		fail "server $1 did not accept all its connections within 5 s: $(head -c 500 "$T/$1.err")"
}

# cli NAME ADDR PORT COUNT [OPTIONS]: a helper client in $NS, foreground.
# Sets CLI_PID and CLI_RES ("sport=N ... err=NAME ...").
cli()
{
	local name=$1 addr=$2 port=$3 n=$4 info
	shift 4
	CLI_PID='' CLI_RES=''
	if ! py client "$name" "$addr" "$port" "$n" "$T/$name.info" "$@" 2>"$T/$name.err"; then
		fail "client $name failed: $(head -c 500 "$T/$name.err")"
		return 1
	fi
	info=$(cat "$T/$name.info")
	CLI_PID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' <<<"$info")
	CLI_RES=${info#* }
}

# cli_bg NAME ADDR PORT COUNT OPTIONS...: a client that holds its
# connections (--hold) in the background; waits until it has tried all.
cli_bg()
{
	local name=$1 addr=$2 port=$3 n=$4
	shift 4
	CLI_PID='' CLI_RES=''
	bg_start "$name" /dev/null "$T/$name.err" ip netns exec "$NS" \
		python3 "$TMP/h.py" client "$name" "$addr" "$port" "$n" "$T/$name.info" "$@" ||
		{ fail "client $name did not start"; return 1; }
	if ! wait_for "$T/$name.info" '^pid=' 10; then
		fail "client $name not done within 10 s: $(head -c 500 "$T/$name.err")"
		return 1
	fi
	CLI_PID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$T/$name.info")
	CLI_RES=$(cut -d' ' -f2- "$T/$name.info")
}

# ns_lo: a namespace ($NS, $NS_INO) with extra loopback addresses
ns_lo()
{
	new_ns || { fail "cannot create a network namespace"; return 1; }
	local a
	for a in "$@"; do
		ip -n "$NS" addr add "$a/32" dev lo || { fail "cannot add $a"; return 1; }
	done
}

# pt_wait NAME SECS: porttrace NAME ends by itself (-d) within SECS; prints rc
pt_wait()
{
	local rc
	if ! rc=$(bg_wait "$1" "$2"); then
		fail "porttrace $1 did not exit within $2 s"
		bg_kill "$1"
		return 1
	fi
	echo "$rc"
}

# jrec FILE JQ-CONDITION: the JSON records of FILE matching, compact
jrec() { jq -c "select($2)" "$1" 2>/dev/null; }

# expect_one FILE WHAT JQ-CONDITION KEY=VALUE...: exactly one record of FILE
# matches; its fields have these values (check_fields rules)
expect_one()
{
	local file=$1 what=$2 cond=$3 recs n
	shift 3
	recs=$(jrec "$file" "$cond")
	n=$(grep -c . <<<"$recs")
	if [[ $n != 1 ]]; then
		fail "$what: expected exactly one record matching '$cond', got $n" \
			"$(head -5 <<<"$recs")"
		return 1
	fi
	check_fields "$recs" "$what" "$@"
}

mode_of() { stat -c %a "$1" 2>/dev/null; }

# stderr lines of porttrace NAME other than "tracing" and the summary
extra_stderr()
{
	grep -Ev '^porttrace: (tracing|[0-9]+ events, [0-9]+ lost)' "$T/$1.err"
}

# ------------------------------------------------------------ the known mix

# Everything of issue 4's end-to-end list in one namespace and one audit:
#   web    0.0.0.0:8080    3 accepts: 2 from 127.0.0.1, 1 from 10.9.9.8,
#                          each client sends 10 bytes and reads 20
#   tls    0.0.0.0:8443    2 accepts from 127.0.0.1: one ephemeral port,
#                          one fixed source port 5555 (client "bgp")
#   idle   127.0.0.1:9090  accepts nothing
#   ephsvc 127.0.0.1:45678 bound inside the ephemeral range, 1 accept
#   scan   10.9.9.9 tries 10.9.9.1:1000-1049, all closed
#   pool   127.0.0.1:7000  after the range is cut to 40000-40003: a client
#                          holds 4 connections, the 5th finds no port
# The range is cut last: the listeners above were opened (and judged)
# under the namespace's default range. 40000-40003, not 40000-40002: the
# kernel's connect() walks an even count of ports (remaining &= ~1 in
# __inet_hash_connect), so of a 3-port range it uses only 2.
MIX_DONE=

# mix_enter: the t_mix_* tests share one run and its scratch dir: the first
# of them to run makes it (and its processes end with that test); the
# others only read its files.
mix_enter()
{
	T=$TMP/mix
	mkdir -p "$T"
	if [[ -z $MIX_DONE ]]; then
		MIX_DONE=1
		mix_run || return 1
	fi
	[[ -s $T/mix.json ]] || { fail "no report from the mix run (see the first t_mix test)"; return 1; }
}

mix_run()
{
	local r
	ns_lo 10.9.9.1 10.9.9.8 10.9.9.9 || return 1
	MIX_INO=$NS_INO
	MIX_RANGE=$(ns_range)
	in_range 45678 "$MIX_RANGE" || { fail "test setup: 45678 not in the range $MIX_RANGE"; return 1; }
	# -d: the audit ends by itself; the traffic below takes ~2 s
	PT_STDOUT=$T/mix.json start_pt mix audit --netns="$MIX_INO" -d 10 -o json \
		-w "$T/mix.csv" --expect-port 8080 || return 1
	srv web 0.0.0.0 8080 3 --xfer 10:20 || return 1
	WEB_PID=$SRV_PID
	srv tls 0.0.0.0 8443 2 || return 1
	TLS_PID=$SRV_PID
	srv idle 127.0.0.1 9090 0 || return 1
	IDLE_PID=$SRV_PID
	srv ephsvc 127.0.0.1 45678 1 || return 1
	EPHSVC_PID=$SRV_PID

	cli cli1 127.0.0.1 8080 2 --xfer 10:20 || return 1
	CLI1_PID=$CLI_PID
	cli cli2 10.9.9.1 8080 1 --src 10.9.9.8 --xfer 10:20 || return 1
	CLI2_PID=$CLI_PID
	cli cli3 127.0.0.1 8443 1 || return 1
	CLI3_PID=$CLI_PID
	cli bgp 127.0.0.1 8443 1 --sport 5555 || return 1
	BGP_PID=$CLI_PID
	[[ $CLI_RES == "sport=5555" ]] || fail "test setup: bgp client: $CLI_RES, wanted sport=5555"
	cli cli5 127.0.0.1 45678 1 || return 1
	srv_done web
	srv_done tls
	srv_done ephsvc

	r=$(py scan scanner 10.9.9.9 10.9.9.1 1000 1049 "$T/scan.info" 2>&1) ||
		{ fail "scan failed: $r"; return 1; }
	SCAN_PID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$T/scan.info")
	grep -q ' ECONNREFUSED=50$' "$T/scan.info" ||
		{ fail "test setup: scan: $(cat "$T/scan.info"), wanted ECONNREFUSED=50"; return 1; }

	set_ns_range 40000 40003 || { fail "cannot set the netns range"; return 1; }
	srv pool 127.0.0.1 7000 4 --hold || return 1
	POOL_PID=$SRV_PID
	cli_bg burst 127.0.0.1 7000 5 --hold || return 1
	BURST_PID=$CLI_PID
	[[ $CLI_RES =~ ^sport=4000[0-3]\ sport=4000[0-3]\ sport=4000[0-3]\ sport=4000[0-3]\ err=EADDRNOTAVAIL$ ]] ||
		{ fail "test setup: 4 connects then EADDRNOTAVAIL expected, got '$CLI_RES'"; return 1; }
	srv_done pool
	[[ -s $T/mix.rc ]] && { fail "the audit ended before the traffic did (raise -d)"; return 1; }

	MIX_RC=$(pt_wait mix 15) || return 1
	check_exit mix "$MIX_RC"
	[[ -s $T/mix.json ]] || { fail "the audit printed nothing"; return 1; }
	[[ -s $T/mix.csv ]] || { fail "the audit wrote no $T/mix.csv"; return 1; }
	# the CSV report as JSON Lines, for jq
	csv_json "$T/mix.csv" >"$T/mix.csv.json" || return 1
	tail -n +2 "$T/mix.csv.json" >"$T/mix.rows.json"
}

t_mix_services()
{
	mix_enter || return
	local f=$T/mix.json n
	expect_one "$f" "report" '.kind == "report"' \
		complete=true lost=0 ephemeral_mode=auto host="$(hostname)" \
		version="$("$PT" -V 2>/dev/null | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1)"
	# (jq -e over a file judges only the last input: select the record first)
	jrec "$f" '.kind == "report"' | jq -e '(.events > 0) and
		(.start | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{6}Z$")) and (.end > .start)' \
		>/dev/null || fail "report: events, start or end wrong: $(jrec "$f" '.kind == "report"')"
	[[ $(head -1 "$f" | jq -r .kind) == report ]] || fail "the first record is not the report"

	n=$(jrec "$f" '.kind == "service"' | grep -c .)
	[[ $n == 5 ]] || fail "expected 5 service rows, got $n:" "$(jrec "$f" '.kind == "service"')"
	local common=(netns="$MIX_INO" proto=tcp state=listening uid=0 container_id=null
		bound=true pid_count=1 unaccepted=0 eph_to_eph=0 static_to_eph=0)
	expect_one "$f" "service 0.0.0.0:8080" '.kind == "service" and .port == 8080' \
		"${common[@]}" address=0.0.0.0 service_hint=http-alt comms='["web"]' \
		pids="[$WEB_PID]" in_ephemeral_range=false ephemeral_range="$MIX_RANGE" \
		accepts=3 distinct_clients=2 distinct_client_ports=3 eph_to_static=3 \
		static_to_static=0 bytes_in=30 bytes_out=60
	expect_one "$f" "service 0.0.0.0:8443" '.kind == "service" and .port == 8443' \
		"${common[@]}" address=0.0.0.0 comms='["tls"]' pids="[$TLS_PID]" \
		in_ephemeral_range=false ephemeral_range="$MIX_RANGE" accepts=2 \
		distinct_clients=1 distinct_client_ports=2 eph_to_static=1 static_to_static=1
	expect_one "$f" "idle listener 127.0.0.1:9090" '.kind == "service" and .port == 9090' \
		"${common[@]}" address=127.0.0.1 comms='["idle"]' pids="[$IDLE_PID]" \
		in_ephemeral_range=false accepts=0 distinct_clients=0 distinct_client_ports=0 \
		eph_to_static=0 static_to_static=0 first_accept=null last_accept=null \
		bytes_in=0 bytes_out=0
	expect_one "$f" "listener in the range 127.0.0.1:45678" '.kind == "service" and .port == 45678' \
		"${common[@]}" address=127.0.0.1 comms='["ephsvc"]' pids="[$EPHSVC_PID]" \
		in_ephemeral_range=true ephemeral_range="$MIX_RANGE" accepts=1 \
		distinct_clients=1 distinct_client_ports=1 eph_to_static=1 static_to_static=0
	expect_one "$f" "service 127.0.0.1:7000" '.kind == "service" and .port == 7000' \
		"${common[@]}" address=127.0.0.1 comms='["pool"]' pids="[$POOL_PID]" \
		in_ephemeral_range=false ephemeral_range=40000-40003 accepts=4 \
		distinct_clients=1 distinct_client_ports=4 eph_to_static=4
	jq 'select(.kind == "service" and .accepts > 0) |
		(.first_accept <= .last_accept) and (.last_accept | test("Z$"))' "$f" |
		grep -qv true && fail "a service's first_accept is after its last_accept"
	# busiest first
	[[ $(jq -r 'select(.kind == "service") | .port' "$f" | tr '\n' ' ') == "7000 8080 8443 45678 9090 " ]] ||
		fail "services not busiest first: $(jq -r 'select(.kind == "service") | "\(.port):\(.accepts)"' "$f" | tr '\n' ' ')"
}

t_mix_destinations()
{
	mix_enter || return
	local f=$T/mix.json n
	n=$(jrec "$f" '.kind == "destination"' | grep -c .)
	# 8080 twice (127.0.0.1, 10.9.9.1), 8443, 45678, 7000, 50 scanned ports
	[[ $n == 55 ]] || fail "expected 55 destination rows, got $n"
	local common=(netns="$MIX_INO" proto=tcp uid=0 container_id=null pid_count=1)
	expect_one "$f" "exhausted destination 127.0.0.1:7000" \
		'.kind == "destination" and .port == 7000' "${common[@]}" \
		address=127.0.0.1 comms='["burst"]' pids="[$BURST_PID]" \
		ephemeral_range=40000-40003 connects=5 failures='{"no-ephemeral-port":1}' \
		no_ephemeral_port=1 peak_ephemeral_ports=4
	expect_one "$f" "destination 127.0.0.1:8080" \
		'.kind == "destination" and .port == 8080 and .address == "127.0.0.1"' \
		"${common[@]}" comms='["cli1"]' pids="[$CLI1_PID]" service_hint=http-alt \
		ephemeral_range="$MIX_RANGE" connects=2 failures='{}' no_ephemeral_port=0 \
		peak_ephemeral_ports=1 bytes_out=20 bytes_in=40
	expect_one "$f" "destination 10.9.9.1:8080" \
		'.kind == "destination" and .port == 8080 and .address == "10.9.9.1"' \
		"${common[@]}" comms='["cli2"]' pids="[$CLI2_PID]" connects=1 \
		failures='{}' peak_ephemeral_ports=1 bytes_out=10 bytes_in=20
	# the fixed-port client holds no ephemeral port: the peak stays 1
	expect_one "$f" "destination 127.0.0.1:8443" \
		'.kind == "destination" and .port == 8443' "${common[@]/pid_count=1/pid_count=2}" \
		comms='["cli3","bgp"]' pids="[$CLI3_PID,$BGP_PID]" connects=2 \
		failures='{}' peak_ephemeral_ports=1
	n=$(jrec "$f" ".kind == \"destination\" and .address == \"10.9.9.1\" and .port >= 1000 and .port <= 1049
		and .connects == 1 and .failures == {\"refused\":1} and .pids == [$SCAN_PID]
		and .peak_ephemeral_ports == 0" | grep -c .)
	[[ $n == 50 ]] || fail "expected 50 scanned destinations with failures refused=1, got $n"
}

t_mix_findings()
{
	mix_enter || return
	local f=$T/mix.json got want
	# ranked: severity, then count, then rule and subject
	want="1 high port-scan 10.9.9.9 (netns $MIX_INO) 50
2 high ephemeral-port-pressure tcp 127.0.0.1:7000 (netns $MIX_INO) 4
3 medium unexpected-listener tcp 0.0.0.0:8443 (netns $MIX_INO) tls 2
4 medium listener-in-ephemeral-range tcp 127.0.0.1:45678 (netns $MIX_INO) ephsvc 1
5 low non-ephemeral-to-static-flow bgp: static-to-static, outbound 1
6 low non-ephemeral-to-static-flow tls: static-to-static, inbound 1
7 low idle-listener tcp 127.0.0.1:9090 (netns $MIX_INO) idle 0"
	got=$(jq -r 'select(.kind == "finding") | "\(.rank) \(.severity) \(.rule) \(.subject) \(.count)"' "$f")
	[[ $got == "$want" ]] || fail "findings: expected" "$want" "got" "$got"
	# the evidence behind them
	jrec "$f" '.rule == "port-scan"' | jq -e '.detail | test("^50 distinct closed ports refused within [0-9.]+ s \\(threshold 20 in 60 s\\).*50 refused attempts on ports 1000-1049")' >/dev/null ||
		fail "port-scan detail: $(jrec "$f" '.rule == "port-scan"' | jq -r .detail)"
	jrec "$f" '.rule == "ephemeral-port-pressure"' | jq -e '.detail | test("^peak 4 of 4 ephemeral ports \\(40000-40003\\) in use at once \\(100%\\) at .*; 1 connect failed with no-ephemeral-port$")' >/dev/null ||
		fail "ephemeral-port-pressure detail: $(jrec "$f" '.rule == "ephemeral-port-pressure"' | jq -r .detail)"
	jrec "$f" '.rule == "listener-in-ephemeral-range"' | jq -e ".detail | test(\"port 45678 .*inside the ephemeral range $MIX_RANGE.*ip_local_reserved_ports\")" >/dev/null ||
		fail "listener-in-ephemeral-range detail: $(jrec "$f" '.rule == "listener-in-ephemeral-range"' | jq -r .detail)"
	jrec "$f" '.rule == "non-ephemeral-to-static-flow" and (.subject | startswith("bgp"))' |
		jq -e '.detail | test("127\\.0\\.0\\.1:5555 -> 127\\.0\\.0\\.1:8443")' >/dev/null ||
		fail "static-to-static detail lacks 127.0.0.1:5555 -> 127.0.0.1:8443"
	# --expect-port 8080: the wildcard listener on 8080 is expected; the
	# 127.0.0.1 listeners are never "unexpected"
	[[ -z $(jrec "$f" '.rule == "unexpected-listener" and (.subject | test("8080|127\\.0\\.0\\.1"))') ]] ||
		fail "unexpected-listener fired for 8080 or a 127.0.0.1 listener"
}

t_mix_csv()
{
	mix_enter || return
	local h rows got want
	[[ -s $T/mix.rows.json ]] || { fail "no CSV report from the mix run"; return; }
	h=$(head -1 "$T/mix.csv.json" | jq -r '.header | join(" ")')
	[[ $h == "$AUDIT_COLUMNS" ]] || fail "CSV header: expected (audit.h)" "$AUDIT_COLUMNS" "got" "$h"
	rows=$T/mix.rows.json
	[[ $(head -1 "$rows" | jq -r .record) == report ]] || fail "the first CSV row is not the report"
	expect_one "$rows" "CSV report" '.record == "report"' complete=true lost=0 \
		ephemeral_mode=auto netns='' port='' rule=''
	expect_one "$rows" "CSV service 8443" '.record == "service" and .port == "8443"' \
		netns="$MIX_INO" proto=tcp address=0.0.0.0 service_hint=https-alt state=listening \
		comms=tls pids="$TLS_PID" pid_count=1 uid=0 container_id='' bound=true \
		in_ephemeral_range=false ephemeral_range="$MIX_RANGE" accepts=2 unaccepted=0 \
		distinct_clients=1 distinct_client_ports=2 eph_to_static=1 static_to_static=1 \
		eph_to_eph=0 static_to_eph=0 connects='' failures='' rank='' rule=''
	expect_one "$rows" "CSV idle listener" '.record == "service" and .port == "9090"' \
		accepts=0 first_accept='' last_accept='' state=listening bound=true
	expect_one "$rows" "CSV service 45678" '.record == "service" and .port == "45678"' \
		in_ephemeral_range=true bound=true accepts=1
	expect_one "$rows" "CSV exhausted destination" '.record == "destination" and .port == "7000"' \
		address=127.0.0.1 comms=burst pids="$BURST_PID" ephemeral_range=40000-40003 \
		connects=5 failures=no-ephemeral-port=1 no_ephemeral_port=1 \
		peak_ephemeral_ports=4 accepts='' state='' rule=''
	expect_one "$rows" "CSV destination 8443" '.record == "destination" and .port == "8443"' \
		comms="cli3 bgp" pids="$CLI3_PID $BGP_PID" pid_count=2 failures=''
	got=$(jq -r 'select(.record == "finding") | "\(.rank) \(.severity) \(.rule) \(.subject) \(.count)"' "$rows")
	want=$(jq -r 'select(.kind == "finding") | "\(.rank) \(.severity) \(.rule) \(.subject) \(.count)"' "$T/mix.json")
	[[ -n $got && $got == "$want" ]] || fail "CSV findings differ from JSON:" "$got"
	# the file and stdout are one report: every record, every field
	jq -c . "$T/mix.json" >"$T/mix.json.c"
	got=$(python3 "$TMP/same.py" "$T/mix.csv" "$T/mix.json.c" record) ||
		fail "CSV file and JSON stdout differ:" "$got"
	[[ $(mode_of "$T/mix.csv") == 600 ]] || fail "report mode $(mode_of "$T/mix.csv"), expected 600"
}

# IPv6 and dual-stack services, a listener that closes during the run, and
# hostile process names in CSV cells.
t_more_services()
{
	local f=$T/more.json rc dual gone
	ns_lo || return
	PT_STDOUT=$f start_pt more audit --netns="$NS_INO" -o json -w "$T/more.csv" \
		--expect-port 22 || return
	PT_STDOUT=$T/raw.csv start_pt raw audit --netns="$NS_INO" -o csv --csv-raw || return
	# a dual-stack listener on :: takes an IPv4 and an IPv6 client
	srv '=dual' :: 9443 2 || return
	dual=$SRV_PID
	srv 'v6,"idle' ::1 9444 0 || return
	srv 'gone' 127.0.0.1 9445 0 || return
	gone=$SRV_PID
	cli 'c4' 127.0.0.1 9443 1 || return
	cli 'c6' ::1 9443 1 || return
	srv_done '=dual'
	bg_kill gone
	sleep 0.3
	stop_pt more
	stop_pt raw
	expect_one "$f" "dual-stack service [::]:9443" '.kind == "service" and .port == 9443' \
		address=:: state=listening comms='["=dual"]' pids="[$dual]" accepts=2 \
		distinct_clients=2 distinct_client_ports=2 eph_to_static=2 bound=true
	expect_one "$f" "destination 127.0.0.1:9443" '.kind == "destination" and .address == "127.0.0.1"' \
		port=9443 connects=1
	expect_one "$f" "destination ::1:9443" '.kind == "destination" and .address == "::1"' \
		port=9443 connects=1
	expect_one "$f" "closed listener 127.0.0.1:9445" '.kind == "service" and .port == 9445' \
		state=closed accepts=0 pids="[$gone]"
	expect_one "$f" "unexpected [::]:9443" '.kind == "finding" and .rule == "unexpected-listener"' \
		subject="tcp [::]:9443 (netns $NS_INO) =dual" severity=medium count=2
	expect_one "$f" "idle [::1]:9444" '.kind == "finding" and .rule == "idle-listener" and (.subject | contains("9444"))' \
		subject="tcp [::1]:9444 (netns $NS_INO) v6,\"idle" severity=low count=0
	expect_one "$f" "idle closed 9445" '.kind == "finding" and .rule == "idle-listener" and (.subject | contains("9445"))' \
		subject="tcp 127.0.0.1:9445 (netns $NS_INO) gone"
	jrec "$f" '.rule == "idle-listener" and (.subject | contains("9445"))' |
		jq -e '.detail | startswith("listened from ")' >/dev/null ||
		fail "idle closed listener: detail does not say 'listened from': $(jrec "$f" '.rule == "idle-listener" and (.subject | contains("9445"))' | jq -r .detail)"
	# CSV: a cell starting with = gets a ' unless --csv-raw
	csv_json "$T/more.csv" | tail -n +2 >"$T/more.rows" || return
	expect_one "$T/more.rows" "CSV comms of =dual" '.record == "service" and .port == "9443"' \
		comms="'=dual" address=::
	expect_one "$T/more.rows" "CSV comms with a quote and a comma" '.record == "service" and .port == "9444"' \
		comms='v6,"idle'
	csv_json "$T/raw.csv" | tail -n +2 >"$T/raw.rows" || return
	expect_one "$T/raw.rows" "--csv-raw comms of =dual" '.record == "service" and .port == "9443"' \
		comms="=dual"
}

# --scan-ports and --scan-window: three audits watch one scanner that tries
# 30 closed ports in two bursts of 15, 1.5 s apart.
t_scan_threshold()
{
	local r rc n
	ns_lo 10.9.9.1 10.9.9.9 || return
	PT_STDOUT=$T/s30.json start_pt s30 audit --netns="$NS_INO" -o json --scan-ports 30 || return
	PT_STDOUT=$T/s31.json start_pt s31 audit --netns="$NS_INO" -o json --scan-ports 31 || return
	PT_STDOUT=$T/w1.json start_pt w1 audit --netns="$NS_INO" -o json --scan-ports 16 --scan-window 1 || return
	r=$(py scan scanner 10.9.9.9 10.9.9.1 3000 3014 "$T/scan1.info" 2>&1) || { fail "scan failed: $r"; return; }
	sleep 1.5
	r=$(py scan scanner 10.9.9.9 10.9.9.1 3015 3029 "$T/scan2.info" 2>&1) || { fail "scan failed: $r"; return; }
	stop_pt s30
	stop_pt s31
	stop_pt w1
	expect_one "$T/s30.json" "--scan-ports 30" '.kind == "finding" and .rule == "port-scan"' \
		subject="10.9.9.9 (netns $NS_INO)" count=30 severity=high
	jrec "$T/s30.json" '.rule == "port-scan"' | jq -e '.detail | test("threshold 30 in 60 s.*30 refused attempts on ports 3000-3029")' >/dev/null ||
		fail "--scan-ports 30: detail: $(jrec "$T/s30.json" '.rule == "port-scan"' | jq -r .detail)"
	n=$(jrec "$T/s31.json" '.kind == "finding" and .rule == "port-scan"' | grep -c .)
	[[ $n == 0 ]] || fail "--scan-ports 31: a port-scan finding for 30 ports"
	n=$(jrec "$T/w1.json" '.kind == "finding" and .rule == "port-scan"' | grep -c .)
	[[ $n == 0 ]] || fail "--scan-ports 16 --scan-window 1: a port-scan finding for two bursts of 15 ports 1.5 s apart:" \
		"$(jrec "$T/w1.json" '.rule == "port-scan"')"
}

# ------------------------------------------------------------ report files

# audit_once NAME ARGS...: a 1 s audit of an empty namespace; sets RC
audit_once()
{
	local name=$1
	shift
	RC=
	timeout 20 "$PT" audit --netns="$NS_INO" -d 1 -o json "$@" \
		>"$T/$name.out" 2>"$T/$name.err" </dev/null
	RC=$?
}

t_report_safety()
{
	local r=$T/report.csv lines
	new_ns || { fail "cannot create a network namespace"; return; }

	# an existing file is refused before anything is traced, untouched
	printf 'keep me\n' >"$r"
	chmod 0644 "$r"
	audit_once exist -w "$r"
	[[ $RC == 1 ]] || fail "-w over an existing file: exit $RC, expected 1"
	lines=$(grep -c . "$T/exist.err")
	[[ $lines == 1 ]] || fail "-w over an existing file: expected one stderr line, got $lines:" \
		"$(head -5 "$T/exist.err")"
	grep -q "$r" "$T/exist.err" || fail "the refusal does not name the file: $(head -2 "$T/exist.err")"
	[[ $(cat "$r") == "keep me" ]] || fail "the existing file was changed: $(head -c 200 "$r")"
	[[ -s $T/exist.out ]] && fail "a refused -w still printed a report on stdout"

	# --force replaces it, with a 0600 file (not the old 0644)
	audit_once force -w "$r" --force
	[[ $RC == 0 ]] || fail "--force: exit $RC, expected 0: $(head -3 "$T/force.err")"
	[[ $(head -1 "$r" | tr -d '\r' | tr ',' ' ') == "$AUDIT_COLUMNS" ]] ||
		fail "--force: the file is not the new report: $(head -c 200 "$r")"
	[[ $(mode_of "$r") == 600 ]] || fail "--force: mode $(mode_of "$r"), expected 600"

	# a symbolic link is refused, with or without --force; its target stays
	printf 'target\n' >"$T/target"
	ln -s "$T/target" "$T/link.csv"
	audit_once link -w "$T/link.csv"
	[[ $RC == 1 ]] || fail "-w to a symlink: exit $RC, expected 1"
	lines=$(grep -c . "$T/link.err")
	[[ $lines == 1 ]] || fail "-w to a symlink: expected one stderr line, got $lines:" "$(head -5 "$T/link.err")"
	audit_once linkf -w "$T/link.csv" --force
	[[ $RC == 1 ]] || fail "-w to a symlink with --force: exit $RC, expected 1"
	[[ -L $T/link.csv ]] || fail "the symlink was replaced"
	[[ $(cat "$T/target") == target ]] || fail "the symlink's target was changed: $(head -c 200 "$T/target")"
	# a dangling link too: it must not create its target
	ln -s "$T/nowhere.csv" "$T/dangling.csv"
	audit_once dangling -w "$T/dangling.csv"
	[[ $RC == 1 ]] || fail "-w to a dangling symlink: exit $RC, expected 1"
	[[ -e $T/nowhere.csv ]] && fail "-w through a dangling symlink created its target"

	# --force replaces a report by rename: another hard link to the old
	# file keeps the old contents
	printf 'linked\n' >"$T/hard.csv"
	ln "$T/hard.csv" "$T/hard2.csv"
	audit_once hard -w "$T/hard.csv" --force
	[[ $RC == 0 ]] || fail "--force over a file with 2 hard links: exit $RC, expected 0"
	[[ $(cat "$T/hard2.csv") == linked ]] || fail "--force changed a hard-linked file: $(head -c 200 "$T/hard2.csv")"
	[[ $(head -1 "$T/hard.csv" | tr -d '\r' | tr ',' ' ') == "$AUDIT_COLUMNS" ]] ||
		fail "--force over a hard-linked file: not the new report: $(head -c 200 "$T/hard.csv")"

	# a new file is 0600 whatever the umask
	(umask 000 && audit_once umask -w "$T/new.json")
	[[ -s $T/new.json ]] || fail "no report in $T/new.json"
	[[ $(mode_of "$T/new.json") == 600 ]] || fail "umask 000: mode $(mode_of "$T/new.json"), expected 600"
	jrec "$T/new.json" '.kind == "report"' | jq -e '.complete == true' >/dev/null ||
		fail ".json report has no complete report record: $(head -c 300 "$T/new.json")"
	local left
	left=$(find "$T" -maxdepth 1 -name '.*' -type f)
	[[ -z $left ]] || fail "temporary files left: $left"
}

# The final report appears whole or not at all: no file while the audit
# runs (a ".NAME.XXXXXX" temporary beside it instead, 0600), the file and
# no temporary after it. With --force the old report stays readable until
# the new one replaces it. A file that appears during a run without --force
# is not overwritten.
t_report_atomic()
{
	local r=$T/atomic.csv tmpf rc
	new_ns || { fail "cannot create a network namespace"; return; }
	start_pt at audit --netns="$NS_INO" -d 2 -o json -w "$r" || return
	[[ -e $r ]] && fail "$r exists while the audit runs"
	tmpf=$(find "$T" -maxdepth 1 -name '.atomic.csv.*' | head -1)
	if [[ -z $tmpf ]]; then
		fail "no .atomic.csv.XXXXXX temporary beside the target while the audit runs"
	else
		[[ $(mode_of "$tmpf") == 600 ]] || fail "temporary file mode $(mode_of "$tmpf"), expected 600"
	fi
	rc=$(pt_wait at 10) && check_exit at "$rc"
	[[ -s $r ]] || fail "no $r after the audit ended"
	[[ -n $(find "$T" -maxdepth 1 -name '.atomic.csv.*') ]] && fail "temporary file left after the audit"

	# --force over the old report: readable until the rename
	cp "$r" "$T/old.csv"
	start_pt at2 audit --netns="$NS_INO" -d 2 -o json -w "$r" --force || return
	cmp -s "$r" "$T/old.csv" || fail "--force: the old report changed while the new audit runs"
	rc=$(pt_wait at2 10) && check_exit at2 "$rc"
	cmp -s "$r" "$T/old.csv" && fail "--force: the report was not replaced"
	[[ $(head -1 "$r" | tr -d '\r' | tr ',' ' ') == "$AUDIT_COLUMNS" ]] ||
		fail "--force: not a report: $(head -c 200 "$r")"

	# a file that appeared meanwhile is kept; the run fails, says so once
	start_pt at3 audit --netns="$NS_INO" -d 2 -o json -w "$T/late.csv" || return
	printf 'appeared\n' >"$T/late.csv"
	rc=$(pt_wait at3 10)
	[[ $rc == 1 ]] || fail "a file appeared during the run: exit $rc, expected 1"
	[[ $(cat "$T/late.csv") == appeared ]] || fail "a file that appeared during the run was overwritten"
	[[ $(extra_stderr at3 | grep -c .) == 1 ]] ||
		fail "expected one stderr line about the file, got:" "$(extra_stderr at3)"
	[[ -n $(find "$T" -maxdepth 1 -name '.late.csv.*') ]] && fail "temporary file left after a failed commit"
}

# Neither a report nor a record file goes to a FIFO (it could block, or feed
# another process): refused like any file that cannot be written, exit 1.
t_write_fifo()
{
	local rc
	new_ns || { fail "cannot create a network namespace"; return; }
	mkfifo "$T/fifo.csv"
	audit_once fifo -w "$T/fifo.csv" --force
	[[ $RC == 1 ]] || fail "audit -w FIFO --force: exit $RC, expected 1 (2 is for bad options)" "$(head -2 "$T/fifo.err")"
	[[ $(grep -c . "$T/fifo.err") == 1 ]] || fail "audit -w FIFO: expected one stderr line: $(cat "$T/fifo.err")"
	timeout 10 "$PT" -o json -d 1 -w "$T/fifo.csv" </dev/null >/dev/null 2>"$T/lfifo.err"
	rc=$?
	[[ $rc == 1 ]] || fail "live -w FIFO: exit $rc, expected 1 (2 is for bad options)" "$(head -2 "$T/lfifo.err")"
	[[ -p $T/fifo.csv ]] || fail "the FIFO was replaced"
}

# SIGHUP rotates streams; a final report has nothing open to rotate: the
# audit goes on and writes its report as if nothing happened.
t_report_hup()
{
	local rc pid
	new_ns || { fail "cannot create a network namespace"; return; }
	start_pt rh audit --netns="$NS_INO" -d 2 -o json -w "$T/hup.csv" || return
	pid=$(bg_pid rh)
	kill -HUP "$pid"
	rc=$(pt_wait rh 10) && check_exit rh "$rc"
	[[ -z $(extra_stderr rh) ]] || fail "stderr after SIGHUP:" "$(extra_stderr rh)"
	if [[ ! -s $T/hup.csv ]]; then
		fail "no report in $T/hup.csv after a SIGHUP ($(stat -c '%s bytes' "$T/hup.csv" 2>&1))"
	else
		csv_json "$T/hup.csv" | tail -n +2 | jq -r .record | grep -qx report ||
			fail "$T/hup.csv has no report row"
	fi
}

# The final report on a full file system: stdout still gets it, one
# warning, exit 1, and neither the target nor a temporary is left.
t_report_enospc()
{
	local d=$T/small rc n r
	new_ns || { fail "cannot create a network namespace"; return; }
	mkdir -p "$d"
	mount -t tmpfs -o size=8k,mode=0700 tmpfs "$d" || { fail "cannot mount a tmpfs on $d"; return; }
	MOUNTS+=("$d")
	PT_STDOUT=$T/re.json start_pt re audit --netns="$NS_INO" -d 2 -o json -w "$d/r.csv" || return
	# 100 refused connects: 100 destination rows, far more than 8 KiB
	r=$(py scan scanner 127.0.0.1 127.0.0.1 2000 2099 "$T/scan.info" 2>&1) ||
		{ fail "scan failed: $r"; return; }
	rc=$(pt_wait re 10)
	[[ $rc == 1 ]] || fail "exit status $rc, expected 1 after the report could not be written"
	n=$(extra_stderr re | grep -c .)
	[[ $n == 1 ]] || fail "expected exactly one warning line, got $n:" "$(extra_stderr re)"
	extra_stderr re | grep -q 'r\.csv.*No space left on device' ||
		fail "the warning does not name the file and ENOSPC: $(extra_stderr re | head -2)"
	n=$(jrec "$T/re.json" '.kind == "destination"' | grep -c .)
	[[ $n == 100 ]] || fail "stdout: $n destination rows, expected 100"
	n=$(find "$d" -mindepth 1 | grep -c .)
	[[ $n == 0 ]] || fail "left on the full file system: $(find "$d" -mindepth 1)"
}

# ------------------------------------------------------------ live -w

t_live_write()
{
	local rc rows n h hout
	ns_lo || return
	# -o table on stdout, CSV into the file
	PT_STDOUT=$T/tab.out start_pt lw -o table -w "$T/flows.csv" -P 7001 --netns="$NS_INO" || return
	srv s1 127.0.0.1 7001 1 || return
	local spid=$SRV_PID
	cli c1 127.0.0.1 7001 1 || return
	local cpid=$CLI_PID cport=${CLI_RES#sport=}
	srv_done s1
	wait_for "$T/tab.out" "accept .*:$cport" 5 || fail "no accept row in the table within 5 s"
	stop_pt lw
	grep -Eq '^TIME +EVENT +PID +COMM' "$T/tab.out" || fail "stdout is not the table: $(head -3 "$T/tab.out")"
	grep -Eq "connect +$cpid +c1 .*127\.0\.0\.1:$cport +127\.0\.0\.1:7001" "$T/tab.out" ||
		fail "no connect row in the table:" "$(cat "$T/tab.out")"
	[[ $(mode_of "$T/flows.csv") == 600 ]] || fail "flows.csv mode $(mode_of "$T/flows.csv"), expected 600"
	csv_json "$T/flows.csv" >"$T/flows.json" || return
	h=$(head -1 "$T/flows.json" | jq -r '.header | join(" ")')
	in_order "$COLUMNS_LIST" "$h" || fail "flows.csv header lacks the record columns in order: $h"
	# the same header -o csv prints
	timeout 10 "$PT" -o csv -d 1 --netns="$NS_INO" 2>/dev/null </dev/null | head -1 | tr -d '\r' >"$T/hdr"
	hout=$(tr ',' ' ' <"$T/hdr")
	[[ $h == "$hout" ]] || fail "flows.csv header differs from -o csv's:" "$h" "$hout"
	rows=$(tail -n +2 "$T/flows.json")
	n=$(grep -c . <<<"$rows")
	[[ $n == 2 ]] || fail "flows.csv: expected 2 rows (connect, accept), got $n:" "$rows"
	local common=(proto=tcp family=ipv4 uid=0 netns="$NS_INO" client_addr=127.0.0.1
		client_port="$cport" client_port_class=ephemeral server_addr=127.0.0.1
		server_port=7001 server_port_class=static flow_class=ephemeral-to-static
		ephemeral_range="$(ns_range)" attribution=syscall)
	expect_one <(printf '%s\n' "$rows") "flows.csv connect" '.kind == "connect"' \
		"${common[@]}" pid="$cpid" comm=c1 evidence="client=socket server=listener"
	expect_one <(printf '%s\n' "$rows") "flows.csv accept" '.kind == "accept"' \
		"${common[@]}" pid="$spid" comm=s1 evidence="client=peer-socket server=listener"

	# .jsonl picks JSON Lines while stdout is CSV: the same records
	PT_STDOUT=$T/std.csv start_pt lj -o csv -w "$T/flows.jsonl" -P 7002 --netns="$NS_INO" || return
	srv s2 127.0.0.1 7002 2 || return
	cli c2 127.0.0.1 7002 2 || return
	srv_done s2
	wait_for "$T/std.csv" '^[^,]*,accept,.*,7002,' 5 || fail "no accept row on stdout within 5 s"
	sleep 0.2
	stop_pt lj
	n=$(jq -c 'select(.server_port == 7002)' "$T/flows.jsonl" 2>/dev/null | grep -c .)
	[[ $n == 4 ]] || fail "flows.jsonl: expected 4 JSON records, got $n: $(head -c 300 "$T/flows.jsonl")"
	rows=$(python3 "$TMP/same.py" "$T/std.csv" "$T/flows.jsonl") ||
		fail "stdout CSV and flows.jsonl differ:" "$rows"

	# --write-format names the format of any file name; without it an
	# unknown extension is a usage error
	PT_STDOUT=/dev/null start_pt lf -o json -w "$T/flows.log" --write-format csv -P 7003 --netns="$NS_INO" || return
	stop_pt lf
	[[ $(head -1 "$T/flows.log" | tr -d '\r') == "$(cat "$T/hdr")" ]] ||
		fail "--write-format csv: $T/flows.log does not start with the CSV header: $(head -c 200 "$T/flows.log")"
	# a record file is appended in place: --force must not truncate a file
	# that has another name
	printf 'linked\n' >"$T/hard.csv"
	ln "$T/hard.csv" "$T/hard2.csv"
	timeout 10 "$PT" -o json -d 1 --force -w "$T/hard.csv" </dev/null >/dev/null 2>"$T/hard.err"
	rc=$?
	[[ $rc == 1 ]] || fail "live -w --force over a file with 2 hard links: exit $rc, expected 1"
	[[ $(grep -c . "$T/hard.err") == 1 ]] || fail "hard link refusal: expected one stderr line: $(cat "$T/hard.err")"
	[[ $(cat "$T/hard2.csv") == linked ]] || fail "live --force changed a hard-linked file"
	timeout 10 "$PT" -o json -d 1 -w "$T/flows.txt" </dev/null >/dev/null 2>"$T/ext.err"
	rc=$?
	[[ $rc == 2 ]] || fail "-w flows.txt: exit $rc, expected 2"
	[[ $(grep -c . "$T/ext.err") == 1 ]] || fail "-w flows.txt: expected one stderr line: $(cat "$T/ext.err")"
	[[ -e $T/flows.txt ]] && fail "-w flows.txt created the file"
}

# A -w file on a full file system: tracing goes on (stdout keeps getting
# records), one warning, exit 1, and the file holds whole rows only.
t_enospc()
{
	local d=$T/small rc n before after
	ns_lo || return
	mkdir -p "$d"
	mount -t tmpfs -o size=16k,mode=0700 tmpfs "$d" || { fail "cannot mount a tmpfs on $d"; return; }
	MOUNTS+=("$d")
	PT_STDOUT=$T/full.out start_pt full -o json -w "$d/f.csv" -P 7010 --netns="$NS_INO" || return
	srv sf 127.0.0.1 7010 305 || return
	# 5 flows that fit and reach the file (a batch is written whole or
	# not at all), then 150 flows, 300 records of ~300 bytes: far more
	# than 16 KiB
	cli cf0 127.0.0.1 7010 5 || return
	wait_recs "$T/full.out" 10 || fail "stdout: $(count_recs "$T/full.out") of 10 records"
	sleep 0.2
	cli cf1 127.0.0.1 7010 150 || return
	wait_for "$T/full.err" "$d/f.csv" 5 || fail "no warning about $d/f.csv within 5 s"
	wait_recs "$T/full.out" 310 || fail "stdout: $(count_recs "$T/full.out") of 310 records"
	# still tracing after the failure
	before=$(count_recs "$T/full.out")
	cli cf2 127.0.0.1 7010 150 || return
	srv_done sf
	wait_recs "$T/full.out" 610 || true
	after=$(count_recs "$T/full.out")
	[[ $after == 610 ]] || fail "after the file failed stdout got $((after - before)) of 300 new records"
	bg_kill sf
	pid=$(bg_pid full)
	kill -INT "$pid"
	rc=$(pt_wait full 5)
	[[ $rc == 1 ]] || fail "exit status $rc, expected 1 after a write error"
	n=$(extra_stderr full | grep -c .)
	[[ $n == 1 ]] || fail "expected exactly one warning line on stderr, got $n:" "$(extra_stderr full | head -5)"
	extra_stderr full | grep -q 'f\.csv.*No space left on device' ||
		fail "the warning does not name the file and ENOSPC: $(extra_stderr full | head -2)"
	grep -Eq '^porttrace: 610 events, 0 lost' "$T/full.err" ||
		fail "summary: $(grep -E '^porttrace: [0-9]+ events' "$T/full.err")"
	[[ -s $d/f.csv ]] || { fail "$d/f.csv is empty"; return; }
	csv_json "$d/f.csv" >"$T/full.json" || return
	n=$(($(grep -c . "$T/full.json") - 1))
	((n >= 10 && n < 300)) || fail "f.csv holds $n rows, expected at least the first 10 but not all 610"
	# the rows it has are the first ones, complete
	n=$(tail -n +2 "$T/full.json" | jq -r 'select(.server_port != "7010" or (.kind | test("^(connect|accept)$") | not)) | .kind' | grep -c .)
	[[ $n == 0 ]] || fail "f.csv has $n rows that are not connect/accept to 7010"
}

# SIGHUP reopens the -w file: logrotate's "mv, then HUP"
t_sighup()
{
	local rc n a b pid
	ns_lo || return
	PT_STDOUT=$T/hup.out start_pt hup -o json -w "$T/f.csv" -P 7020 --netns="$NS_INO" || return
	pid=$(bg_pid hup)
	srv sh 127.0.0.1 7020 10 || return
	cli ch1 127.0.0.1 7020 5 || return
	wait_recs "$T/hup.out" 10 || fail "batch 1: $(count_recs "$T/hup.out") of 10 records on stdout"
	mv "$T/f.csv" "$T/f.csv.1"
	kill -HUP "$pid"
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e $T/f.csv ]] && break
		sleep 0.05
	done
	[[ -e $T/f.csv ]] || fail "no new $T/f.csv within 5 s of SIGHUP"
	cli ch2 127.0.0.1 7020 5 || return
	srv_done sh
	wait_recs "$T/hup.out" 20 || fail "batch 2: $(count_recs "$T/hup.out") of 20 records on stdout"
	# a HUP with nothing moved: the same file, appended, no second header
	kill -HUP "$pid"
	sleep 0.3
	stop_pt hup
	[[ $(mode_of "$T/f.csv") == 600 ]] || fail "the reopened file has mode $(mode_of "$T/f.csv"), expected 600"
	csv_json "$T/f.csv.1" >"$T/f1.json" || return
	csv_json "$T/f.csv" >"$T/f2.json" || return
	n=$(grep -c '^time,' "$T/f.csv")
	[[ $n == 1 ]] || fail "f.csv has $n header lines, expected 1"
	a=$(tail -n +2 "$T/f1.json" | jq -r '"\(.kind) \(.client_port) \(.server_port) \(.pid)"' | sort)
	b=$(tail -n +2 "$T/f2.json" | jq -r '"\(.kind) \(.client_port) \(.server_port) \(.pid)"' | sort)
	[[ $(grep -c . <<<"$a") == 10 ]] || fail "f.csv.1: expected the 10 records of batch 1, got $(grep -c . <<<"$a")"
	[[ $(grep -c . <<<"$b") == 10 ]] || fail "f.csv: expected the 10 records of batch 2, got $(grep -c . <<<"$b")"
	local all
	all=$(ns_recs "$T/hup.out" | jq -r '"\(.kind) \(.client_port) \(.server_port) \(.pid)"' | sort)
	[[ $(printf '%s\n%s\n' "$a" "$b" | sort) == "$all" ]] ||
		fail "f.csv.1 + f.csv are not every stdout record exactly once" \
			"files: $(printf '%s %s' "$a" "$b" | tr '\n' ';')" "stdout: $(tr '\n' ';' <<<"$all")"
}

# A symbolic link put where the file was, between the mv and the HUP: the
# reopen refuses it (one warning), tracing goes on, exit 1; the link's
# target is untouched.
t_sighup_symlink()
{
	local rc n pid
	ns_lo || return
	PT_STDOUT=$T/hs.out start_pt hs -o json -w "$T/g.csv" -P 7040 --netns="$NS_INO" || return
	pid=$(bg_pid hs)
	srv sg 127.0.0.1 7040 4 || return
	cli cg1 127.0.0.1 7040 2 || return
	wait_recs "$T/hs.out" 4 || fail "batch 1: $(count_recs "$T/hs.out") of 4 records"
	printf 'precious\n' >"$T/precious"
	mv "$T/g.csv" "$T/g.csv.1"
	ln -s "$T/precious" "$T/g.csv"
	kill -HUP "$pid"
	wait_for "$T/hs.err" 'g\.csv' 5 || fail "no warning about g.csv within 5 s of SIGHUP"
	cli cg2 127.0.0.1 7040 2 || return
	wait_recs "$T/hs.out" 8 || fail "after the refused reopen stdout got $(count_recs "$T/hs.out") of 8 records"
	kill -INT "$pid"
	rc=$(pt_wait hs 5)
	[[ $rc == 1 ]] || fail "exit status $rc, expected 1 after the file could not be reopened"
	n=$(extra_stderr hs | grep -c .)
	[[ $n == 1 ]] || fail "expected one warning line, got $n:" "$(extra_stderr hs)"
	extra_stderr hs | grep -q 'symbolic link' || fail "the warning does not say why: $(extra_stderr hs)"
	[[ $(cat "$T/precious") == precious ]] || fail "the symlink's target was written: $(head -c 300 "$T/precious")"
	[[ -L $T/g.csv ]] || fail "the symlink was replaced"
	n=$(($(csv_json "$T/g.csv.1" | grep -c .) - 1))
	[[ $n == 4 ]] || fail "g.csv.1: $n rows, expected the 4 records before the rotation"
}

# ------------------------------------------------------------ --interval, -N

t_interval()
{
	local f=$T/iv.json rc n
	ns_lo || return
	srv si 127.0.0.1 7030 3 || return
	PT_STDOUT=$f start_pt iv audit --interval 1 -o json -d 3 --netns="$NS_INO" -w "$T/iv.csv" || return
	cli ci1 127.0.0.1 7030 1 || return
	wait_for "$T/iv.csv" '^report,' 3 || fail "no snapshot in iv.csv within 3 s"
	# snapshot files rotate like record files
	mv "$T/iv.csv" "$T/iv.csv.1"
	kill -HUP "$(bg_pid iv)"
	sleep 0.3
	cli ci2 127.0.0.1 7030 2 || return
	rc=$(pt_wait iv 10) && check_exit iv "$rc"
	n=$(jq -r 'select(.kind == "report") | .kind' "$f" | grep -c .)
	((n >= 3)) || fail "expected at least 2 snapshots and a final report, got $n report records"
	[[ $(head -1 "$f" | jq -r .kind) == report ]] || fail "the output does not start with a report record"
	# every snapshot is whole: report, services, destinations, findings
	jq -rs '[.[] | .kind] | join(" ")' "$f" |
		grep -Eq '^(report( service)*( destination)*( finding)* ?)+$' ||
		fail "snapshots are not report, services, destinations, findings: $(jq -rs '[.[] | .kind] | join(" ")' "$f")"
	# accepts only grow; the last report has all 3
	jq -rs '[.[] | select(.kind == "service" and .port == 7030) | .accepts] |
		. == sort and last == 3 and length >= 3' "$f" | grep -q true ||
		fail "accepts across snapshots: $(jq -r 'select(.kind == "service") | .accepts' "$f" | tr '\n' ' ')"
	jq -rs '[.[] | select(.kind == "report") | .end] | . == sort' "$f" | grep -q true ||
		fail "report end times do not increase"
	# with -w: one CSV header per file, then the rows of each snapshot;
	# every report row of stdout in one of the two files
	local total=0 file
	for file in "$T/iv.csv.1" "$T/iv.csv"; do
		csv_json "$file" >"$file.json" || return
		n=$(grep -c '^record,' "$file")
		[[ $n == 1 ]] || fail "$(basename "$file"): $n header lines, expected 1"
		n=$(jq -r 'select(.record == "report") | .record' "$file.json" | grep -c .)
		((n >= 1)) || fail "$(basename "$file"): no report row"
		total=$((total + n))
	done
	n=$(jq -r 'select(.kind == "report") | .kind' "$f" | grep -c .)
	[[ $total == "$n" ]] || fail "the snapshot files hold $total reports, stdout $n"
}

t_numeric()
{
	local rc
	ns_lo || return
	# -d counts from each one's start; a start takes a second or more on
	# a busy machine, and three come before the first connection
	PT_STDOUT=$T/names.json start_pt names audit -o json -d 8 --netns="$NS_INO" || return
	PT_STDOUT=$T/num.json start_pt num audit -N -o json --netns="$NS_INO" -w "$T/num.csv" || return
	PT_STDOUT=$T/tab.txt start_pt tab audit -o table -d 8 --netns="$NS_INO" || return
	srv web80 127.0.0.1 80 1 || return
	srv ssh22 127.0.0.1 22 1 || return
	cli c80 127.0.0.1 80 1 || return
	cli c22 127.0.0.1 22 1 || return
	srv_done web80
	srv_done ssh22
	rc=$(pt_wait names 15) && check_exit names "$rc"
	stop_pt num TERM
	rc=$(pt_wait tab 15) && check_exit tab "$rc"
	expect_one "$T/names.json" "service 80" '.kind == "service" and .port == 80' service_hint=http accepts=1
	expect_one "$T/names.json" "service 22" '.kind == "service" and .port == 22' service_hint=ssh accepts=1
	expect_one "$T/names.json" "destination 80" '.kind == "destination" and .port == 80' service_hint=http
	expect_one "$T/num.json" "-N service 80" '.kind == "service" and .port == 80' service_hint=null accepts=1
	expect_one "$T/num.json" "-N service 22" '.kind == "service" and .port == 22' service_hint=null accepts=1
	[[ -z $(jrec "$T/num.json" '.service_hint != null and has("service_hint")') ]] ||
		fail "-N: records with a service_hint: $(jrec "$T/num.json" '.service_hint != null and has("service_hint")' | head -2)"
	# the table marks names as hints
	grep -Eq '^ +tcp +127\.0\.0\.1:80 +http\? ' "$T/tab.txt" ||
		fail "table: no 'tcp 127.0.0.1:80 http?' service row:" "$(head -20 "$T/tab.txt")"
	grep -q '^Services (2)$' "$T/tab.txt" || fail "table: no 'Services (2)' heading"
	csv_json "$T/num.csv" | tail -n +2 >"$T/num.rows" || return
	expect_one "$T/num.rows" "-N CSV service 80" '.record == "service" and .port == "80"' service_hint=''
}

# ------------------------------------------------------------ main

TESTS=(
	"t_mix_services|audit of the known mix: service rows (8080, 8443, idle 9090, 45678 in the range, 7000), JSON"
	"t_mix_destinations|audit of the known mix: destination rows, the exhausted 40000-40003 destination, 50 scanned ports"
	"t_mix_findings|audit of the known mix: ranked findings port-scan, ephemeral-port-pressure, unexpected-listener, listener-in-ephemeral-range, non-ephemeral-to-static-flow, idle-listener"
	"t_mix_csv|audit of the known mix: -w report.csv has the audit.h header and the same records as the JSON report, mode 0600"
	"t_more_services|audit: dual-stack [::] service, IPv6 idle listener, a listener closed during the run, CSV formula cells"
	"t_scan_threshold|audit --scan-ports and --scan-window decide the port-scan finding"
	"t_report_safety|report files: existing file refused (--force replaces), symlinks refused, mode 0600"
	"t_report_atomic|report files: no target while the audit runs, renamed into place, no temporary left; a file that appeared meanwhile is kept"
	"t_write_fifo|-w to a FIFO (audit --force, live): refused with exit 1, one line"
	"t_report_hup|report files: SIGHUP during an audit with -w: the report is still written, exit 0"
	"t_report_enospc|report files: final report on a full tmpfs: one warning, exit 1, no file, no temporary; stdout has the report"
	"t_live_write|live -w: CSV file while stdout is a table; .jsonl is JSON; --write-format; unknown extension and hard-linked file refused"
	"t_enospc|live -w on a full tmpfs: tracing goes on, one warning, exit 1, whole rows only"
	"t_sighup|live -w and SIGHUP after mv: two files, each with a header, every record once"
	"t_sighup_symlink|live -w: a symlink planted at the path before SIGHUP is refused, one warning, tracing goes on, exit 1"
	"t_interval|audit --interval 1 -d 3: snapshots each starting with a report, then the final one"
	"t_numeric|audit service_hint: http and ssh by name (table: http?), null with -N; SIGTERM ends an audit with its report"
)

unmount_all()
{
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	MOUNTS=()
}

E2E_NEEDS="python3 mount"
E2E_SETUP=write_helpers
E2E_AFTER_TEST=unmount_all

e2e_main
