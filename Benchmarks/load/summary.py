"""Summarises one Benchmarks/http-load run: throughput and latency of each part, the ratios the gateway
issue targets, and whether every acknowledged vote is in the log. Exits 1 when a gateway run saw errors."""
import glob
import re
import sys

work, connections, votes_logged = sys.argv[1], sys.argv[2], int(sys.argv[3])


def wrk(name):
    text = open(f"{work}/{name}.txt").read()
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


def pgbench():
    text = open(f"{work}/pgbench.txt").read()
    tps = float(re.search(r"^tps = ([\d.]+)", text, re.M).group(1))
    latencies = sorted(int(line.split()[2]) for path in glob.glob(f"{work}/pgbench.*") if not path.endswith(".txt")
                       for line in open(path))
    def at(fraction):
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] / 1000
    return {"rps": tps, "requests": len(latencies), "p50": at(0.5), "p99": at(0.99), "failed": 0, "errors": 0}


runs = {name: wrk(name) for name in ["hello", "next", "recs", "echo", "votes"]}
runs["pgbench"] = pgbench()
print(f"\n{'run':<9}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}")
for name, run in runs.items():
    print(f"{name:<9}{run['rps']:>10.0f}{run['p50']:>9.2f}{run['p99']:>9.2f}{run['failed'] + run['errors']:>8}")

votes, echo, insert, hello = runs["votes"], runs["echo"], runs["pgbench"], runs["hello"]
checks = [
    (f"votes / pgbench INSERT (64 clients)", votes["rps"] / insert["rps"], ">=", 1.5),
    ("votes / echo route", votes["rps"] / echo["rps"], ">=", 0.6),
    ("votes p99 (ms)", votes["p99"], "<=", 10),
    ("next pair / hello route", runs["next"]["rps"] / hello["rps"], ">=", 0.5),
    ("next pair p99 (ms)", runs["next"]["p99"], "<=", 5),
    ("recommendations / hello route", runs["recs"]["rps"] / hello["rps"], ">=", 0.5),
    ("recommendations p99 (ms)", runs["recs"]["p99"], "<=", 5),
]
print(f"\nwrk: {connections} connections, 2 threads; pgbench: 64 clients, 2 threads")
for label, value, relation, target in checks:
    met = value >= target if relation == ">=" else value <= target
    print(f"{label:<34}{value:>8.2f}  target {relation} {target:<5} {'met' if met else 'NOT MET'}")

acknowledged = votes["requests"] - votes["failed"]
print(f"\nvotes acknowledged (2xx) {acknowledged}, VoteCast events the run added to the log {votes_logged}")
problems = [name for name in ["next", "recs", "votes"] if runs[name]["failed"] or runs[name]["errors"]]
if problems or votes_logged < acknowledged:
    print(f"errors in: {', '.join(problems) or 'none'}; acknowledged votes missing from the log: {max(0, acknowledged - votes_logged)}")
    sys.exit(1)
