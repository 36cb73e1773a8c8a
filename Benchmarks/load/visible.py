"""Vote-to-visible lag on a replica, sampled while votes stream in.

One thread polls the writer's /metrics for its log end, another the replica's MovieMash-Position header,
each as fast as a kept-alive connection allows, for SECONDS. For every log end the writer reported, the lag
is the time from that report to the replica's first answer reflecting at least that position (the
sampling interval bounds the error). Prints p50 and p99 over those positions and the vote rate.

    python3 visible.py WRITER_URL REPLICA_URL SECONDS
"""
import http.client
import sys
import threading
import time
from urllib.parse import urlparse

writer, replica, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline = time.monotonic() + seconds
samples = {"writer": [], "replica": []}


def poll(name, url, path, read):
    target = urlparse(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    while time.monotonic() < deadline:
        connection.request("GET", path)
        response = connection.getresponse()
        response_body = response.read()
        position = read(response, response_body)
        if position is not None:
            samples[name].append((time.monotonic(), position))


def log_end(_, body):
    for line in body.decode().splitlines():
        if line.startswith("moviemash_log_position "):
            return int(float(line.split()[1]))
    return None


def reflected(response, _):
    value = response.getheader("MovieMash-Position")
    return int(value) if value else None


threads = [
    threading.Thread(target=poll, args=("writer", writer, "/metrics", log_end)),
    threading.Thread(target=poll, args=("replica", replica, "/health", reflected)),
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()

seen = samples["replica"]
lags = []
index = 0
for at, position in samples["writer"]:
    while index < len(seen) and seen[index][1] < position:
        index += 1
    if index == len(seen):
        break
    lags.append(max(0.0, seen[index][0] - at))
written = samples["writer"]
rate = (written[-1][1] - written[0][1]) / (written[-1][0] - written[0][0]) if len(written) > 1 else 0
if not lags:
    print(f"no positions sampled ({len(written)} writer samples, {len(seen)} replica samples)")
else:
    lags.sort()
    p50 = lags[len(lags) // 2] * 1000
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1000
    interval = seconds / max(1, len(seen)) * 1000
    print(f"p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(lags)} sampled positions at {rate:,.0f} events/s (replica sampled every {interval:.1f} ms)")
