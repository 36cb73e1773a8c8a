#!/usr/bin/env python3
"""Fits implicit's CPU ALS on a leave-one-out split written by the Swift benchmark, for comparison.

Usage: implicit_als.py SPLIT_DIR --threads N [--factors 64 --regularization 0.05 --iterations 15 --alpha A --seed S]
SPLIT_DIR holds train.tsv (user, item, weight) and heldout.tsv (user, item), 0-based indices, plus
shape.tsv (users, items). Our confidence is 1 + alpha*w; implicit's is its alpha times the matrix value,
so the matrix passed here is (1 + alpha*w) and implicit's alpha is 1: the same objective.
Prints JSON: fit seconds, recall@10, ndcg@10 (the held-out item ranked among items not trained on).
"""
import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from scipy.sparse import csr_matrix
from threadpoolctl import threadpool_limits

import implicit


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("split")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--regularization", type=float, default=0.05)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-k", type=int, default=10)
    args = parser.parse_args()
    users, items = np.loadtxt(os.path.join(args.split, "shape.tsv"), dtype=np.int64)
    train = np.loadtxt(os.path.join(args.split, "train.tsv"), ndmin=2)
    heldout = np.loadtxt(os.path.join(args.split, "heldout.tsv"), dtype=np.int64, ndmin=2)
    confidence = 1 + args.alpha * train[:, 2]
    matrix = csr_matrix((confidence.astype(np.float32), (train[:, 0].astype(np.int64), train[:, 1].astype(np.int64))), shape=(users, items))
    model = implicit.cpu.als.AlternatingLeastSquares(
        factors=args.factors, regularization=args.regularization, alpha=1.0, iterations=args.iterations,
        num_threads=args.threads, random_state=args.seed)
    with threadpool_limits(limits=1, user_api="blas"):
        started = time.perf_counter()
        model.fit(matrix, show_progress=False)
        seconds = time.perf_counter() - started
    hits, gain = 0.0, 0.0
    for user, item in heldout:
        ids, _ = model.recommend(user, matrix[user], N=args.k, filter_already_liked_items=True)
        ranks = np.nonzero(ids == item)[0]
        if len(ranks):
            hits += 1
            gain += 1 / np.log2(ranks[0] + 2)
    print(json.dumps({"seconds": seconds, "recall": hits / len(heldout), "ndcg": gain / len(heldout)}))


if __name__ == "__main__":
    main()
