#!/usr/bin/env python3
"""Bradley-Terry optima by scipy over the same objectives as the Swift fits, for checking them.

Sets (Documentation/Projections.md), over log-strengths theta:
  sum over ordered wins w_ij of log(1 + exp(theta_j - theta_i))
  + prior * sum_i [log(1 + exp(-theta_i)) + log(1 + exp(theta_i))]
(each set plays `prior` virtual wins and losses against a reference at theta = 0).

Films as teams, over film log-strengths b, a set's strength the sum of its four films':
  sum over ordered set wins w_ij of log(1 + exp(theta_j - theta_i)),  theta = A b
  + |b|^2 / (2 sigma^2)
(a Gaussian prior N(0, sigma^2) on each film; sigma = pi / sqrt(12)). Only votes between sets whose films
are known count; a film in no such set stays at 0.

Each is minimized by L-BFGS-B and polished by Newton steps with the exact Hessian (both objectives are
strictly convex), so the comparison is with the optimum, not an optimizer's stopping point.

Usage: bradley_terry.py DUMP.jsonl   prints {"sets": {id: theta}, "films": {slug: b}}.
"""
import json
import math
import sys

import numpy as np
from scipy import sparse
from scipy.linalg import solve
from scipy.optimize import minimize

PRIOR = 1.0
SIGMA = math.pi / math.sqrt(12)


def newton(objective, hessian, start):
    result = minimize(objective, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "maxiter": 100000})
    x = result.x
    for _ in range(50):
        step = solve(hessian(x), objective(x)[1], assume_a="pos")
        x = x - step
        if np.max(np.abs(step)) < 1e-13:
            return x
    sys.exit("Newton polishing did not converge")


def fit_sets(wins, names):
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

    theta = newton(objective, hessian, np.zeros(n))
    return {name: float(theta[k]) for name, k in index.items()}


def fit_films(wins, set_films, film_names):
    """The team model: a +1/-1 design row per ordered set pair (winner's films +1, loser's -1)."""
    index = {name: k for k, name in enumerate(film_names)}
    n = len(film_names)
    rows = [(w, l, c) for (w, l), c in wins.items() if w in set_films and l in set_films]
    counts = np.array([c for (_w, _l, c) in rows], dtype=np.float64)
    entries = [(r, index[film], 1.0) for r, (w, _l, _c) in enumerate(rows) for film in set_films[w]]
    entries += [(r, index[film], -1.0) for r, (_w, l, _c) in enumerate(rows) for film in set_films[l]]
    # Duplicate (row, film) entries are summed: a film in both sets of a pair cancels out.
    design = sparse.csr_matrix(([e[2] for e in entries], ([e[0] for e in entries], [e[1] for e in entries])), shape=(len(rows), n))

    def objective(b):
        d = design @ b  # winner's strength less the loser's
        value = np.sum(counts * np.logaddexp(0, -d)) + np.dot(b, b) / (2 * SIGMA**2)
        gradient = -design.T @ (counts / (1 + np.exp(d))) + b / SIGMA**2
        return value, gradient

    def hessian(b):
        d = design @ b
        s = counts / (2 + np.exp(d) + np.exp(-d))
        return (design.T @ sparse.diags(s) @ design).toarray() + np.eye(n) / SIGMA**2

    b = newton(objective, hessian, np.zeros(n))
    return {name: float(b[k]) for name, k in index.items()}


def main():
    set_films, set_wins = {}, {}
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
    print(json.dumps({"sets": fit_sets(set_wins, list(set_names)), "films": fit_films(set_wins, set_films, list(film_names))}))


if __name__ == "__main__":
    main()
