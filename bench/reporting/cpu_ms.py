#!/usr/bin/env python3
"""bench/reporting/cpu_ms.py: backend CPU time of queries, interleaved, in one psql session.

  cpu_ms.py CONNINFO ROUNDS [-v NAME=VALUE ...] LABEL=SQL ...

Runs each query once untimed (warm caches, compiled PL/pgSQL), then ROUNDS times in turn, and
prints for each the min and median of the backend's CPU time (the first field of
/proc/self/schedstat, read with pg_read_file: superuser, as in the benchmark's own cluster) and of
the wall time. Wall times on a shared machine move with its load; the backend's CPU time much
less, so two bodies of a function can be compared by it. Parallel workers' CPU is not counted
(the benchmark's plain queries at SCALE=0.1 run without them). jit is off, as in the report
functions and the benchmark's plain queries. -v sets psql variables (the plain queries use
:prefix, :period, :quarter, :as_of). Nothing is asserted."""
import re
import statistics
import subprocess
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ci, rounds, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    psql = ["psql", "-X", "-v", "ON_ERROR_STOP=1"]
    queries = []
    while args:
        a = args.pop(0)
        if a == "-v":
            psql += ["-v", args.pop(0)]
        else:
            label, sql = a.split("=", 1)
            queries.append((label, sql.strip().rstrip(";")))
    lines = ["\\set QUIET on", "SET jit = off;",
             "CREATE FUNCTION pg_temp.cpu_ns() RETURNS bigint LANGUAGE sql VOLATILE AS"
             " $$ SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::bigint $$;",
             "\\pset tuples_only on", "\\pset format unaligned"]
    for r in range(rounds + 1):
        for i, (_, sql) in enumerate(queries):
            lines += ["SELECT pg_temp.cpu_ns() AS c0, clock_timestamp() AS t0 \\gset", sql + " \\g /dev/null",
                      f"SELECT 'R {r} {i} ' || (pg_temp.cpu_ns() - :c0) / 1e6 || ' '"
                      " || extract(epoch FROM clock_timestamp() - :'t0') * 1000;"]
    p = subprocess.run(psql + [ci], input="\n".join(lines) + "\n", capture_output=True, text=True)
    if p.returncode:
        sys.exit(p.stderr)
    res = {}
    for m in re.finditer(r"^R (\d+) (\d+) ([0-9.]+) ([0-9.]+)$", p.stdout, re.M):
        if int(m[1]):  # round 0 is the untimed warm-up
            res.setdefault(int(m[2]), []).append((float(m[3]), float(m[4])))
    print(f"{'':<24} {'cpu ms min':>10} {'median':>8} {'wall ms min':>12} {'median':>8}")
    for i, (label, _) in enumerate(queries):
        cs, ws = [c for c, _ in res[i]], [w for _, w in res[i]]
        print(f"{label:<24} {min(cs):10.1f} {statistics.median(cs):8.1f} {min(ws):12.1f} {statistics.median(ws):8.1f}")


if __name__ == "__main__":
    main()
