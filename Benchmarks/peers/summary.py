"""Summarises Benchmarks/log-peers: per client count, each system's median appends/s over the rounds with
the spread (min–max), the medians of each run's p50 and p99 latency, our log's ratio to the best peer, and
the durability each server reported beside its numbers.

usage: summary.py RESULTS DURABILITY_PREFIX
RESULTS lines: SYSTEM CLIENTS COUNT SECONDS PER_SECOND P50_MS P99_MS
"""
import collections
import glob
import statistics
import sys

results, durability = sys.argv[1], sys.argv[2]
runs = collections.defaultdict(list)
for line in open(results):
    system, clients, count, seconds, rate, p50, p99 = line.split()
    runs[(system, int(clients))].append((float(rate), float(p50), float(p99)))

settings = {}
for path in glob.glob(durability + ".*"):
    settings[path.rsplit(".", 1)[1]] = open(path).read().strip()

systems = ["moviemash", "redis", "nats", "postgres"]
print("\nDurability as each server reported it:")
for system in systems:
    print(f"  {settings.get(system, system + ': not reported')}")

verdicts = []
for clients in sorted({c for _, c in runs}):
    rounds = len(runs[("moviemash", clients)])
    print(f"\n{clients} client{'s' if clients > 1 else ''} ({rounds} round{'s' if rounds > 1 else ''}):")
    print(f"  {'system':<10} {'appends/s median':>16} {'(min–max)':>20} {'p50 ms':>8} {'p99 ms':>8}")
    medians = {}
    for system in systems:
        measured = runs.get((system, clients))
        if not measured:
            continue
        rates = [r for r, _, _ in measured]
        medians[system] = statistics.median(rates)
        print(f"  {system:<10} {medians[system]:>16.0f} {f'({min(rates):.0f}–{max(rates):.0f})':>20} "
              f"{statistics.median(p for _, p, _ in measured):>8.3f} {statistics.median(p for _, _, p in measured):>8.3f}")
    peers = {s: m for s, m in medians.items() if s != "moviemash"}
    if "moviemash" in medians and peers:
        best = max(peers, key=peers.get)
        ratio = medians["moviemash"] / peers[best]
        ours = medians["moviemash"]
        each = ", ".join(f"{s} {ours / m:.2f}×" for s, m in peers.items())
        print(f"  moviemash / best peer ({best}): {ratio:.2f}×; moviemash / each: {each}")
        if clients == 64:
            verdicts.append(f"64 clients: {ratio:.2f}× the best peer (target ≥ 2×): {'met' if ratio >= 2 else 'NOT met'}")
        if clients == 1:
            behind = [s for s, m in peers.items() if medians["moviemash"] < m]
            verdicts.append(f"1 client: behind {', '.join(behind) if behind else 'no peer'} (target: behind none): "
                            f"{'met' if not behind else 'NOT met'}")
print()
for verdict in verdicts:
    print(verdict)
