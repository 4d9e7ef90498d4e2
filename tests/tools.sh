#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The developer tools stay working: tools/bench's report turns raw rounds
# into the numbers the README quotes, and tools/bench itself runs (as root,
# one short round in its own network namespace).
set -uo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tests/tap.sh
. tests/tap.sh

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# row WORKLOAD RUN < report: the main table's row, its cells one per line
row() {
	awk -F' \\| ' -v wl="| $1" -v run="$2" '$1 == wl && $2 == run {
		for (i = 1; i <= NF; i++) print $i; exit }'
}

# expect WHAT GOT WANT
expect() {
	[[ $2 == "$3" ]] || { echo "$1: got '$2', want '$3'"; return 1; }
}

# Two rounds of c2. The rated runs have 1,000 and 3,000 connections; BPF
# time is read over runs of their own, 500 and 400 connections.
cat >"$TMP/raw" <<'EOF'
meta rounds=2 seconds=3 cpus=2 kernel=6.18 outdir=/tmp fs=ext2/ext3 load=0.10
meta porttrace_args=-k connect,accept,close -o json
meta tcplife=none
meta workload=c2 churn_args=-t 2
run wl=c2 round=1 tool=untraced conns=2000 rate=1000.0 accepts=2000 exchanges=- churn_cpu_us=20000
run wl=c2 round=1 tool=porttrace conns=1000 rate=800.0 accepts=1000 exchanges=- churn_cpu_us=15000 tracer_ticks=1 tracer_sys_ticks=1 hz=100 hwm_kb=15360 lag_s=0.1 bytes=100 events=4000 lost=0 json=4000 mine=4000 connect=1000 accept_ok=1000 close_client=1000 close_server=1000
bpfrun wl=c2 round=1 tool=porttrace conns=500
bpf wl=c2 round=1 tool=porttrace id=7 name=btf_inet_sock_set_state ns=2000000 cnt=3000 miss=0
bpf wl=c2 round=1 tool=porttrace id=8 name=tp_exit_accept4 ns=500000 cnt=500 miss=0
run wl=c2 round=2 tool=untraced conns=4000 rate=2000.0 accepts=4000 exchanges=- churn_cpu_us=40000
run wl=c2 round=2 tool=porttrace conns=3000 rate=1500.0 accepts=3000 exchanges=- churn_cpu_us=36000 tracer_ticks=2 tracer_sys_ticks=1 hz=100 hwm_kb=16384 lag_s=0.1 bytes=100 events=11999 lost=1 lost_ringbuf=0 lost_recursion=0 lost_state=0 lost_unseen=1 found_unseen=2 json=11999 mine=11999 connect=3000 accept_ok=3000 close_client=3000 close_server=2999
bpfrun wl=c2 round=2 tool=porttrace conns=400
bpf wl=c2 round=2 tool=porttrace id=7 name=btf_inet_sock_set_state ns=1600000 cnt=2400 miss=0
bpf wl=c2 round=2 tool=porttrace id=8 name=tp_exit_accept4 ns=400000 cnt=400 miss=0
format records=800000 repeats=5 best_ns=500 median_ns=520 per_conn=3.10
meta elapsed=20 load_end=0.5
EOF

# the same rounds with the floor beside porttrace: 900 and 3,600 connections
# rated, 600 and 300 for its BPF time
floor_raw() {
	cat "$TMP/raw" - <<'EOF'
run wl=c2 round=1 tool=floor conns=900 rate=900.0 accepts=900 exchanges=- churn_cpu_us=12000 tracer_ticks=1 tracer_sys_ticks=0 hz=100 hwm_kb=13312 lag_s=0.0 bytes=100 events=2700 lost=0
bpfrun wl=c2 round=1 tool=floor conns=600
bpf wl=c2 round=1 tool=floor id=9 name=floor_set_state ns=1200000 cnt=3600 miss=0
run wl=c2 round=2 tool=floor conns=3600 rate=1800.0 accepts=3600 exchanges=- churn_cpu_us=36000 tracer_ticks=3 tracer_sys_ticks=1 hz=100 hwm_kb=14336 lag_s=0.0 bytes=100 events=10800 lost=3
bpfrun wl=c2 round=2 tool=floor conns=300
bpf wl=c2 round=2 tool=floor id=9 name=floor_set_state ns=900000 cnt=1800 miss=1
EOF
}

