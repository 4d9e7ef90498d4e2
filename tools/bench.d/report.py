#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Turn tools/bench's raw per-round numbers into one Markdown table.

usage: report.py [-v] RAW

RAW holds one line per fact, written by tools/bench:
  meta KEY=VALUE...                 (the value may contain spaces)
  run  wl= round= tool= conns= rate= churn_cpu_us= ...   (one churn run)
  bpfrun wl= round= tool= conns=                         (the run BPF time is read over)
  bpf  wl= round= tool= name= ns= cnt= miss=             (one program, that run)
  format records= repeats= best_ns= median_ns= per_conn= (tools/bench.d/format.c)
"""
import shlex
import statistics
import sys
from collections import defaultdict

# what the targets in the brief are (context only: nothing is asserted)
TARGETS = ("targets (context, not asserted): ratio c1 >= 0.97, c2 >= 0.95, rr >= 0.97; "
           "BPF <= 2000 ns/conn; porttrace CPU <= 1 us/conn; RSS <= 16 MiB; 0 missing")

# records one connection gives with -k connect,accept,close (README: event
# kinds): a connect (client), an accept (server, `ok`, or `reset` when the
# kernel reset it before any process accepted it), and a close per side
PT_KINDS = {
    "connect": ("connect",),
    "accept": ("accept_ok", "accept_reset"),
    "close client": ("close_client",),
    "close server": ("close_server",),
}
KIND_OF = {"connect": "connect", "accept": "accept", "close client": "close",
           "close server": "close"}


def parse(path):
    meta, runs, bpf, bpfruns, fmt = {}, [], [], {}, None
    workloads = {}
    with open(path) as f:
        for line in f:
            typ, _, rest = line.rstrip("\n").partition(" ")
            if typ == "meta":
                if rest.startswith("workload="):
                    d = dict(kv.split("=", 1) for kv in rest.split(" ", 1))
                    workloads[d["workload"]] = rest.split("churn_args=", 1)[1]
                    continue
                if rest.startswith(("porttrace_args=", "tcplife=")):
                    k, _, v = rest.partition("=")
                    meta[k] = v
                    continue
                for kv in rest.split():
                    k, _, v = kv.partition("=")
                    meta[k] = v
                continue
            d = {}
            for kv in rest.split():
                k, _, v = kv.partition("=")
                d[k] = v
            for k, v in list(d.items()):
                if k in ("wl", "tool", "name"):
                    continue
                try:
                    d[k] = float(v) if "." in v else int(v)
                except ValueError:
                    pass
            if typ == "bpfrun":
                bpfruns[(d["wl"], d["tool"], d["round"])] = d["conns"]
                continue
            if typ == "format":
                fmt = d
                continue
            (runs if typ == "run" else bpf).append(d)
    return meta, workloads, runs, bpf, bpfruns, fmt


def traced_kinds(args):
    """Which of connect/accept/close porttrace was asked for; None: not JSON."""
    argv = shlex.split(args)
    kinds, out = "connect,accept", "json"
    for i, a in enumerate(argv):
        nxt = argv[i + 1] if i + 1 < len(argv) else ""
        if a in ("-k", "--kind"):
            kinds = nxt
        elif a.startswith("--kind="):
            kinds = a.split("=", 1)[1]
        elif a.startswith("-k") and len(a) > 2:
            kinds = a[2:]
        elif a in ("-o", "--output"):
            out = nxt
        elif a.startswith("--output="):
            out = a.split("=", 1)[1]
        elif a.startswith("-o") and len(a) > 2:
            out = a[2:]
        elif a == "--lifetime":
            return None
    if out != "json":
        return None
    ks = set(kinds.split(","))
    if "all" in ks:
        ks = {"connect", "accept", "close"}
    return ks


def fmt_n(x):
    return f"{x:,.0f}"


def spread(vals, f):
    """'median (min–max)' of a list, each formatted by f."""
    if not vals:
        return "–"
    med = statistics.median(vals)
    if len(vals) == 1:
        return f(med)
    return f"{f(med)} ({f(min(vals))}–{f(max(vals))})"


def us_per_conn(r, key):
    """a run's tracer CPU in clock ticks (r[key]) as µs per connection"""
    return r[key] / r["hz"] * 1e6 / r["conns"]


