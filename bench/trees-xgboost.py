#!/usr/bin/env python3
"""XGBoost `hist` on the same CSV and the same positional split as bench/trees.ts.

    python3 bench/trees-xgboost.py FILE [--rounds 200] [--subsample 1] [--colsample 1] [--threads N]

Split: rows [0, 0.64N) train, [0.64N, 0.8N) validation (early stopping), [0.8N, N) test.
Hyper-parameters match bench/trees.ts: eta 0.1, depth 6, lambda 1, min_child_weight 1,
256 bins (XGBoost counts differently; ours is 255 value bins + a missing bin), 20 rounds patience.
A comparison tool only: never a runtime dependency of Patron.
"""
import argparse
import os
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

ap = argparse.ArgumentParser()
ap.add_argument("csv")
ap.add_argument("--rounds", type=int, default=200)
ap.add_argument("--subsample", type=float, default=1.0)
ap.add_argument("--colsample", type=float, default=1.0)
ap.add_argument("--threads", type=int, default=os.cpu_count())
args = ap.parse_args()

t0 = time.perf_counter()
df = pd.read_csv(args.csv, dtype=np.float32)
read_s = time.perf_counter() - t0
y = df["label"].to_numpy()
x = df.drop(columns=["label"]).to_numpy(dtype=np.float32)
n = len(df)
a, b = int(0.64 * n), int(0.8 * n)

params = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "tree_method": "hist",
    "eta": 0.1,
    "max_depth": 6,
    "lambda": 1.0,
    "min_child_weight": 1.0,
    "max_bin": 256,
    "subsample": args.subsample,
    "colsample_bytree": args.colsample,
    "nthread": args.threads,
    "seed": 42,
}
t0 = time.perf_counter()
dtrain = xgb.DMatrix(x[:a], label=y[:a], missing=np.nan, nthread=args.threads)
dvalid = xgb.DMatrix(x[a:b], label=y[a:b], missing=np.nan, nthread=args.threads)
booster = xgb.train(
    params, dtrain, num_boost_round=args.rounds, evals=[(dvalid, "valid")],
    early_stopping_rounds=20, verbose_eval=False,
)
train_s = time.perf_counter() - t0
t0 = time.perf_counter()
dtest = xgb.DMatrix(x[b:], missing=np.nan, nthread=args.threads)
p = booster.predict(dtest, iteration_range=(0, booster.best_iteration + 1))
pred_s = time.perf_counter() - t0
t0 = time.perf_counter()
shap_rows = min(20000, n - b)
booster.predict(xgb.DMatrix(x[b:b + shap_rows], missing=np.nan), pred_contribs=True,
                iteration_range=(0, booster.best_iteration + 1))
shap_s = time.perf_counter() - t0
auc = roc_auc_score(y[b:], p)
print(f"xgboost {xgb.__version__}, {args.threads} threads; trees kept {booster.best_iteration + 1}")
print("| step | rows | seconds | test AUC |")
print("|---|---:|---:|---:|")
print(f"| read CSV (pandas) | {n} | {read_s:.2f} | |")
print(f"| train (validation + early stopping) | {a} | {train_s:.2f} | {auc:.5f} |")
print(f"| predict | {n - b} | {pred_s:.2f} | |")
print(f"| TreeSHAP (pred_contribs) | {shap_rows} | {shap_s:.2f} | |")