report_main_row() {
	local cells
	python3 tools/bench.d/report.py "$TMP/raw" >"$TMP/out" || return 1
	mapfile -t cells < <(row c2 porttrace <"$TMP/out")
	# workload, run, conn/s, ratio, tracer CPU, of it kernel, churn +CPU,
	# BPF ns/conn, RSS, lost, missing
	expect ratio "${cells[3]}" "0.775 (0.750–0.800)" &&
	expect "tracer CPU" "${cells[4]}" "8.33 (6.67–10.00)" &&
	expect "of it kernel" "${cells[5]}" "6.67 (3.33–10.00)" &&
	expect "BPF ns/conn (per BPF-run connection)" "${cells[7]}" "5,000 (5,000–5,000)" &&
	expect RSS "${cells[8]}" "16.0" &&
	expect missing "${cells[10]% |}" "1 (0.0%)"
}
check "bench report: ratio, CPU, BPF time over its own run's connections, RSS, missing" report_main_row

report_per_program() {
	python3 tools/bench.d/report.py "$TMP/raw" >"$TMP/out" || return 1
	grep -qF '| c2 | porttrace | btf_inet_sock_set_state | 6.00 | 667 | 4,000 |  |' "$TMP/out" ||
		{ grep -F btf_inet "$TMP/out"; return 1; }
}
check "bench report: per-program runs and time per BPF-run connection" report_per_program

# the formatting harness: ns a record, and a connection's worth of records
report_format() {
	python3 tools/bench.d/report.py "$TMP/raw" >"$TMP/out" || return 1
	grep -qF 'to /dev/null; no kernel, no churn): 500 ns a record, best of 5 (median 520); 1.55 us a connection at the mix'"'"'s 3.10 records' "$TMP/out" ||
		{ grep -F 'formatting' "$TMP/out"; return 1; }
	# a RAW without it (before the harness) says nothing of it
	grep -v '^format ' "$TMP/raw" | python3 tools/bench.d/report.py /dev/stdin >"$TMP/out" || return 1
	! grep -qF 'formatting alone' "$TMP/out" || { echo "a format line from nothing"; return 1; }
}
check "bench report: the formatting harness's ns a record" report_format

# the floor: its own row, BPF time and losses, nothing counted as missing,
# no records row, and the legend that says what it is
report_floor() {
	local cells
	floor_raw >"$TMP/raw.floor"
	python3 tools/bench.d/report.py -v "$TMP/raw.floor" >"$TMP/out" || return 1
	mapfile -t cells < <(row c2 floor <"$TMP/out")
	expect ratio "${cells[3]:-}" "0.900 (0.900–0.900)" &&
	expect "tracer CPU" "${cells[4]}" "9.72 (8.33–11.11)" &&
	expect "churn +CPU" "${cells[6]}" "1.67 (0.00–3.33)" &&
	expect "BPF ns/conn" "${cells[7]}" "2,500 (2,000–3,000)" &&
	expect RSS "${cells[8]}" "14.0" &&
	expect lost "${cells[9]}" "3" &&
	expect missing "${cells[10]% |}" "n/a" || return 1
	grep -qF '| c2 | floor | floor_set_state | 6.00 | 417 | 2,500 | 1 |' "$TMP/out" ||
		{ echo "no per-program row:"; grep -F '| floor |' "$TMP/out"; return 1; }
	grep -qF '| c2 | 2 | floor | 3,600 | 1,800 | 3,600 | 0.900 |' "$TMP/out" ||
		{ echo "no raw round:"; grep -F '| floor |' "$TMP/out"; return 1; }
	grep -qE '^\| c2 \| floor \| [0-9,]+ \| [0-9,]+ \|' "$TMP/out" &&
		{ echo "the floor has a records row"; return 1; }
	grep -qF 'interleaved untraced / porttrace / floor;' "$TMP/out" &&
	grep -qF "floor (tools/bench.d/floor.bpf.c): porttrace's mechanisms and nothing else" "$TMP/out" ||
		{ echo "no floor in the header or legend:"; head -n 3 "$TMP/out"; return 1; }
}
check "bench report: the floor's row, programs and raw rounds, never counted as missing" report_floor

