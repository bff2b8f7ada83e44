#!/usr/bin/python3
"""trace_check.py FILE.json [--chiplets N]: check a Chrome Trace Event
format file (what `hecaton train --trace` writes; Perfetto and
chrome://tracing open it). Checks:
  - valid JSON: an object with a "traceEvents" list, or a bare list;
  - every event is an object with a string "ph", an integer "pid", a
    numeric, finite, non-negative "ts" and a string "name";
  - "X" (complete) events have a numeric, finite "dur" >= 0 and a "tid";
    "B"/"E" events balance per (pid, tid);
  - a "process_name" metadata event ("M") with args.name for every pid used,
    and a "thread_name" one for every (pid, tid) used by a non-metadata event;
  - with --chiplets N: exactly N distinct pids (one process per chiplet),
    each with at least one event that is not metadata.
Prints every problem (at most 20 of a kind) and a summary; exits 1 on any."""
import argparse
import collections
import json
import math
import sys


def number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--chiplets", type=int, help="expected number of processes (R*C)")
    o = ap.parse_args()

    problems = collections.defaultdict(list)

    def bad(kind, msg):
        problems[kind].append(msg)

    try:
        with open(o.trace, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"{o.trace}: not valid JSON: {e}")
        return 1
    if isinstance(doc, dict):
        events = doc.get("traceEvents")
        if not isinstance(events, list):
            print(f"{o.trace}: a JSON object without a traceEvents list")
            return 1
    elif isinstance(doc, list):
        events = doc
    else:
        print(f"{o.trace}: neither an object with traceEvents nor an array")
        return 1

    pids, used_threads, busy_pids = set(), set(), set()
    pname, tname = {}, {}
    open_b = collections.Counter()
    kinds = collections.Counter()
    for i, e in enumerate(events):
        where = f"event {i}"
        if not isinstance(e, dict):
            bad("not an object", f"{where}: {e!r}")
            continue
        ph, pid, ts, name = e.get("ph"), e.get("pid"), e.get("ts"), e.get("name")
        if not isinstance(ph, str) or not ph:
            bad("no ph", f"{where}: ph = {ph!r}")
            continue
        kinds[ph] += 1
        if not isinstance(pid, int) or isinstance(pid, bool):
            bad("no integer pid", f"{where}: pid = {pid!r}")
            continue
        if not number(ts):
            bad("ts not a finite number", f"{where}: ts = {ts!r}")
        elif ts < 0:
            bad("negative ts", f"{where}: ts = {ts}")
        if not isinstance(name, str) or not name:
            bad("no name", f"{where}: name = {name!r}")
        pids.add(pid)
        tid = e.get("tid")
        if ph == "M":
            args = e.get("args")
            label = args.get("name") if isinstance(args, dict) else None
            if name == "process_name":
                if not isinstance(label, str) or not label:
                    bad("process_name without args.name", where)
                else:
                    pname[pid] = label
            elif name == "thread_name":
                if not isinstance(label, str) or not label or tid is None:
                    bad("thread_name without tid or args.name", where)
                else:
                    tname[(pid, tid)] = label
            continue
        if tid is None:
            bad("no tid", f"{where} ({ph} {name!r})")
        used_threads.add((pid, tid))
        busy_pids.add(pid)
        if ph == "X":
            dur = e.get("dur")
            if not number(dur):
                bad("X without a finite dur", f"{where}: dur = {dur!r}")
            elif dur < 0:
                bad("negative dur", f"{where} ({name!r}): dur = {dur}")
        elif ph == "B":
            open_b[(pid, tid)] += 1
        elif ph == "E":
            open_b[(pid, tid)] -= 1
            if open_b[(pid, tid)] < 0:
                bad("E before its B", f"{where}: pid {pid} tid {tid}")

    for key, n in open_b.items():
        if n > 0:
            bad("B never ended", f"pid {key[0]} tid {key[1]}: {n} open")
    for pid in sorted(pids - set(pname)):
        bad("pid without process_name", f"pid {pid}")
    for key in sorted(used_threads - set(tname), key=str):
        bad("(pid, tid) without thread_name", f"pid {key[0]} tid {key[1]}")
    if o.chiplets is not None:
        if len(pids) != o.chiplets:
            bad("processes != chiplets", f"{len(pids)} distinct pids, {o.chiplets} chiplets")
        for pid in sorted(pids - busy_pids):
            bad("process without events", f"pid {pid} ({pname.get(pid, '?')})")
        if len(set(pname.values())) != len(pname):
            bad("processes share a name", ", ".join(sorted(pname.values())))

    summary = (f"{o.trace}: {len(events)} events ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
               f"{len(pids)} processes, {len(used_threads)} threads")
    if problems:
        for kind, msgs in sorted(problems.items()):
            print(f"FAIL {kind}: {len(msgs)}")
            for m in msgs[:20]:
                print(f"  {m}")
        print(summary + ": INVALID")
        return 1
    print(summary + ": valid Chrome trace")
    return 0


if __name__ == "__main__":
    sys.exit(main())
