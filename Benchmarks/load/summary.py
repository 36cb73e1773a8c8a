"""Summarises one Benchmarks/http-load run: throughput and latency of each part in every round, the ratios
the gateway issue targets (each round's, and their median, which decides) for the reads at both
concurrencies, and whether every acknowledged vote is in the log. Exits 1 when a gateway run saw errors."""
import glob
import re
import statistics
import sys

work, connections, rounds, latency_connections = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


def wrk(folder, name):
    text = open(f"{folder}/{name}.txt").read()
    def latency(percent):
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "requests": int(re.search(r"(\d+) requests in", text).group(1)),
        "p50": latency(50), "p99": latency(99),
        "failed": int(failed.group(1)) if failed else 0,
        "errors": sum(map(int, errors.groups())) if errors else 0,
    }


def pgbench(folder):
    text = open(f"{folder}/pgbench.txt").read()
    tps = float(re.search(r"^tps = ([\d.]+)", text, re.M).group(1))
    latencies = sorted(int(line.split()[2]) for path in glob.glob(f"{folder}/pgbench.*") if not path.endswith(".txt")
                       for line in open(path))
    def at(fraction):
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] / 1000
    return {"rps": tps, "requests": len(latencies), "p50": at(0.5), "p99": at(0.99), "failed": 0, "errors": 0}


def ratios(runs):
    votes, hello = runs["votes"], runs["hello"]
    return [
        ("votes / pgbench INSERT (64 clients)", votes["rps"] / runs["pgbench"]["rps"], ">=", 1.5),
        ("votes / echo route", votes["rps"] / runs["echo"]["rps"], ">=", 0.6),
        ("  durable echo / echo route", runs["durable"]["rps"] / runs["echo"]["rps"], "", None),
        ("votes / durable echo route", votes["rps"] / runs["durable"]["rps"], ">=", 0.8),
        ("votes p99 (ms)", votes["p99"], "<=", 10),
        ("next pair / hello route", runs["next"]["rps"] / hello["rps"], ">=", 0.5),
        ("next pair p99 (ms)", runs["next"]["p99"], "<=", 5),
        ("recommendations / hello route", runs["recs"]["rps"] / hello["rps"], ">=", 0.5),
        ("recommendations p99 (ms)", runs["recs"]["p99"], "<=", 5),
        (f"at {latency_connections} connections:", None, None, None),
        ("next pair / hello route", runs["next-latency"]["rps"] / runs["hello-latency"]["rps"], ">=", 0.5),
        ("next pair p99 (ms)", runs["next-latency"]["p99"], "<=", 5),
        ("recommendations / hello route", runs["recs-latency"]["rps"] / runs["hello-latency"]["rps"], ">=", 0.5),
        ("recommendations p99 (ms)", runs["recs-latency"]["p99"], "<=", 5),
    ]


every = []
for r in range(1, rounds + 1):
    folder = f"{work}/round-{r}"
    runs = {name: wrk(folder, name)
            for name in ["hello", "next", "recs", "hello-latency", "next-latency", "recs-latency", "echo", "durable", "votes"]}
    runs["pgbench"] = pgbench(folder)
    runs["logged"] = int(open(f"{folder}/votes-logged").read())
    every.append(runs)
    print(f"\nround {r}\n{'run':<15}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}")
    for name, run in runs.items():
        if name == "logged":
            continue
        print(f"{name:<15}{run['rps']:>10.0f}{run['p50']:>9.2f}{run['p99']:>9.2f}{run['failed'] + run['errors']:>8}")

print(f"\nwrk: {connections} connections (reads also at {latency_connections}), 2 threads; pgbench: 64 clients, 2 threads; {rounds} rounds")
print(f"{'':<34}{'median':>8}  {'rounds':<24}")
per_round = [ratios(runs) for runs in every]
for index, (label, _, relation, target) in enumerate(per_round[0]):
    values = [checks[index][1] for checks in per_round]
    if values[0] is None:
        print(label)
        continue
    median = statistics.median(values)
    listed = " ".join(f"{value:.2f}" for value in values)
    if target is None:
        print(f"{label:<34}{median:>8.2f}  {listed:<24} (no target)")
        continue
    met = median >= target if relation == ">=" else median <= target
    print(f"{label:<34}{median:>8.2f}  {listed:<24} target {relation} {target:<5} {'met' if met else 'NOT MET'}")

missing = 0
for r, runs in enumerate(every, 1):
    acknowledged = runs["votes"]["requests"] - runs["votes"]["failed"]
    missing += max(0, acknowledged - runs["logged"])
    ticks, per_second = (int(x) for x in open(f"{work}/round-{r}/votes-cpu").read().split())
    cpu = ticks / per_second / max(acknowledged, 1) * 1e6
    print(f"round {r}: votes acknowledged (2xx) {acknowledged}, VoteCast events the round added to its log {runs['logged']}, "
          f"server CPU {cpu:.1f} µs per vote")
problems = sorted({f"{name} (round {r})" for r, runs in enumerate(every, 1) for name in ["next", "recs", "next-latency", "recs-latency", "votes"]
                   if runs[name]["failed"] or runs[name]["errors"]})
if problems or missing:
    print(f"errors in: {', '.join(problems) or 'none'}; acknowledged votes missing from the logs: {missing}")
    sys.exit(1)