# -v: each round's losses by cause, so a missing record can be told apart,
# and the closes no run saw that porttrace reported late
report_raw_losses() {
	python3 tools/bench.d/report.py "$TMP/raw" -v >"$TMP/out" || return 1
	grep -qF '| 1 (ring 0, recursion 0, state 0, unseen closes 1); 2 unseen closes reported late | 11,999/12,000 (-1) |' "$TMP/out" ||
		{ grep -F '| c2 | 2 | porttrace |' "$TMP/out"; return 1; }
}
check "bench report -v: a round's losses by cause" report_raw_losses

# -k close: a server close is owed only where no reset came before the
# accept, which only accept records tell; the client closes still count
report_close_only() {
	local cells
	sed -e 's/^meta porttrace_args=.*/meta porttrace_args=-k close -o json/' \
		-e 's/close_server=1000/close_server=20/; s/close_client=3000 close_server=2999/close_client=2996 close_server=50/' \
		"$TMP/raw" >"$TMP/raw.close"
	python3 tools/bench.d/report.py "$TMP/raw.close" >"$TMP/out" || return 1
	mapfile -t cells < <(row c2 porttrace <"$TMP/out")
	expect missing "${cells[10]% |}" "4 (0.1%)" &&
	grep -qF '1 per connection (close client); server closes not counted' "$TMP/out" ||
		{ grep -F 'per connection' "$TMP/out"; return 1; }
}
check "bench report: with -k close, client closes counted, server closes said not to be" report_close_only

# a RAW from before BPF time had its own run (and before the tracer's
# stime was kept): the rated run's connections, and no kernel part
report_old_raw() {
	local cells
	grep -v '^bpfrun ' "$TMP/raw" | sed 's/ tracer_sys_ticks=[0-9]*//' >"$TMP/raw.old"
	python3 tools/bench.d/report.py "$TMP/raw.old" >"$TMP/out" || return 1
	mapfile -t cells < <(row c2 porttrace <"$TMP/out")
	expect "of it kernel" "${cells[5]}" "–" &&
	expect "BPF ns/conn" "${cells[7]}" "1,583 (667–2,500)"
}
check "bench report: an older RAW divides by the rated run's connections" report_old_raw