def f2(x):
    return f"{x:.2f}"


def f3(x):
    return f"{x:.3f}"


def f0(x):
    return f"{x:,.0f}"


def table(header, rows, align):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def counted(label, kinds):
    """Whether the records of this label can be counted. A server close is
    owed only by a connection that was not reset before any process accepted
    it, and only the accept records tell those apart."""
    if KIND_OF[label] not in kinds:
        return False
    return label != "close server" or "accept" in kinds


def pt_records(r, kinds):
    """expected, written, missing, per-kind written for one porttrace run."""
    n = r["conns"]
    per = {}
    expected = written = missing = 0
    for label, keys in PT_KINDS.items():
        if not counted(label, kinds):
            continue
        w = sum(r.get(k, 0) for k in keys)
        per[label] = w
        # a connection reset before any process accepted it has its accept
        # record (result reset) and no server close (README: event kinds)
        want = n - r.get("accept_reset", 0) if label == "close server" else n
        expected += want
        written += w
        missing += max(0, want - w)
    return expected, written, missing, per


def main():
    args = sys.argv[1:]
    verbose = "-v" in args
    args = [a for a in args if a != "-v"]
    if len(args) != 1:
        sys.exit("usage: report.py [-v] RAW")
    meta, workloads, runs, bpf, bpfruns, fmt = parse(args[0])
    kinds = traced_kinds(meta.get("porttrace_args", ""))

    by = defaultdict(dict)          # (wl, tool) -> round -> run
    for r in runs:
        by[(r["wl"], r["tool"])][r["round"]] = r
    # (wl, tool) -> name -> round -> [ns, cnt, miss]
    progs = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: [0, 0, 0])))
    bpf_round = defaultdict(int)    # (wl, tool, round) -> ns
    for b in bpf:
        p = progs[(b["wl"], b["tool"])][b["name"]][b["round"]]
        p[0] += b["ns"]
        p[1] += b["cnt"]
        p[2] += b["miss"]
        bpf_round[(b["wl"], b["tool"], b["round"])] += b["ns"]
    tools = [t for t in ("porttrace", "floor", "tcplife") if any(k[1] == t for k in by)]

    def bconns(wl, tool, rnd):
        """connections of the run BPF time was read over: its own run with
        kernel.bpf_stats_enabled, or (an older RAW) the rated run"""
        return bpfruns.get((wl, tool, rnd)) or by[(wl, tool)][rnd]["conns"]

    tl = meta.get("tcplife", "none")
    print(f"porttrace bench: {meta['rounds']} rounds x {meta['seconds']} s per workload, "
          f"interleaved untraced / {' / '.join(tools)}; {meta['cpus']} CPUs, "
          f"Linux {meta['kernel']}")
    print(f"porttrace {meta.get('porttrace_args', '')} > file in {meta.get('outdir', '?')} "
          f"({meta.get('fs', '?')})"
          + ("; floor > file" if "floor" in tools else "")
          + (f"; tcplife -w > file ({tl})" if "tcplife" in tools else "; tcplife: not measured"))
    print("workloads: " + "; ".join(f"{w} = churn {a}" for w, a in workloads.items()))
    load = float(meta.get("load", 0))
    if load > 0.5:
        print(f"warning: the host was busy before the bench (load average {load:.2f} on "
              f"{meta['cpus']} CPUs): other work competes with the load and the numbers")
    print()

    if kinds is None:
        expect_text = "? (output not JSON Lines: not counted)"
    else:
        labels = [k for k in PT_KINDS if counted(k, kinds)]
        expect_text = f"{len(labels)} per connection ({', '.join(labels)}"
        if "close server" in labels:
            expect_text += "; no server close for a connection reset before any process accepted it)"
        elif "close" in kinds:	# asked for, but not counted (counted())
            expect_text += ("); server closes not counted: without accept records the bench "
                            "cannot tell which connections owe one")
        else:
            expect_text += ")"

    # --- the main table -------------------------------------------------
    rows = []
    for wl in workloads:
        base = by.get((wl, "untraced"), {})
        rows.append([wl, "untraced", spread([r["rate"] for r in base.values()], f0),
                     "1", "–", "–", "–", "–", "–", "–", "–"])
        for tool in tools:
            tr = by.get((wl, tool), {})
            if not tr:
                continue
            ratios, tcpu, tsys, extra, bns = [], [], [], [], []
            lost = stats_lost = 0
            have_stats = False
            exp_sum = miss_sum = 0
            for rnd, r in sorted(tr.items()):
                n = r["conns"]
                if rnd in base:
                    b = base[rnd]
                    ratios.append(r["rate"] / b["rate"])
                    extra.append(r["churn_cpu_us"] / n - b["churn_cpu_us"] / b["conns"])
                tcpu.append(us_per_conn(r, "tracer_ticks"))
                if "tracer_sys_ticks" in r:	# raw files before it had none
                    tsys.append(us_per_conn(r, "tracer_sys_ticks"))
                bns.append(bpf_round[(wl, tool, rnd)] / bconns(wl, tool, rnd))
                lost += r.get("lost", 0)
                if "stats_lost" in r:
                    have_stats = True
                    stats_lost += r["stats_lost"]
                if tool == "porttrace" and kinds is not None:
                    e, _, m, _ = pt_records(r, kinds)
                    exp_sum += e
                    miss_sum += m
                elif tool == "tcplife":
                    exp_sum += 2 * n
                    miss_sum += max(0, 2 * n - r.get("lines", 0))
            rss = max(r["hwm_kb"] for r in tr.values()) / 1024
            lost_s = f"{lost:,}" + (f" (stats {stats_lost:,})" if have_stats else "")
            if exp_sum:
                miss_s = f"{miss_sum:,} ({100 * miss_sum / exp_sum:.1f}%)"
            else:
                miss_s = "n/a"
            rows.append([wl, tool,
                         spread([r["rate"] for r in tr.values()], f0),
                         spread(ratios, f3), spread(tcpu, f2), spread(tsys, f2),
                         spread(extra, f2),
                         spread(bns, f0), f"{rss:.1f}", lost_s, miss_s])
    print(table(["workload", "run", "conn/s", "ratio", "tracer CPU us/conn",
                 "of it kernel", "churn +CPU us/conn", "BPF ns/conn", "RSS MiB", "lost",
                 "missing"],
                rows, "llrrrrrrrrr"))
    print()
    print("Each cell: median over the rounds (min–max). ratio: traced / untraced of the "
          "same round. tracer CPU: its utime+stime over the run and until its output "
          "stopped growing; of it kernel: the stime part (its writes, mostly copying "
          "records into the page cache); churn +CPU: churn's own CPU per connection traced minus "
          "untraced (BPF programs run in its context); BPF ns: run time of the tracer's "
          "programs (kernel.bpf_stats_enabled) over a run of its own, a fresh tracer after "
          "each traced round, so the rated rounds run without the stats' clock reads; RSS: peak VmHWM; lost: porttrace's "
          "'N events, M lost' summed (and its stats records), tcplife's 'lost N events' lines; missing: records short "
          f"of {expect_text} for porttrace, 2 for tcplife (one line per socket).")
    if "floor" in tools:
        print()
        print("floor (tools/bench.d/floor.bpf.c): porttrace's mechanisms and nothing else -- "
              "socket storage created for the client and the child, a record of porttrace's "
              "size in the ring at the connect and at each side's close (3 a connection, no "
              "wakeup), each written as a line of porttrace's size (680 bytes) to a file; no "
              "syscall tracepoints, process identity, joins or formatting. What porttrace costs "
              "above it is its own logic; its own cost is the design's.")
    print()

    # --- BPF programs ---------------------------------------------------
    # medians over the rounds, so one round disturbed by the host's own
    # connections (the tracepoints are global) does not skew a program
    rows = []
    for wl in workloads:
        for tool in tools:
            tr = by.get((wl, tool), {})
            if not tr:
                continue
            med = statistics.median
            rest = [0, 0.0, 0.0]    # programs, runs/conn, ns/conn
            for name, per in sorted(progs[(wl, tool)].items(),
                                    key=lambda kv: -sum(v[0] for v in kv[1].values())):
                runs = [per[r][1] / bconns(wl, tool, r) if r in per else 0 for r in tr]
                nsc = [per[r][0] / bconns(wl, tool, r) if r in per else 0 for r in tr]
                nsr = [per[r][0] / per[r][1] for r in tr if r in per and per[r][1]]
                miss = sum(v[2] for v in per.values())
                if not nsr:
                    continue
                if med(runs) < 0.01:
                    # the host's own listen/bind/retransmit: not the load's
                    rest[0] += 1
                    rest[1] += med(runs)
                    rest[2] += med(nsc)
                    continue
                rows.append([wl, tool, name, f"{med(runs):.2f}", f"{med(nsr):,.0f}",
                             f"{med(nsc):,.0f}", f"{miss:,}" if miss else ""])
            if rest[0]:
                rows.append([wl, tool, f"({rest[0]} more, < 0.01 runs/conn)",
                             f"{rest[1]:.3f}", "", f"{rest[2]:,.0f}", ""])
            totals = [bpf_round[(wl, tool, r)] / bconns(wl, tool, r) for r in tr]
            rows.append([wl, tool, "**total**", "", "", f"**{spread(totals, f0)}**", ""])
    if rows:
        print("BPF programs (median over the BPF runs; recursion misses summed):")
        print()
        print(table(["workload", "tracer", "program", "runs/conn", "ns/run", "ns/conn",
                     "recursion misses"], rows, "lllrrrr"))
        print()

    # --- records --------------------------------------------------------
    rows = []
    for wl in workloads:
        for tool in tools:
            tr = by.get((wl, tool), {})
            if not tr:
                continue
            conns = sum(r["conns"] for r in tr.values())
            if tool == "porttrace":
                if kinds is None:
                    rows.append([wl, tool, fmt_n(conns), "n/a (not JSON Lines)", "", "", ""])
                    continue
                exp = wr = miss = 0
                per = defaultdict(int)
                acc_ok = acc_reset = failed = other = foreign = 0
                for r in tr.values():
                    e, w, m, p = pt_records(r, kinds)
                    exp += e
                    wr += w
                    miss += m
                    for k, v in p.items():
                        per[k] += v
                    acc_ok += r.get("accept_ok", 0)
                    acc_reset += r.get("accept_reset", 0)
                    failed += r.get("connect_failed", 0)
                    other += sum(v for k, v in r.items() if isinstance(v, int) and
                                 k.startswith("accept_") and k not in ("accept_ok", "accept_reset"))
                    other += r.get("other", 0)
                    foreign += r.get("json", 0) - r.get("mine", 0)
                short = defaultdict(int)
                for r in tr.values():
                    for k, v in pt_records(r, kinds)[3].items():
                        short[k] += max(0, r["conns"] - v)
                parts = []
                for k, v in per.items():
                    s = f"{k} {v:,}"
                    if k == "accept":
                        s += f" (ok {acc_ok:,}, reset before accept {acc_reset:,})"
                    if short[k]:
                        s += f" [-{short[k]:,}]"
                    parts.append(s)
                if failed:
                    parts.append(f"failed connect {failed:,}")
                if other:
                    parts.append(f"other {other:,}")
                if foreign:
                    parts.append(f"+ {foreign:,} records of the host's own connections")
                rows.append([wl, tool, fmt_n(conns), fmt_n(exp), fmt_n(wr),
                             f"{miss:,} ({100 * miss / exp:.1f}%)" if exp else "n/a",
                             ", ".join(parts)])
            elif tool == "floor":
                continue	# its records are not porttrace's: nothing to count
            else:
                lines = sum(r.get("lines", 0) for r in tr.values())
                miss = sum(max(0, 2 * r["conns"] - r.get("lines", 0)) for r in tr.values())
                rows.append([wl, tool, fmt_n(conns), fmt_n(2 * conns), fmt_n(lines),
                             f"{miss:,} ({100 * miss / (2 * conns):.1f}%)",
                             "one line per socket (client and server)"])
    if rows:
        print("Records of the bench's connections (its namespace and port), all traced "
              "rounds; missing = expected - written, kind by kind, round by round:")
        print()
        print(table(["workload", "tracer", "connections", "expected", "written", "missing",
                     "written by kind"], rows, "llrrrrl"))
        print()

    # --- raw ------------------------------------------------------------
    if verbose:
        rows = []
        for wl in workloads:
            base = by.get((wl, "untraced"), {})
            for rnd in sorted({r["round"] for (w, _), d in by.items() if w == wl for r in d.values()}):
                for tool in ["untraced"] + tools:
                    r = by.get((wl, tool), {}).get(rnd)
                    if not r:
                        continue
                    n = r["conns"]
                    b = base.get(rnd)
                    row = [wl, rnd, tool, fmt_n(n), fmt_n(r["rate"]),
                           fmt_n(r["accepts"]) + ("" if r["exchanges"] == "-" else f" / {r['exchanges']:,}"),
                           f3(r["rate"] / b["rate"]) if b and tool != "untraced" else "",
                           f2(r["churn_cpu_us"] / n)]
                    if tool == "untraced":
                        row += [""] * 8
                    else:
                        row += [f2(us_per_conn(r, "tracer_ticks")),
                                f2(us_per_conn(r, "tracer_sys_ticks"))
                                if "tracer_sys_ticks" in r else "–",
                                fmt_n(bpf_round[(wl, tool, rnd)] / bconns(wl, tool, rnd)),
                                f"{r['hwm_kb'] / 1024:.1f}", f"{r['lag_s']:.1f}",
                                f"{r['bytes'] / 1e6:,.0f}"]
                        if tool == "porttrace":
                            lost = f"{r.get('lost', 0)}"
                            if "lost_ringbuf" in r or "lost_recursion" in r:
                                lost += f" (ring {r.get('lost_ringbuf', 0)}, recursion {r.get('lost_recursion', 0)}"
                                if "lost_state" in r:	# raw files before them had neither
                                    lost += f", state {r['lost_state']}, unseen closes {r.get('lost_unseen', 0)}"
                                lost += ")"
                            if "stats_lost" in r:
                                lost += f" stats {r['stats_lost']}"
                            if r.get("found_unseen"):
                                lost += f"; {r['found_unseen']} unseen closes reported late"
                            if kinds is not None:
                                e, w, m, _ = pt_records(r, kinds)
                                recs = f"{w:,}/{e:,} (-{m:,})"
                            else:
                                recs = "n/a"
                            row += [lost, recs]
                        elif tool == "floor":
                            row += [f"{r.get('lost', 0)}", "n/a"]
                        else:
                            row += [f"{r.get('lost', 0)}", f"{r.get('lines', 0):,}/{2 * n:,}"]
                    rows.append(row)
        print("Raw rounds:")
        print()
        print(table(["workload", "round", "run", "connections", "conn/s",
                     "accepts / exchanges", "ratio", "churn CPU us/conn", "tracer CPU us/conn",
                     "of it kernel", "BPF ns/conn", "RSS MiB", "output lag s", "output MB", "lost",
                     "records written/expected"], rows, "lrlrrrrrrrrrrrrr"))
        print()

    if fmt:
        print(f"porttrace's formatting alone (tools/bench.d/format.c: {fmt['records']:,} records "
              f"of a c2-like mix decoded and written as JSON Lines through the real sink to "
              f"/dev/null; no kernel, no churn): {fmt['best_ns']:,} ns a record, best of "
              f"{fmt['repeats']} (median {fmt['median_ns']:,}); "
              f"{fmt['best_ns'] * fmt['per_conn'] / 1000:.2f} us a connection at the mix's "
              f"{fmt['per_conn']:.2f} records")
        print()
    print(TARGETS)
    if "elapsed" in meta:
        print(f"bench time: {meta['elapsed']} s; load average before {meta.get('load', '?')}, "
              f"after {meta.get('load_end', '?')}")


if __name__ == "__main__":
    main()
