#!/usr/bin/env python3
"""Bradley-Terry strengths by scipy's L-BFGS-B over the same objective as the Swift fit, for checking it.

Objective over log-strengths theta (README, "Projections"):
  sum over ordered wins w_ij of log(1 + exp(theta_j - theta_i))
  + prior * sum_i [log(1 + exp(-theta_i)) + log(1 + exp(theta_i))]
(each item plays `prior` virtual wins and losses against a reference at theta = 0), minimized by scipy.

Usage: bradley_terry.py DUMP.jsonl   prints {"sets": {id: theta}, "films": {slug: theta}}.
"""
import json
import sys

import numpy as np
from scipy.linalg import solve
from scipy.optimize import minimize

PRIOR = 1.0


def fit(wins, names):
    index = {name: k for k, name in enumerate(names)}
    winners = np.array([index[w] for (w, _l) in wins], dtype=np.int64)
    losers = np.array([index[l] for (_w, l) in wins], dtype=np.int64)
    counts = np.array(list(wins.values()), dtype=np.float64)
    n = len(names)

    def objective(theta):
        d = theta[losers] - theta[winners]
        value = np.sum(counts * np.logaddexp(0, d)) + PRIOR * np.sum(np.logaddexp(0, -theta) + np.logaddexp(0, theta))
        s = counts / (1 + np.exp(-d))
        gradient = np.bincount(losers, s, n) - np.bincount(winners, s, n)
        gradient += PRIOR * (1 / (1 + np.exp(-theta)) - 1 / (1 + np.exp(theta)))
        return value, gradient

    def hessian(theta):
        d = theta[losers] - theta[winners]
        s = counts / (2 + np.exp(d) + np.exp(-d))
        h = np.zeros((n, n))
        np.add.at(h, (winners, losers), -s)
        np.add.at(h, (losers, winners), -s)
        h[np.diag_indices(n)] = -h.sum(axis=1) + 2 * PRIOR / (2 + np.exp(theta) + np.exp(-theta))
        return h

    # L-BFGS-B gets close; Newton steps with the exact Hessian (the objective is strictly convex) then
    # polish to machine precision, so the comparison is with the optimum, not an optimizer's stopping point.
    result = minimize(objective, np.zeros(n), jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "maxiter": 100000})
    theta = result.x
    for _ in range(50):
        step = solve(hessian(theta), objective(theta)[1], assume_a="pos")
        theta = theta - step
        if np.max(np.abs(step)) < 1e-13:
            break
    else:
        sys.exit("Newton polishing did not converge")
    return {name: float(theta[k]) for name, k in index.items()}


def main():
    set_films, set_wins, film_wins = {}, {}, {}
    set_names, film_names = {}, {}
    with open(sys.argv[1]) as dump:
        for event in map(json.loads, dump):
            payload = event["payload"]
            if event["type"] == "Top4SetScraped":
                set_films[payload["setID"]] = payload["movieIDs"]
                set_names.setdefault(payload["setID"], None)
                for film in payload["movieIDs"]:
                    film_names.setdefault(film, None)
            elif event["type"] == "VoteCast":
                a_won = payload["winner"] == "setA"
                winner, loser = (payload["setA"], payload["setB"]) if a_won else (payload["setB"], payload["setA"])
                set_names.setdefault(winner, None)
                set_names.setdefault(loser, None)
                set_wins[(winner, loser)] = set_wins.get((winner, loser), 0) + 1
                if winner in set_films and loser in set_films:
                    for w in set_films[winner]:
                        for l in set_films[loser]:
                            if w != l:
                                film_wins[(w, l)] = film_wins.get((w, l), 0) + 1
    print(json.dumps({"sets": fit(set_wins, list(set_names)), "films": fit(film_wins, list(film_names))}))


if __name__ == "__main__":
    main()