# the real thing, one short round; needs root, bpftool, jq (make deps)
bench_runs() {
	[[ -x ./porttrace && -x .output/tools/churn && -x .output/tools/format-bench &&
	   -x .output/tools/floor ]] ||
		{ echo "build first: make all tools-bins"; return 1; }
	BENCH_TCPLIFE=no tools/bench -w c1 -r 1 -d 1 >"$TMP/bench" 2>&1 ||
		{ tail -n 20 "$TMP/bench"; return 1; }
	local cells
	mapfile -t cells < <(row c1 porttrace <"$TMP/bench")
	[[ ${cells[3]:-} =~ ^[0-9]\.[0-9]{3}$ && ${cells[5]:-} =~ ^[0-9]+\.[0-9]{2}$ &&
	   ${cells[7]:-} =~ ^[0-9,]+$ && ${cells[7]//,/} -gt 0 ]] ||
		{ echo "no porttrace row with a ratio, its kernel CPU and BPF ns/conn:"; cat "$TMP/bench"; return 1; }
	grep -q '| c1 | porttrace | btf_inet_sock_set_state |' "$TMP/bench" ||
		{ echo "no per-program row for inet_sock_set_state"; cat "$TMP/bench"; return 1; }
	mapfile -t cells < <(row c1 floor <"$TMP/bench")
	[[ ${cells[3]:-} =~ ^[0-9]\.[0-9]{3}$ && ${cells[7]:-} =~ ^[0-9,]+$ && ${cells[7]//,/} -gt 0 ]] ||
		{ echo "no floor row with a ratio and BPF ns/conn:"; cat "$TMP/bench"; return 1; }
	grep -qE '^porttrace.s formatting alone .*: [0-9,]+ ns a record, best of 5 ' "$TMP/bench" ||
		{ echo "no formatting line"; cat "$TMP/bench"; return 1; }
	[[ $(</proc/sys/kernel/bpf_stats_enabled) == "$STATS_BEFORE" ]] ||
		{ echo "kernel.bpf_stats_enabled left at $(</proc/sys/kernel/bpf_stats_enabled)"; return 1; }
}
STATS_BEFORE=$(</proc/sys/kernel/bpf_stats_enabled)
check "tools/bench: one round of c1 gives a ratio and BPF time, the floor's too, and restores bpf_stats" bench_runs

# The floor does what the bench says it does: for each connection a record
# at the connect and at each side's close, as lines of the asked length.
# 300 connections in a namespace of its own, on a port of their own.
floor_records() {
	local ns=porttrace-floor-$$ port=29999 hexport pid n_connect n_close
	printf -v hexport '%04x' "$port"
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	.output/tools/floor -l 200 >"$TMP/floor.out" 2>"$TMP/floor.err" &
	pid=$!
	for _ in $(seq 100); do grep -qs '^floor: tracing' "$TMP/floor.err" && break; sleep 0.05; done
	timeout 20 ip netns exec "$ns" .output/tools/churn -t 2 -n 300 -d 10 -p "$port" >/dev/null
	kill -INT "$pid"
	wait "$pid" || { cat "$TMP/floor.err"; ip netns del "$ns"; return 1; }
	ip netns del "$ns"
	grep -qE '^floor: [0-9]+ records, 0 lost$' "$TMP/floor.err" || { cat "$TMP/floor.err"; return 1; }
	# the client's connect names the server's port as its remote one
	n_connect=$(awk -v p="$hexport" '/^1 / && substr($0, 7, 4) == p' "$TMP/floor.out" | wc -l)
	n_close=$(grep -c '^5 ' "$TMP/floor.out")
	expect connects "$n_connect" 300 &&
	{ ((n_close >= 600)) || { echo "closes: $n_close, want at least 600"; return 1; }; } &&
	expect "line lengths" "$(awk '{ print length($0) + 1 }' "$TMP/floor.out" | sort -u)" 200
}
check "floor: a record at each connect and at each side's close, as lines of the asked length" floor_records

# what the floor creates per socket is what porttrace creates: the same size
floor_state_size() {
	local pt fl
	pt=$(bpftool btf dump file .output/porttrace.bpf.o | sed -n "s/.*STRUCT 'sk_state' size=\([0-9]*\) .*/\1/p")
	fl=$(bpftool btf dump file .output/tools/floor.bpf.o | sed -n "s/.*STRUCT 'floor_state' size=\([0-9]*\) .*/\1/p")
	[[ -n $pt ]] || { echo "no sk_state in porttrace's BTF"; return 1; }
	expect "floor_state's size" "$fl" "$pt"
}
check "floor: its socket storage is the size of porttrace's" floor_state_size

# A round that loses records: porttrace, with a 64 KiB ring, is stopped
# (SIGSTOP) from when it says it is tracing until the load is over, so the
# ring fills. The round's losses keep their cause, and BENCH_KEEP_LOSSES
# keeps its output.
bench_keeps_losses() {
	cat >"$TMP/stopped-porttrace" <<EOF
#!/usr/bin/env bash
me=\$\$
( err=\$(readlink /proc/\$me/fd/2)
  for i in \$(seq 100); do grep -qs '^porttrace: tracing' "\$err" && break; sleep 0.05; done
  kill -STOP \$me; sleep 2.5; kill -CONT \$me ) &
exec "$PWD/porttrace" "\$@" --ring-size 64
EOF
	chmod +x "$TMP/stopped-porttrace"
	PORTTRACE=$TMP/stopped-porttrace BENCH_KEEP_LOSSES=$TMP/kept BENCH_TCPLIFE=no \
		tools/bench -w c1 -r 1 -d 1 -v >"$TMP/bench" 2>&1 || { tail -n 20 "$TMP/bench"; return 1; }
	[[ -s $TMP/kept/c1-1.json && -s $TMP/kept/c1-1.err ]] ||
		{ echo "no kept output:"; ls -l "$TMP/kept"; return 1; }
	grep -qE 'lost \(ring buffer full: [1-9]' "$TMP/kept/c1-1.err" ||
		{ echo "kept stderr has no ring losses:"; tail -n 3 "$TMP/kept/c1-1.err"; return 1; }
	grep -qE '^\| c1 \| 1 \| porttrace \|.*\| [1-9][0-9]* \(ring [1-9][0-9]*, recursion [0-9]+, state 0, unseen closes [0-9]+\) ' "$TMP/bench" ||
		{ echo "no raw round with its ring losses:"; grep -F '| c1 | 1 |' "$TMP/bench"; return 1; }
}
check "tools/bench: a round that lost records keeps its causes, and BENCH_KEEP_LOSSES its output" bench_keeps_losses

tap_end
