#!/usr/bin/env python3
"""Independent Elo over a MovieMash event dump (`moviemash log dump --json`), for checking the Swift projection.

Rules (Documentation/Projections.md): sets move by k*(1 - E), E = 1 / (1 + 10**((loser - winner) / scale)); films
move as teams, once per vote: E from the two sets' summed film ratings, each film of the winning set gains
film_k*(1 - E)/4 and each film of the losing set loses as much (a film in both sets nets zero); votes on
sets whose films are unknown move only the sets.

Usage: elo.py DUMP.jsonl [--time]   prints {"sets": {id: rating}, "films": {slug: rating}} (or the loop's
events per second with --time).
"""
import json
import sys
import time

K, FILM_K, SCALE, BASE = 32.0, 32.0, 400.0, 1500.0


def expected(rating, opponent):
    return 1 / (1 + 10 ** ((opponent - rating) / SCALE))


def run(events):
    set_ratings, film_ratings, set_films = {}, {}, {}
    for kind, payload in events:
        if kind == "Top4SetScraped":
            set_ratings.setdefault(payload["setID"], BASE)
            set_films[payload["setID"]] = payload["movieIDs"]
            for film in payload["movieIDs"]:
                film_ratings.setdefault(film, BASE)
        elif kind == "VoteCast":
            winner = payload["setA"] if payload["winner"] == "setA" else payload["setB"]
            loser = payload["setB"] if payload["winner"] == "setA" else payload["setA"]
            rw, rl = set_ratings.setdefault(winner, BASE), set_ratings.setdefault(loser, BASE)
            change = K * (1 - expected(rw, rl))
            set_ratings[winner] = rw + change
            set_ratings[loser] = rl - change
            wins, losses = set_films.get(winner), set_films.get(loser)
            if wins is None or losses is None:
                continue
            change = FILM_K * (1 - expected(sum(film_ratings[w] for w in wins), sum(film_ratings[l] for l in losses))) / 4
            for w in wins:
                film_ratings[w] += change
            for l in losses:
                film_ratings[l] -= change
    return set_ratings, film_ratings


def main():
    with open(sys.argv[1]) as dump:
        events = [(e["type"], e["payload"]) for e in map(json.loads, dump)]
    started = time.perf_counter()
    sets, films = run(events)
    seconds = time.perf_counter() - started
    if "--time" in sys.argv:
        print(json.dumps({"events": len(events), "seconds": seconds, "events_per_second": len(events) / seconds}))
    else:
        print(json.dumps({"sets": sets, "films": films}))


if __name__ == "__main__":
    main()
